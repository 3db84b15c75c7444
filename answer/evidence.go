package answer

import (
	"slices"

	"github.com/talkbot/talkbot/retrieval"
)

// The evidence of one answer: its retrieved passages analysed once by the
// support model, which the extractive answerer, the not-found gate and the
// citation check all judge against.

// evidence holds the analysed passages of one answer.
type evidence struct {
	hits  []retrieval.Hit
	sents [][]*text // per passage, its sentences
	ctx   []*text   // per passage, its title and heading
	df    map[string]int
	// names are the stems the passages write as names or speakers.
	names map[string]bool
	// weights caches each claim's word weights (see weightsOf).
	weights map[*text][]float64
}

func (sp *Supporter) newEvidence(hits []retrieval.Hit) *evidence {
	e := &evidence{hits: hits, df: map[string]int{}, names: map[string]bool{}, weights: map[*text][]float64{}}
	for _, h := range hits {
		p := h.Passage
		c := sp.analyse(p.Title+". "+p.Heading, nil)
		seen := map[string]bool{}
		for st := range c.stems {
			seen[st] = true
		}
		var sents []*text
		var prev []string
		for _, s := range p.Sentences {
			t := sp.analyse(s, prev)
			if n := namedIn(s); len(n) > 0 {
				prev = n
			}
			sents = append(sents, &t)
			for st := range t.stems {
				seen[st] = true
			}
			for _, w := range t.words {
				if w.proper {
					e.names[w.stem] = true
				}
			}
			for _, sp := range t.speakers {
				e.names[sp] = true
			}
		}
		for st := range seen {
			e.df[st]++
		}
		e.sents = append(e.sents, sents)
		e.ctx = append(e.ctx, &c)
	}
	return e
}

// weightsOf returns a claim's word weights over these passages, computed
// once per claim: a claim is judged against many passages and pairs.
func (e *evidence) weightsOf(sp *Supporter, claim *text) []float64 {
	if w, ok := e.weights[claim]; ok {
		return w
	}
	w := sp.claimWeights(claim, func(s string) int { return e.df[s] }, len(e.hits))
	e.weights[claim] = w
	return w
}

// judgeAgainst measures a claim against the given passages together.
func (e *evidence) judgeAgainst(sp *Supporter, claim *text, pis []int) (verdict, []int) {
	var ev []*text
	var owner []int
	ctx := &text{stems: map[string]bool{}, lemmas: map[string]bool{}}
	for _, pi := range pis {
		for _, t := range e.sents[pi] {
			ev = append(ev, t)
			owner = append(owner, pi)
		}
		c := e.ctx[pi]
		ctx.words = append(ctx.words, c.words...)
		ctx.figures = append(ctx.figures, c.figures...)
		for k := range c.stems {
			ctx.stems[k] = true
		}
		for k := range c.lemmas {
			ctx.lemmas[k] = true
		}
	}
	v, used := sp.judgeUsed(claim, e.weightsOf(sp, claim), ev, ctx)
	var contrib []int
	for _, i := range used {
		if !slices.Contains(contrib, owner[i]) {
			contrib = append(contrib, owner[i])
		}
	}
	return v, contrib
}

// namesAny reports whether the passages write any of stems as a name.
func (e *evidence) namesAny(stems []string) bool {
	for _, s := range stems {
		if e.names[s] {
			return true
		}
	}
	return false
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
