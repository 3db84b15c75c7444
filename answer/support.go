package answer

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/talkbot/talkbot/retrieval"
	"github.com/talkbot/talkbot/retrieval/lexicon"
)

// The support model is the one place that decides whether text supports a
// claim. The extractive answerer (which sentence answers a question), the
// not-found gate (does any sentence answer it) and the LLM citation check
// (does the cited passage back this sentence) all call it, so the three
// cannot drift apart. It matches by meaning as far as an offline program
// can: word forms and synonyms from the lexical table, figures with their
// units and the nouns they count, negation, and who said what.

// Match strengths for one word of a claim found in evidence.
const (
	matchSame    = 1.0  // same stem or lemma
	matchDerived = 0.85 // agree ~ agreement, negotiate ~ negotiation
	matchSynonym = 0.7  // start ~ begin, pick ~ choose
)

// word is one analysed content word.
type word struct {
	surface string // lower case, as written
	stem    string // retrieval.Stem: what BM25 and the embedder see
	lemma   string // the lexicon's base form
	proper  bool   // capitalised inside a sentence: a name
	figure  bool   // a number (digits or number word)
	lx      lexicon.Word
}

// text is a sentence (or clause, or question) analysed once for support.
type text struct {
	raw     string
	words   []word
	stems   map[string]bool
	lemmas  map[string]bool
	figures []figure
	// negated: the text denies rather than asserts ("did not", "no deal").
	negated bool
	// speakers are the stems of the names the text attributes words to;
	// saidBy those a "He said" most likely refers to.
	speakers, saidBy []string
	// places are the stems of the places the text puts its event in
	// ("in Miami", "at the Kremlin").
	places []string
	// quotes are the stems of each quotation's content words: words put
	// in someone's mouth must be theirs.
	quotes [][]string
	// dates are the time expressions it states ("end of the month", "July").
	dates []string
	// lower is the text in lower case, for finding dates and quotations.
	lower string
	// agents maps a verb's stem to the stems of the name right before it:
	// "The International Criminal Court has issued" → issu: [intern crimin court icc].
	agents map[string][]string
}

// Supporter judges support by meaning, with the WordNet table for word
// forms, synonyms and derivations. Build it with NewSupporter.
type Supporter struct {
	lex *lexicon.Lexicon
	sem *semanticSignal // one reply's embeddings (semantic.go); nil: none
}

// NewSupporter returns a support model over lex (nil: the built-in table).
func NewSupporter(lex *lexicon.Lexicon) *Supporter {
	if lex == nil {
		lex = lexicon.Default()
	}
	return &Supporter{lex: lex}
}

// similar is how close two looked-up words are in meaning.
func (s *Supporter) similar(a, b lexicon.Word) float64 {
	switch s.lex.Relate(a, b) {
	case lexicon.Same:
		return matchSame
	case lexicon.Derived:
		// WordNet links far-fetched derivations too ("sign" →
		// "significant"); a real one keeps most of the shorter word's
		// length ("agree" → "agreement", "decide" → "decision").
		x, y := len(s.lex.LemmaOf(a)), len(s.lex.LemmaOf(b))
		if 2*min(x, y) < max(x, y) {
			return 0
		}
		return matchDerived
	case lexicon.Synonym:
		return matchSynonym
	}
	return 0
}

