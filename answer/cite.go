package answer

import (
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
	// claims against their retrieved passages (TestSupportThresholdSeparates):
	// at 0.58 the support model keeps 34 correct citations and 3 wrong ones
	// (precision 0.92, recall 0.89); at 0.56 three more wrong ones pass.
	SupportThreshold = 0.58
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

// pairShare is the support each of two passages must give a claim on its
// own to be cited together for it.
const pairShare = 0.5

// checked is a reply after the citation check.
type checked struct {
	Text      string
	Citations []Citation
	// Markers counts markers in the reply; Dropped those removed (out of
	// range, or naming a passage that does not support their claim).
	Markers, Dropped int
	// Factual counts sentences that needed a citation; Kept those shown
	// with a valid one. Recited counts claims whose markers were moved to the
	// passage that supports them. Removed lists the sentences taken out.
	Factual, Kept, Recited int
	Removed                []string
}

// mostlyUngrounded reports whether too little of the reply survived to show.
func (c checked) mostlyUngrounded() bool {
	return c.Kept == 0 || float64(c.Kept) < minKeptShare*float64(c.Factual)
}

// changed reports whether the check altered what the model said, which is
// when a reader should be told.
func (c checked) changed() bool { return len(c.Removed) > 0 || c.Recited > 0 }

// trailerLine matches a "Sources:" / "References:" line a model appends
// after the answer: the markers in the text already say it.
var trailerLine = regexp.MustCompile(`(?i)^\s*(?:\*\*)?(?:sources?|references?|citations?|cited passages?)(?:\*\*)?\s*(?:used)?\s*:`)

// directAnswer matches a bare "Yes." / "No." opening, which is kept when
// what follows it is supported.
var directAnswer = regexp.MustCompile(`(?i)^(?:\*\*)?(yes|no|nope|yep|correct|not quite)(?:\*\*)?[.!,]?$`)

// segment is one clause of a sentence with the markers written after it.
type segment struct {
	text    string // words of the clause, markers removed
	markers []int
	raw     string // as written, markers included
}

// segments splits a sentence at its marker groups, so "X [2], while Y [1]"
// is judged and re-cited per clause. Text after the last marker group joins
// the last segment.
func segments(s string) []segment {
	locs := markerGroup.FindAllStringIndex(s, -1)
	if len(locs) == 0 {
		return []segment{{text: stripMarkers(s), raw: s}}
	}
	var out []segment
	start := 0
	for i := 0; i < len(locs); i++ {
		end := locs[i][1]
		// Adjacent groups ("[1][2]", "[1] [2]") belong to one clause.
		for i+1 < len(locs) && strings.TrimSpace(s[end:locs[i+1][0]]) == "" {
			i++
			end = locs[i][1]
		}
		raw := s[start:end]
		out = append(out, segment{text: stripMarkers(raw), markers: markerNumbers(raw), raw: raw})
		start = end
	}
	if rest := s[start:]; strings.TrimSpace(stripMarkers(rest)) != "" && len(retrieval.Analyze(rest)) > 0 {
		out = append(out, segment{text: stripMarkers(rest), raw: rest})
	} else if len(out) > 0 {
		out[len(out)-1].raw += rest
	}
	// A clause of only stop words ("[1] and") joins the one before.
	merged := out[:0]
	for _, sg := range out {
		if len(merged) > 0 && len(retrieval.Analyze(sg.text)) == 0 {
			m := &merged[len(merged)-1]
			m.raw += sg.raw
			m.markers = append(m.markers, sg.markers...)
			continue
		}
		merged = append(merged, sg)
	}
	return merged
}

// verifyCitations checks a model reply against the passages it was given
// (numbered from 1 in hits' order) with the support model: every claim must
// be supported by the passages it cites. A claim cited to the wrong passage
// is re-cited to the one that supports it; a claim no passage supports is
// removed; markers stay where the model put them and are renumbered 1..n in
// order of appearance, one number per passage sentence quoted.
func verifyCitations(reply string, hits []retrieval.Hit) checked {
	return defaultSupporter().verifyCitations("", reply, hits)
}

// verifyCitations checks reply, the answer to question.
func (sp *Supporter) verifyCitations(question, reply string, hits []retrieval.Hit) checked {
	var c checked
	ev := sp.newEvidence(hits)
	// Who "he" is: the person the question asks about at first, then the
	// one the reply's last sentence named.
	subject := ev.personsIn(sp, question)
	first := true
	type source struct {
		pi    int
		quote string
	}
	renum := map[source]int{}
	var order []source
	var lines []string
	pendingDirect := ""
	for _, l := range replyLines(stripTrailers(reply)) {
		var kept []string
		for _, s := range l.sentences {
			plain := stripMarkers(s)
			if directAnswer.MatchString(strings.TrimSpace(plain)) {
				// "No." stands or falls with what follows it.
				pendingDirect = strings.TrimSpace(stripMarkdown(plain))
				c.Markers += len(markerNumbers(s))
				continue
			}
			claimSubject, claimFirst := subject, first
			first = false
			if n := ev.personsIn(sp, plain); len(n) > 0 {
				subject = n
			}
			segs := segments(s)
			var out strings.Builder
			ok := true
			factual := false
			for _, sg := range segs {
				c.Markers += len(sg.markers)
				claim := sp.analyseClaim(sg.text, claimSubject, false)
				if len(claim.words) == 0 || isLeadIn(sg.text, claim) {
					out.WriteString(markerGroup.ReplaceAllString(sg.raw, ""))
					c.Dropped += len(sg.markers)
					continue
				}
				factual = true
				pis, recited, dropped := ev.cite(sp, &claim, sg.markers)
				if len(pis) == 0 && claimFirst {
					// "He posted them on Telegram", the first words of an
					// answer to "How did Umerov share …": read again
					// with "he" as the person the question names.
					named := sp.analyseClaim(sg.text, claimSubject, true)
					pis, recited, dropped = ev.cite(sp, &named, sg.markers)
				}
				c.Dropped += dropped
				if len(pis) == 0 {
					ok = false
					break
				}
				if recited {
					c.Recited++
				}
				var ns []int
				for _, pi := range pis {
					src := source{pi, ev.bestQuote(sp, pi, &claim)}
					if _, seen := renum[src]; !seen {
						renum[src] = len(order) + 1
						order = append(order, src)
					}
					if n := renum[src]; !slices.Contains(ns, n) {
						ns = append(ns, n)
					}
				}
				out.WriteString(placeMarkers(sg.raw, ns))
			}
			if !factual {
				if ok && strings.TrimSpace(out.String()) != "" {
					kept = appendDirect(kept, &pendingDirect)
					kept = append(kept, tidy(out.String()))
				}
				continue
			}
			c.Factual++
			if !ok {
				c.Removed = append(c.Removed, plain)
				pendingDirect = ""
				continue
			}
			c.Kept++
			kept = appendDirect(kept, &pendingDirect)
			kept = append(kept, tidy(out.String()))
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

// appendDirect puts a held "No." before the supported sentence after it.
func appendDirect(kept []string, pending *string) []string {
	if *pending != "" {
		kept = append(kept, *pending)
		*pending = ""
	}
	return kept
}

// stripTrailers removes "Sources: [1], [2]" lines and a "Sources:" block
// of marker or title lines at the end of a reply.
func stripTrailers(reply string) string {
	lines := strings.Split(reply, "\n")
	for i, l := range lines {
		if trailerLine.MatchString(l) {
			// Everything after a trailer header is the list it heads.
			return strings.Join(lines[:i], "\n")
		}
	}
	return reply
}

// placeMarkers writes new marker numbers where the clause's markers stood
// (at its end when it had none).
func placeMarkers(raw string, ns []int) string {
	var b strings.Builder
	for _, n := range ns {
		b.WriteString("[" + strconv.Itoa(n) + "]")
	}
	if !markerGroup.MatchString(raw) {
		trimmed := strings.TrimRight(raw, " ")
		end := len(trimmed)
		for end > 0 && strings.ContainsRune(".!?\"”’)", rune(trimmed[end-1])) {
			end--
		}
		return trimmed[:end] + " " + b.String() + trimmed[end:] + raw[len(trimmed):]
	}
	first := true
	out := markerGroup.ReplaceAllStringFunc(raw, func(string) string {
		if first {
			first = false
			return "\x00"
		}
		return ""
	})
	return strings.Replace(out, "\x00", b.String(), 1)
}

// rePronounStart finds a claim that opens with a pronoun standing for a
// person named before it.
var rePronounStart = regexp.MustCompile(`^\s*(?:\*\*)?(?:He|She|They|His|Her|Their)\b`)

// analyseClaim is analyse for a reply's claim: in a claim opening with
// "He said", "he" is the subject (the person the question or the previous
// sentence named), whose words these are.
func (sp *Supporter) analyseClaim(raw string, subject []string, first bool) text {
	t := sp.analyse(raw, nil)
	if len(subject) == 0 || !rePronounStart.MatchString(raw) {
		return t
	}
	if len(t.speakers) == 0 && rePronounSpeech.MatchString(stripMarkdown(raw)) {
		for _, n := range subject {
			t.saidBy = append(t.saidBy, retrieval.Stem(n))
		}
	}
	// A reply that opens with "He posted them on Telegram" answers
	// "How did Umerov share …": he is the person the question names, and
	// the claim is about him.
	if first && len(subject) == 1 {
		w := sp.word(subject[0], true)
		if !t.stems[w.stem] {
			t.words = append(t.words, w)
			t.stems[w.stem], t.lemmas[w.lemma] = true, true
		}
	}
	return t
}

// personsIn returns the names text mentions that the passages know and the
// lexicon does not ("Umerov", "umerov" typed in lower case): people and
// places, not "Ukrainian".
func (e *evidence) personsIn(sp *Supporter, text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range retrieval.Words(stripMarkdown(text)) {
		st := retrieval.Stem(w)
		if seen[st] || retrieval.IsStopWord(w) || titleWord[w] || e.df[st] == 0 {
			continue
		}
		if !sp.lex.Known(w) {
			seen[st] = true
			out = append(out, w)
		}
	}
	return out
}

// cite returns the passages (0-based) a claim may cite: the ones it cited
// that support it, or else the passage (or pair) that does, flagged as
// re-cited. dropped counts the claim's markers not kept.
func (e *evidence) cite(sp *Supporter, claim *text, markers []int) (pis []int, recited bool, dropped int) {
	var given []int
	for _, n := range markers {
		if n < 1 || n > len(e.hits) {
			continue
		}
		if !slices.Contains(given, n-1) {
			given = append(given, n-1)
		}
	}
	dupes := 0
	seen := map[int]bool{}
	for _, n := range markers {
		if seen[n] {
			dupes++ // a repeated marker is one marker, not a drop
		}
		seen[n] = true
	}
	count := len(markers) - dupes
	if len(given) > 0 {
		v, contrib := e.judgeAgainst(sp, claim, given)
		if v.supported(SupportThreshold) || sp.sem.supports(e, claim, v, given) && len(contrib) > 0 {
			return contrib, false, count - len(contrib)
		}
		if v.conflict != "" && v.score >= SupportThreshold {
			// The cited passage says the opposite (negation, another
			// speaker or place, other words in a quotation): the claim is
			// false, not mis-cited.
			return nil, false, count
		}
	}
	// Re-cite: the passage, or pair of passages, that supports the claim
	// best. A claim no single passage backs may combine two; a claim some
	// passage contradicts is never re-cited.
	best, bestScore := []int(nil), 0.0
	alone := make([]float64, len(e.hits)) // each passage's support on its own
	for pi := range e.hits {
		v, contrib := e.judgeAgainst(sp, claim, []int{pi})
		if v.conflict != "" && v.score >= SupportThreshold {
			return nil, false, count
		}
		alone[pi] = v.score
		if v.supported(SupportThreshold) && v.score > bestScore {
			best, bestScore = contrib, v.score
		}
	}
	if best == nil {
		// Two passages may combine only when each carries a real part of
		// the claim on its own, so a falsehood cannot be assembled from
		// stray words of two passages.
		for a := range e.hits {
			for b := a + 1; b < len(e.hits); b++ {
				if alone[a] < pairShare || alone[b] < pairShare {
					continue
				}
				if v, contrib := e.judgeAgainst(sp, claim, []int{a, b}); v.supported(SupportThreshold) && len(contrib) == 2 && v.score > bestScore {
					best, bestScore = contrib, v.score
				}
			}
		}
	}
	if best == nil {
		return nil, false, count
	}
	kept := 0
	for _, pi := range best {
		if slices.Contains(given, pi) {
			kept++
		}
	}
	return best, true, count - kept
}

// bestQuote is the passage sentence that carries most of the claim: the
// exact text a reader can check.
func (e *evidence) bestQuote(sp *Supporter, pi int, claim *text) string {
	p := e.hits[pi].Passage
	weights := e.weightsOf(sp, claim)
	best, bestScore := "", -1.0
	for i, st := range e.sents[pi] {
		var score float64
		for j, w := range claim.words {
			score += weights[j] * sp.wordMatch(w, st)
		}
		// Ties go to the shorter sentence: less to read for the same support.
		score -= float64(len(p.Sentences[i])) / 1e6
		if score > bestScore {
			best, bestScore = p.Sentences[i], score
		}
	}
	return best
}

// isLeadIn reports whether a clause asserts nothing that needs a source: a
// lead-in to a list ("The articles give different figures:") or only
// filler ("Based on the passages,").
func isLeadIn(s string, t text) bool {
	if strings.HasSuffix(strings.TrimSpace(s), ":") {
		return true
	}
	for _, w := range t.words {
		if !fillerWords[w.surface] {
			return false
		}
	}
	return true
}
