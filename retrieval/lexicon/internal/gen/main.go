// Command gen writes the lexicon table embedded by package lexicon from
// WordNet 3.0 and the built-in articles. It is run by go generate in
// retrieval/lexicon and needs the WordNet database files, which Debian's
// wordnet-base package installs under /usr/share/wordnet:
//
//	apt-get install -y wordnet-base
//	cd retrieval/lexicon && go run ./internal/gen -wordnet /usr/share/wordnet -seeds ../../seeds -out table.gz -known known.txt
//
// Flags:
//
//	-wordnet dir   WordNet's dict directory (index.*, data.*, *.exc, cntlist.rev)
//	-seeds dir     directory of *.txt articles whose words must all be covered
//	-out file      where to write the gzipped table
//	-known file    where to write the list of further known words
//	-min n         smallest tagged-sense count that makes a word "common"
//	-known ""      write no such list (Known then says false for words like "truce")
//	-v             list the verb and adjective pairs that become synonyms
//	               through a hypernym or an adjective cluster, and every
//	               antonym pair with how it was found
//
// The output is deterministic: the same inputs give a byte-identical file
// (everything is sorted and the gzip header carries no name or time).
//
// Which words: every single-word WordNet lemma whose senses were seen at least
// -min times in WordNet's sense-tagged corpus (cntlist.rev), every lemma of a
// word in the seed articles, and a short list of closed-class words (the, of,
// and ...) that WordNet leaves out but that are plainly English.
//
// Which further known words: every other plain single word of WordNet
// (written in lower case in a synset outside noun.animal and noun.plant),
// hyphenated ones also written without hyphens ("ceasefire"). They get no
// relations, which would more than double the table.
//
// Which antonyms: see antonyms; WordNet's "!" pointers between frequent
// senses, and common adjective satellites opposed to their head's antonym.
//
// Table format (text, then gzip), five sections each opened by a header line:
//
//	lexicon 2
//	L <n>            n lines "lemma<TAB>posmask<TAB>count": posmask bits n=1 v=2 a=4 r=8,
//	                 16 for a function word (see closedClass);
//	                 count is the lemma's tagged-sense count, used to rank readings
//	S <n>            n lines "pos i j ...": lemmas i, j ... share a frequent sense in
//	                 part of speech pos (0 noun, 1 verb, 2 adjective, 3 adverb)
//	D <n>            n lines "i j": lemma i and lemma j are derivationally related
//	A <n>            n lines "pos i j", i < j: lemmas i and j are antonyms in part of speech pos
//	X <n>            n lines "form<TAB>lemma index<TAB>posmask": irregular forms
//
// Lemma indexes are line numbers (from 0) in the L section, which is sorted.
//
// The known-word list is a separate, uncompressed file of sorted lines
// "word<TAB>posmask as one hex digit"; the runtime binary-searches it in
// place (it is embedded as is), so those 47k words cost nothing to load.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		slog.Error("lexicon generator failed", "err", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	wnDir := fs.String("wordnet", "/usr/share/wordnet", "WordNet 3.0 dict directory (Debian package wordnet-base)")
	seedDir := fs.String("seeds", "../../seeds", "directory of *.txt articles whose words are all kept")
	out := fs.String("out", "table.gz", "output file for the gzipped table")
	minCount := fs.Int("min", 1, "smallest tagged-sense count that makes a word common")
	knownOut := fs.String("known", "known.txt", `output file for the further known words ("" for none)`)
	verbose := fs.Bool("v", false, "list the verb and adjective pairs that become synonyms through a hypernym or an adjective cluster, and the antonym pairs")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	wn, err := loadWordNet(*wnDir)
	if err != nil {
		return fmt.Errorf("reading WordNet from %s (install it with: apt-get install -y wordnet-base): %w", *wnDir, err)
	}
	seedWords, err := readSeedWords(*seedDir)
	if err != nil {
		return fmt.Errorf("reading seed articles from %s: %w", *seedDir, err)
	}
	table := build(wn, seedWords, *minCount, *verbose, stderr)
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	raw := table.encode()
	if _, err := zw.Write(raw); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing the table: %w", err)
	}
	var known bytes.Buffer
	for i, w := range table.extra {
		fmt.Fprintf(&known, "%s\t%x\n", w, table.extraPOS[i])
	}
	if *knownOut != "" {
		if err := os.WriteFile(*knownOut, known.Bytes(), 0o644); err != nil {
			return fmt.Errorf("writing the known words: %w", err)
		}
	}
	fmt.Fprintf(stderr, "lexicon: %d lemmas, %d synonym groups, %d derivations, %d antonym pairs, %d irregular forms: %d bytes raw, %d gzipped; %d further known words: %d bytes\n",
		len(table.lemmas), len(table.groups), len(table.derived), len(table.antonyms), len(table.irregular), len(raw), buf.Len(), len(table.extra), known.Len())
	return nil
}

