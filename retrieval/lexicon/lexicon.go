// Package lexicon knows English word forms and which words mean the same,
// come from each other or are opposites, so that "began" can support
// "started", "agreement" can support "agreed", and "pessimistic" cannot
// support "optimistic".
//
// The tables are generated from WordNet 3.0 (Copyright 2006 by Princeton
// University; see WORDNET-LICENSE beside this file, which must ship with
// them) by internal/gen and embedded. table.gz holds, with their relations,
// the 17k words seen in WordNet's sense-tagged corpus, every word of the
// built-in articles, and English function words; known.txt lists WordNet's
// 47k other plain words ("truce", "hostage"), known but without relations.
// Regular inflections are found at run time by WordNet's own suffix rules;
// irregular ones ("began", "children") are listed.
//
// Synonyms come from a word's frequent senses only, plus two of WordNet's
// near-synonym links: a common verb whose first sense is a manner of its
// hypernym ("pick" → "choose") and a common adjective in the cluster of a
// head adjective ("huge" → "large"). A word read as a verb ("lasted") gets
// only verb synonyms. Derivations are WordNet's derivational and pertainym
// links ("agreement", "presidential", "quickly") plus words sharing a link
// and a four-letter stem ("negotiation", "negotiator"). WordNet lacks some
// obvious pairs ("threat"/"threaten", "loss"/"lose", "choice"/"choose");
// they are None.
//
// Opposites are WordNet's antonym pointers between frequent senses
// ("praise"/"criticize", "accept"/"reject"), plus a common adjective in
// the cluster of a head opposed to the head's antonym ("huge"/"small").
// WordNet lacks many ("confirm"/"deny"); they are not Opposite.
//
// On a hot path, Lookup each word once and compare the results with Relate:
// that is tens of nanoseconds a pair, against a microsecond or two for
// Relation on two strings.
//
// Regenerate the tables (needs Debian's wordnet-base; building and testing
// do not):
//
//	apt-get install -y wordnet-base && go generate ./retrieval/lexicon
package lexicon

//go:generate go run ./internal/gen -wordnet /usr/share/wordnet -seeds ../../seeds -out table.gz -known known.txt

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

//go:embed table.gz
var table []byte

// knownWords is read where it lies, never parsed: see Lexicon.extra.
//
//go:embed known.txt
var knownWords string

// Relation is how two words relate by meaning, ordered by strength.
type Relation int

const (
	// None: no known relation.
	None Relation = iota
	// Synonym: the words share one of their frequent senses ("start",
	// "begin"), so one can stand for the other in most news sentences.
	Synonym
	// Derived: derivationally related forms, usually across parts of speech
	// ("agree", "agreement"; "negotiation", "negotiator").
	Derived
	// Same: forms of one lemma ("began", "begins").
	Same
)

// String names the relation for logs and test output.
func (r Relation) String() string {
	switch r {
	case None:
		return "none"
	case Synonym:
		return "synonym"
	case Derived:
		return "derived"
	case Same:
		return "same"
	}
	return "Relation(" + strconv.Itoa(int(r)) + ")"
}

// Parts of speech as bits of a lemma's mask, as the generator writes them,
// and the bit that marks a function word.
const (
	posNoun = 1 << iota
	posVerb
	posAdj
	posAdv
	functionWord
)

// suffixRules are WordNet's morphy detachment rules (morph(7WN)): a form
// ending in suffix may be the lemma ending in repl instead, in the parts of
// speech given. The generator uses the same rules; here the noun and verb
// rules that coincide are merged so each base is looked up once.
var suffixRules = [...]struct {
	suffix, repl string
	pos          uint8
}{
	{"s", "", posNoun | posVerb}, {"ies", "y", posNoun | posVerb},
	{"ses", "s", posNoun}, {"xes", "x", posNoun}, {"zes", "z", posNoun},
	{"ches", "ch", posNoun}, {"shes", "sh", posNoun}, {"men", "man", posNoun},
	{"es", "e", posVerb}, {"es", "", posVerb},
	{"ed", "e", posVerb}, {"ed", "", posVerb}, {"ing", "e", posVerb}, {"ing", "", posVerb},
	{"er", "", posAdj}, {"est", "", posAdj}, {"er", "e", posAdj}, {"est", "e", posAdj},
}

