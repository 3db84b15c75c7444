package lexicon

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
)

func TestLemma(t *testing.T) {
	t.Parallel()
	l := Default()
	for _, tc := range []struct{ in, want string }{
		// Irregular forms from WordNet's exception lists.
		{"began", "begin"},
		{"chose", "choose"},
		{"children", "child"},
		{"was", "be"},
		{"went", "go"},
		{"met", "meet"},
		{"said", "say"},
		{"men", "man"},
		{"stopped", "stop"},
		// Regular forms by WordNet's suffix rules.
		{"talks", "talk"},
		{"negotiations", "negotiation"},
		{"talked", "talk"},
		{"drones", "drone"},
		{"lasted", "last"},
		{"ceasefires", "ceasefire"}, // WordNet's "cease-fire", as people type it
		// The most common reading wins: "saw" is far more often "see".
		{"saw", "see"},
		{"found", "find"},
		// Case, curly apostrophes and possessives.
		{"Started", "start"},
		{"Russia's", "russia"},
		{"Ukraine’s", "ukraine"},
		{"workers'", "worker"},
		// Words known without relations still get their base form.
		{"hostages", "hostage"},
		{"truces", "truce"},
		// Function words are themselves, not WordNet's rare homographs.
		{"his", "his"}, // not "hi"
		{"is", "be"},
		{"its", "its"},
		// Unknown words come back lower-cased.
		{"Witkoff", "witkoff"},
		{"gonna", "gonna"},
		{"", ""},
	} {
		if got := l.Lemma(tc.in); got != tc.want {
			t.Errorf("Lemma(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLemmas(t *testing.T) {
	t.Parallel()
	l := Default()
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"saw", []string{"see", "saw"}},
		{"talks", []string{"talk", "talks"}},
		{"lasted", []string{"last"}},
		{"hostages", []string{"hostage"}},
		{"his", []string{"his"}},
		{"gonna", nil},
	} {
		if got := l.Lemmas(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("Lemmas(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got, want := l.LemmaOf(l.Lookup(tc.in)), l.Lemma(tc.in); got != want {
			t.Errorf("LemmaOf(Lookup(%q)) = %q, Lemma = %q", tc.in, got, want)
		}
	}
}

func TestKnown(t *testing.T) {
	t.Parallel()
	l := Default()
	for _, tc := range []struct {
		word string
		want bool
	}{
		{"talks", true},
		{"Negotiations", true},
		{"began", true},
		{"envoy", true},
		{"the", true}, // function words are not in WordNet but are English
		{"whose", true},
		{"could", true},
		{"truce", true}, // never sense-tagged in WordNet, still a word
		{"ceasefire", true},
		{"doesn't", true},
		{"doesnt", true},
		{"didn’t", true},
		{"hostages", true},
		{"ukraine", true},
		{"gonna", false},
		{"rn", false}, // WordNet has "Rn" (radon), but only as a rare symbol
		{"pls", false},
		{"lol", false},
		{"idk", false},
		{"tbh", false},
		{"witkoff", false},
		{"asdfgh", false},
		{"", false},
	} {
		if got := l.Known(tc.word); got != tc.want {
			t.Errorf("Known(%q) = %v, want %v", tc.word, got, tc.want)
		}
	}
}

// TestRelation holds the pairs Discord-style questions need against the
// wording of news articles, and pairs that must stay apart.
func TestRelation(t *testing.T) {
	t.Parallel()
	l := Default()
	for _, tc := range []struct {
		a, b string
		want Relation
	}{
		{"started", "began", Synonym},
		{"start", "begin", Synonym},
		{"picked", "chose", Synonym}, // "pick" is a way to "choose" in WordNet
		{"talks", "negotiations", Synonym},
		{"said", "told", Synonym},
		{"huge", "large", Synonym}, // an adjective and the head of its cluster
		{"tiny", "small", Synonym},
		{"wounded", "injured", Synonym},
		{"huge", "tiny", None}, // opposite clusters
		{"big", "small", None},
		{"agreed", "agreement", Derived},
		{"negotiate", "negotiator", Derived},
		{"negotiation", "negotiator", Derived}, // both derive from "negotiate"
		{"decide", "decision", Derived},
		{"decided", "decision", Derived},
		{"attack", "attacker", Derived},
		{"presidential", "president", Derived}, // WordNet's pertainyms
		{"ukrainian", "ukraine", Derived},
		{"quickly", "quick", Derived},
		{"russian", "ukrainian", None},
		{"began", "begins", Same},
		{"met", "meeting", Same},
		{"children", "child", Same},
		{"was", "is", Same},
		{"Talks", "talks", Same},
		{"hostage", "hostages", Same},
		{"gonna", "gonna", Same},
		{"has", "had", Same},
		// Function words are not the inch, iodine or a testament.
		{"in", "inch", None},
		{"i", "iodine", None},
		{"will", "volition", None},
		{"his", "hi", None},
		{"russia", "ukraine", None},
		{"hours", "days", None},
		{"released", "arrested", None},
		{"killed", "died", None},  // WordNet: kill is to cause to die, not a synonym
		{"lasted", "final", None}, // "last" the adjective, not the verb "lasted"
		{"meeting", "talks", None},
		{"gonna", "going", None},
		{"", "talks", None},
	} {
		if got := l.Relation(tc.a, tc.b); got != tc.want {
			t.Errorf("Relation(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got := l.Relation(tc.b, tc.a); got != tc.want {
			t.Errorf("Relation(%q, %q) = %v, want %v (not symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}

// TestRelationSymmetric checks every pair of words of the built-in
// articles: Relation must not depend on argument order.
func TestRelationSymmetric(t *testing.T) {
	t.Parallel()
	l := Default()
	var words []Word
	seen := map[string]bool{}
	for _, w := range seedWords(t) {
		if lw := strings.ToLower(w); !seen[lw] {
			seen[lw] = true
			words = append(words, l.Lookup(lw))
		}
	}
	related := 0
	for i, a := range words {
		for _, b := range words[i+1:] {
			ab, ba := l.Relate(a, b), l.Relate(b, a)
			if ab != ba {
				t.Fatalf("Relate(%q, %q) = %v but Relate(%q, %q) = %v", a.Text(), b.Text(), ab, b.Text(), a.Text(), ba)
			}
			if ab != None {
				related++
			}
		}
	}
	// Related pairs must be rare among the words of five articles, or the
	// support model would find support everywhere.
	pairs := len(words) * (len(words) - 1) / 2
	t.Logf("%d words, %d of %d pairs related", len(words), related, pairs)
	if related == 0 || related*100 > pairs {
		t.Errorf("%d of %d word pairs related, want some but under 1%%", related, pairs)
	}
}

func TestSynonyms(t *testing.T) {
	t.Parallel()
	l := Default()
	for _, tc := range []struct {
		word    string
		include []string
		exclude []string
	}{
		{"negotiations", []string{"talks"}, []string{"negotiation"}},
		{"began", []string{"commence", "start"}, []string{"begin"}},
		{"chose", []string{"pick", "select"}, nil},
		{"talks", []string{"negotiation", "speak"}, []string{"lecture", "talk"}},
		{"hours", nil, []string{"day"}},
		{"gonna", nil, nil},
		{"hostage", nil, nil},
	} {
		got := l.Synonyms(tc.word)
		if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Errorf("Synonyms(%q) = %v, want sorted without repeats", tc.word, got)
		}
		for _, s := range tc.include {
			if !slices.Contains(got, s) {
				t.Errorf("Synonyms(%q) = %v, want it to include %q", tc.word, got, s)
			}
		}
		for _, s := range tc.exclude {
			if slices.Contains(got, s) {
				t.Errorf("Synonyms(%q) = %v, want it without %q", tc.word, got, s)
			}
		}
		// Only frequent senses count, so a common word does not drag in
		// half the dictionary when a question is expanded.
		if len(got) > 12 {
			t.Errorf("Synonyms(%q) has %d words, want at most 12: %v", tc.word, len(got), got)
		}
		for _, s := range got {
			if r := l.Relation(tc.word, s); r < Synonym {
				t.Errorf("Synonyms(%q) lists %q but Relation is %v", tc.word, s, r)
			}
		}
	}
}

// TestSeedWordsKnown checks coverage on the built-in articles: every word
// they write in lower case (so not a name) is a known English word.
func TestSeedWordsKnown(t *testing.T) {
	t.Parallel()
	l := Default()
	// Words the articles use that WordNet does not list; anything else
	// unknown means the table lost coverage.
	notInWordNet := map[string]bool{"frontline": true, "infrastructural": true}
	var unknown []string
	seen := map[string]bool{}
	for _, w := range seedWords(t) {
		if seen[w] || w != strings.ToLower(w) {
			continue
		}
		seen[w] = true
		if !l.Known(w) && !notInWordNet[w] {
			unknown = append(unknown, w)
		}
	}
	if len(seen) < 500 {
		t.Fatalf("only %d distinct lower-case words in the seeds; is the glob right?", len(seen))
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		t.Errorf("%d seed words are not known: %v", len(unknown), unknown)
	}
}

// seedWords returns the words of the built-in articles, split like
// retrieval.Words: contractions stay whole ("doesn't"). The articles are
// read from disk so this package does not depend on the seeds package.
func seedWords(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob("../../seeds/*.txt")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no seed articles found: %v", err)
	}
	var words []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range strings.FieldsFunc(string(b), func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' && r != '’' }) {
			if w = strings.Trim(w, "'’"); w != "" {
				words = append(words, w)
			}
		}
	}
	return words
}

func TestRelationString(t *testing.T) {
	t.Parallel()
	for r, want := range map[Relation]string{None: "none", Synonym: "synonym", Derived: "derived", Same: "same", 9: "Relation(9)"} {
		if got := r.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(r), got, want)
		}
	}
	if !(None < Synonym && Synonym < Derived && Derived < Same) {
		t.Error("relations must be ordered by strength")
	}
}

func gz(t testing.TB, s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const (
	tinyTable = "lexicon 2\nL 6\nbegin\t2\t90\nend\t3\t80\nfinish\t2\t40\nstart\t3\t120\nstarter\t1\t5\nthe\t0\t0\nS 2\n1 0 3\n1 1 2\nD 1\n3 4\nA 1\n1 0 1\nX 1\nbegan\t0\t2\n"
	tinyKnown = "armistice\t1\nhostage\t1\ntruce\t1\nzebu\t1\n"
)

func TestParseSmallTable(t *testing.T) {
	t.Parallel()
	l, err := Parse(bytes.NewReader(gz(t, tinyTable)), tinyKnown)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		a, b string
		want Relation
	}{
		{"began", "started", Synonym},
		{"starts", "starters", Derived},
		{"begins", "begin", Same},
		{"truces", "truce", Same},
		{"the", "begin", None},
		// The synonym group is a verb sense; "starter" is only a noun.
		{"starters", "begin", None},
	} {
		if got := l.Relation(tc.a, tc.b); got != tc.want {
			t.Errorf("Relation(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"began", "ended", true},
		{"ends", "begin", true},
		// Antonyms are per lemma, as in WordNet: a synonym of one
		// side does not inherit the pair.
		{"started", "ended", false},
		{"began", "finished", false},
		{"begin", "began", false},
		// The pair is a verb sense; "starter" is only a noun.
		{"starters", "ended", false},
	} {
		if got := l.Opposite(l.Lookup(tc.a), l.Lookup(tc.b)); got != tc.want {
			t.Errorf("Opposite(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
	for _, w := range []string{"armistice", "hostages", "truce", "zebus"} {
		if !l.Known(w) {
			t.Errorf("Known(%q) = false, want true", w)
		}
	}
	for _, w := range []string{"hostel", "aardvark", "zz", "truc"} {
		if l.Known(w) {
			t.Errorf("Known(%q) = true, want false", w)
		}
	}
	if l.Len() != 10 {
		t.Errorf("Len() = %d, want 10", l.Len())
	}
}

func TestParseRejectsBrokenTables(t *testing.T) {
	t.Parallel()
	for name, table := range map[string]string{
		"no header":              "L 0\nS 0\nD 0\nA 0\nX 0\n",
		"old version":            "lexicon 1\nL 0\nS 0\nD 0\nX 0\n",
		"missing section":        "lexicon 2\nL 0\nS 0\nD 0\nA 0\n",
		"no antonym section":     "lexicon 2\nL 0\nS 0\nD 0\nX 0\n",
		"id out of range":        "lexicon 2\nL 1\na\t1\t1\nS 1\n0 0 5\nD 0\nA 0\nX 0\n",
		"bad pos":                "lexicon 2\nL 2\na\t1\t1\nb\t1\t1\nS 1\n7 0 1\nD 0\nA 0\nX 0\n",
		"self derivation":        "lexicon 2\nL 1\na\t1\t1\nS 0\nD 1\n0 0\nA 0\nX 0\n",
		"self antonym":           "lexicon 2\nL 1\na\t1\t1\nS 0\nD 0\nA 1\n0 0 0\nX 0\n",
		"antonym bad pos":        "lexicon 2\nL 2\na\t1\t1\nb\t1\t1\nS 0\nD 0\nA 1\n4 0 1\nX 0\n",
		"antonym one id":         "lexicon 2\nL 2\na\t1\t1\nb\t1\t1\nS 0\nD 0\nA 1\n0 1\nX 0\n",
		"antonym out of range":   "lexicon 2\nL 2\na\t1\t1\nb\t1\t1\nS 0\nD 0\nA 1\n0 0 2\nX 0\n",
		"truncated antonyms":     "lexicon 2\nL 2\na\t1\t1\nb\t1\t1\nS 0\nD 0\nA 2\n0 0 1\n",
		"truncated lemmas":       "lexicon 2\nL 3\na\t1\t1\n",
		"duplicate lemma":        "lexicon 2\nL 2\na\t1\t1\na\t1\t1\nS 0\nD 0\nA 0\nX 0\n",
		"huge count":             "lexicon 2\nL 99999999\n",
		"irregular out of range": "lexicon 2\nL 1\na\t1\t1\nS 0\nD 0\nA 0\nX 1\nb\t3\t1\n",
		"trailing data":          "lexicon 2\nL 0\nS 0\nD 0\nA 0\nX 0\nK 2\n",
	} {
		if _, err := Parse(bytes.NewReader(gz(t, table)), ""); err == nil {
			t.Errorf("%s: Parse accepted a broken table", name)
		}
	}
	if _, err := Parse(strings.NewReader("not gzip"), ""); err == nil {
		t.Error("Parse accepted data that is not gzip")
	}
	if _, err := Parse(bytes.NewReader(gz(t, tinyTable)), "truce\t1"); err == nil {
		t.Error("Parse accepted a known-word list without its final newline")
	}
}

// TestKnownListSorted guards the binary search over the embedded list,
// which Parse does not re-check on every start.
func TestKnownListSorted(t *testing.T) {
	t.Parallel()
	lines := strings.Split(strings.TrimSuffix(knownWords, "\n"), "\n")
	if len(lines) < 10000 {
		t.Fatalf("known.txt has %d words, want the generator's full list", len(lines))
	}
	prev := ""
	for i, line := range lines {
		w, mask, ok := strings.Cut(line, "\t")
		if !ok || w == "" || len(mask) != 1 || !strings.Contains("123456789abcdef", mask) || w <= prev {
			t.Fatalf("known.txt line %d = %q after %q, want sorted word<TAB>hex mask", i+1, line, prev)
		}
		if _, dup := Default().find(w); dup {
			t.Fatalf("known.txt line %d: %q is also in the main table", i+1, w)
		}
		prev = w
	}
}

func FuzzParse(f *testing.F) {
	f.Add(tinyTable, tinyKnown)
	f.Add("lexicon 2\nL 0\nS 0\nD 0\nA 0\nX 0\n", "")
	f.Fuzz(func(t *testing.T, table, known string) {
		l, err := Parse(bytes.NewReader(gz(t, table)), known)
		if err != nil {
			return
		}
		// Whatever parses must answer without panicking, even from an
		// unsorted known-word list.
		for _, w := range []string{"began", "starters", "the", "truce", "x", "zebus", ""} {
			l.Lemma(w)
			l.Known(w)
			l.Synonyms(w)
			l.Relation(w, "start")
			l.Opposite(l.Lookup(w), l.Lookup("end"))
			l.Antonyms(w)
		}
	})
}

var benchPairs = [][2]string{
	{"started", "began"}, {"talks", "negotiations"}, {"agreed", "agreement"}, {"russia", "ukraine"},
	{"the", "talks"}, {"gonna", "deal"}, {"hostages", "released"}, {"said", "told"},
}

func BenchmarkRelation(b *testing.B) {
	l := Default()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p := benchPairs[i%len(benchPairs)]
		l.Relation(p[0], p[1])
	}
}

// BenchmarkRelate is the hot path when both words were looked up once.
func BenchmarkRelate(b *testing.B) {
	l := Default()
	words := make([][2]Word, len(benchPairs))
	for i, p := range benchPairs {
		words[i] = [2]Word{l.Lookup(p[0]), l.Lookup(p[1])}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p := words[i%len(words)]
		l.Relate(p[0], p[1])
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	b.ReportMetric(float64(len(table)), "gz-bytes")
	for b.Loop() {
		if _, err := Parse(bytes.NewReader(table), knownWords); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookup shows the cost by kind of word: unknown words pay for
// the search of the further known words too.
func BenchmarkLookup(b *testing.B) {
	l := Default()
	for _, w := range []string{"talks", "began", "Negotiations", "hostages", "witkoff", "gonna"} {
		b.Run(w, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				l.Lookup(w)
			}
		})
	}
}

func TestParts(t *testing.T) {
	t.Parallel()
	l := Default()
	cases := []struct {
		word string
		has  PartOfSpeech
		not  PartOfSpeech
	}{
		{"mayor", Noun, Verb},
		{"born", Verb | Adjective, 0},
		{"threatened", Verb, 0},
		{"quickly", Adverb, Noun},
		{"gonna", 0, Noun | Verb | Adjective | Adverb},
	}
	for _, c := range cases {
		p := l.Lookup(c.word).Parts()
		if p&c.has != c.has || p&c.not != 0 {
			t.Errorf("%q: parts %04b, want %04b and not %04b", c.word, p, c.has, c.not)
		}
	}
}

// TestOpposite holds the opposites a false claim written with the
// passage's other words uses, and pairs that must not count: a support
// model that called synonyms or unrelated words opposite would cut true
// sentences.
func TestOpposite(t *testing.T) {
	t.Parallel()
	l := Default()
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		// WordNet's direct antonyms, in the forms sentences use.
		{"pessimistic", "optimistic", true},
		{"praised", "criticized", true},
		// WordNet's antonym pointers are word to word: the British
		// spelling, in the same synset, has none.
		{"criticises", "praise", false},
		{"accepted", "rejected", true},
		{"refused", "accepts", true},
		{"denied", "admitted", true},
		{"long", "short", true},
		{"shorter", "longer", true},
		{"increased", "decreased", true},
		{"increase", "decrease", true}, // the nouns too
		{"won", "lost", true},
		{"rose", "fell", true},
		{"large", "small", true},
		{"true", "false", true},
		{"left", "right", true},
		// A common satellite is the opposite of its head's antonym.
		{"huge", "small", true},
		{"tiny", "large", true},
		{"brief", "long", true},
		{"lengthy", "short", true},
		// WordNet does not link these; they are None, not invented.
		{"confirmed", "denied", false},
		{"accepted", "denies", false},
		{"recaptured", "lost", false},
		{"huge", "tiny", false}, // two satellites: clusters are too loose to pair
		// Synonyms, forms and derivations are not opposites.
		{"optimistic", "hopeful", false},
		{"praised", "lauded", false},
		{"started", "began", false},
		{"began", "begins", false},
		{"agreed", "agreement", false},
		{"huge", "large", false},
		{"pessimistic", "pessimistic", false},
		// Unrelated words and words read in other parts of speech.
		{"russia", "ukraine", false},
		{"released", "arrested", false},
		{"lasted", "first", false},  // the verb "last", not the adjective
		{"stretch", "short", false}, // a rare satellite sense ("stretch limousine")
		{"very", "imprecise", false},
		{"some", "no", false}, // function words: negation is not a word pair
		{"gonna", "wanna", false},
		{"", "short", false},
	} {
		a, b := l.Lookup(tc.a), l.Lookup(tc.b)
		if got := l.Opposite(a, b); got != tc.want {
			t.Errorf("Opposite(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got := l.Opposite(b, a); got != tc.want {
			t.Errorf("Opposite(%q, %q) = %v, want %v (not symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestAntonyms(t *testing.T) {
	t.Parallel()
	l := Default()
	for _, tc := range []struct {
		word string
		want []string // must be among the antonyms
		not  []string
	}{
		{"optimistic", []string{"pessimistic"}, []string{"optimistic", "hopeful"}},
		{"praised", []string{"criticize"}, []string{"praise"}},
		{"huge", []string{"little", "small"}, []string{"tiny", "large"}},
		{"gonna", nil, nil},
	} {
		got := l.Antonyms(tc.word)
		if !slices.IsSorted(got) {
			t.Errorf("Antonyms(%q) = %v, not sorted", tc.word, got)
		}
		for _, w := range tc.want {
			if !slices.Contains(got, w) {
				t.Errorf("Antonyms(%q) = %v, want it to include %q", tc.word, got, w)
			}
		}
		for _, w := range tc.not {
			if slices.Contains(got, w) {
				t.Errorf("Antonyms(%q) = %v, want no %q", tc.word, got, w)
			}
		}
		for _, w := range got {
			if !l.Opposite(l.Lookup(tc.word), l.Lookup(w)) {
				t.Errorf("Antonyms(%q) lists %q but Opposite is false", tc.word, w)
			}
		}
	}
}

// TestOppositeSymmetric checks every pair of words of the built-in
// articles: Opposite must not depend on argument order, must be rare, and
// must never hold for words Relate calls the same or synonyms.
func TestOppositeSymmetric(t *testing.T) {
	t.Parallel()
	l := Default()
	var words []Word
	seen := map[string]bool{}
	for _, w := range seedWords(t) {
		if lw := strings.ToLower(w); !seen[lw] {
			seen[lw] = true
			words = append(words, l.Lookup(lw))
		}
	}
	var opposite []string
	for i, a := range words {
		for _, b := range words[i+1:] {
			ab, ba := l.Opposite(a, b), l.Opposite(b, a)
			if ab != ba {
				t.Fatalf("Opposite(%q, %q) = %v but Opposite(%q, %q) = %v", a.Text(), b.Text(), ab, b.Text(), a.Text(), ba)
			}
			if !ab {
				continue
			}
			opposite = append(opposite, a.Text()+"/"+b.Text())
			if r := l.Relate(a, b); r == Same || r == Synonym {
				t.Errorf("%q and %q are opposites and %v", a.Text(), b.Text(), r)
			}
		}
	}
	pairs := len(words) * (len(words) - 1) / 2
	t.Logf("%d words, %d of %d pairs opposite: %v", len(words), len(opposite), pairs, opposite)
	if len(opposite) == 0 || len(opposite)*1000 > pairs {
		t.Errorf("%d of %d word pairs opposite, want some but under 0.1%%", len(opposite), pairs)
	}
}

func TestOppositeAllocates(t *testing.T) {
	l := Default()
	a, b := l.Lookup("optimistic"), l.Lookup("pessimistic")
	if n := testing.AllocsPerRun(100, func() { l.Opposite(a, b) }); n != 0 {
		t.Errorf("Opposite allocates %v times a call, want 0", n)
	}
}

func BenchmarkOpposite(b *testing.B) {
	l := Default()
	words := make([][2]Word, len(benchPairs))
	for i, p := range benchPairs {
		words[i] = [2]Word{l.Lookup(p[0]), l.Lookup(p[1])}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p := words[i%len(words)]
		l.Opposite(p[0], p[1])
	}
}
