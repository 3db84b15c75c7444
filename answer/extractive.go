package answer

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/talkbot/talkbot/retrieval"
	"github.com/talkbot/talkbot/retrieval/lexicon"
)

// Extractive answering picks the retrieved sentences that answer the
// question and quotes them verbatim with markers. It is the offline default
// and the fallback when an LLM fails.
const (
	// keepRatio: further sentences must score this close to the best one.
	keepRatio = 0.8
	// maxQuotes keeps answers short.
	maxQuotes = 3
	// nearDuplicate is the term-set Jaccard above which two sentences say
	// the same thing and only the first is quoted.
	nearDuplicate = 0.6
)

type candidate struct {
	sentence string
	hit      retrieval.Hit
	score    float64
	text     *text // the sentence as the support model read it
	pi, si   int   // passage (its retrieval rank) and sentence in the evidence
}

// Thresholds of the offline answerer, tuned on the older question set
// (cmd/talkbot/evalset.json); the Discord-style set was scored before any
// tuning and is reported, not tuned on.
const (
	// gateCoverage: the best sentence (with its article's title and
	// heading counting half) must carry this weighted share of the
	// question's content, matched by meaning, or the articles don't cover it.
	gateCoverage = 0.5
	// typeBonus prefers sentences holding the kind of fact asked for.
	typeBonus = 0.25
)

// HelpText answers a greeting or "help": what the bot does and where its
// commands are, instead of "not covered".
const HelpText = "Hi! Ask me anything about the news articles I have (the Ukraine–US–Russia peace talks), e.g. " +
	"\"how long did Witkoff meet Putin?\" — every answer cites its source. Type /help to see all commands."

// Extract builds an extractive answer from retrieved evidence.
func Extract(question string, ev retrieval.Result) Answer {
	return defaultSupporter().Extract(question, ev)
}

// ExtractFollowUp is Extract for a follow-up: the kind of fact asked comes
// from the question as typed ("why?"), what it is about from the
// standalone query that carries the conversation's subject.
func ExtractFollowUp(question, query string, ev retrieval.Result) Answer {
	return defaultSupporter().extract(question, query, ev)
}

// Extract builds an extractive answer from retrieved evidence: the
// sentences that hold the asked-for fact, quoted with markers; a digest for
// a summary question; or not found when no sentence answers it.
func (sp *Supporter) Extract(question string, ev retrieval.Result) Answer {
	return sp.extract(question, question, ev)
}

