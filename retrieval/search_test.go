package retrieval

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/talkbot/talkbot/retrieval/store"
)

func TestFuseRRF(t *testing.T) {
	t.Parallel()
	vec := []scored{{id: "a"}, {id: "b"}, {id: "c"}}
	kw := []scored{{id: "c"}, {id: "a"}, {id: "d"}}
	got := Fuse(vec, kw)
	v := VectorWeight
	want := map[string]float64{
		"a": v/61 + 1.0/62,
		"c": v/63 + 1.0/61,
		"b": v / 62,
		"d": 1.0 / 63,
	}
	// Best first by the formula's score.
	order := []string{"a", "b", "c", "d"}
	sort.Slice(order, func(i, j int) bool { return want[order[i]] > want[order[j]] })
	if len(got) != 4 {
		t.Fatalf("got %d hits", len(got))
	}
	for i, h := range got {
		if h.Passage.ID != order[i] {
			t.Errorf("rank %d = %s, want %s", i, h.Passage.ID, order[i])
		}
		if math.Abs(h.Score-want[h.Passage.ID]) > 1e-12 {
			t.Errorf("%s score = %v, want %v", h.Passage.ID, h.Score, want[h.Passage.ID])
		}
	}
	if h := byID(got, "a"); h.VectorRank != 1 || h.KeywordRank != 2 || byID(got, "d").VectorRank != 0 {
		t.Errorf("ranks not kept: %+v", got)
	}
}

func byID(hs []Hit, id string) Hit {
	for _, h := range hs {
		if h.Passage.ID == id {
			return h
		}
	}
	return Hit{}
}

func TestDiversifyCapsOneArticle(t *testing.T) {
	t.Parallel()
	var hits []Hit
	for i, doc := range []string{"a", "a", "a", "a", "b", "c"} {
		hits = append(hits, Hit{Passage: Passage{ID: doc + string(rune('0'+i)), DocID: doc}, Score: float64(10 - i)})
	}
	got := diversify(hits, 4, 2)
	n := map[string]int{}
	for _, h := range got {
		n[h.Passage.DocID]++
	}
	if n["a"] != 2 || n["b"] != 1 || n["c"] != 1 {
		t.Errorf("per-document cap not applied: %v", n)
	}
	// With too few other articles, remaining slots still fill in rank order.
	got = diversify(hits[:4], 3, 2)
	if len(got) != 3 {
		t.Errorf("want 3 hits, got %d", len(got))
	}
}

func TestBM25Scoring(t *testing.T) {
	t.Parallel()
	x := newBM25()
	x.add("p1", []string{"putin", "witkoff", "meet"})
	x.add("p2", []string{"putin", "putin", "kremlin", "talk", "talk"})
	x.add("p3", []string{"nato", "member"})
	got := x.search([]string{"witkoff", "putin"}, 10)
	if len(got) != 2 || got[0].id != "p1" {
		t.Fatalf("want p1 first of two, got %+v", got)
	}
	// idf(putin) with N=3, df=2: ln(1 + 1.5/2.5)
	if want := math.Log(1 + 1.5/2.5); math.Abs(x.idf("putin")-want) > 1e-12 {
		t.Errorf("idf = %v want %v", x.idf("putin"), want)
	}
	x.remove("p1")
	if got := x.search([]string{"witkoff"}, 10); len(got) != 0 {
		t.Errorf("removed passage still found: %+v", got)
	}
	x.add("p2", []string{"nato"}) // re-adding replaces
	if got := x.search([]string{"kremlin"}, 10); len(got) != 0 {
		t.Errorf("replaced passage keeps old terms: %+v", got)
	}
}

