package answer

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/talkbot/talkbot/retrieval"
)

// Citation checking runs on every LLM reply before anything is shown: each
// [n] must name a passage that was given and that supports its sentence;
// sentences left without a valid marker are removed; markers are renumbered
// 1..n in order of appearance.
const (
	// SupportThreshold is the weighted share of a sentence's content terms
	// (analysed as retrieval does; terms that every retrieved passage shares
	// weigh least) that the best window of one or two sentences of a cited
	// passage must contain. Tuned on testdata/citations.json, 26 paraphrased
	// claims against their 156 retrieved passages (TestSupportThresholdSeparates):
	// at 0.55 the check keeps 35/40 correct citations and 2/116 wrong ones
	// (precision 0.95, recall 0.88); at 0.5 precision falls to 0.82, at 0.65
	// recall to 0.68.
	SupportThreshold = 0.55
	// partialSupport: in a sentence that cites several passages, each may
	// carry only part of it; a marker survives if the cited passages
	// together reach SupportThreshold and this one covers at least this share.
	partialSupport = 0.3
	// minKeptShare: unsupported sentences are removed, not the whole
	// answer: on the tuning claims each followed by a cited invention
	// (TestRemoveVersusFallback, 208 replies) removal showed no invention
	// and kept 88% of true claims, where whole-answer fallback keeps none.
	// Only when fewer than this share of a reply's factual sentences
	// survive is it mostly ungrounded, and the answer becomes extractive.
	minKeptShare = 0.5
)

// markerGroup matches one bracketed marker group: [1], [1, 3], [ 2 ].
var markerGroup = regexp.MustCompile(`\[\s*\d{1,3}(?:\s*[,;]\s*\d{1,3})*\s*\]`)

// markersAfterStop finds marker groups written after the full stop
// ("… five hours.[1] Next"), which would otherwise glue two sentences.
var markersAfterStop = regexp.MustCompile(`([.!?]["”’)]?)((?:[ \t]*\[\s*\d{1,3}(?:\s*[,;]\s*\d{1,3})*\s*\])+)`)

// bulletPrefix keeps list formatting out of sentence analysis.
var bulletPrefix = regexp.MustCompile(`^\s*(?:[-*•]|\d{1,2}[.)])\s+`)

// CitedSentence is one sentence of an answer with the markers it carries.
type CitedSentence struct {
	Text    string // without its markers
	Markers []int  // in order, as written
}

// ParseCitations splits answer text into sentences and their markers. It
// accepts [1], [1, 3] and [1][2], before or after the full stop.
func ParseCitations(text string) []CitedSentence {
	var out []CitedSentence
	for _, line := range replyLines(text) {
		for _, s := range line.sentences {
			out = append(out, CitedSentence{Text: stripMarkers(s), Markers: markerNumbers(s)})
		}
	}
	return out
}

type replyLine struct {
	prefix    string // bullet, kept as written
	sentences []string
}

// replyLines splits a reply into lines (lists stay lists) and sentences,
// with markers moved before the full stop so they stay with their sentence.
func replyLines(text string) []replyLine {
	text = markersAfterStop.ReplaceAllString(text, " $2$1")
	var out []replyLine
	for _, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		if line == "" {
			continue
		}
		l := replyLine{}
		if p := bulletPrefix.FindString(line); p != "" {
			l.prefix = strings.TrimSpace(p) + " "
			line = line[len(p):]
		}
		for _, s := range retrieval.SplitSentences(line) {
			// A sentence that starts with markers belongs with the one before.
			if lead := leadingMarkers(s); lead != "" && len(l.sentences) > 0 {
				l.sentences[len(l.sentences)-1] += " " + lead
				s = strings.TrimSpace(s[len(lead):])
			}
			if s != "" {
				l.sentences = append(l.sentences, s)
			}
		}
		out = append(out, l)
	}
	return out
}

func leadingMarkers(s string) string {
	end := 0
	for {
		rest := s[end:]
		trimmed := strings.TrimLeft(rest, " \t")
		loc := markerGroup.FindStringIndex(trimmed)
		if loc == nil || loc[0] != 0 {
			break
		}
		end += len(rest) - len(trimmed) + loc[1]
	}
	return s[:end]
}

func markerNumbers(s string) []int {
	var ns []int
	for _, g := range markerGroup.FindAllString(s, -1) {
		for _, f := range strings.FieldsFunc(strings.Trim(g, "[] "), func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
			if n, err := strconv.Atoi(f); err == nil {
				ns = append(ns, n)
			}
		}
	}
	return ns
}

func stripMarkers(s string) string { return tidy(markerGroup.ReplaceAllString(s, "")) }

// tidy removes the spaces that removed markers leave behind.
func tidy(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	for _, p := range []string{".", ",", "!", "?", ";", ":"} {
		s = strings.ReplaceAll(s, " "+p, p)
	}
	return s
}