var (
	reNegation = regexp.MustCompile(`(?i)\b(not|no|never|neither|nor|none|nothing|without|cannot|nobody|unable|failed to|yet to)\b|n[’']t\b`)
	// reSpeechAfter finds "Name said"; reSpeechBefore "said Name" and
	// "according to Name".
	speechVerbs   = `(?:said|says|stated|states|told|tells|noted|notes|added|adds|explained|described|claimed|claims|announced|announces|emphasi[sz]ed|stressed|warned|warns|insisted|argued|confirmed|confirms|wrote|remarked|called|urged|acknowledged|suggested|declared|asserted|maintained|reiterated|label(?:l?ed|l?ing)|dubbed|dismissed|accused|praised|criticized|criticised|condemned|rejected|denied|denies|characterized|characterised|remarked|expressed|indicated|reported)`
	reSpeechAfter = regexp.MustCompile(`((?:[A-Z][\p{L}’'.-]+\s+){0,3}[A-Z][\p{L}’'-]+)(?:,[^,]{1,80},)?\s+(?:has\s+|had\s+|also\s+|later\s+|previously\s+)?` + speechVerbs + `\b`)
	// Only the inverted form after a quotation or comma ("…,” said
	// Putin) or "according to": "said Russia must …" names no speaker.
	reSpeechBefore  = regexp.MustCompile(`(?:[,"”]\s*(?:` + speechVerbs + `)|\baccording to)\s+(?:(?:the\s+)?(?:[a-z]+\s+){0,3})?((?:[A-Z][\p{L}’'-]+\s+){0,3}[A-Z][\p{L}’'-]+)`)
	rePronounSpeech = regexp.MustCompile(`(?i)^\s*(?:"[^"]*"\s*,?\s*)?(he|she)\s+` + speechVerbs + `\b|` + speechVerbs + `\s+(he|she)\b`)
	// rePlace finds the place an event is put in: "in Miami", "at the Kremlin".
	rePlace = regexp.MustCompile(`\b(?:in|at)\s+(?:the\s+)?((?:[A-Z][\p{L}’'-]+\s+){0,2}[A-Z][\p{L}’'-]+)`)
)

// analyse reads one piece of text. namedBefore are the people the text
// before it named (see namedIn), for "He said …".
func (s *Supporter) analyse(raw string, namedBefore []string) text {
	t := text{raw: raw, stems: map[string]bool{}, lemmas: map[string]bool{}}
	plain := stripMarkdown(raw)
	proper := properWords(plain)
	for _, w := range retrieval.Words(plain) {
		if retrieval.IsStopWord(w) {
			continue
		}
		wd := word{surface: w, stem: retrieval.Stem(w), proper: proper[w]}
		if _, ok := cardinal(w); ok || isDigits(w) {
			wd.figure = true
		}
		wd.lx = s.lex.Lookup(w)
		wd.lemma = s.lex.Lemma(w)
		t.words = append(t.words, wd)
		t.stems[wd.stem] = true
		t.lemmas[wd.lemma] = true
	}
	t.figures = figuresIn(plain)
	t.lower = strings.ToLower(plain)
	for _, m := range reQuotation.FindAllStringSubmatch(plain, -1) {
		var q []string
		for _, w := range retrieval.Words(m[1]) {
			if !retrieval.IsStopWord(w) {
				q = append(q, retrieval.Stem(w))
			}
		}
		if len(q) >= 1 {
			t.quotes = append(t.quotes, q)
		}
	}
	for _, m := range reDateExpr.FindAllString(t.lower, -1) {
		t.dates = append(t.dates, strings.Join(strings.Fields(strings.ReplaceAll(m, " the ", " ")), " "))
	}
	t.agents = agentsOf(plain)
	// "International Criminal Court" is also "ICC".
	for _, a := range acronymsOf(plain) {
		t.stems[a] = true
		t.lemmas[a] = true
	}
	t.negated = negated(plain)
	t.speakers = speakers(plain)
	if len(namedBefore) > 0 && rePronounSpeech.MatchString(plain) {
		// "He said …" after a sentence naming someone: who "he" is is a
		// guess, good for finding who said it, not for contradicting it.
		for _, w := range retrieval.Words(strings.Join(namedBefore, " ")) {
			if !retrieval.IsStopWord(w) && !titleWord[w] {
				t.saidBy = append(t.saidBy, retrieval.Stem(w))
			}
		}
		for _, st := range t.saidBy {
			t.stems[st] = true
		}
	}
	for _, m := range rePlace.FindAllStringSubmatch(plain, -1) {
		for _, w := range retrieval.Words(m[1]) {
			t.places = append(t.places, retrieval.Stem(w))
		}
	}
	return t
}

// reCondition finds a conditional clause, whose negation asserts nothing:
// "take it by force if troops don't withdraw" denies nothing.
var reCondition = regexp.MustCompile(`(?i)\b(?:if|unless|whether)\b[^,.;:]*`)

// negated reports whether text denies rather than asserts.
func negated(plain string) bool {
	return reNegation.MatchString(reCondition.ReplaceAllString(plain, ""))
}