func TestHashEmbedderNeverZeroAndNormalised(t *testing.T) {
	t.Parallel()
	e := NewHashEmbedder(256)
	for _, s := range []string{"", "the of and", "Witkoff met Putin", "🙂🙂", strings.Repeat("talks ", 1000)} {
		v := e.Vector(s)
		var n float64
		for _, x := range v {
			n += float64(x) * float64(x)
		}
		if math.Abs(n-1) > 1e-4 {
			t.Errorf("Vector(%.20q) norm² = %v, want 1", s, n)
		}
	}
	a, b, c := e.Vector("negotiators met in Miami"), e.Vector("negotiations in Miami"), e.Vector("gas imports phased out")
	if dot(a, b) <= dot(a, c) {
		t.Errorf("related texts should be closer: %v vs %v", dot(a, b), dot(a, c))
	}
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// openSeeds opens an index on dir (in memory when ""), for writing, with
// the seed articles added (stored, when there is a dir). It is closed, and
// the writer lock released, when the test ends.
func openSeeds(t testing.TB, dir string, emb Embedder) *Index {
	t.Helper()
	ix, err := Open(context.Background(), Options{Dir: dir, Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if _, err := ix.Add(context.Background(), seedDocs(t)...); err != nil {
		t.Fatal(err)
	}
	return ix
}

// storeSeeds stores the seed articles in dir and closes the writer.
func storeSeeds(t testing.TB, dir string, emb Embedder) {
	t.Helper()
	if err := openSeeds(t, dir, emb).Close(); err != nil {
		t.Fatal(err)
	}
}

// openReader opens dir read-only, as ask and serve do.
func openReader(t testing.TB, dir string, emb Embedder) *Index {
	t.Helper()
	ix, err := Open(context.Background(), Options{Dir: dir, Embedder: emb, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

func TestSearchFindsAndSignalsWeakEvidence(t *testing.T) {
	t.Parallel()
	ix := openSeeds(t, "", nil)
	ctx := context.Background()
	tests := []struct {
		q    string
		weak bool
		docs []string // one of these must be in the top 3
	}{
		{"How long did Witkoff meet Putin?", false, []string{"001_92fef488ebb60c41", "004_3f0c181de509a6cc"}},
		{"Who represented Putin at the Miami talks?", false, []string{"002_5f20617c4fac4dcb"}},
		{"How much of Ukraine does Russia control?", false, []string{"000_c42f37b296db4cc9", "001_92fef488ebb60c41", "004_3f0c181de509a6cc"}},
		{"Who won the Super Bowl?", true, nil},
		{"What is the capital of France?", true, nil},
		{"the and of", true, nil},
	}
	for _, tt := range tests {
		r, err := ix.Search(ctx, tt.q, SearchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Weak != tt.weak {
			t.Errorf("%q: weak = %v, want %v", tt.q, r.Weak, tt.weak)
		}
		if len(tt.docs) == 0 {
			continue
		}
		found := false
		for _, h := range r.Hits[:3] {
			for _, d := range tt.docs {
				found = found || h.Passage.DocID == d
			}
		}
		if !found {
			t.Errorf("%q: none of %v in top 3", tt.q, tt.docs)
		}
	}
	if _, err := ix.Search(ctx, "  ?! ", SearchOptions{}); err != ErrEmptyQuery {
		t.Errorf("blank query error = %v", err)
	}
}

// countingEmbedder wraps the real embedder to count passages embedded.
type countingEmbedder struct {
	HashEmbedder
	n *int
}

func (c countingEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	*c.n += len(texts)
	return c.HashEmbedder.Embed(ctx, texts)
}

func TestPersistentIndexRestartEmbedsNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var n int
	emb := countingEmbedder{NewHashEmbedder(128), &n}
	ix := openSeeds(t, dir, emb)
	first := n
	if first == 0 || first != ix.Len() {
		t.Fatalf("first start embedded %d passages, index has %d", first, ix.Len())
	}
	ix.Close()
	n = 0
	ix2 := openReader(t, dir, emb)
	if n != 0 {
		t.Errorf("restart on unchanged text embedded %d passages, want 0", n)
	}
	if ix2.Len() != first || ix2.vecs.len() != first {
		t.Errorf("restart loaded %d passages and %d vectors, want %d", ix2.Len(), ix2.vecs.len(), first)
	}
	r, err := ix2.Search(context.Background(), "Kirill Dmitriev Miami", SearchOptions{})
	if err != nil || len(r.Hits) == 0 || r.Hits[0].Passage.DocID != "002_5f20617c4fac4dcb" {
		t.Fatalf("restarted index does not search: %v %+v", err, r.Hits)
	}

	// Another embedder, reading or even writing: nothing is re-embedded
	// behind the user's back (it may be a paid API) and the stored vectors
	// survive; it answers by keywords.
	n = 0
	other := openSeeds(t, dir, countingEmbedder{NewHashEmbedder(64), &n})
	if n != 0 || other.vecs.len() != 0 {
		t.Errorf("another embedder embedded %d passages (holds %d vectors), want 0", n, other.vecs.len())
	}
	r, err = other.Search(context.Background(), "Kirill Dmitriev Miami", SearchOptions{})
	if err != nil || len(r.Hits) == 0 || r.Hits[0].Passage.DocID != "002_5f20617c4fac4dcb" {
		t.Fatalf("index with another embedder does not answer by keywords: %v %+v", err, r.Hits)
	}
	other.Close()
	n = 0
	if back := openReader(t, dir, emb); n != 0 || back.vecs.len() != first {
		t.Errorf("the original embedder's vectors did not survive: %d of %d, embedded %d", back.vecs.len(), first, n)
	}
}

func TestCorruptStoreIsRebuilt(t *testing.T) {
	t.Parallel()
	for _, target := range []string{store.FileName} {
		dir := t.TempDir()
		storeSeeds(t, dir, nil)
		p := filepath.Join(dir, target)
		if err := os.WriteFile(p, []byte("{not a database at all, but long enough to have a header"), 0o600); err != nil {
			t.Fatal(err)
		}
		ix := openSeeds(t, dir, nil)
		r, err := ix.Search(context.Background(), "How long did Witkoff meet Putin?", SearchOptions{})
		if err != nil || r.Weak || len(r.Hits) == 0 {
			t.Errorf("corrupt %s: index not usable after rebuild: %v weak=%v", target, err, r.Weak)
		}
		if len(ix.Sources()) != 5 {
			t.Errorf("corrupt %s: %d sources after rebuild", target, len(ix.Sources()))
		}
		if aside, _ := filepath.Glob(p + ".corrupt-*"); len(aside) != 1 {
			t.Errorf("corrupt %s not kept aside: %v", target, aside)
		}
	}
}

func TestRemoveDropsDocument(t *testing.T) {
	t.Parallel()
	ix := openSeeds(t, t.TempDir(), nil)
	ctx := context.Background()
	if err := ix.Remove(ctx, "002_5f20617c4fac4dcb"); err != nil {
		t.Fatal(err)
	}
	r, _ := ix.Search(ctx, "Kirill Dmitriev", SearchOptions{K: 20})
	for _, h := range r.Hits {
		if h.Passage.DocID == "002_5f20617c4fac4dcb" {
			t.Fatalf("removed document still returned")
		}
	}
	if len(ix.Sources()) != 4 {
		t.Errorf("sources = %d", len(ix.Sources()))
	}
}

// failingEmbedder embeds until told the server went down.
type failingEmbedder struct {
	HashEmbedder
	down *bool
}

func (f failingEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if *f.down {
		return nil, errors.New("connection refused")
	}
	return f.HashEmbedder.Embed(ctx, texts)
}

func TestSearchFallsBackToKeywordsWhenEmbedderIsDown(t *testing.T) {
	t.Parallel()
	down := false
	ix := openSeeds(t, "", failingEmbedder{NewHashEmbedder(128), &down})
	down = true
	r, err := ix.Search(context.Background(), "Who represented Putin at the Miami talks?", SearchOptions{})
	if err != nil || r.Weak || len(r.Hits) == 0 || r.Hits[0].Passage.DocID != "002_5f20617c4fac4dcb" {
		t.Fatalf("no keyword fallback: err=%v weak=%v hits=%d", err, r.Weak, len(r.Hits))
	}
	if r.Hits[0].VectorRank != 0 || r.Hits[0].KeywordRank == 0 {
		t.Errorf("hits should come from keywords only: %+v", r.Hits[0])
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ix.Search(ctx, "Miami talks", SearchOptions{}); err == nil {
		t.Error("a cancelled search should fail, not fall back")
	}
}

// The offline embedder gives the same text the same vector, bit for bit,
// every time: rankings must not change between runs or processes.
func TestHashEmbedderIsDeterministic(t *testing.T) {
	t.Parallel()
	texts := []string{"harbour berth grain exports", "How long did Witkoff meet Putin?",
		"Negotiators agreed a ceasefire on Tuesday, officials in Geneva said."}
	for _, dims := range []int{16, 64, 1024} {
		e := NewHashEmbedder(dims)
		first, err := e.Embed(context.Background(), texts)
		if err != nil {
			t.Fatal(err)
		}
		for range 50 {
			again, err := e.Embed(context.Background(), texts)
			if err != nil {
				t.Fatal(err)
			}
			for i := range texts {
				if !slices.Equal(first[i], again[i]) {
					t.Fatalf("%d dims: %q embedded twice differs", dims, texts[i])
				}
			}
		}
	}
}