func (sp *Supporter) extract(question, query string, ev retrieval.Result) Answer {
	a := Answer{Question: question, Mode: ModeExtractive, Citations: []Citation{}, Text: NotFoundText}
	q := sp.parseQuestion(question)
	if query != question && !q.greeting {
		sq := sp.parseQuestion(query)
		seen := map[string]bool{}
		for _, w := range q.words {
			seen[w.stem] = true
		}
		for _, w := range sq.words {
			if !seen[w.stem] {
				seen[w.stem] = true
				q.words = append(q.words, w)
			}
		}
		if q.typ == typeAny {
			q.typ, q.speakers, q.focus, q.count = sq.typ, sq.speakers, sq.focus, sq.count
		}
	}
	if q.greeting {
		a.Text = HelpText
		return a
	}
	if len(ev.Hits) == 0 {
		return a
	}
	e := sp.newEvidence(ev.Hits)
	if q.typ == typeQuote && !e.namesAny(q.speakers) {
		// "What does the plan say about X" asks what a text says, not
		// what someone said: only a name or a role the articles write
		// as such speaks.
		q.typ, q.speakers = typeAny, nil
	}
	weights := sp.questionWeights(&q, e)
	if q.summary {
		if d, ok := sp.digest(&q, weights, e); ok {
			return d
		}
	}
	if _, ok := sp.missingSubject(&q, e); ok {
		return a // about a thing the articles never mention
	}
	cands := sp.candidates(&q, weights, e)
	if len(cands) == 0 {
		return a
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	chosen := []candidate{cands[0]}
	// The best sentence may lack the asked-for fact that its neighbour
	// holds ("The talks lasted …" after "They met in Florida.").
	if q.typ != typeAny && !hasType(q.typ, e.sents[cands[0].pi][cands[0].si], &q) {
		if nb, ok := sp.neighbourWithType(&q, e, cands[0]); ok {
			chosen = append(chosen, nb)
		}
	}
	for _, c := range cands[1:] {
		if len(chosen) >= maxQuotes {
			break
		}
		if c.score < keepRatio*cands[0].score {
			break
		}
		dup := false
		for _, k := range chosen {
			if jaccard(c.text.stems, k.text.stems) >= nearDuplicate || k.sentence == c.sentence {
				dup = true
				break
			}
		}
		if !dup {
			chosen = append(chosen, c)
		}
	}
	return render(a, chosen)
}

// questionWeights weighs a question's content words: by how few of the
// retrieved passages hold them; a word none holds weighs most when it is
// an English word (the question asks what the articles lack: "born",
// "mayor") and nothing when it is not (chat, typos the fuzzy match cannot
// place).
func (sp *Supporter) questionWeights(q *question, e *evidence) []float64 {
	n := float64(len(e.hits))
	ws := make([]float64, len(q.words))
	for i := range q.words {
		w := &q.words[i]
		df := e.df[w.stem]
		if df == 0 && !w.figure {
			if fix, ok := e.closest(w.surface); ok && !sp.lex.Known(w.surface) {
				*w = sp.word(fix, w.proper)
				df = e.df[w.stem]
			}
		}
		parts := w.lx.Parts()
		switch {
		case df > 0:
			ws[i] = 0.5 + math.Log(1+n/float64(1+df))
		case lightVerbs[w.lemma]:
			ws[i] = 1
		case w.proper || w.figure:
			ws[i] = 0.5 + math.Log(1+n)
		case parts != 0:
			// A word the passages never use: a rare one ("mayor",
			// "population") names what the question is about, so the
			// articles probably don't cover it; a common one ("run",
			// "take") is as often a paraphrase of what they say.
			ws[i] = 0.5 + math.Log(1+n)*specificity(sp.lex.Frequency(w.lx), parts)
		case e.similarAnywhere(sp, *w):
			ws[i] = 1.3
		case len(w.surface) >= 4:
			// Not English the table knows, not chat, not a typo of a
			// passage word: most likely a name typed in lower case
			// ("kenya", "bitcoin"), which the articles lack.
			ws[i] = 0.5 + 0.8*math.Log(1+n)
		default:
			ws[i] = 0 // a short unknown token: chat or an abbreviation
		}
	}
	return ws
}

// specificity is how much a word the passages lack says about the topic,
// 0.3..1: rarer words more, and a word that can only be a noun more than
// one that can be a verb.
func specificity(freq int, parts lexicon.PartOfSpeech) float64 {
	sp := 1 - math.Log10(float64(freq)+1)/3
	if parts == lexicon.Noun {
		sp += 0.2
	}
	return min(1, max(0.3, sp))
}

// missingSubject returns a noun of the question that no retrieved
// passage mentions, not even by a synonym or a related form: "population",
// "hotel", "mayor". A question about such a thing is near the articles'
// topic but not answered by them, however well its names match. Only
// uncommon words that can only be nouns count: verbs and common words are
// too often a paraphrase ("run" for "last").
func (sp *Supporter) missingSubject(q *question, e *evidence) (string, bool) {
	for _, w := range q.words {
		if w.proper || w.figure || e.df[w.stem] > 0 || w.lx.Parts() != lexicon.Noun {
			continue
		}
		if _, measure := measureFocus[w.lemma]; measure || personNouns[w.surface] {
			continue // "how much money": answered by a figure, not the word
		}
		if sp.lex.Frequency(w.lx) >= 100 || e.similarAnywhere(sp, w) {
			continue
		}
		inTitle := false
		for pi := range e.ctx {
			inTitle = inTitle || sp.wordMatch(w, e.ctx[pi]) > 0
		}
		if !inTitle {
			return w.surface, true
		}
	}
	return "", false
}

// lightVerbs carry little of a question's topic: "what does Putin want",
// "did they give up".
var lightVerbs = map[string]bool{"want": true, "give": true, "get": true, "make": true, "go": true, "come": true,
	"put": true, "keep": true, "let": true, "seem": true, "try": true, "use": true, "need": true, "mean": true,
	"happen": true, "do": true, "take": true, "have": true}

// candidates scores every retrieved sentence that passes the gate:
// enough of the question covered, the focus noun covered, and the asked
// type present in the sentence or its neighbour.
func (sp *Supporter) candidates(q *question, weights []float64, e *evidence) []candidate {
	var total float64
	for _, w := range weights {
		total += w
	}
	if total == 0 {
		return nil
	}
	var out []candidate
	seen := map[string]bool{}
	for pi, h := range e.hits {
		for si, st := range e.sents[pi] {
			s := h.Passage.Sentences[si]
			if seen[s] { // overlapping passages repeat sentences
				continue
			}
			seen[s] = true
			var covered float64
			for j, w := range q.words {
				m := max(sp.wordMatch(w, st), 0.5*sp.wordMatch(w, e.ctx[pi]))
				covered += weights[j] * m
			}
			cov := covered / total
			if cov < gateCoverage {
				continue
			}
			if !sp.focusCovered(q, e, pi, si) {
				continue
			}
			typed := hasType(q.typ, st, q)
			if !typed && !sp.neighbourHasType(q, e, pi, si) {
				continue
			}
			if q.typ != typeAny && !sp.predicateCovered(q, weights, e, pi, si) {
				continue
			}
			score := cov - 0.02*float64(pi)
			if typed {
				score += typeBonus
			}
			out = append(out, candidate{sentence: s, hit: h, score: score, text: st, pi: pi, si: si})
		}
	}
	return out
}

// focusCovered reports whether the sentence (or its neighbour, or its
// title) covers what the question counts or asks about.
func (sp *Supporter) focusCovered(q *question, e *evidence, pi, si int) bool {
	if len(q.focus) == 0 {
		return true
	}
	// Any of the focus words will do: "how many Ukrainian children" is
	// about children, and says so in either word.
	for _, f := range q.focus {
		if re, ok := measureFocus[f.lemma]; ok && re.MatchString(e.sents[pi][si].raw) {
			// "how much money" is answered by "€90 billion".
			return true
		}
		for _, k := range []int{si, si - 1, si + 1} {
			if k >= 0 && k < len(e.sents[pi]) && sp.wordMatch(f, e.sents[pi][k]) >= matchSynonym {
				return true
			}
		}
		if sp.wordMatch(f, e.ctx[pi]) >= matchSynonym {
			return true
		}
	}
	return false
}

// predicateCovered reports whether a sentence (or its neighbour) says
// something of what the question asks beyond its names: "where was
// Zelensky born" is not answered by a sentence that puts Zelensky in Kyiv
// for another reason. Names are the words the lexicon does not know, or
// capitalised ones; light verbs and figures don't count either way.
func (sp *Supporter) predicateCovered(q *question, weights []float64, e *evidence, pi, si int) bool {
	asked := false
	for j, w := range q.words {
		if w.proper || w.figure || weights[j] == 0 || lightVerbs[w.lemma] || w.lx.Parts() == 0 {
			continue
		}
		asked = true
		for _, k := range []int{si, si - 1, si + 1} {
			if k >= 0 && k < len(e.sents[pi]) && sp.wordMatch(w, e.sents[pi][k]) >= matchSynonym {
				return true
			}
		}
	}
	return !asked
}

// measureFocus: a "how much X" question whose X is a kind of measure is
// answered by a figure in that measure, whatever the sentence calls it.
var measureFocus = map[string]*regexp.Regexp{
	"money":     reMoney,
	"cash":      reMoney,
	"fund":      reMoney,
	"funding":   reMoney,
	"aid":       reMoney,
	"land":      reArea,
	"territory": reArea,
	"area":      reArea,
	"time":      reDurationUnit,
}

var (
	reMoney = regexp.MustCompile(`(?i)[$€£¥]\s?\d|\b\d[\d.,]*\s*(?:billion|million|trillion)?\s*(?:dollars?|euros?|pounds?|usd|eur)\b`)
	reArea  = regexp.MustCompile(`(?i)\b\d[\d.,]*\s*(?:square\s+)?(?:kilomet(?:er|re)s?|km2?|km²|miles?|hectares?|acres?)\b|%|\bpercent\b|\b(?:fifth|quarter|third|half)\b`)
)

func (sp *Supporter) neighbourHasType(q *question, e *evidence, pi, si int) bool {
	_, ok := sp.neighbourWithType(q, e, candidate{pi: pi, si: si, hit: e.hits[pi]})
	return ok
}

// neighbourWithType returns the next (or else previous) sentence of c's
// passage when it holds the asked type.
func (sp *Supporter) neighbourWithType(q *question, e *evidence, c candidate) (candidate, bool) {
	for _, k := range []int{c.si + 1, c.si - 1} {
		if k < 0 || k >= len(e.sents[c.pi]) {
			continue
		}
		if st := e.sents[c.pi][k]; hasType(q.typ, st, q) {
			s := c.hit.Passage.Sentences[k]
			return candidate{sentence: s, hit: c.hit, score: c.score, text: st, pi: c.pi, si: k}, true
		}
	}
	return candidate{}, false
}

// render quotes the chosen sentences in reading order, each with its
// marker, and shows disagreeing figures side by side.
func render(a Answer, chosen []candidate) Answer {
	// Quote in reading order: by article, then position, so the answer
	// reads as the sources do. Disagreements keep each source's figure.
	sort.SliceStable(chosen, func(i, j int) bool {
		if chosen[i].hit.Passage.DocID != chosen[j].hit.Passage.DocID {
			return chosen[i].pi < chosen[j].pi
		}
		if chosen[i].hit.Passage.Index != chosen[j].hit.Passage.Index {
			return chosen[i].hit.Passage.Index < chosen[j].hit.Passage.Index
		}
		return chosen[i].si < chosen[j].si
	})
	var b strings.Builder
	if disagreement(chosen) {
		b.WriteString("The articles give different figures:\n")
	}
	dated := map[string]bool{}
	for i, c := range chosen {
		n := i + 1
		a.Citations = append(a.Citations, Citation{N: n, Doc: c.hit.Passage.DocID, Title: c.hit.Passage.Title,
			Quote: c.sentence, Passage: c.hit.Passage.ID})
		// A dated article's claim holds as of its date; say so once per article.
		asOf := ""
		if !c.hit.Published.IsZero() && !dated[c.hit.Passage.DocID] {
			dated[c.hit.Passage.DocID] = true
			asOf = " (as of " + c.hit.Published.Format("2 Jan 2006") + ")"
		}
		if len(chosen) > 1 {
			fmt.Fprintf(&b, "- %s [%d]%s\n", c.sentence, n, asOf)
		} else {
			fmt.Fprintf(&b, "%s [%d]%s", c.sentence, n, asOf)
		}
	}
	a.Text = strings.TrimRight(b.String(), "\n")
	a.Found = true
	return a
}

func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	inter := 0
	for t := range a {
		if b[t] {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

// disagreement reports whether the chosen sentences state different shares
// (percentages, fractions) for what the question asks, so the answer
// presents them side by side; "about 20%" and "one-fifth" agree.
func disagreement(cs []candidate) bool {
	first, seen := 0.0, false
	for _, c := range cs {
		for _, f := range c.text.figures {
			if f.kind != shareFigure {
				continue
			}
			if !seen {
				first, seen = f.value, true
			} else if !sameValue(f, figure{kind: shareFigure, value: first}) {
				return true
			}
			break // a sentence's first share is what it says
		}
	}
	return false
}
