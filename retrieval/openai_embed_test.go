package retrieval

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	openai "github.com/sashabaranov/go-openai"
)

// fakeEmbeddings is an OpenAI-compatible /embeddings server on loopback. Its
// "model" is the offline hash embedder, so searches over its vectors mean
// something; it records the size of every request.
type fakeEmbeddings struct {
	srv     *httptest.Server
	mu      sync.Mutex
	batches []int
	models  []string
	fail    bool
}

func newFakeEmbeddings(t *testing.T) *fakeEmbeddings {
	t.Helper()
	f := &fakeEmbeddings{}
	h := NewHashEmbedder(96)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/embeddings" {
			http.NotFound(w, r)
			return
		}
		var req struct {
			Input []string `json:"input"`
			Model string   `json:"model"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.batches = append(f.batches, len(req.Input))
		f.models = append(f.models, req.Model)
		fail := f.fail
		f.mu.Unlock()
		if fail {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":{"message":"model not loaded","type":"invalid_request_error"}}`))
			return
		}
		resp := openai.EmbeddingResponse{Object: "list", Model: openai.EmbeddingModel(req.Model)}
		// Answer in reverse order: the client must place vectors by index.
		for i := len(req.Input) - 1; i >= 0; i-- {
			v := h.Vector(req.Input[i])
			for j := range v {
				v[j] *= 3 // not unit length: the client normalises
			}
			resp.Data = append(resp.Data, openai.Embedding{Object: "embedding", Index: i, Embedding: v})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeEmbeddings) embedder(model string, batch int) *OpenAIEmbedder {
	cfg := openai.DefaultConfig("")
	cfg.BaseURL = f.srv.URL + "/v1"
	return NewOpenAIEmbedder(openai.NewClientWithConfig(cfg), model, OpenAIEmbedOptions{Batch: batch})
}

func (f *fakeEmbeddings) requests() (n, texts, largest int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range f.batches {
		texts += b
		largest = max(largest, b)
	}
	return len(f.batches), texts, largest
}

func TestOpenAIEmbedderBatchesInOrder(t *testing.T) {
	t.Parallel()
	f := newFakeEmbeddings(t)
	e := f.embedder("nomic-embed-text", 4)
	texts := []string{"Witkoff met Putin", "Kirill Dmitriev in Miami", "Odesa missile attack", "Rubio on progress",
		"NATO membership", "Pokrovsk fighting", "a 20-point plan", "Istanbul in July", "prisoner swaps", "Caspian Sea"}
	vs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if n, _, largest := f.requests(); n != 3 || largest != 4 {
		t.Errorf("%d requests (largest %d), want 3 batches of at most 4", n, largest)
	}
	h := NewHashEmbedder(96)
	for i, text := range texts {
		want := h.Vector(text)
		var dot float64
		for j := range want {
			dot += float64(want[j]) * float64(vs[i][j])
		}
		if dot < 0.999 {
			t.Errorf("vector %d is not the unit embedding of %q (cos %.3f)", i, text, dot)
		}
	}
	if got := e.Name(); got != "openai-nomic-embed-text-native" {
		t.Errorf("Name() = %q", got)
	}
}

func TestOpenAIEmbedderErrorsAreClear(t *testing.T) {
	t.Parallel()
	f := newFakeEmbeddings(t)
	f.fail = true
	_, err := f.embedder("missing-model", 8).Embed(context.Background(), []string{"a", "b"})
	if err == nil || !strings.Contains(err.Error(), "missing-model") || !strings.Contains(err.Error(), "model not loaded") {
		t.Fatalf("err = %v", err)
	}
}

// The persistent index sends each passage once, in batches; a restart with
// unchanged text sends no embedding request at all, nor does another model.
func TestOpenAIEmbedderPersistentIndex(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := newFakeEmbeddings(t)
	ix := openSeeds(t, dir, f.embedder("nomic-embed-text", 16))
	ix.Close()
	n, texts, largest := f.requests()
	if texts != ix.Len() || largest != 16 || n != (ix.Len()+15)/16 {
		t.Fatalf("first start: %d requests, %d texts (largest batch %d) for %d passages; want batches of 16", n, texts, largest, ix.Len())
	}

	ix2 := openReader(t, dir, f.embedder("nomic-embed-text", 16))
	if n2, _, _ := f.requests(); n2 != n {
		t.Errorf("restart with unchanged text sent %d embedding requests, want 0", n2-n)
	}
	r, err := ix2.Search(context.Background(), "Kirill Dmitriev Miami", SearchOptions{Mode: VectorOnly})
	if err != nil || len(r.Hits) == 0 || r.Hits[0].Passage.DocID != "002_5f20617c4fac4dcb" {
		t.Fatalf("restarted index does not search by its stored vectors: %v %+v", err, r.Hits)
	}
	n3, _, _ := f.requests()
	if n3 != n+1 {
		t.Errorf("a search sent %d requests, want 1 (the query)", n3-n)
	}

	// Another model never re-embeds the corpus behind the user's back
	// (paid calls): only talkbot ingest of changed text or reindex does.
	_, texts3, _ := f.requests()
	openReader(t, dir, f.embedder("mxbai-embed-large", 16))
	if _, texts4, _ := f.requests(); texts4 != texts3 {
		t.Errorf("opening with another model embedded %d texts, want 0", texts4-texts3)
	}
}
