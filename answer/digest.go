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
				best[doc] = item{c: candidate{sentence: s, hit: h, terms: st.stems, rank: pi, pi: pi, si: si}, cov: cov, order: order}
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
		return best[docs[i]].c.rank < best[docs[j]].c.rank
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

// closest returns the passage word a typo most likely meant ("zelenksy" →
// "zelensky", "negotiatons" → "negotiations"): within one edit for short
// words, two for long ones.
func (e *evidence) closest(w string) (string, bool) {
	if len(w) < 4 {
		return "", false
	}
	limit := 1
	if len(w) >= 7 {
		limit = 2
	}
	best, bestD := "", limit+1
	for pi := range e.sents {
		for _, st := range e.sents[pi] {
			for _, u := range st.words {
				if u.surface == best || abs(len(u.surface)-len(w)) > limit {
					continue
				}
				if d := editDistance(w, u.surface, limit); d < bestD || d == bestD && u.surface < best {
					best, bestD = u.surface, d
				}
			}
		}
	}
	return best, bestD <= limit
}

// similarAnywhere reports whether some passage word means what w means.
func (e *evidence) similarAnywhere(sp *Supporter, w word) bool {
	for pi := range e.sents {
		for _, st := range e.sents[pi] {
			if sp.wordMatch(w, st) >= matchSynonym {
				return true
			}
		}
	}
	return false
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// editDistance is the optimal-string-alignment distance of a and b (a
// swap of two letters is one edit), or limit+1 once it exceeds limit.
func editDistance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