// lemma is 12 bytes: its name is a slice of the decompressed table.
type lemma struct {
	off   uint32 // name is raw[off : off+n]
	n     uint8
	pos   uint8  // bit mask of posNoun...posAdv, functionWord
	count uint32 // WordNet tagged-sense count: how common the word is
}

type irregularForm struct {
	form  string
	lemma int32
	pos   uint8
}

// Lexicon answers word-form and word-meaning questions from one table. It
// is read-only after Parse and safe for concurrent use.
type Lexicon struct {
	raw    string // the decompressed table
	lemmas []lemma
	// index is an open-addressing hash table of lemma id+1 (0: empty slot),
	// a quarter of the memory of a map[string]int32 and built without
	// rehashing, which matters because the table loads at every start.
	index []int32
	seed  maphash.Seed
	forms []irregularForm // sorted by form
	syn   adjacency       // synonyms as id<<2 | part of speech of the shared sense
	der   adjacency       // derivational relatives
	ant   adjacency       // antonyms as id<<2 | part of speech of the opposed senses

	// Further known words, without relations: sorted "word\tX\n" lines
	// (X: part-of-speech mask in hex), binary-searched where go:embed put
	// them, so 47k words cost nothing to load: no index, no copy, no page
	// of heap. Their ids in a Word are -1-offset, their line's byte offset.
	extra string
}

// adjacency holds every lemma's sorted neighbour list in one array, which
// parses with two allocations instead of one per lemma.
type adjacency struct {
	off []uint32 // neighbours of lemma i are val[off[i]:off[i+1]]
	val []int32
}

func (a adjacency) of(i int32) []int32 { return a.val[a.off[i]:a.off[i+1]] }

// newAdjacency builds the lists from directed edges packed as from<<32 | to.
// It sorts edges in place.
func newAdjacency(n int, edges []uint64) adjacency {
	slices.Sort(edges)
	edges = slices.Compact(edges)
	a := adjacency{off: make([]uint32, n+1), val: make([]int32, len(edges))}
	for k, e := range edges {
		a.off[e>>32+1]++
		a.val[k] = int32(uint32(e))
	}
	for i := range n {
		a.off[i+1] += a.off[i]
	}
	return a
}

// Default returns the embedded tables, parsed on first use (about 6 ms of
// CPU and 2.0 MB of heap; the known-word list is not parsed at all).
func Default() *Lexicon { return parseDefault() }

var parseDefault = sync.OnceValue(func() *Lexicon {
	l, err := parse(table, knownWords)
	if err != nil {
		// The table is generated and embedded at build time; the tests
		// parse it, so this is a broken build, not a user error.
		panic(fmt.Sprintf("lexicon: embedded table is corrupt (regenerate it with go generate ./retrieval/lexicon): %v", err))
	}
	return l
})

// maxTable bounds the decompressed table, so a hostile file cannot make
// Parse allocate without limit; the real one is under 1 MB.
const maxTable = 64 << 20

// Parse reads a gzipped table in the generator's format, and known: the
// generator's list of further known words (may be empty), which is kept as
// it is and searched in place, so it must stay sorted.
func Parse(r io.Reader, known string) (*Lexicon, error) {
	comp, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading lexicon table: %w", err)
	}
	return parse(comp, known)
}

