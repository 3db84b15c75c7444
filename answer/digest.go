package answer

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/talkbot/talkbot/retrieval"
)

// maxDigestItems keeps a digest a short read in a chat channel.
const maxDigestItems = 4

// digestTopicCoverage: with a topic ("what happened in Miami"), a digest
// sentence must carry at least this share of it.
const digestTopicCoverage = 0.5

// reLeansOnContext finds sentences that cannot stand alone in a digest:
// they open with a pronoun or a quotation.
var reLeansOnContext = regexp.MustCompile(`^\s*(?:["“‘']|(?:He|She|They|It|This|That|These|Those|His|Her|Their|Its|Meanwhile|However|Conversely|Nevertheless|Additionally|Moreover|Furthermore|In contrast)\b)`)

// digest answers a summary question ("tl;dr", "what happened in Odesa",
// "any news?") with the leading facts of the most relevant, newest
// articles: one sentence each, cited. ok is false when nothing fits.
func (sp *Supporter) digest(q *question, weights []float64, e *evidence) (Answer, bool) {
	var total float64
	for _, w := range weights {
		total += w
	}
	type item struct {
		c     candidate
		cov   float64
		order int
	}
	best := map[string]item{}
	var docs []string
	for pi, h := range e.hits {
		for si, st := range e.sents[pi] {
			s := h.Passage.Sentences[si]
			if len(retrieval.Words(s)) < 6 || reLeansOnContext.MatchString(s) || strings.Count(s, "”") > strings.Count(s, "“") {
				continue // too short, or leans on a sentence before it
			}
			cov := 1.0
			if total > 0 {
				var got float64
				for j, w := range q.words {
					got += weights[j] * max(sp.wordMatch(w, st), 0.5*sp.wordMatch(w, e.ctx[pi]))
				}
				cov = got / total
				if cov < digestTopicCoverage {
					continue
				}
			}
			// Without a topic the lead (earliest sentence) of each article
			// is its news; with one, the sentence most about it.
			order := h.Passage.Index*1000 + si
			doc := h.Passage.DocID
			cur, seen := best[doc]
			if !seen {
				docs = append(docs, doc)
			}
			better := !seen || total > 0 && cov > cur.cov+1e-9 || (total == 0 || cov >= cur.cov-1e-9) && order < cur.order
			if better {
				best[doc] = item{c: candidate{sentence: s, hit: h, text: st, pi: pi, si: si}, cov: cov, order: order}
			}
		}
	}
	if len(docs) == 0 {
		return Answer{}, false
	}
	// Newest articles first; undated ones after, in retrieval order.
	sort.SliceStable(docs, func(i, j int) bool {
		a, b := best[docs[i]].c.hit.Published, best[docs[j]].c.hit.Published
		if a.IsZero() != b.IsZero() {
			return !a.IsZero()
		}
		if !a.Equal(b) {
			return a.After(b)
		}
		return best[docs[i]].c.pi < best[docs[j]].c.pi
	})
	if len(docs) > maxDigestItems {
		docs = docs[:maxDigestItems]
	}
	a := Answer{Question: q.raw, Mode: ModeExtractive, Citations: []Citation{}, Found: true}
	var b strings.Builder
	b.WriteString("Here is what the articles report:\n")
	for i, d := range docs {
		c := best[d].c
		n := i + 1
		a.Citations = append(a.Citations, Citation{N: n, Doc: c.hit.Passage.DocID, Title: c.hit.Passage.Title,
			Quote: c.sentence, Passage: c.hit.Passage.ID})
		asOf := ""
		if !c.hit.Published.IsZero() {
			asOf = " (as of " + c.hit.Published.Format("2 Jan 2006") + ")"
		}
		b.WriteString("- " + c.sentence + " [" + strconv.Itoa(n) + "]" + asOf + "\n")
	}
	a.Text = strings.TrimRight(b.String(), "\n")
	return a, true
}