// Parts of speech, in WordNet's file order; the bit is 1<<pos.
const (
	noun = iota
	verb
	adj
	adv
	numPOS
)

var posFile = [numPOS]string{"noun", "verb", "adj", "adv"}

// functionWord is the posmask bit of closedClass words.
const functionWord = 16

// synsetID names a synset across files: WordNet offsets are per file.
type synsetID struct {
	pos    int
	offset int
}

type synset struct {
	words    []string    // lower-case lemmas, in WordNet order
	hypernym []synsetID  // @ and @i pointers
	hyponyms int         // how many ~ and ~i pointers: how general the synset is
	similar  []synsetID  // & pointers: from an adjective satellite to its head
	derived  [][2]string // (word in this synset, word in the other): "+" pointers
	antonym  [][2]string // the same for "!" pointers, which WordNet makes word to word
}

type wordNet struct {
	// senses[pos][lemma] lists the lemma's synsets, most frequent first.
	senses [numPOS]map[string][]synsetID
	// counts[pos][lemma][i] is the tagged count of sense i (0-based).
	counts  [numPOS]map[string][]int
	synsets map[synsetID]*synset
	// exceptions[pos][form] lists the base forms of an irregular form.
	exceptions [numPOS]map[string][]string
	// plain holds the words written in lower case in some synset outside
	// the animal and plant files: common words, not names or taxa.
	plain map[string]bool
}

func loadWordNet(dir string) (*wordNet, error) {
	wn := &wordNet{synsets: map[synsetID]*synset{}, plain: map[string]bool{}}
	for p := range numPOS {
		wn.senses[p] = map[string][]synsetID{}
		wn.counts[p] = map[string][]int{}
		wn.exceptions[p] = map[string][]string{}
		if err := eachLine(filepath.Join(dir, "index."+posFile[p]), func(line string) error {
			return wn.indexLine(p, line)
		}); err != nil {
			return nil, err
		}
		if err := eachLine(filepath.Join(dir, "data."+posFile[p]), func(line string) error {
			return wn.dataLine(p, line)
		}); err != nil {
			return nil, err
		}
		exc := map[int]string{noun: "noun", verb: "verb", adj: "adj", adv: "adv"}[p]
		if err := eachLine(filepath.Join(dir, exc+".exc"), func(line string) error {
			f := strings.Fields(line)
			if len(f) < 2 {
				return nil
			}
			wn.exceptions[p][f[0]] = append(wn.exceptions[p][f[0]], f[1:]...)
			return nil
		}); err != nil {
			return nil, err
		}
	}
	if err := eachLine(filepath.Join(dir, "cntlist.rev"), wn.countLine); err != nil {
		return nil, err
	}
	return wn, nil
}

// eachLine calls fn for every line that is not part of the license header
// (WordNet's files open with lines starting with two spaces).
func eachLine(path string, fn func(string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "  ") || line == "" {
			continue
		}
		if err := fn(line); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
	}
	return sc.Err()
}