func parse(comp []byte, known string) (*Lexicon, error) {
	if known != "" && !strings.HasSuffix(known, "\n") {
		return nil, errors.New("known-word list does not end with a newline")
	}
	if len(known) > math.MaxInt32 {
		return nil, errors.New("known-word list is larger than 2 GB")
	}
	zr, err := gzip.NewReader(bytes.NewReader(comp))
	if err != nil {
		return nil, fmt.Errorf("lexicon table is not gzip: %w", err)
	}
	var sb strings.Builder
	if len(comp) >= 4 {
		// gzip's trailer holds the decompressed size: one allocation.
		sb.Grow(int(min(binary.LittleEndian.Uint32(comp[len(comp)-4:]), maxTable)))
	}
	if n, err := io.Copy(&sb, io.LimitReader(zr, maxTable+1)); err != nil {
		return nil, fmt.Errorf("reading lexicon table: %w", err)
	} else if n > maxTable {
		return nil, errors.New("lexicon table is larger than 64 MB")
	}
	p := parser{all: sb.String()}
	p.rest = p.all
	l, err := p.parse()
	if err != nil {
		return nil, fmt.Errorf("lexicon table line %d: %w", p.line, err)
	}
	l.extra = known
	return l, nil
}

// parser walks the decompressed table as one string; names are
// substrings of it, not copies.
type parser struct {
	all, rest string
	line      int
}

func (p *parser) next() (string, bool) {
	if len(p.rest) == 0 {
		return "", false
	}
	p.line++
	line, rest, _ := strings.Cut(p.rest, "\n")
	p.rest = rest
	return line, true
}

// section reads a header "<tag> <n>" and returns n.
func (p *parser) section(tag string) (int, error) {
	line, ok := p.next()
	if !ok {
		return 0, fmt.Errorf("missing section %s", tag)
	}
	rest, ok := strings.CutPrefix(line, tag+" ")
	if !ok {
		return 0, fmt.Errorf("want section %s, got %q", tag, line)
	}
	n, ok := atoi(rest)
	if !ok {
		return 0, fmt.Errorf("bad count in section %s: %q", tag, rest)
	}
	// A hostile count must not allocate before the lines prove it.
	if n > len(p.rest) {
		return 0, fmt.Errorf("section %s counts %d lines, more than the table holds", tag, n)
	}
	return n, nil
}