// speakers returns the stems of the names text attributes words to.
func speakers(plain string) []string {
	var names []string
	for _, m := range reSpeechAfter.FindAllStringSubmatch(plain, -1) {
		names = append(names, m[1])
	}
	for _, m := range reSpeechBefore.FindAllStringSubmatch(plain, -1) {
		names = append(names, m[1])
	}
	var out []string
	for _, n := range names {
		for _, w := range retrieval.Words(n) {
			if !retrieval.IsStopWord(w) && !titleWord[w] {
				st := retrieval.Stem(w)
				out = append(out, st)
				// A capital speaks for its country: "Moscow says" is
				// "Russia says".
				out = append(out, speakerAliases[st]...)
			}
		}
		out = append(out, acronymsOf(n)...)
	}
	return out
}

// reAgent finds a name directly before its verb.
var reAgent = regexp.MustCompile(`((?:[A-Z][\p{L}’'-]+\s+){0,3}[A-Z][\p{L}’'-]+)\s+(?:has\s+|have\s+|had\s+|also\s+|will\s+|would\s+|later\s+)?([a-z]{3,})\b`)

// agentsOf maps each verb that follows a name to that name's stems.
func agentsOf(plain string) map[string][]string {
	out := map[string][]string{}
	for _, m := range reAgent.FindAllStringSubmatch(plain, -1) {
		verb := m[2]
		if retrieval.IsStopWord(verb) || !looksFinite(verb) {
			continue
		}
		var names []string
		for _, w := range retrieval.Words(m[1]) {
			if !retrieval.IsStopWord(w) && !titleWord[w] {
				st := retrieval.Stem(w)
				names = append(names, st)
				names = append(names, speakerAliases[st]...)
			}
		}
		names = append(names, acronymsOf(m[1])...)
		if len(names) > 0 {
			v := retrieval.Stem(verb)
			out[v] = append(out[v], names...)
		}
	}
	return out
}

// looksFinite reports whether a word after a name is likely its verb:
// a past or third-person form ("issued", "says", "met"), not a noun of a
// compound ("Odesa missile attack").
func looksFinite(w string) bool {
	switch w {
	case "met", "held", "took", "told", "sent", "gave", "won", "lost", "made", "left", "struck", "hit", "led",
		"said", "spoke", "wrote", "saw", "came", "went", "got", "sought", "brought", "began", "chose", "drew":
		return true
	}
	// Third-person forms are mostly plural nouns after a name ("US
	// officials"), so only common verbs of news reports count.
	switch w {
	case "says", "claims", "denies", "warns", "insists", "wants", "plans", "hopes", "accuses", "calls", "urges",
		"rejects", "seeks", "holds", "controls", "meets", "leads", "demands", "expects", "believes", "states",
		"reports", "announces", "confirms", "agrees", "refuses", "offers", "proposes", "supports", "opposes":
		return true
	}
	return strings.HasSuffix(w, "ed")
}

// speakerAliases join the names news text uses for one speaker.
var speakerAliases = map[string][]string{
	"moscow": {"russia", "kremlin"}, "kremlin": {"russia", "moscow"}, "russia": {"moscow", "kremlin"},
	"kyiv": {"ukrain"}, "ukrain": {"kyiv"}, "washington": {"us"}, "us": {"washington"},
	"brussel": {"eu"}, "eu": {"brussel"}, "london": {"uk"}, "uk": {"london"},
}

var (
	// reQuotation finds quoted words: "…", “…”.
	reQuotation = regexp.MustCompile(`["“]([^"“”]{3,200})["”]`)
	// reDateExpr finds time expressions a claim must not change.
	reDateExpr = regexp.MustCompile(`\b(?:january|february|march|april|may|june|july|august|september|october|november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday|(?:end|start|beginning|middle) of (?:the )?(?:month|year|week)|(?:next|last) (?:week|month|year))\b`)
	reCapRun   = regexp.MustCompile(`(?:[A-Z][\p{L}’'-]+(?:\s+(?:of|for|and|the|on)\s+|\s+)){1,5}[A-Z][\p{L}’'-]+`)
)

