package retrieval

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
)

// Embedder turns texts into vectors. Name identifies the model and its
// dimensions; the store records it and re-embeds when it changes, because
// vectors from different models are not comparable.
type Embedder interface {
	Name() string
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// HashEmbedder is the offline default: a lexical embedding by signed feature
// hashing of stemmed unigrams, stemmed bigrams and character 3–5-grams, with
// log-scaled counts, L2-normalised. It needs no model files or network.
// It captures word overlap and morphology (“negotiators” ~ “negotiations”),
// not meaning; a semantic model can be configured instead.
type HashEmbedder struct {
	Dims int
}

// DefaultHashDims was chosen by eval and bench: recall stops improving
// above it while query time grows linearly with it.
const DefaultHashDims = 1024

// NewHashEmbedder returns the offline embedder with dims dimensions
// (DefaultHashDims when dims <= 0).
func NewHashEmbedder(dims int) HashEmbedder {
	if dims <= 0 {
		dims = DefaultHashDims
	}
	return HashEmbedder{Dims: dims}
}

// Name implements Embedder.
func (h HashEmbedder) Name() string { return fmt.Sprintf("hash-v1-%d", h.Dims) }

// Embed implements Embedder.
func (h HashEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("embedding: %w", err)
			}
		}
		out[i] = h.Vector(t)
	}
	return out, nil
}

// Feature weights: whole words dominate, phrases and sub-word pieces refine.
const (
	wUnigram = 1.0
	wBigram  = 0.6
	wChar    = 0.12
)

// Vector embeds one text. It never returns the zero vector: chromem-go's
// cosine similarity is NaN for it, so an empty or stop-word-only text gets a
// fixed "no content" direction.
func (h HashEmbedder) Vector(text string) []float32 {
	v := make([]float32, h.Dims)
	counts := map[string]float64{}
	words := Words(text)
	prev := ""
	for _, w := range words {
		if IsStopWord(w) {
			prev = ""
			continue
		}
		s := Stem(w)
		counts["u:"+s] += wUnigram
		if prev != "" {
			counts["b:"+prev+" "+s] += wBigram
		}
		prev = s
		addCharGrams(counts, w)
	}
	if len(counts) == 0 { // only stop words: fall back to their shapes
		for _, w := range words {
			addCharGrams(counts, w)
		}
	}
	for k, c := range counts {
		hs := fnv.New64a()
		hs.Write([]byte(k))
		x := hs.Sum64()
		idx := int(x % uint64(h.Dims))
		sign := float32(1)
		if x>>63 == 1 {
			sign = -1
		}
		v[idx] += sign * float32(math.Log1p(c))
	}
	var norm float64
	for _, x := range v {
		norm += float64(x) * float64(x)
	}
	if norm == 0 {
		v[0] = 1
		return v
	}
	inv := float32(1 / math.Sqrt(norm))
	for i := range v {
		v[i] *= inv
	}
	return v
}

func addCharGrams(counts map[string]float64, w string) {
	rs := []rune("<" + w + ">")
	for n := 3; n <= 5; n++ {
		for i := 0; i+n <= len(rs); i++ {
			counts["c:"+string(rs[i:i+n])] += wChar
		}
	}
}