// atoi parses a small non-negative decimal without allocating.
func atoi(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// fields3 splits "a<TAB>b<TAB>c".
func fields3(line string) (a, b, c string, ok bool) {
	a, rest, ok1 := strings.Cut(line, "\t")
	b, c, ok2 := strings.Cut(rest, "\t")
	return a, b, c, ok1 && ok2 && a != "" && !strings.Contains(c, "\t")
}

func (p *parser) parse() (*Lexicon, error) {
	// Version 2 added the antonym section; an older table would parse
	// as one without antonyms, so it is refused rather than misread.
	if line, ok := p.next(); !ok || line != "lexicon 2" {
		return nil, errors.New(`missing header "lexicon 2" (regenerate the table with go generate ./retrieval/lexicon)`)
	}
	n, err := p.section("L")
	if err != nil {
		return nil, err
	}
	if len(p.all) > math.MaxUint32 {
		return nil, errors.New("table larger than 4 GB")
	}
	size := 1
	for size < 2*n {
		size <<= 1
	}
	l := &Lexicon{raw: p.all, lemmas: make([]lemma, n), index: make([]int32, size), seed: maphash.MakeSeed()}
	prev := ""
	for i := range n {
		off := len(p.all) - len(p.rest) // where the line, and so its name, starts
		line, ok := p.next()
		if !ok {
			return nil, errors.New("table ends inside the lemma section")
		}
		name, posText, countText, ok := fields3(line)
		pos, ok1 := atoi(posText)
		count, ok2 := atoi(countText)
		if !ok || !ok1 || !ok2 || pos > 31 || len(name) > 255 {
			return nil, fmt.Errorf("want lemma<TAB>pos<TAB>count, got %q", line)
		}
		// Sorted and so unique: Synonyms relies on id order being alphabetical.
		if name <= prev {
			return nil, fmt.Errorf("lemma %q is out of order or repeated", name)
		}
		prev = name
		l.lemmas[i] = lemma{off: uint32(off), n: uint8(len(name)), pos: uint8(pos), count: uint32(count)}
		slot := l.slot(name)
		l.index[slot] = int32(i) + 1
	}

	// Synonym groups and derivation pairs become per-lemma neighbour lists.
	ng, err := p.section("S")
	if err != nil {
		return nil, err
	}
	// Groups are read first so the edge list is allocated once, exactly.
	var ids, ends []int32 // members of all groups; where each group ends
	var groupPOS []uint8
	nEdges := 0
	for range ng {
		line, ok := p.next()
		if !ok {
			return nil, errors.New("table ends inside the synonym section")
		}
		posText, rest, _ := strings.Cut(line, " ")
		pos, ok := atoi(posText)
		if !ok || pos > 3 {
			return nil, fmt.Errorf("bad part of speech in %q", line)
		}
		before := len(ids)
		ids, err = l.parseIDs(ids, rest)
		if err != nil {
			return nil, err
		}
		k := len(ids) - before
		nEdges += k * (k - 1)
		ends = append(ends, int32(len(ids)))
		groupPOS = append(groupPOS, uint8(pos))
	}
	edges := make([]uint64, 0, nEdges)
	start := int32(0)
	for g, end := range ends {
		group := ids[start:end]
		for _, a := range group {
			for _, b := range group {
				if a != b {
					edges = append(edges, uint64(a)<<32|uint64(b<<2|int32(groupPOS[g])))
				}
			}
		}
		start = end
	}
	l.syn = newAdjacency(n, edges)
	nd, err := p.section("D")
	if err != nil {
		return nil, err
	}
	if 2*nd > cap(edges) {
		edges = make([]uint64, 0, 2*nd)
	}
	edges = edges[:0]
	for range nd {
		line, ok := p.next()
		if !ok {
			return nil, errors.New("table ends inside the derivation section")
		}
		ids, err = l.parseIDs(ids[:0], line)
		if err != nil {
			return nil, err
		}
		if len(ids) != 2 || ids[0] == ids[1] {
			return nil, fmt.Errorf("want two different lemma ids, got %q", line)
		}
		edges = append(edges, uint64(ids[0])<<32|uint64(ids[1]), uint64(ids[1])<<32|uint64(ids[0]))
	}
	l.der = newAdjacency(n, edges)

	na, err := p.section("A")
	if err != nil {
		return nil, err
	}
	if 2*na > cap(edges) {
		edges = make([]uint64, 0, 2*na)
	}
	edges = edges[:0]
	for range na {
		line, ok := p.next()
		if !ok {
			return nil, errors.New("table ends inside the antonym section")
		}
		posText, rest, _ := strings.Cut(line, " ")
		pos, ok := atoi(posText)
		if !ok || pos > 3 {
			return nil, fmt.Errorf("bad part of speech in %q", line)
		}
		ids, err = l.parseIDs(ids[:0], rest)
		if err != nil {
			return nil, err
		}
		if len(ids) != 2 || ids[0] == ids[1] {
			return nil, fmt.Errorf("want a part of speech and two different lemma ids, got %q", line)
		}
		a, b := int32(ids[0]), int32(ids[1])
		edges = append(edges, uint64(a)<<32|uint64(b<<2|int32(pos)), uint64(b)<<32|uint64(a<<2|int32(pos)))
	}
	l.ant = newAdjacency(n, edges)

	nx, err := p.section("X")
	if err != nil {
		return nil, err
	}
	l.forms = make([]irregularForm, 0, nx)
	prev = ""
	for range nx {
		line, ok := p.next()
		if !ok {
			return nil, errors.New("table ends inside the irregular-form section")
		}
		form, idText, posText, ok := fields3(line)
		id, ok1 := atoi(idText)
		pos, ok2 := atoi(posText)
		if !ok || !ok1 || !ok2 || pos > 15 || form < prev {
			return nil, fmt.Errorf("want sorted form<TAB>lemma<TAB>pos, got %q", line)
		}
		if id >= n {
			return nil, fmt.Errorf("lemma id %d out of range", id)
		}
		l.forms = append(l.forms, irregularForm{form: form, lemma: int32(id), pos: uint8(pos)})
		prev = form
	}

	if strings.TrimSpace(p.rest) != "" {
		return nil, errors.New("unexpected data after the last section")
	}
	return l, nil
}

// extraLine returns the word and part-of-speech mask of the known-word
// line starting at byte off, and where the line ends.
func (l *Lexicon) extraLine(off int) (word string, mask uint8, end int) {
	line := l.extra[off:]
	end = len(l.extra)
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line, end = line[:i], off+i
	}
	word, m, _ := strings.Cut(line, "\t")
	if len(m) == 1 {
		switch c := m[0]; {
		case c >= '0' && c <= '9':
			mask = c - '0'
		case c >= 'a' && c <= 'f':
			mask = c - 'a' + 10
		}
	}
	return word, mask, end
}