// acronymsOf returns the acronyms of the capitalised names in s:
// "International Criminal Court" → "icc".
func acronymsOf(s string) []string {
	var out []string
	for _, run := range reCapRun.FindAllString(s, -1) {
		var b strings.Builder
		n := 0
		for _, w := range strings.Fields(run) {
			if startsUpper(w) && w != "The" && w != "A" && w != "An" {
				r, _ := utf8.DecodeRuneInString(w)
				b.WriteRune(unicode.ToLower(r))
				n++
			}
		}
		// Two-letter ones ("EU", "UK") are spelled out above; shorter
		// runs are mostly a person's initials, which no one writes.
		if n >= 3 {
			out = append(out, b.String())
		}
	}
	return out
}

// titleWord are capitalised words of a role, not a name ("President Putin").
var titleWord = map[string]bool{
	"president": true, "minister": true, "envoy": true, "special": true, "secretary": true, "spokesperson": true,
	"spokesman": true, "spokeswoman": true, "prime": true, "foreign": true, "state": true,
	"mr": true, "mrs": true, "ms": true, "dr": true, "chief": true, "adviser": true, "advisor": true, "general": true,
	"he": true, "she": true, "they": true, "it": true, "the": true, "a": true, "an": true, "this": true, "that": true,
}

// namedIn returns who a "He said" after s most likely refers to: the
// subject, the first run of two or more capitalised words that does not
// open with a function word or a date ("President Putin" in "On Friday,
// President Putin, in an interview with India Today, …"), and the last
// one named; nil when s names no one.
func namedIn(s string) []string {
	runs := nameRuns(s)
	if len(runs) > 2 {
		runs = []string{runs[0], runs[len(runs)-1]}
	}
	return runs
}

// nameRuns returns the runs of two or more capitalised words in s.
func nameRuns(s string) []string {
	var out []string
	fields := strings.Fields(stripMarkdown(s))
	for i := 0; i < len(fields); i++ {
		j := i
		for j < len(fields) {
			w := strings.Trim(fields[j], `"“”,.;:()`)
			if !startsUpper(w) || j == i && (retrieval.IsStopWord(strings.ToLower(w)) || reDateExpr.MatchString(strings.ToLower(w))) {
				break
			}
			j++
			if strings.HasSuffix(fields[j-1], ",") {
				break // an apposition or list ends the name
			}
		}
		if j-i >= 2 {
			out = append(out, strings.Trim(strings.Join(fields[i:j], " "), `"“”,.;:()`))
		}
		if j > i {
			i = j - 1
		}
	}
	return out
}

func startsUpper(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsUpper(r)
}

