package answer

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/talkbot/talkbot/retrieval"
)

// Extractive answering picks the retrieved sentences that answer the
// question and quotes them verbatim with markers. It is the offline default
// and the fallback when an LLM fails.
const (
	// minSentenceCoverage: a quoted sentence must carry at least this share
	// (IDF-weighted) of the question's terms, so unrelated sentences are
	// never stitched together.
	minSentenceCoverage = 0.5
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
	terms    map[string]bool
	figures  []string
	rank     int
}

// Extract builds an extractive answer from retrieved evidence.
func Extract(question string, ev retrieval.Result) Answer {
	a := Answer{Question: question, Mode: ModeExtractive, Citations: []Citation{}}
	if ev.Weak || len(ev.Hits) == 0 {
		a.Text = NotFoundText
		return a
	}
	kind := questionKind(question)
	var cands []candidate
	seen := map[string]bool{}
	for rank, h := range ev.Hits {
		for _, s := range h.Passage.Sentences {
			if seen[s] { // overlapping passages repeat sentences
				continue
			}
			seen[s] = true
			stems := retrieval.Analyze(s)
			// The heading and title give a sentence its context ("This
			// meeting" under "Talks in Miami"); they count half.
			cov := retrieval.Coverage(ev.Terms, s)
			ctxCov := retrieval.Coverage(ev.Terms, s+"\n"+h.Passage.Heading+"\n"+h.Passage.Title)
			cov += 0.5 * (ctxCov - cov)
			if cov < minSentenceCoverage {
				continue
			}
			score := cov + kind.bonus(s) - 0.02*float64(rank)
			set := map[string]bool{}
			for _, t := range stems {
				set[t] = true
			}
			cands = append(cands, candidate{sentence: s, hit: h, score: score, terms: set, figures: figures(s), rank: rank})
		}
	}
	if len(cands) == 0 {
		a.Text = NotFoundText
		return a
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	chosen := []candidate{cands[0]}
	for _, c := range cands[1:] {
		if len(chosen) == maxQuotes {
			break
		}
		if c.score < keepRatio*cands[0].score {
			break
		}
		dup := false
		for _, k := range chosen {
			if jaccard(c.terms, k.terms) >= nearDuplicate {
				dup = true
				break
			}
		}
		if !dup {
			chosen = append(chosen, c)
		}
	}
	// Quote in reading order: by article, then position, so the answer
	// reads as the sources do. Disagreements keep each source's figure.
	sort.SliceStable(chosen, func(i, j int) bool {
		if chosen[i].hit.Passage.DocID != chosen[j].hit.Passage.DocID {
			return chosen[i].rank < chosen[j].rank
		}
		return chosen[i].hit.Passage.Index < chosen[j].hit.Passage.Index
	})

	var b strings.Builder
	disagree := disagreement(chosen)
	if disagree {
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
		switch {
		case len(chosen) > 1:
			fmt.Fprintf(&b, "- %s [%d]%s\n", c.sentence, n, asOf)
		default:
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

// kind is the shape of answer a question asks for; a sentence of that shape
// gets a bonus (a "how long" question wants a duration).
type kind int

const (
	kindOther kind = iota
	kindDuration
	kindQuantity
	kindTime
	kindPerson
)

var (
	reDuration = regexp.MustCompile(`(?i)\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|several|many)[- ](hour|day|week|month|year|minute)s?\b|\blength(y)?\b`)
	reQuantity = regexp.MustCompile(`(?i)\b(\d{1,3}([.,]\d+)*|\d{5,})\b|%|\b(percent|half|third|quarter|fifth|dozens?|hundreds?|thousands?|millions?|billions?)\b`)
	reTime     = regexp.MustCompile(`(?i)\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|june|july|august|september|october|november|december|yesterday|today|tomorrow|earlier|week|month|year|19\d\d|20\d\d)\b`)
	rePerson   = regexp.MustCompile(`\b[A-Z][a-z]+ [A-Z][a-z]+`)
	// reFigure finds quantities that sources may disagree on.
	reFigure = regexp.MustCompile(`(?i)\b\d+(\.\d+)?\s?(%|percent)|\bone[- ](half|third|quarter|fifth|sixth|tenth)\b`)
)

func questionKind(q string) kind {
	l := strings.ToLower(q)
	switch {
	case strings.HasPrefix(l, "how long"):
		return kindDuration
	case strings.HasPrefix(l, "how much"), strings.HasPrefix(l, "how many"), strings.Contains(l, "what percent"),
		strings.Contains(l, "what share"), strings.Contains(l, "what proportion"):
		return kindQuantity
	case strings.HasPrefix(l, "when"), strings.HasPrefix(l, "by when"), strings.Contains(l, "what date"),
		strings.Contains(l, "what day"), strings.Contains(l, "what year"):
		return kindTime
	case strings.HasPrefix(l, "who"):
		return kindPerson
	}
	return kindOther
}

func (k kind) bonus(s string) float64 {
	var re *regexp.Regexp
	switch k {
	case kindDuration:
		re = reDuration
	case kindQuantity:
		re = reQuantity
	case kindTime:
		re = reTime
	case kindPerson:
		re = rePerson
	default:
		return 0
	}
	if re.MatchString(s) {
		return 0.3
	}
	return 0
}

func figures(s string) []string { return reFigure.FindAllString(s, -1) }

// disagreement reports whether the chosen sentences state different figures
// for what the question asks, so the answer presents them side by side.
func disagreement(cs []candidate) bool {
	var first string
	for _, c := range cs {
		if len(c.figures) == 0 {
			continue
		}
		f := strings.ToLower(c.figures[0])
		if first == "" {
			first = f
		} else if f != first {
			return true
		}
	}
	return false
}