// findExtra binary-searches the known-word lines for word and returns the
// byte offset of its line. A probe lands mid-line and steps back to the
// line's start, so no index of line offsets is needed.
func (l *Lexicon) findExtra(word string) (int, uint8, bool) {
	lo, hi := 0, len(l.extra) // lines starting in [lo, hi) are candidates
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		start := lo + strings.LastIndexByte(l.extra[lo:mid], '\n') + 1
		w, m, end := l.extraLine(start)
		switch {
		case w == word:
			return start, m, true
		case w < word:
			lo = end + 1
		default:
			hi = start
		}
	}
	return 0, 0, false
}

// name returns the lemma a reading id stands for.
func (l *Lexicon) name(id int32) string {
	if id < 0 {
		w, _, _ := l.extraLine(int(-1 - id))
		return w
	}
	return l.lemmaName(id)
}

func (l *Lexicon) lemmaName(id int32) string {
	m := l.lemmas[id]
	return l.raw[m.off : m.off+uint32(m.n)]
}

// slot returns where name is, or would go, in the hash index.
func (l *Lexicon) slot(name string) int {
	mask := len(l.index) - 1
	i := int(maphash.String(l.seed, name)) & mask
	for l.index[i] != 0 && l.lemmaName(l.index[i]-1) != name {
		i = (i + 1) & mask
	}
	return i
}

// find returns the id of lemma name.
func (l *Lexicon) find(name string) (int32, bool) {
	if len(l.index) == 0 {
		return 0, false
	}
	id := l.index[l.slot(name)] - 1
	return id, id >= 0
}

// irregularOf returns the readings listed for an irregular form.
func (l *Lexicon) irregularOf(form string) []irregularForm {
	i, _ := slices.BinarySearchFunc(l.forms, form, func(x irregularForm, f string) int { return strings.Compare(x.form, f) })
	j := i
	for j < len(l.forms) && l.forms[j].form == form {
		j++
	}
	return l.forms[i:j]
}

// count ranks a reading; words without relations were never sense-tagged.
func (l *Lexicon) count(id int32) uint32 {
	if id < 0 {
		return 0
	}
	return l.lemmas[id].count
}

func (l *Lexicon) parseIDs(dst []int32, line string) ([]int32, error) {
	for f := range strings.FieldsSeq(line) {
		v, ok := atoi(f)
		if !ok || v >= len(l.lemmas) {
			return nil, fmt.Errorf("lemma id %q out of range", f)
		}
		dst = append(dst, int32(v))
	}
	return dst, nil
}

func sortedSet(s []int32) []int32 {
	if len(s) == 0 {
		return nil
	}
	slices.Sort(s)
	return slices.Clip(slices.Compact(s))
}