// properWords returns the lower-case words written capitalised anywhere but
// at the start of a sentence, and any all-capitals acronym.
func properWords(plain string) map[string]bool {
	out := map[string]bool{}
	start := true
	for _, tok := range strings.Fields(plain) {
		w := strings.TrimFunc(tok, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		if w != "" && (!start || isAcronym(w)) && startsUpper(w) {
			for _, x := range retrieval.Words(w) {
				out[x] = true
			}
		}
		if w != "" {
			start = strings.ContainsAny(tok[len(tok)-1:], ".!?:")
		}
	}
	return out
}

func isAcronym(w string) bool {
	if len(w) < 2 {
		return false
	}
	for _, r := range w {
		if !unicode.IsUpper(r) {
			return false
		}
	}
	return true
}

func isDigits(w string) bool { return w != "" && w[0] >= '0' && w[0] <= '9' }

// stripMarkdown removes the emphasis small models add (**bold**, _it_), so
// it neither counts as words nor hides them.
func stripMarkdown(s string) string {
	return markdownAndDots.Replace(s)
}

// markdownAndDots also joins dotted acronyms ("U.S." = "US"), which news
// text and models write both ways.
var markdownAndDots = strings.NewReplacer("**", "", "__", "", "`", "", "U.S.", "US", "U.K.", "UK", "E.U.", "EU", "U.N.", "UN",
	"United States", "US", "United Nations", "UN", "European Union", "EU", "United Kingdom", "UK")

// wordMatch is how well word w of a claim is found in evidence t: 1 for the
// same word form, less for a derivation or a synonym, 0 when absent.
func (s *Supporter) wordMatch(w word, t *text) float64 {
	if t.stems[w.stem] || t.lemmas[w.lemma] {
		return matchSame
	}
	if w.figure || w.proper {
		return 0 // names and figures match only as themselves
	}
	best := 0.0
	for _, u := range t.words {
		if u.figure || u.proper {
			continue
		}
		if m := s.similar(w.lx, u.lx); m > best {
			best = m
			if best >= matchDerived {
				break
			}
		}
	}
	return best
}

// fillerWords say where a claim comes from, or frame it, rather than what it
// is: an answer may add them and no passage needs to contain them.
var fillerWords = map[string]bool{
	"articl": true, "article": true, "articles": true, "report": true, "reported": true, "reports": true,
	"according": true, "passage": true, "passages": true, "source": true, "sources": true,
	"mention": true, "mentioned": true, "mentions": true, "note": true, "noted": true, "describe": true,
	"described": true, "based": true, "provided": true, "given": true, "indicate": true,
	"indicates": true, "indicated": true, "information": true, "text": true, "context": true, "specifically": true,
	"however": true, "additionally": true, "overall": true, "also": true, "mentioning": true, "suggest": true,
	"suggests": true, "answer": true, "question": true, "available": true, "clear": true, "explicitly": true,
	"directly": true, "appears": true, "seems": true, "yes": true, "no": true,
	// Hedges and determiners: "approximately five hours" and "nearly
	// five hours" state the same figure.
	"another": true, "approximately": true, "nearly": true, "around": true, "roughly": true, "almost": true,
	"estimated": true, "reportedly": true, "least": true, "either": true, "both": true,
	"respectively": true, "meanwhile": true, "separately": true, "instead": true, "though": true, "still": true,
	"per": true, "vs": true, "etc": true,
}

// speechWords attribute rather than assert: who said it is checked as the
// speaker, so the verb itself weighs little.
var speechWords = map[string]bool{
	"said": true, "says": true, "say": true, "told": true, "tells": true, "stated": true, "states": true,
	"noted": true, "added": true, "adds": true, "explained": true, "described": true, "describes": true,
	"called": true, "calls": true, "call": true, "claimed": true, "claims": true, "announced": true,
	"stressed": true, "emphasized": true, "emphasised": true, "remarked": true, "insisted": true, "argued": true,
	"confirmed": true, "wrote": true, "labelled": true, "labeled": true, "dubbed": true,
}

// claimWeights weighs the words of a claim: names and figures most (an
// invented one is the commonest harmful error), distinctive words by how
// few of the passages hold them, and words that no passage holds little,
// since they are usually a paraphrase ("chose" for "picked"); a proper
// name no passage holds weighs most of all. Filler weighs nothing.
func (s *Supporter) claimWeights(c *text, df func(stem string) int, n int) []float64 {
	ws := make([]float64, len(c.words))
	for i, w := range c.words {
		switch {
		case fillerWords[w.surface]:
			ws[i] = 0
		case speechWords[w.surface]:
			ws[i] = 0.3
		case lightVerbs[w.lemma] && df(w.stem) == 0:
			// "went on for two days", "come out of it": a light verb
			// carries the phrase, not the fact.
			ws[i] = 0.5
		case w.figure:
			ws[i] = 2
		case w.proper:
			ws[i] = 2
			if df(w.stem) == 0 {
				ws[i] = novelNameWeight
			}
		case df(w.stem) == 0:
			// In none of the passages: a paraphrase as often as new
			// content, so it weighs as a typical word, not the most; the
			// lexicon may still join it to a passage word. Invented names
			// and figures are caught as such, not by weight.
			ws[i] = newWordWeight
			if p := w.lx.Parts(); p != 0 {
				// Common words are paraphrase more often than rare ones.
				ws[i] = 0.5 + math.Log(1+float64(n))*specificity(s.lex.Frequency(w.lx), p)
			}
		default:
			ws[i] = 0.5 + math.Log(1+float64(n)/float64(1+df(w.stem)))
		}
	}
	return ws
}

// newWordWeight is the weight of a claim word no passage holds.
const newWordWeight = 1.6

// mainShare is the share of a claim its best sentence must carry alone
// before other sentences may add to it.
const mainShare = 0.3

// novelNameWeight marks a name that none of the passages holds: the mark of
// an invented fact, so it is never supported.
const novelNameWeight = 3

// verdict is the support model's judgement of one claim against evidence.
type verdict struct {
	score float64 // weighted share of the claim found, 0..1
	// conflict names a checkable fact the evidence contradicts: a figure,
	// negation, speaker or place; empty when none.
	conflict string
	// missing names a name or figure of the claim the evidence lacks.
	missing string
	// best is the index of the evidence sentence that carries most of it.
	best int
}

// supported reports whether a verdict supports its claim at threshold.
func (v verdict) supported(threshold float64) bool {
	return v.conflict == "" && v.missing == "" && v.score >= threshold
}

// judgeUsed measures claim c against the evidence sentences ev (all from
// the passages a claim cites), with ctx the passages' titles and headings,
// and returns the sentences that carry it. Up to three sentences may
// together support it, adjacent or not; the checkable facts (figures,
// negation, speakers, places) are read from the sentence that carries most
// of the claim.
func (s *Supporter) judgeUsed(c *text, weights []float64, ev []*text, ctx *text) (verdict, []int) {
	var total float64
	for _, w := range weights {
		total += w
	}
	v := verdict{best: -1}
	if len(ev) == 0 || total == 0 {
		return v, nil
	}
	// got[i][j]: match of claim word j in sentence i.
	got := make([][]float64, len(ev))
	for i, t := range ev {
		got[i] = make([]float64, len(c.words))
		for j, w := range c.words {
			got[i][j] = s.wordMatch(w, t)
		}
	}
	have := make([]float64, len(c.words))
	if ctx != nil {
		for j, w := range c.words {
			// A title supports a claim's context words, half as much.
			have[j] = 0.5 * s.wordMatch(w, ctx)
		}
	}
	gain := func(i int) float64 {
		var g float64
		for j := range c.words {
			if got[i][j] > have[j] {
				g += weights[j] * (got[i][j] - have[j])
			}
		}
		return g
	}
	used := map[int]bool{}
	for step := 0; step < 3; step++ {
		bi, bg := -1, 0.0
		for i := range ev {
			if used[i] {
				continue
			}
			if g := gain(i); g > bg+1e-9 {
				bi, bg = i, g
			}
		}
		// A further sentence must add a real part of the claim, not a
		// stray shared word.
		if bi < 0 || step > 0 && bg < 0.15*total {
			break
		}
		used[bi] = true
		if step == 0 {
			v.best = bi
		}
		for j := range c.words {
			have[j] = max(have[j], got[bi][j])
		}
	}
	var covered float64
	for j := range c.words {
		covered += weights[j] * have[j]
	}
	v.score = covered / total
	// Sentences may combine, but one must carry a real part of the claim:
	// a falsehood assembled from stray words of several sentences is not
	// supported ("the talks ended with a signed agreement" from "talks",
	// "conclusion" and "agreement" three sentences apart).
	if v.best >= 0 {
		var main float64
		for j := range c.words {
			main += weights[j] * max(got[v.best][j], 0)
		}
		if main < mainShare*total {
			v.score = min(v.score, main/total)
		}
	}
	// A name no passage holds is invented. (A name another passage holds
	// only weighs: "the UK dismissed Putin's remarks" may cite the passage
	// that says "these remarks".)
	for j, w := range c.words {
		if w.proper && weights[j] == novelNameWeight && have[j] < matchSame {
			v.missing = w.surface
			break
		}
	}
	var window []*text
	var usedIdx []int
	for i := range ev {
		if used[i] {
			window = append(window, ev[i])
			usedIdx = append(usedIdx, i)
		}
	}
	// Figures and quotations may sit in any sentence of the passages that
	// is about the claim (shares a content word with it), not only in
	// those that carried most of its words.
	related := slices.Clone(window)
	for i := range ev {
		if used[i] {
			continue
		}
		for j, w := range c.words {
			if !w.figure && weights[j] > 0 && got[i][j] >= matchSame {
				related = append(related, ev[i])
				break
			}
		}
	}
	if v.best >= 0 {
		v.conflict = s.conflict(c, ev[v.best], window, related)
	}
	if ctx != nil {
		related = append(related, ctx)
	}
	if v.missing == "" {
		if f, ok := s.figuresBacked(c.figures, related); !ok {
			v.missing = f
		}
	}
	return v, usedIdx
}

// conflict returns what of claim c sentence b contradicts: polarity, the
// speaker, or the place, when b is about the same thing ("" if nothing).
func (s *Supporter) conflict(c, b *text, window, related []*text) string {
	if c.negated != s.clauseNegated(c, b) && !anyNegated(window, c.negated) {
		return "negation"
	}
	if bs := append(slices.Clone(b.speakers), b.saidBy...); len(c.speakers) > 0 && len(bs) > 0 && !overlaps(c.speakers, bs) {
		return "speaker"
	}
	if len(c.places) > 0 && len(b.places) > 0 && !overlaps(c.places, b.places) && !b.stemsAll(c.places) {
		return "place"
	}
	// An opposite word where the passage has its antonym: "pessimistic"
	// for "optimistic", "praised" for "criticized", "short-term" for
	// "long-term".
	if w, ok := s.opposed(c, b); ok {
		return "opposite: " + w
	}
	// The same act by someone else: "the UN issued a warrant" where "the
	// International Criminal Court issued" it.
	for v, who := range c.agents {
		if other, ok := b.agents[v]; ok && !overlaps(who, other) {
			return "agent"
		}
	}
	// A quotation must be the speaker's own words.
	for _, q := range c.quotes {
		found := false
		for _, t := range related {
			found = found || t.stemsAll(q)
		}
		if !found {
			return "quotation"
		}
	}
	// "by the end of the year" is not "by the end of the month".
	for _, d := range c.dates {
		found := false
		for _, t := range window {
			found = found || slices.Contains(t.dates, d)
		}
		if !found {
			return "date"
		}
	}
	return ""
}

// opposed returns a claim word whose WordNet antonym stands in sentence b
// where the claim has no match for it: the claim says the opposite.
func (s *Supporter) opposed(c, b *text) (string, bool) {
	for _, w := range c.words {
		if w.proper || w.figure || s.wordMatch(w, b) >= matchSynonym {
			continue
		}
		// Every word of b, stop words included: "long" in "long-term"
		// is one.
		for _, u := range retrieval.Words(stripMarkdown(b.raw)) {
			if !s.lex.Opposite(w.lx, s.lex.Lookup(u)) {
				continue
			}
			// The antonym must not be the claim's own word elsewhere
			// ("rise and fall").
			if c.stems[retrieval.Stem(u)] {
				continue
			}
			return w.surface, true
		}
	}
	return "", false
}

// reClause splits a sentence into clauses, each with its own polarity:
// "Witkoff met Putin, but no deal was reached".
var reClause = regexp.MustCompile(`[;:—–]|,\s*(?:but|while|although|though|whereas|yet|which|who|where|when)\b|\s(?:but|while|although|whereas)\s`)

// clauseNegated is the polarity of the clause of b that shares most with c.
func (s *Supporter) clauseNegated(c, b *text) bool {
	parts := reClause.Split(b.raw, -1)
	if len(parts) < 2 {
		return b.negated
	}
	names := map[string]bool{}
	for _, w := range c.words {
		if w.proper {
			names[w.stem] = true
		}
	}
	bestN := -1
	var pols []bool
	for _, p := range parts {
		// Names say who, not what is denied: "no compromise" is about
		// the compromise, whoever met.
		n := 0
		for _, w := range retrieval.Words(p) {
			if st := retrieval.Stem(w); !retrieval.IsStopWord(w) && c.stems[st] && !names[st] {
				n++
			}
		}
		switch neg := negated(stripMarkdown(p)); {
		case n > bestN:
			bestN, pols = n, []bool{neg}
		case n == bestN:
			pols = append(pols, neg)
		}
	}
	// Clauses equally about the claim with both polarities: no verdict.
	for _, p := range pols[1:] {
		if p != pols[0] {
			return c.negated
		}
	}
	return pols[0]
}

// anyNegated reports whether some sentence of the window has polarity neg,
// so a claim combining two sentences takes its polarity from either.
func anyNegated(window []*text, neg bool) bool {
	if len(window) < 2 {
		return false
	}
	for _, t := range window {
		if t.negated == neg {
			return true
		}
	}
	return false
}

func (t *text) stemsAll(ss []string) bool {
	for _, s := range ss {
		if !t.stems[s] {
			return false
		}
	}
	return true
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}