// indexLine reads "lemma pos synset_cnt p_cnt [ptr...] sense_cnt tagsense_cnt offsets...".
func (wn *wordNet) indexLine(p int, line string) error {
	f := strings.Fields(line)
	if len(f) < 6 {
		return errors.New("short index line")
	}
	pcnt, err := strconv.Atoi(f[3])
	if err != nil {
		return err
	}
	first := 4 + pcnt + 2
	if first > len(f) {
		return errors.New("index line pointer count out of range")
	}
	ids := make([]synsetID, 0, len(f)-first)
	for _, o := range f[first:] {
		off, err := strconv.Atoi(o)
		if err != nil {
			return err
		}
		ids = append(ids, synsetID{p, off})
	}
	wn.senses[p][f[0]] = ids
	return nil
}

// dataLine reads "offset lex_filenum ss_type w_cnt word lex_id ... p_cnt ptr... | gloss".
func (wn *wordNet) dataLine(p int, line string) error {
	if i := strings.Index(line, " | "); i >= 0 {
		line = line[:i]
	}
	f := strings.Fields(line)
	off, err := strconv.Atoi(f[0])
	if err != nil {
		return err
	}
	wcnt, err := strconv.ParseInt(f[3], 16, 0)
	if err != nil {
		return err
	}
	s := &synset{}
	i := 4
	// Lexicographer files 05 and 20 are noun.animal and noun.plant.
	taxon := p == noun && (f[1] == "05" || f[1] == "20")
	for range wcnt {
		w := normLemma(f[i])
		s.words = append(s.words, w)
		if !taxon && strings.ToLower(f[i]) == f[i] {
			wn.plain[w] = true
		}
		i += 2
	}
	pcnt, err := strconv.Atoi(f[i])
	if err != nil {
		return err
	}
	i++
	for range pcnt {
		sym, tOff, tPOS, srcDst := f[i], f[i+1], f[i+2], f[i+3]
		i += 4
		to, err := strconv.Atoi(tOff)
		if err != nil {
			return err
		}
		tp := strings.Index("nvasr", tPOS)
		if tp == 4 {
			tp = adv
		} else if tp == 3 {
			tp = adj
		}
		target := synsetID{tp, to}
		switch sym {
		case "@", "@i":
			s.hypernym = append(s.hypernym, target)
		case "~", "~i":
			s.hyponyms++
		case "&":
			if f[2] == "s" {
				s.similar = append(s.similar, target)
			}
		case "+", "\\":
			// "+" links derivationally related forms; "\" links an
			// adjective to the noun it pertains to ("presidential",
			// "president") and an adverb to its adjective ("quickly").
			src, _ := strconv.ParseInt(srcDst[:2], 16, 0)
			dst, _ := strconv.ParseInt(srcDst[2:], 16, 0)
			if src > 0 && dst > 0 {
				// The target word is resolved after all data files are read.
				s.derived = append(s.derived, [2]string{s.words[src-1], fmt.Sprintf("%d:%d:%d", tp, to, dst)})
			}
		case "!":
			src, _ := strconv.ParseInt(srcDst[:2], 16, 0)
			dst, _ := strconv.ParseInt(srcDst[2:], 16, 0)
			if src > 0 && dst > 0 {
				s.antonym = append(s.antonym, [2]string{s.words[src-1], fmt.Sprintf("%d:%d:%d", tp, to, dst)})
			}
		}
	}
	wn.synsets[synsetID{p, off}] = s
	return nil
}

// countLine reads cntlist.rev: "sense_key sense_number tag_cnt", where
// sense_key is "lemma%ss_type:lex_filenum:lex_id:head_word:head_id".
func (wn *wordNet) countLine(line string) error {
	f := strings.Fields(line)
	if len(f) != 3 {
		return errors.New("want 3 fields")
	}
	lemma, rest, ok := strings.Cut(f[0], "%")
	if !ok || rest == "" {
		return errors.New("malformed sense key")
	}
	p := map[byte]int{'1': noun, '2': verb, '3': adj, '4': adv, '5': adj}[rest[0]]
	n, err1 := strconv.Atoi(f[1])
	c, err2 := strconv.Atoi(f[2])
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	lemma = normLemma(lemma)
	cs := wn.counts[p][lemma]
	for len(cs) < n {
		cs = append(cs, 0)
	}
	cs[n-1] += c
	wn.counts[p][lemma] = cs
	return nil
}