// maxReadings bounds how many lemmas one form can be read as ("axes" is
// "axe", "ax" or "axis", the most any inflection of the table's words has).
const maxReadings = 6

// Word is a word looked up once, so callers comparing it with many others
// (a question word against every passage word) pay for the lookup once.
type Word struct {
	text     string // lower-cased input
	readings [maxReadings]int32
	pos      [maxReadings]uint8 // parts of speech each reading can have here
	n        uint8
}

// Lookup lower-cases word and finds the lemmas it can be a form of.
func (l *Lexicon) Lookup(word string) Word {
	w := Word{text: normalize(word)}
	l.readingsOf(&w, w.text)
	if w.n == 0 {
		// A possessive is the noun's form too: "Russia's", "workers'".
		if base, ok := cutPossessive(w.text); ok {
			l.readingsOf(&w, base)
		}
	}
	if w.n == 0 && strings.ContainsRune(w.text, '\'') {
		// Contractions are listed without apostrophes ("doesn't" → "doesnt").
		l.readingsOf(&w, strings.ReplaceAll(w.text, "'", ""))
	}
	if w.n == 0 {
		// Only then the rarer words, to keep the common case fast.
		l.extraReadingsOf(&w, w.text)
		if base, ok := cutPossessive(w.text); ok && w.n == 0 {
			l.extraReadingsOf(&w, base)
		}
	}
	return w
}

// extraReadingsOf is readingsOf for the words without relations, which have
// no irregular forms listed.
func (l *Lexicon) extraReadingsOf(w *Word, s string) {
	if s == "" {
		return
	}
	if k, m, ok := l.findExtra(s); ok {
		w.add(int32(-1-k), m)
	}
	for _, r := range suffixRules {
		base, ok := strings.CutSuffix(s, r.suffix)
		if !ok || base == "" {
			continue
		}
		if k, m, ok := l.findExtra(base + r.repl); ok && m&r.pos != 0 {
			w.add(int32(-1-k), m&r.pos)
		}
	}
}

// add records that the word can be lemma id in the parts of speech pos:
// "lasted" is "last" only as a verb, so the adjective's synonyms ("final")
// do not apply to it.
func (w *Word) add(id int32, pos uint8) {
	if i := slices.Index(w.readings[:w.n], id); i >= 0 {
		w.pos[i] |= pos
		return
	}
	if int(w.n) == maxReadings {
		return
	}
	w.readings[w.n] = id
	w.pos[w.n] = pos
	w.n++
}

func (l *Lexicon) readingsOf(w *Word, s string) {
	if s == "" {
		return
	}
	id, ok := l.find(s)
	if ok {
		// A function word is itself, with no part of speech, so "in" is
		// never the inch and "his" never "hi".
		w.add(id, l.lemmas[id].pos&^functionWord)
		if l.lemmas[id].pos&functionWord != 0 {
			w.pos[w.n-1] = 0
		}
	}
	for _, x := range l.irregularOf(s) {
		w.add(x.lemma, x.pos)
	}
	if ok && l.lemmas[id].pos&functionWord != 0 {
		return
	}
	var buf [64]byte
	for _, r := range suffixRules {
		base, ok := strings.CutSuffix(s, r.suffix)
		if !ok || base == "" || len(base)+len(r.repl) > len(buf) {
			continue
		}
		// Built in a stack buffer; the lookup keeps no reference, so the
		// conversion to string stays on the stack.
		b := append(append(buf[:0], base...), r.repl...)
		if id, ok := l.find(string(b)); ok && l.lemmas[id].pos&r.pos != 0 {
			w.add(id, l.lemmas[id].pos&r.pos)
		}
	}
}

// Text is the lower-cased word.
func (w Word) Text() string { return w.text }

// Known reports whether the word is a form of a word in the table.
func (w Word) Known() bool { return w.n > 0 }

