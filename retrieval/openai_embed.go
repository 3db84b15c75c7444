package retrieval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// OpenAIEmbedder embeds through an OpenAI-compatible /embeddings endpoint
// (OpenAI, Ollama, llama.cpp server, vLLM, LM Studio), in batches. The
// index stores its vectors by passage text, so unchanged text is never sent
// twice, even across restarts.
type OpenAIEmbedder struct {
	client  *openai.Client
	model   string
	dims    int
	batch   int
	timeout time.Duration
}

// OpenAIEmbedOptions tune an OpenAIEmbedder; zero values are defaults.
type OpenAIEmbedOptions struct {
	// Dims asks the model for vectors of this size (only some models,
	// e.g. text-embedding-3-*, support it); 0 keeps the model's own.
	Dims int
	// Batch is how many texts go in one request (default 64).
	Batch int
	// Timeout bounds one request, retries included (default 60s).
	Timeout time.Duration
}

// DefaultEmbedBatch keeps requests well under servers' input limits
// (OpenAI allows 2048 inputs; local servers are slower per request).
const DefaultEmbedBatch = 64

// NewOpenAIEmbedder returns an embedder for model through client.
func NewOpenAIEmbedder(client *openai.Client, model string, o OpenAIEmbedOptions) *OpenAIEmbedder {
	if o.Batch <= 0 {
		o.Batch = DefaultEmbedBatch
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	return &OpenAIEmbedder{client: client, model: model, dims: max(0, o.Dims), batch: o.Batch, timeout: o.Timeout}
}

// Name implements Embedder: the model and requested dimensions, so a change
// of either makes the index re-embed instead of comparing unlike vectors.
func (e *OpenAIEmbedder) Name() string {
	d := "native"
	if e.dims > 0 {
		d = strconv.Itoa(e.dims)
	}
	return "openai-" + e.model + "-" + d
}

// Embed implements Embedder, sending texts in batches and returning
// unit-length vectors in the order given.
func (e *OpenAIEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	width := 0
	for start := 0; start < len(texts); start += e.batch {
		end := min(start+e.batch, len(texts))
		vs, err := e.embedBatch(ctx, texts[start:end])
		if err != nil {
			return nil, fmt.Errorf("embedding texts %d–%d of %d with %q: %w", start+1, end, len(texts), e.model, err)
		}
		for i, v := range vs {
			if width == 0 {
				width = len(v)
			}
			if len(v) != width {
				return nil, fmt.Errorf("embedding model %q returned vectors of %d and %d dimensions", e.model, width, len(v))
			}
			out[start+i] = v
		}
	}
	return out, nil
}

func (e *OpenAIEmbedder) embedBatch(ctx context.Context, texts []string) ([][]float32, error) {
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	resp, err := e.client.CreateEmbeddings(ctx, openai.EmbeddingRequestStrings{
		Input: texts, Model: openai.EmbeddingModel(e.model), Dimensions: e.dims,
		EncodingFormat: openai.EmbeddingEncodingFormatFloat,
	})
	if err != nil {
		return nil, err
	}
	if len(resp.Data) != len(texts) {
		return nil, fmt.Errorf("server returned %d embeddings for %d texts", len(resp.Data), len(texts))
	}
	out := make([][]float32, len(texts))
	for _, d := range resp.Data {
		if d.Index < 0 || d.Index >= len(texts) || out[d.Index] != nil {
			return nil, fmt.Errorf("server returned embedding index %d for %d texts", d.Index, len(texts))
		}
		v, err := unitVector(d.Embedding)
		if err != nil {
			return nil, err
		}
		if e.dims > 0 && len(v) != e.dims {
			return nil, fmt.Errorf("asked for %d dimensions, server returned %d", e.dims, len(v))
		}
		out[d.Index] = v
	}
	return out, nil
}

// unitVector scales v to length 1 (cosine similarity is then a dot product); a
// zero, NaN or empty vector is an error, since it would poison every search.
func unitVector(v []float32) ([]float32, error) {
	if len(v) == 0 {
		return nil, errors.New("server returned an empty embedding")
	}
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	if n == 0 || math.IsNaN(n) || math.IsInf(n, 0) {
		return nil, errors.New("server returned a zero or invalid embedding")
	}
	inv := float32(1 / math.Sqrt(n))
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x * inv
	}
	return out, nil
}
