package retrieval

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/talkbot/talkbot/retrieval/store"
)

// Search's own scan must rank exactly as chromem-go's query does over the
// same vectors: same scores, same passages (order may differ only on ties).
func TestVectorScanMatchesChromem(t *testing.T) {
	t.Parallel()
	ix := openSeeds(t, "", nil)
	ctx := context.Background()
	emb := NewHashEmbedder(0)
	col, err := ix.Collection(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"How long did Witkoff meet Putin?", "Kirill Dmitriev Miami", "prisoner exchange",
		"Who won the Super Bowl?", "security guarantees Donbas territory"} {
		qv := emb.Vector(q)
		const n = 20
		ours, err := ix.vecs.search(ctx, qv, n)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := col.QueryEmbedding(ctx, qv, n, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(ours) != len(theirs) {
			t.Fatalf("%q: %d hits, chromem-go %d", q, len(ours), len(theirs))
		}
		for i := range ours {
			if d := math.Abs(ours[i].score - float64(theirs[i].Similarity)); d > 1e-6 {
				t.Errorf("%q rank %d: score %.7f, chromem-go %.7f", q, i+1, ours[i].score, theirs[i].Similarity)
			}
		}
		// With distinct scores the top passage must be the same one.
		if len(ours) > 1 && ours[0].score != ours[1].score && ours[0].id != theirs[0].ID {
			t.Errorf("%q: top %s, chromem-go %s", q, ours[0].id, theirs[0].ID)
		}
	}
}

// A damaged database is moved aside (kept for inspection), the index starts
// afresh, and the next start after re-adding embeds nothing.
func TestDamagedStoreIsMovedAsideOnce(t *testing.T) {
	t.Parallel()
	damage := []struct {
		name string
		f    func([]byte) []byte
	}{
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }},
		{"header overwritten", func(b []byte) []byte { copy(b, "not sqlite at all"); return b }},
		{"page 2 garbled", func(b []byte) []byte {
			for i := 4096; i < min(len(b), 3*4096); i++ {
				b[i] = byte(i * 7)
			}
			return b
		}},
	}
	for _, tc := range damage {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			var n atomic.Int64
			emb := tallyEmbedder{NewHashEmbedder(0), &n}
			storeSeeds(t, dir, emb)
			first := n.Load()
			path := filepath.Join(dir, store.FileName)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, tc.f(b), 0o600); err != nil {
				t.Fatal(err)
			}
			n.Store(0)
			ix := openSeeds(t, dir, emb) // what ingest does: open, add
			if got := n.Load(); got != first {
				t.Errorf("rebuild embedded %d passages, want all %d", got, first)
			}
			r, err := ix.Search(context.Background(), "How long did Witkoff meet Putin?", SearchOptions{})
			if err != nil || r.Weak || len(r.Hits) == 0 {
				t.Fatalf("rebuilt index does not answer: %v %+v", err, r)
			}
			if aside, _ := filepath.Glob(path + ".corrupt-*"); len(aside) == 0 {
				t.Errorf("damaged file not kept aside for inspection")
			}
			ix.Close()
			n.Store(0)
			if re := openReader(t, dir, emb); re.Len() != ix.Len() || n.Load() != 0 {
				t.Errorf("start after the rebuild: %d passages (want %d), embedded %d (want 0)", re.Len(), ix.Len(), n.Load())
			}
		})
	}
}

// Removing documents drops their passages and vectors from the store and
// frees their slots for reuse, so a store that churns does not grow.
func TestRemovedVectorsAreDroppedAndReused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	ix := openSeeds(t, dir, nil)
	before := len(ix.vecs.ids)
	if err := ix.Remove(ctx, "002_5f20617c4fac4dcb"); err != nil {
		t.Fatal(err)
	}
	re := openReader(t, dir, nil)
	if re.vecs.len() != re.Len() || re.Len() != ix.Len() {
		t.Errorf("reopened store has %d vectors for %d passages, writer has %d", re.vecs.len(), re.Len(), ix.Len())
	}
	if _, ok := re.Document("002_5f20617c4fac4dcb"); ok {
		t.Errorf("removed article still stored")
	}
	if _, err := ix.Add(ctx, seedDocs(t)...); err != nil {
		t.Fatal(err)
	}
	if len(ix.vecs.ids) != before {
		t.Errorf("re-adding the article grew the slots from %d to %d", before, len(ix.vecs.ids))
	}
}

// The caches must not change results: BM25's analysis equals Analyze, and a
// batch embedding (stem cache) equals one-at-a-time Vector.
func TestCachesDoNotChangeResults(t *testing.T) {
	t.Parallel()
	var texts []string
	for _, d := range seedDocs(t) {
		for _, p := range Chunk(d, DefaultChunkOptions()) {
			texts = append(texts, p.EmbedText())
		}
	}
	texts = append(texts, "", "the of and", "Zelenskyy’s naïve café, 19.3 and 2024")
	kw := newBM25()
	emb := NewHashEmbedder(0)
	batch, err := emb.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range texts {
		if got, want := kw.analyze(s), Analyze(s); !slices.Equal(got, want) {
			t.Fatalf("text %d: cached analysis %v, Analyze %v", i, got, want)
		}
		one := emb.Vector(s)
		for j := range one {
			if math.Abs(float64(one[j]-batch[i][j])) > 1e-6 {
				t.Fatalf("text %d dim %d: batch %v, single %v", i, j, batch[i][j], one[j])
			}
		}
	}
}