func normalize(word string) string {
	lower := true
	for i := 0; i < len(word); i++ {
		c := word[i]
		if c >= utf8.RuneSelf || c >= 'A' && c <= 'Z' {
			lower = false
			break
		}
	}
	if lower {
		return word
	}
	return strings.ReplaceAll(strings.ToLower(word), "’", "'")
}

func cutPossessive(s string) (string, bool) {
	if base, ok := strings.CutSuffix(s, "'s"); ok {
		return base, true
	}
	return strings.CutSuffix(s, "'")
}

// Lemma returns the lower-case base form: "began" → "begin", "children" →
// "child", "was" → "be". A form with several readings gets the one most
// common in WordNet's tagged corpus ("saw" → "see"); unknown words come back
// lower-cased.
func (l *Lexicon) Lemma(word string) string { return l.LemmaOf(l.Lookup(word)) }

// LemmaOf is Lemma for a word already looked up.
func (l *Lexicon) LemmaOf(w Word) string {
	if w.n == 0 {
		return w.text
	}
	best := w.readings[0]
	for _, id := range w.readings[1:w.n] {
		if l.count(id) > l.count(best) {
			best = id
		}
	}
	return l.name(best)
}

// Lemmas returns every lemma word can be a form of, most common first
// ("saw" → "see", "saw"), for indexing a word under all its readings;
// nil when the word is unknown.
func (l *Lexicon) Lemmas(word string) []string {
	w := l.Lookup(word)
	ids := slices.Clone(w.readings[:w.n])
	slices.SortStableFunc(ids, func(a, b int32) int {
		ca, cb := l.count(a), l.count(b)
		if ca != cb {
			if ca > cb {
				return -1
			}
			return 1
		}
		return strings.Compare(l.name(a), l.name(b))
	})
	var out []string
	for _, id := range ids {
		out = append(out, l.name(id))
	}
	return out
}

// Known reports whether word, in any inflection, is an English word in the
// table. Chat words ("gonna", "rn", "pls", "lol") and most names are not.
func (l *Lexicon) Known(word string) bool { return l.Lookup(word).Known() }

// Relation says how two words relate by meaning; it is symmetric. Every
// reading of each word counts, so "talks" (a form of "talk", and the noun
// "talks") is a synonym of "negotiations".
func (l *Lexicon) Relation(a, b string) Relation {
	return l.Relate(l.Lookup(a), l.Lookup(b))
}

// Relate is Relation for words already looked up.
func (l *Lexicon) Relate(a, b Word) Relation {
	if a.text == b.text {
		return Same
	}
	best := None
	for i, x := range a.readings[:a.n] {
		for j, y := range b.readings[:b.n] {
			switch {
			case x == y:
				return Same
			case x < 0 || y < 0 || a.pos[i] == 0 || b.pos[j] == 0:
				// Words without relations and function words relate
				// only by identity.
			case best < Derived && contains(l.der.of(x), y):
				best = Derived
			case best < Synonym && l.synonyms(x, a.pos[i]&b.pos[j], y):
				best = Synonym
			}
		}
	}
	return best
}

// synonyms reports whether lemmas x and y share a frequent sense in one of
// the parts of speech in mask.
func (l *Lexicon) synonyms(x int32, mask uint8, y int32) bool {
	return linked(l.syn, x, mask, y)
}

// linked reports whether a lists y as x's neighbour, as id<<2 | part of
// speech, in one of the parts of speech in mask.
func linked(a adjacency, x int32, mask uint8, y int32) bool {
	for p := range int32(4) {
		if mask&(1<<p) != 0 && contains(a.of(x), y<<2|p) {
			return true
		}
	}
	return false
}