// checked is a reply after the citation check.
type checked struct {
	Text      string
	Citations []Citation
	// Markers counts markers in the reply; Dropped those removed.
	Markers, Dropped int
	// Factual counts sentences that needed a citation; Kept those that had a
	// valid one. Removed lists the sentences taken out.
	Factual, Kept int
	Removed       []string
}

// mostlyUngrounded reports whether too little of the reply survived to show.
func (c checked) mostlyUngrounded() bool {
	return c.Kept == 0 || float64(c.Kept) < minKeptShare*float64(c.Factual)
}

// verifyCitations verifies a model reply against the passages it was given
// (numbered from 1 in hits' order).
func verifyCitations(reply string, hits []retrieval.Hit) checked {
	var c checked
	ev := newEvidence(hits)
	// A citation is one passage sentence: sentences citing the same passage
	// for different facts get different numbers, each with its own quote,
	// as extractive answers do.
	type source struct {
		pi    int
		quote string
	}
	renum := map[source]int{}
	var order []source
	var lines []string
	for _, l := range replyLines(reply) {
		var kept []string
		for _, s := range l.sentences {
			text := stripMarkers(s)
			sterms := contentTerms(text)
			valid := ev.validMarkers(s, sterms, digitFigures(text), &c)
			if len(valid) == 0 {
				if isLeadIn(text, sterms) {
					kept = append(kept, text)
					continue
				}
				c.Factual++
				c.Removed = append(c.Removed, text)
				continue
			}
			c.Factual++
			c.Kept++
			var ns []int
			for _, pi := range valid {
				src := source{pi, ev.bestQuote(pi, sterms)}
				if _, ok := renum[src]; !ok {
					renum[src] = len(order) + 1
					order = append(order, src)
				}
				if n := renum[src]; !slices.Contains(ns, n) {
					ns = append(ns, n)
				}
			}
			kept = append(kept, rewriteMarkers(s, ns))
		}
		if len(kept) > 0 {
			lines = append(lines, l.prefix+strings.Join(kept, " "))
		}
	}
	// A lead-in ("The articles differ:") with nothing after it goes too.
	for len(lines) > 0 && strings.HasSuffix(lines[len(lines)-1], ":") && !markerGroup.MatchString(lines[len(lines)-1]) {
		lines = lines[:len(lines)-1]
	}
	c.Text = strings.Join(lines, "\n")
	for i, src := range order {
		p := hits[src.pi].Passage
		c.Citations = append(c.Citations, Citation{N: i + 1, Doc: p.DocID, Title: p.Title, Quote: src.quote, Passage: p.ID})
	}
	return c
}

// evidence holds the analysed passages of one answer.
type evidence struct {
	hits []retrieval.Hit
	// ctx is each passage's title and heading terms; sents its sentences'
	// terms; all everything, for the figures check.
	ctx, all []map[string]bool
	sents    [][]map[string]bool
	df       map[string]int // passages containing each term
}

func newEvidence(hits []retrieval.Hit) *evidence {
	e := &evidence{hits: hits, df: map[string]int{}}
	for _, h := range hits {
		p := h.Passage
		ctx := passageTermSet(p.Title + "\n" + p.Heading)
		all := passageTermSet(p.Title + "\n" + p.Heading)
		var sents []map[string]bool
		for _, s := range p.Sentences {
			st := passageTermSet(s)
			sents = append(sents, st)
			for t := range st {
				all[t] = true
			}
		}
		for t := range all {
			e.df[t]++
		}
		e.ctx, e.all, e.sents = append(e.ctx, ctx), append(e.all, all), append(e.sents, sents)
	}
	return e
}

// weight makes distinctive terms count more than the topic words every
// retrieved passage shares ("Putin", "Ukraine"), which would otherwise let
// any same-topic passage "support" any sentence.
func (e *evidence) weight(t string) float64 {
	return math.Log(1 + float64(len(e.hits))/float64(1+e.df[t]))
}

// matched returns the sentence terms found in the best window (one or two
// adjacent sentences, with the passage's title and heading) of passage pi,
// its weighted share of the sentence, and the window's best sentence.
func (e *evidence) matched(sterms map[string]bool, pi int) (map[string]bool, float64) {
	var total float64
	for t := range sterms {
		total += e.weight(t)
	}
	best, bestScore := map[string]bool{}, 0.0
	sents := e.sents[pi]
	for i := range sents {
		for w := 1; w <= 2 && i+w <= len(sents); w++ {
			got := map[string]bool{}
			var score float64
			for t := range sterms {
				if e.ctx[pi][t] || sents[i][t] || w == 2 && sents[i+1][t] {
					got[t] = true
					score += e.weight(t)
				}
			}
			if score > bestScore {
				best, bestScore = got, score
			}
		}
	}
	if total == 0 {
		return best, 0
	}
	return best, bestScore / total
}

