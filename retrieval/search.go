package retrieval

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Mode selects the retrievers a search uses; eval compares them.
type Mode int

// Search modes.
const (
	Hybrid Mode = iota
	VectorOnly
	KeywordOnly
)

func (m Mode) String() string {
	switch m {
	case VectorOnly:
		return "vector"
	case KeywordOnly:
		return "bm25"
	}
	return "hybrid"
}

// SearchOptions tune one search; the zero value is a sensible hybrid search.
type SearchOptions struct {
	K         int  // hits to return (default 6)
	Mode      Mode // default Hybrid
	PerDocCap int  // at most this many hits per article before others get a turn (default 2)
	Exclude   map[string]bool
	// KeepDuplicates turns off near-duplicate removal (see Dedup), for
	// comparisons; by default a fact stated by two articles in
	// near-identical words reaches the answer once.
	KeepDuplicates bool
}

// Hit is one retrieved passage.
type Hit struct {
	Passage Passage
	Score   float64 // fused RRF score (or the single retriever's score)
	// Ranks in each retriever, from 1; 0 when the retriever did not return it.
	VectorRank, KeywordRank int
	// Coverage is the IDF-weighted share of the query's terms that occur in
	// the passage, 0..1: the basis of the weak-evidence signal.
	Coverage float64
	// Published is the article's publication date, zero when unknown.
	Published time.Time
}

// Result is what Search returns.
type Result struct {
	Query string
	Hits  []Hit
	// Weak means the best hits share too little with the question for an
	// answer to be grounded: the articles probably do not cover it.
	Weak bool
	// Terms are the analysed query terms with their IDF, for answerers that
	// score sentences the same way search scored passages.
	Terms []Term
}

// Term is an analysed query term and its inverse document frequency.
type Term struct {
	Stem string
	IDF  float64
}

// RRFK is the reciprocal-rank-fusion constant from Cormack et al. (2009).
const RRFK = 60

// VectorWeight scales the vector ranking in the fusion (BM25 counts 1): the
// offline embedder is lexical too, and at equal weight its noisier ranking
// pulled hybrid below BM25 on the eval set (MRR 0.920 vs 0.955).
const VectorWeight = 0.5

// paraphraseWeight is the weight of a lower-case unknown query word, as a
// share of the mean weight of the known ones (eval: 0.5 answers "weather in
// Kyiv tomorrow" from an unrelated sentence).
const paraphraseWeight = 1.0

// WeakCoverage is the coverage below which evidence is weak; tuned on the
// eval set's answerable and unanswerable questions.
const WeakCoverage = 0.55

// ErrEmptyQuery is returned for a query with no words.
var ErrEmptyQuery = errors.New("empty query")

// Search retrieves the passages that best match query: vector and BM25
// rankings fused by reciprocal rank fusion, then diversified so one article
// cannot take every slot.
func (ix *Index) Search(ctx context.Context, query string, o SearchOptions) (Result, error) {
	if o.K <= 0 {
		o.K = 6
	}
	if o.PerDocCap <= 0 {
		o.PerDocCap = 2
	}
	if len(Words(query)) == 0 {
		return Result{}, ErrEmptyQuery
	}
	recent := IsRecencyQuery(query)
	terms := Analyze(query)
	if recent {
		// "latest" asks for order, not for a topic the text must contain.
		terms = Analyze(StripRecency(query))
	}
	if o.Mode == Hybrid && ix.vectorsPartial() {
		o.Mode = KeywordOnly // see vectorsPartial
	}
	// Embed before taking the lock: a remote embedder may be slow.
	var qv []float32
	if o.Mode != KeywordOnly {
		vs, err := ix.emb.Embed(ctx, []string{query})
		switch {
		case err != nil && ctx.Err() != nil:
			return Result{}, fmt.Errorf("embedding query: %w", err)
		case err != nil:
			// A remote embedder that is down must not take answers with it:
			// keywords alone still find the passages.
			ix.log.Warn("query embedding failed; searching by keywords only", "err", err)
			o.Mode = KeywordOnly
		default:
			qv = vs[0]
		}
	}

	ix.mu.RLock()
	defer ix.mu.RUnlock()
	res := Result{Query: query, Terms: ix.terms(query, terms)}
	if len(ix.passages) == 0 {
		res.Weak = true
		return res, nil
	}
	depth := max(50, o.K*8)
	var vec, kw []scored
	if o.Mode != KeywordOnly {
		// The same cosine ranking as chromem-go's QueryEmbedding over the
		// same vectors, by a lock-free scan of contiguous memory (vectors.go).
		rs, err := ix.vecs.search(ctx, qv, depth+len(o.Exclude))
		if err != nil {
			return Result{}, fmt.Errorf("vector search: %w", err)
		}
		for _, r := range rs {
			if _, ok := ix.passages[r.id]; ok && !o.Exclude[r.id] {
				vec = append(vec, r)
			}
		}
	}
	if o.Mode != VectorOnly {
		for _, s := range ix.kw.search(terms, depth+len(o.Exclude)) {
			if !o.Exclude[s.id] {
				kw = append(kw, s)
			}
		}
	}

	var fused []Hit
	switch o.Mode {
	case VectorOnly:
		fused = single(vec, true)
	case KeywordOnly:
		fused = single(kw, false)
	default:
		fused = Fuse(vec, kw)
	}
	for i := range fused {
		fused[i].Passage = ix.passages[fused[i].Passage.ID]
		fused[i].Published = ix.docs[fused[i].Passage.DocID].Published
	}
	if recent {
		fused = preferRecent(fused, res.Terms, func(id string) time.Time { return ix.docs[id].Published })
	}
	if o.KeepDuplicates {
		res.Hits = diversify(fused, o.K, o.PerDocCap)
	} else {
		// Dedup a few more than k, so passages that were all repetition
		// leave room for others.
		res.Hits = dedup(diversify(fused, o.K+o.K/2+1, o.PerDocCap), func(id string) (Document, bool) {
			d, ok := ix.docs[id]
			return d, ok
		}, ix.cachedSignature)
		res.Hits = res.Hits[:min(len(res.Hits), o.K)]
	}
	best := 0.0
	for i := range res.Hits {
		// Terms analysed at indexing serve unless dedup trimmed the passage.
		p := res.Hits[i].Passage
		res.Hits[i].Coverage = ix.kw.coverage(p, res.Terms, slices.Equal(p.Sentences, ix.passages[p.ID].Sentences))
		best = max(best, res.Hits[i].Coverage)
	}
	res.Weak = len(res.Terms) == 0 || best < WeakCoverage
	return res, nil
}