// normLemma lower-cases a WordNet word and drops an adjective marker such as "(a)".
func normLemma(w string) string {
	if i := strings.IndexByte(w, '('); i >= 0 {
		w = w[:i]
	}
	return strings.ToLower(w)
}

// derivedTarget resolves a "+" pointer's "pos:offset:word" to the word.
func (wn *wordNet) derivedTarget(ref string) string {
	w, _ := wn.pointerTarget(ref)
	return w
}

// pointerTarget resolves a lexical pointer's "pos:offset:word" to the word
// and its synset.
func (wn *wordNet) pointerTarget(ref string) (string, synsetID) {
	parts := strings.Split(ref, ":")
	p, _ := strconv.Atoi(parts[0])
	off, _ := strconv.Atoi(parts[1])
	n, _ := strconv.Atoi(parts[2])
	id := synsetID{p, off}
	s := wn.synsets[id]
	if s == nil || n < 1 || n > len(s.words) {
		return "", id
	}
	return s.words[n-1], id
}

// total is a lemma's tagged count over all its senses and parts of speech.
func (wn *wordNet) total(lemma string) int {
	t := 0
	for p := range numPOS {
		for _, c := range wn.counts[p][lemma] {
			t += c
		}
	}
	return t
}

// morphy returns the WordNet lemmas a word can be a form of, in any part of
// speech: the word itself, its exception-list bases, and WordNet's suffix rules.
func (wn *wordNet) morphy(w string) []string {
	var out []string
	add := func(l string) {
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	for p := range numPOS {
		if _, ok := wn.senses[p][w]; ok {
			add(w)
		}
		for _, b := range wn.exceptions[p][w] {
			if _, ok := wn.senses[p][b]; ok {
				add(b)
			}
		}
		for _, r := range suffixRules[p] {
			if base, ok := strings.CutSuffix(w, r[0]); ok && base != "" {
				if _, ok := wn.senses[p][base+r[1]]; ok {
					add(base + r[1])
				}
			}
		}
	}
	return out
}

// suffixRules are WordNet's morphy detachment rules (morph(7WN)); the
// runtime package applies the same list.
var suffixRules = [numPOS][][2]string{
	noun: {{"s", ""}, {"ses", "s"}, {"xes", "x"}, {"zes", "z"}, {"ches", "ch"}, {"shes", "sh"}, {"men", "man"}, {"ies", "y"}},
	verb: {{"s", ""}, {"ies", "y"}, {"es", "e"}, {"es", ""}, {"ed", "e"}, {"ed", ""}, {"ing", "e"}, {"ing", ""}},
	adj:  {{"er", ""}, {"est", ""}, {"er", "e"}, {"est", "e"}},
}

// closedClass are English function words. WordNet lists only nouns, verbs,
// adjectives and adverbs, so most are missing ("the", "whose") and must be
// added for Known; others are WordNet homographs of rare nouns ("in" the
// inch, "i" iodine, "us" the United States, "will" a testament, "his" read
// as "hi"). The table marks them all with functionWord, and the runtime
// gives them no suffix rules and no synonyms or derivations: only their
// listed irregular forms ("was" → "be"). Contractions are listed without
// their apostrophe, the way retrieval.Words keeps them ("doesn't" →
// "doesnt"); they are not lemmatised, so "didnt" never reads as "do".
var closedClass = strings.Fields(`
a about above across after against along although among an and another any anybody anyone anything around as at
because before behind below beneath beside besides between beyond both but by despite down during each either
every everybody everyone everything few for from he her hers herself him himself his how however i if in inside
into it its itself many me mine more most much my myself neither nobody none nor nothing of off on once one onto
or other others our ours ourselves out outside over own per several she since so some somebody someone something
than that the their theirs them themselves then there these they this those though through throughout till to
toward towards under underneath unless until up upon us versus via what whatever when whenever where whereas
wherever whether which whichever while who whoever whom whose why with within without yet you your yours yourself
yourselves could shall should would not no yes we amid amidst amongst cannot else ought thus hence whilst lest
unto whereby thereby am is are was were has had can may might must will
aint arent cant couldnt didnt doesnt dont hadnt hasnt havent isnt mightnt mustnt neednt shant shouldnt wasnt
werent wont wouldnt im ive youre youve youll youd hes shes theyre theyve theyll theyd weve whats thats whos
theres heres wheres
`)

func readSeedWords(dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no *.txt files in %s", dir)
	}
	seen := map[string]bool{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		for _, w := range strings.FieldsFunc(strings.ToLower(string(b)), func(r rune) bool { return !unicode.IsLetter(r) }) {
			seen[w] = true
		}
	}
	words := make([]string, 0, len(seen))
	for w := range seen {
		words = append(words, w)
	}
	slices.Sort(words)
	return words, nil
}