// validMarkers returns the 0-based passage indexes a sentence may keep, in
// the order written, counting what it drops.
func (e *evidence) validMarkers(s string, sterms map[string]bool, figs []string, c *checked) []int {
	ns := markerNumbers(s)
	c.Markers += len(ns)
	var known []int
	seen := map[int]bool{}
	for _, n := range ns {
		if n < 1 || n > len(e.hits) {
			c.Dropped++ // a passage that was never given
			continue
		}
		if seen[n-1] {
			continue // repeated marker: keep one, not a drop
		}
		seen[n-1] = true
		known = append(known, n-1)
	}
	own := make([]float64, len(known))
	union := map[string]bool{}
	for i, pi := range known {
		var got map[string]bool
		got, own[i] = e.matched(sterms, pi)
		for t := range got {
			union[t] = true
		}
	}
	var total, covered float64
	for t := range sterms {
		total += e.weight(t)
		if union[t] {
			covered += e.weight(t)
		}
	}
	together := 0.0
	if total > 0 {
		together = covered / total
	}
	var valid []int
	for i, pi := range known {
		ok := own[i] >= SupportThreshold || len(known) > 1 && together >= SupportThreshold && own[i] >= partialSupport
		if ok && e.figuresBacked(figs, known) {
			valid = append(valid, pi)
			continue
		}
		c.Dropped++
	}
	return valid
}

// figuresBacked reports whether every number written in digits in a
// sentence appears in the passages it cites: a wrong figure is the
// commonest harmful invention.
func (e *evidence) figuresBacked(figs []string, cited []int) bool {
	for _, f := range figs {
		found := false
		for _, pi := range cited {
			found = found || e.all[pi][f]
		}
		if !found {
			return false
		}
	}
	return true
}

// bestQuote is the passage sentence that carries most of what the citing
// sentence says: the exact text a reader can check.
func (e *evidence) bestQuote(pi int, want map[string]bool) string {
	p := e.hits[pi].Passage
	best, bestScore := "", -1.0
	for i, st := range e.sents[pi] {
		var score float64
		for t := range want {
			if st[t] {
				score += e.weight(t)
			}
		}
		// Ties go to the shorter sentence: less to read for the same support.
		score -= float64(len(p.Sentences[i])) / 1e6
		if score > bestScore {
			best, bestScore = p.Sentences[i], score
		}
	}
	return best
}

// isLeadIn reports whether a sentence asserts nothing that needs a source:
// a lead-in to a list ("The articles give different figures:") or words
// with no content terms at all.
func isLeadIn(text string, terms map[string]bool) bool {
	return len(terms) == 0 || strings.HasSuffix(text, ":")
}

// numberWords lets "five hours" in a passage back "5 hours" in an answer.
var numberWords = map[string]string{
	"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
	"nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "twenty": "20", "thirty": "30",
}

// digitFigures are the figures a sentence states: numbers in digits, and
// number words from two up ("one" is too often not a figure: "one article").
func digitFigures(text string) []string {
	var out []string
	for _, w := range retrieval.Words(text) {
		if d, ok := numberWords[w]; ok && w != "one" {
			out = append(out, d)
		} else if w[0] >= '0' && w[0] <= '9' {
			out = append(out, w)
		}
	}
	return out
}

// passageTermSet is the set of analysed terms of passage text; a number
// word counts as itself and as its digits.
func passageTermSet(text string) map[string]bool {
	set := map[string]bool{}
	for _, w := range retrieval.Words(text) {
		if d, ok := numberWords[w]; ok {
			set[d] = true
		}
		if !retrieval.IsStopWord(w) {
			set[retrieval.Stem(w)] = true
		}
	}
	return set
}

// contentTerms is the set of analysed terms of an answer sentence, number
// words as digits, minus words that say where a claim comes from rather
// than what it is ("the article reports"): an answer may add them and no
// passage needs to contain them.
func contentTerms(text string) map[string]bool {
	set := map[string]bool{}
	for _, w := range retrieval.Words(text) {
		if d, ok := numberWords[w]; ok {
			set[d] = true
			continue
		}
		if !retrieval.IsStopWord(w) {
			set[retrieval.Stem(w)] = true
		}
	}
	for _, w := range []string{"articl", "report", "accord", "passag", "sourc", "state", "mention", "note", "describ", "claim"} {
		delete(set, w)
	}
	return set
}

// rewriteMarkers replaces a sentence's marker groups with its new marker
// numbers, written once where the first group stood.
func rewriteMarkers(s string, ns []int) string {
	var b strings.Builder
	for _, n := range ns {
		b.WriteString("[" + strconv.Itoa(n) + "]")
	}
	first := true
	out := markerGroup.ReplaceAllStringFunc(s, func(string) string {
		if first {
			first = false
			return "\x00"
		}
		return ""
	})
	return tidy(strings.Replace(out, "\x00", " "+b.String(), 1))
}
