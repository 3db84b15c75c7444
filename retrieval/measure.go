package retrieval

import (
	"context"

	"fmt"
	chromem "github.com/philippgille/chromem-go"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
)

// This file holds what `talkbot bench` and the Go benchmarks measure
// besides Search itself: the baselines it is compared with, on the same
// vectors, and the synthetic corpus they run on.

// ChromemQuery runs chromem-go's own QueryEmbedding for the n nearest
// passages to q over a collection of the index's vectors — the baseline
// Search's vector scan replaces — and returns their IDs, best first. It
// builds the collection each call; loops use Collection and ChromemQueryOn.
func (ix *Index) ChromemQuery(ctx context.Context, q []float32, n int) ([]string, error) {
	col, err := ix.Collection(ctx)
	if err != nil {
		return nil, err
	}
	return ChromemQueryOn(ctx, col, q, n)
}

// Collection is a chromem-go collection over the index's vectors, sharing
// their memory; build it once and query it with ChromemQueryOn.
func (ix *Index) Collection(ctx context.Context) (*chromem.Collection, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.collection(ctx)
}

// ChromemQueryOn is chromem-go's QueryEmbedding over col: the IDs of the n
// nearest passages to q, best first.
func ChromemQueryOn(ctx context.Context, col *chromem.Collection, q []float32, n int) ([]string, error) {
	n = min(n, col.Count())
	if n <= 0 {
		return nil, nil
	}
	rs, err := col.QueryEmbedding(ctx, q, n, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("chromem-go query: %w", err)
	}
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return ids, nil
}

// DotFloor is the cost floor of any exact vector search: one plain pass of
// dot products over every stored vector, split across workers goroutines
// (GOMAXPROCS when workers <= 0), keeping only the best score. No ranking,
// no IDs, no filtering. It returns the best similarity.
func (ix *Index) DotFloor(q []float32, workers int) float32 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	vs := ix.vecs
	total := len(vs.ids)
	if total == 0 || len(q) != vs.dims {
		return 0
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, total)
	best := make([]float32, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := total*w/workers, total*(w+1)/workers
		wg.Go(func() {
			b := float32(-2)
			for slot := lo; slot < hi; slot++ {
				b = max(b, dotProduct(q, vs.vec(slot)))
			}
			best[w] = b
		})
	}
	wg.Wait()
	out := best[0]
	for _, b := range best[1:] {
		out = max(out, b)
	}
	return out
}

// KeywordSearch is BM25 alone: the IDs of the n best passages for query.
func (ix *Index) KeywordSearch(query string, n int) []string {
	terms := Analyze(query)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	rs := ix.kw.search(terms, n)
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.id
	}
	return ids
}

// Dims is the width of the stored vectors (0 when empty).
func (ix *Index) Dims() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.vecs.dims
}

// SyntheticCorpus makes n one-passage documents from the sentences and
// titles of src, deterministically for a seed: each takes a source title
// and 60–120 words of source sentences in random order, so the chunker
// keeps it whole and the vocabulary and term statistics are the articles'.
// It is for measuring speed at sizes the real corpus does not reach.
func SyntheticCorpus(src []Document, n int, seed uint64) []Document {
	var sents []string
	var titles []string
	for _, d := range src {
		titles = append(titles, d.Title)
		for _, para := range strings.Split(d.Text, "\n\n") {
			for _, s := range SplitSentences(strings.TrimSpace(para)) {
				// Headings and bullets' fragments make poor filler.
				if w := len(strings.Fields(s)); w >= 6 && w <= 60 {
					sents = append(sents, s)
				}
			}
		}
	}
	if len(sents) == 0 || len(titles) == 0 {
		return nil
	}
	r := rand.New(rand.NewPCG(seed, 0x7a1b07))
	out := make([]Document, n)
	for i := range out {
		target := 60 + r.IntN(61)
		var b strings.Builder
		words := 0
		for tries := 0; words < target && tries < 50; tries++ {
			s := sents[r.IntN(len(sents))]
			w := len(strings.Fields(s))
			if words >= 60 && words+w > 120 {
				break
			}
			if words+w > 120 {
				continue
			}
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(s)
			words += w
		}
		id := fmt.Sprintf("synthetic-%07d", i)
		out[i] = Document{ID: id, Title: titles[r.IntN(len(titles))], Text: b.String(), Hash: id}
	}
	return out
}