type table struct {
	lemmas    []string
	posmask   []int
	count     []int
	groups    [][]int
	derived   [][2]int
	antonyms  [][3]int // part of speech, lemma index, greater lemma index
	irregular []irregular
	extra     []string // known words without relations
	extraPOS  []int
}

type irregular struct {
	form    string
	lemma   int
	posmask int
}

// Synonyms come only from a word's frequent senses, so that a word with many
// rare senses ("talk" has 11) is not a synonym of everything.
const maxFrequentSenses = 3

// frequentSenses returns the synsets of lemma in pos that count as its
// common meanings: the first sense always, then senses 2..3 when the tagged
// corpus saw them at least twice and at least a tenth as often as the first.
func (wn *wordNet) frequentSenses(p int, lemma string) []synsetID {
	ids := wn.senses[p][lemma]
	if len(ids) == 0 {
		return nil
	}
	cs := wn.counts[p][lemma]
	out := []synsetID{ids[0]}
	for i := 1; i < len(ids) && i < maxFrequentSenses; i++ {
		if i >= len(cs) || cs[i] < 2 || len(cs) == 0 || cs[i]*10 < cs[0] {
			break
		}
		out = append(out, ids[i])
	}
	return out
}

func singleWord(w string) bool {
	for _, r := range w {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return w != ""
}

// minHyponymCount is how often a verb's first sense must occur in the
// tagged corpus before it counts as a synonym of its hypernym.
const minHyponymCount = 5

// maxHypernymBreadth keeps out very general hypernyms: "walk" is a way to
// "move", but so are hundreds of verbs, and "move" says little about any.
const maxHypernymBreadth = 25

func build(wn *wordNet, seedWords []string, minCount int, verbose bool, stderr io.Writer) *table {
	keep := map[string]bool{}
	for p := range numPOS {
		for l := range wn.senses[p] {
			if singleWord(l) && wn.total(l) >= minCount {
				keep[l] = true
			}
		}
	}
	for _, w := range seedWords {
		for _, l := range wn.morphy(w) {
			if singleWord(l) {
				keep[l] = true
			}
		}
	}
	closed := map[string]bool{}
	for _, w := range closedClass {
		keep[w], closed[w] = true, true
	}
	t := &table{}
	for l := range keep {
		t.lemmas = append(t.lemmas, l)
	}
	slices.Sort(t.lemmas)
	index := make(map[string]int, len(t.lemmas))
	for i, l := range t.lemmas {
		index[l] = i
		mask := 0
		for p := range numPOS {
			if _, ok := wn.senses[p][l]; ok {
				mask |= 1 << p
			}
		}
		if closed[l] {
			mask |= functionWord
		}
		t.posmask = append(t.posmask, mask)
		t.count = append(t.count, wn.total(l))
	}

	// frequentOf[synset] = kept lemmas for which it is a frequent sense.
	frequentOf := map[synsetID][]int{}
	for i, l := range t.lemmas {
		for p := range numPOS {
			for _, id := range wn.frequentSenses(p, l) {
				frequentOf[id] = append(frequentOf[id], i)
			}
		}
	}
	groupSeen := map[string]bool{}
	// A group is stored as its part of speech followed by lemma indexes.
	addGroup := func(p int, g []int) {
		g = slices.Clone(g)
		slices.Sort(g)
		g = slices.Compact(g)
		if len(g) < 2 {
			return
		}
		g = append([]int{p}, g...)
		key := fmt.Sprint(g)
		if !groupSeen[key] {
			groupSeen[key] = true
			t.groups = append(t.groups, g)
		}
	}
	for id, g := range frequentOf {
		addGroup(id.pos, g)
	}
	// A verb whose first sense has no other word often names a manner of its
	// hypernym's first sense: "pick" (select carefully) is a way to "choose".
	// Such pairs count as synonyms; nouns are left out because a noun's
	// hypernym is a broader class ("dog" is not a synonym of "canine").
	// The verb must itself be common in that sense, or every rare manner
	// verb would join its hypernym ("cheek", speak impudently, is not "talk").
	for i, l := range t.lemmas {
		ids := wn.senses[verb][l]
		cs := wn.counts[verb][l]
		if len(ids) == 0 || len(cs) == 0 || cs[0] < minHyponymCount {
			continue
		}
		s := wn.synsets[ids[0]]
		if s == nil || len(s.words) != 1 {
			continue
		}
		for _, h := range s.hypernym {
			hs := wn.synsets[h]
			if hs == nil || hs.hyponyms > maxHypernymBreadth {
				continue
			}
			for _, hw := range hs.words {
				j, ok := index[hw]
				if !ok || len(wn.senses[verb][hw]) == 0 || wn.senses[verb][hw][0] != h {
					continue
				}
				if verbose {
					fmt.Fprintf(stderr, "hypernym synonym: %s -> %s\n", l, hw)
				}
				addGroup(verb, []int{i, j})
			}
		}
	}
	// An adjective whose first sense is a satellite ("huge") is a
	// near-synonym of its head's words when that head is also their first
	// sense ("large", "big"): WordNet's adjective clusters.
	for i, l := range t.lemmas {
		ids := wn.senses[adj][l]
		cs := wn.counts[adj][l]
		if len(ids) == 0 || len(cs) == 0 || cs[0] < minHyponymCount {
			continue
		}
		s := wn.synsets[ids[0]]
		if s == nil {
			continue
		}
		for _, h := range s.similar {
			hs := wn.synsets[h]
			if hs == nil {
				continue
			}
			for _, hw := range hs.words {
				j, ok := index[hw]
				if !ok || len(wn.senses[adj][hw]) == 0 || wn.senses[adj][hw][0] != h {
					continue
				}
				if verbose {
					fmt.Fprintf(stderr, "similar adjective: %s -> %s\n", l, hw)
				}
				addGroup(adj, []int{i, j})
			}
		}
	}
	slices.SortFunc(t.groups, slices.Compare)

	// Derivations: WordNet's "+" pointers between kept words, plus words
	// that share a derivational neighbour and a four-letter stem
	// ("negotiation" and "negotiator" both point at "negotiate").
	direct := map[int]map[int]bool{}
	link := func(a, b int) {
		if a == b {
			return
		}
		if direct[a] == nil {
			direct[a] = map[int]bool{}
		}
		if direct[b] == nil {
			direct[b] = map[int]bool{}
		}
		direct[a][b], direct[b][a] = true, true
	}
	ids := make([]synsetID, 0, len(wn.synsets))
	for id := range wn.synsets {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b synsetID) int {
		if a.pos != b.pos {
			return a.pos - b.pos
		}
		return a.offset - b.offset
	})
	for _, id := range ids {
		for _, d := range wn.synsets[id].derived {
			a, ok1 := index[d[0]]
			b, ok2 := index[wn.derivedTarget(d[1])]
			if ok1 && ok2 {
				link(a, b)
			}
		}
	}
	pairs := map[[2]int]bool{}
	for a, ns := range direct {
		for b := range ns {
			pairs[[2]int{min(a, b), max(a, b)}] = true
			for c := range direct[b] {
				if c != a && sharedPrefix(t.lemmas[a], t.lemmas[c]) >= 4 {
					pairs[[2]int{min(a, c), max(a, c)}] = true
				}
			}
		}
	}
	for p := range pairs {
		t.derived = append(t.derived, p)
	}
	slices.SortFunc(t.derived, func(a, b [2]int) int { return slices.Compare(a[:], b[:]) })

	t.antonyms = antonyms(wn, t, index, ids, verbose, stderr)

	// Irregular forms whose base is kept; regular ones are found at run time
	// by the same suffix rules.
	forms := map[string]map[int]int{}
	for p := range numPOS {
		for form, bases := range wn.exceptions[p] {
			if !singleWord(form) {
				continue
			}
			for _, b := range bases {
				i, ok := index[b]
				if !ok || t.posmask[i]&(1<<p) == 0 {
					continue
				}
				if forms[form] == nil {
					forms[form] = map[int]int{}
				}
				forms[form][i] |= 1 << p
			}
		}
	}
	for form, bases := range forms {
		for i, mask := range bases {
			t.irregular = append(t.irregular, irregular{form, i, mask})
		}
	}
	slices.SortFunc(t.irregular, func(a, b irregular) int {
		if c := strings.Compare(a.form, b.form); c != 0 {
			return c
		}
		return a.lemma - b.lemma
	})

	// Every other plain single word WordNet lists is still English ("truce",
	// "hostage" were never sense-tagged); they are kept for Known and Lemma
	// only, without relations, which would double the table.
	// Hyphenated words are kept as one word too, since people type
	// "ceasefire" and "frontline" for WordNet's "cease-fire", "front-line".
	extra := map[string]int{}
	for p := range numPOS {
		for l := range wn.senses[p] {
			if !wn.plain[l] {
				continue
			}
			w := l
			if hyphenated(l) {
				w = strings.ReplaceAll(l, "-", "")
			}
			if _, ok := index[w]; !ok && singleWord(w) {
				extra[w] |= 1 << p
			}
		}
	}
	for w := range extra {
		t.extra = append(t.extra, w)
	}
	slices.Sort(t.extra)
	for _, w := range t.extra {
		t.extraPOS = append(t.extraPOS, extra[w])
	}
	return t
}