// terms weights the query's distinct terms by IDF. A term found in no
// passage cannot be looked up, so its weight is a judgement: a capitalised
// unknown word ("Bitcoin", "Japan", "Pope") is usually the subject, and
// weighs more than any known term, so the question reads as not covered; a
// lower-case unknown word ("magazine", "threaten") may be a paraphrase of
// what the articles say in other words or the real subject ("weather"), and
// weighs as much as a typical known term. Tuned on the eval set.
func (ix *Index) terms(query string, stems []string) []Term {
	proper := properNouns(query)
	seen := map[string]bool{}
	var out []Term
	maxKnown, sumKnown, nKnown := 0.0, 0.0, 0
	for _, s := range stems {
		if seen[s] {
			continue
		}
		seen[s] = true
		idf := ix.kw.idf(s)
		if ix.kw.docFreq(s) > 0 {
			maxKnown = max(maxKnown, idf)
			sumKnown += idf
			nKnown++
		}
		out = append(out, Term{Stem: s, IDF: idf})
	}
	if nKnown > 0 {
		mean := sumKnown / float64(nKnown)
		for i := range out {
			if ix.kw.docFreq(out[i].Stem) > 0 {
				continue
			}
			if proper[out[i].Stem] {
				out[i].IDF = 1.5 * maxKnown
			} else {
				out[i].IDF = paraphraseWeight * mean
			}
		}
	}
	return out
}

// properNouns returns the stems of capitalised words that do not start a
// sentence: names, places, products.
func properNouns(text string) map[string]bool {
	out := map[string]bool{}
	start := true
	for _, tok := range strings.FieldsFunc(text, func(r rune) bool { return unicode.IsSpace(r) || r == '"' || r == '“' || r == '(' }) {
		word := strings.TrimFunc(tok, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		if word != "" && !start {
			if r, _ := utf8.DecodeRuneInString(word); unicode.IsUpper(r) {
				for _, w := range Words(word) {
					if !IsStopWord(w) {
						out[Stem(w)] = true
					}
				}
			}
		}
		if word != "" {
			start = strings.ContainsAny(tok[len(tok)-1:], ".!?:")
		}
	}
	return out
}

// Coverage is the IDF-weighted share of terms found in text's analysed terms.
func Coverage(terms []Term, text string) float64 { return coverage(terms, Analyze(text)) }

func coverage(terms []Term, have []string) float64 {
	set := make(map[string]bool, len(have))
	for _, h := range have {
		set[h] = true
	}
	var all, got float64
	for _, t := range terms {
		all += t.IDF
		if set[t.Stem] {
			got += t.IDF
		}
	}
	if all == 0 {
		return 0
	}
	return got / all
}

func single(list []scored, vector bool) []Hit {
	out := make([]Hit, len(list))
	for i, s := range list {
		out[i] = Hit{Passage: Passage{ID: s.id}, Score: s.score}
		if vector {
			out[i].VectorRank = i + 1
		} else {
			out[i].KeywordRank = i + 1
		}
	}
	return out
}

// Fuse combines two rankings (best first) by reciprocal rank fusion:
// score(d) = Σ 1/(RRFK + rank). Ties break by ID for stable output.
func Fuse(vector, keyword []scored) []Hit {
	byID := map[string]*Hit{}
	var order []string
	get := func(id string) *Hit {
		h, ok := byID[id]
		if !ok {
			h = &Hit{Passage: Passage{ID: id}}
			byID[id] = h
			order = append(order, id)
		}
		return h
	}
	for i, s := range vector {
		h := get(s.id)
		h.VectorRank = i + 1
		h.Score += VectorWeight / float64(RRFK+i+1)
	}
	for i, s := range keyword {
		h := get(s.id)
		h.KeywordRank = i + 1
		h.Score += 1 / float64(RRFK+i+1)
	}
	out := make([]Hit, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Passage.ID < out[j].Passage.ID
	})
	return out
}

// diversify keeps the ranking but lets at most perDoc hits of one article
// into the first k before filling any remaining slots in rank order.
func diversify(hits []Hit, k, perDoc int) []Hit {
	out := make([]Hit, 0, k)
	taken := make([]bool, len(hits))
	count := map[string]int{}
	for i, h := range hits {
		if len(out) == k {
			break
		}
		if count[h.Passage.DocID] < perDoc {
			count[h.Passage.DocID]++
			out = append(out, h)
			taken[i] = true
		}
	}
	for i, h := range hits {
		if len(out) == k {
			break
		}
		if !taken[i] {
			out = append(out, h)
		}
	}
	// Restore score order after the fill.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out
}