// Opposite reports whether WordNet calls the two words antonyms: some
// reading of a, in a frequent sense and a part of speech it can have here,
// is the opposite of some reading of b in the same part of speech
// ("pessimistic"/"optimistic", "praised"/"criticized", "rejects"/"accepted",
// "huge"/"small"). It is symmetric. A claim that says the opposite of its
// passage in the passage's other words is not supported by it.
//
// Words that can be one lemma ("left", "leaves") are never opposites, nor
// are function words ("some", "no": negation is another check), nor words
// read in different parts of speech ("lasted", a verb, is not the opposite
// of "first"). Only pairs WordNet links count, so many opposites a reader
// knows are missing ("confirm"/"deny").
func (l *Lexicon) Opposite(a, b Word) bool {
	if a.text == b.text {
		return false
	}
	for _, x := range a.readings[:a.n] {
		if slices.Contains(b.readings[:b.n], x) {
			return false
		}
	}
	for i, x := range a.readings[:a.n] {
		if x < 0 || a.pos[i] == 0 {
			continue
		}
		for j, y := range b.readings[:b.n] {
			if m := a.pos[i] & b.pos[j]; y >= 0 && m != 0 && linked(l.ant, x, m, y) {
				return true
			}
		}
	}
	return false
}

// Antonyms returns the lemmas WordNet opposes to any reading of word, in
// alphabetical order, for tests and tools; the support model should call
// Opposite on words looked up once.
func (l *Lexicon) Antonyms(word string) []string {
	w := l.Lookup(word)
	var ids []int32
	for i, x := range w.readings[:w.n] {
		if x < 0 {
			continue
		}
		for _, e := range l.ant.of(x) {
			if w.pos[i]&(1<<(e&3)) != 0 {
				ids = append(ids, e>>2)
			}
		}
	}
	ids = sortedSet(ids)
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, l.lemmaName(id))
	}
	return out
}

// contains is a binary search: neighbour lists are sorted and short.
func contains(s []int32, v int32) bool {
	_, ok := slices.BinarySearch(s, v)
	return ok
}

// Synonyms returns the lemmas sharing a frequent sense with any reading of
// word, in alphabetical order, for query expansion. The word's own lemmas
// are left out.
func (l *Lexicon) Synonyms(word string) []string {
	w := l.Lookup(word)
	var ids []int32
	for i, x := range w.readings[:w.n] {
		if x < 0 {
			continue
		}
		for _, e := range l.syn.of(x) {
			if w.pos[i]&(1<<(e&3)) != 0 {
				ids = append(ids, e>>2)
			}
		}
	}
	ids = sortedSet(ids)
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(w.readings[:w.n], id) {
			// Ids follow the sorted lemma list, so this is alphabetical.
			out = append(out, l.lemmaName(id))
		}
	}
	return out
}

// Len is the number of words in the table: lemmas with relations plus the
// further known words.
func (l *Lexicon) Len() int { return len(l.lemmas) + strings.Count(l.extra, "\n") }

// PartOfSpeech is a set of parts of speech a word can be.
type PartOfSpeech uint8

// Parts of speech, combinable as a set.
const (
	Noun      PartOfSpeech = posNoun
	Verb      PartOfSpeech = posVerb
	Adjective PartOfSpeech = posAdj
	Adverb    PartOfSpeech = posAdv
)

// Parts returns the parts of speech the word can be in any of its
// readings (none for an unknown word). The support model uses it to tell a
// question's subject nouns ("mayor", "budget") from its verbs.
func (w Word) Parts() PartOfSpeech {
	var p PartOfSpeech
	for _, x := range w.pos[:w.n] {
		p |= PartOfSpeech(x)
	}
	return p
}

// Frequency is how common the word is: the tagged-sense count of its
// most common reading in WordNet's corpus (0 for an unknown word). Common
// words ("take", "run") say little on their own; rare ones ("mayor") name
// a topic.
func (l *Lexicon) Frequency(w Word) int {
	n := uint32(0)
	for _, id := range w.readings[:w.n] {
		n = max(n, l.count(id))
	}
	return int(n)
}