// hyphenated reports whether w is letters joined by hyphens ("cease-fire").
func hyphenated(w string) bool {
	parts := strings.Split(w, "-")
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if !singleWord(p) {
			return false
		}
	}
	return true
}

func sharedPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func (t *table) encode() []byte {
	var b bytes.Buffer
	b.WriteString("lexicon 2\n")
	fmt.Fprintf(&b, "L %d\n", len(t.lemmas))
	for i, l := range t.lemmas {
		fmt.Fprintf(&b, "%s\t%d\t%d\n", l, t.posmask[i], t.count[i])
	}
	fmt.Fprintf(&b, "S %d\n", len(t.groups))
	for _, g := range t.groups {
		for k, i := range g {
			if k > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(strconv.Itoa(i))
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "D %d\n", len(t.derived))
	for _, d := range t.derived {
		fmt.Fprintf(&b, "%d %d\n", d[0], d[1])
	}
	fmt.Fprintf(&b, "A %d\n", len(t.antonyms))
	for _, a := range t.antonyms {
		fmt.Fprintf(&b, "%d %d %d\n", a[0], a[1], a[2])
	}
	fmt.Fprintf(&b, "X %d\n", len(t.irregular))
	for _, x := range t.irregular {
		fmt.Fprintf(&b, "%s\t%d\t%d\n", x.form, x.lemma, x.posmask)
	}

	return b.Bytes()
}

// antonyms returns WordNet's antonym pairs among the kept lemmas, sorted, as
// (part of speech, lower index, higher index). A pair counts only in a
// frequent sense of both words, so that a rare sense does not make two
// words opposites in every sentence. Two kinds:
//   - direct "!" pointers ("optimistic" ! "pessimistic", "praise" !
//     "criticize");
//   - an adjective satellite whose frequent sense is in the cluster of a
//     head with an antonym is the opposite of that antonym ("huge", in the
//     cluster of "large", is the opposite of "small") when the satellite
//     sense is the word's first and is common (seen minHyponymCount times
//     in the tagged corpus), as for cluster synonyms: "stretch" in a
//     stretch limousine is no opposite of "short", nor "old" (in "an old
//     friend", satellite of "familiar") of "unfamiliar". Satellites of the
//     two clusters are not paired with each other: clusters are loose
//     ("ample" and "atomic" are no reader's opposites), and one step from
//     a head keeps to pairs a reader would call opposite.
//
// ids is every synset, sorted, so the walk is deterministic.
func antonyms(wn *wordNet, t *table, index map[string]int, ids []synsetID, verbose bool, stderr io.Writer) [][3]int {
	frequent := func(p int, w string, id synsetID) bool {
		return slices.Contains(wn.frequentSenses(p, w), id)
	}
	// firstCommon reports whether id is w's first sense in p, tagged
	// often enough, and p is w's main part of speech.
	firstCommon := func(p int, w string, id synsetID) bool {
		ss, cs := wn.senses[p][w], wn.counts[p][w]
		// "such" is tagged as an adjective of degree (a satellite of
		// "large") but reads as a determiner: "such" is no opposite of
		// "little".
		if w == "such" || len(ss) == 0 || ss[0] != id || len(cs) == 0 || cs[0] < minHyponymCount {
			return false
		}
		// And w is mostly an adjective: "very", "such", "only" and
		// "last" have satellite senses but are read as other words.
		inPOS := 0
		for _, c := range cs {
			inPOS += c
		}
		return 2*inPOS >= wn.total(w)
	}
	set := map[[3]int]bool{}
	add := func(p int, a, b string, how string) {
		i, ok1 := index[a]
		j, ok2 := index[b]
		// Function words ("some", "no", "on", "off") relate only by
		// identity; negation is the support model's own check.
		if !ok1 || !ok2 || i == j || t.posmask[i]&functionWord != 0 || t.posmask[j]&functionWord != 0 {
			return
		}
		k := [3]int{p, min(i, j), max(i, j)}
		if set[k] {
			return
		}
		set[k] = true
		if verbose {
			fmt.Fprintf(stderr, "antonym (%s %s): %s <> %s\n", posFile[p], how, a, b)
		}
	}
	for _, id := range ids {
		s := wn.synsets[id]
		for _, ant := range s.antonym {
			w, tid := wn.pointerTarget(ant[1])
			if w == "" || tid.pos != id.pos {
				continue
			}
			if frequent(id.pos, ant[0], id) && frequent(tid.pos, w, tid) {
				add(id.pos, ant[0], w, "direct")
			}
		}
		if id.pos != adj {
			continue
		}
		for _, h := range s.similar {
			hs := wn.synsets[h]
			if hs == nil {
				continue
			}
			for _, ant := range hs.antonym {
				w, tid := wn.pointerTarget(ant[1])
				if w == "" || !frequent(adj, w, tid) {
					continue
				}
				for _, sw := range s.words {
					if firstCommon(adj, sw, id) {
						add(adj, sw, w, "satellite of "+ant[0])
					}
				}
			}
		}
	}
	out := make([][3]int, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b [3]int) int { return slices.Compare(a[:], b[:]) })
	return out
}
