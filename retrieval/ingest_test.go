package retrieval

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// tallyEmbedder wraps the real offline embedder and counts the texts it
// embeds; safe for concurrent searches.
type tallyEmbedder struct {
	HashEmbedder
	n *atomic.Int64
}

func (c tallyEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	c.n.Add(int64(len(texts)))
	return c.HashEmbedder.Embed(ctx, texts)
}

func newTally() tallyEmbedder { return tallyEmbedder{NewHashEmbedder(0), new(atomic.Int64)} }

// copyFixtures copies the ingest fixtures into a fresh directory.
func copyFixtures(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"geneva-working-groups.html", "istanbul-prisoner-exchange.md"} {
		b, err := os.ReadFile(filepath.Join("testdata", "ingest", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func topDoc(t *testing.T, ix *Index, q string) (Result, string) {
	t.Helper()
	r, err := ix.Search(context.Background(), q, SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Hits) == 0 {
		return r, ""
	}
	return r, r.Hits[0].Passage.DocID
}

func TestIngestIncrementalEditAndPrune(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	emb := newTally()
	ix := openSeeds(t, t.TempDir(), emb)
	src := copyFixtures(t)

	rep, err := ix.Ingest(ctx, []string{src}, IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Summary(); got != "added 2, updated 0, unchanged 0, removed 0, skipped 0" {
		t.Fatalf("first ingest: %s", got)
	}
	if rep.Embedded == 0 {
		t.Error("first ingest embedded nothing")
	}
	if _, doc := topDoc(t, ix, "How many working groups did the negotiators agree in Geneva?"); doc != "geneva-working-groups" {
		t.Errorf("Geneva question answered from %q", doc)
	}
	if _, doc := topDoc(t, ix, "How many prisoners of war will be exchanged?"); doc != "istanbul-prisoner-exchange" {
		t.Errorf("prisoner question answered from %q", doc)
	}

	// Again, unchanged: nothing is embedded.
	before := emb.n.Load()
	rep, err = ix.Ingest(ctx, []string{src}, IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Summary(); got != "added 0, updated 0, unchanged 2, removed 0, skipped 0" {
		t.Errorf("second ingest: %s", got)
	}
	if n := emb.n.Load() - before; n != 0 || rep.Embedded != 0 {
		t.Errorf("second ingest embedded %d passages (report %d), want 0", n, rep.Embedded)
	}

	// Edit the Markdown article: only its changed passages are embedded.
	md := filepath.Join(src, "istanbul-prisoner-exchange.md")
	b, _ := os.ReadFile(md)
	edited := strings.Replace(string(b), "1,200 prisoners of war", "1,500 prisoners of war", 1)
	if err := os.WriteFile(md, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	geneva := ix.Passages("geneva-working-groups")
	before = emb.n.Load()
	rep, err = ix.Ingest(ctx, []string{src}, IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Summary(); got != "added 0, updated 1, unchanged 1, removed 0, skipped 0" {
		t.Errorf("after edit: %s", got)
	}
	n := emb.n.Load() - before
	if n == 0 || int(n) > len(ix.Passages("istanbul-prisoner-exchange")) {
		t.Errorf("edit embedded %d passages; want 1..%d (the edited file's only)", n, len(ix.Passages("istanbul-prisoner-exchange")))
	}
	if d, _ := ix.Document("istanbul-prisoner-exchange"); !strings.Contains(d.Text, "1,500 prisoners") {
		t.Error("edited text not indexed")
	}
	if got := ix.Passages("geneva-working-groups"); len(got) != len(geneva) {
		t.Error("the unedited article was re-chunked")
	}

	// Delete the HTML article and prune: it no longer answers.
	if err := os.Remove(filepath.Join(src, "geneva-working-groups.html")); err != nil {
		t.Fatal(err)
	}
	rep, err = ix.Ingest(ctx, []string{src}, IngestOptions{Prune: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Summary(); got != "added 0, updated 0, unchanged 1, removed 1, skipped 0" {
		t.Errorf("prune: %s", got)
	}
	r, _ := ix.Search(ctx, "How many working groups did the negotiators agree in Geneva?", SearchOptions{})
	for _, h := range r.Hits {
		if h.Passage.DocID == "geneva-working-groups" {
			t.Errorf("pruned article still answers: %s", h.Passage.ID)
		}
	}
	if _, ok := ix.Document("000_c42f37b296db4cc9"); !ok {
		t.Error("prune removed a built-in article")
	}
}

func TestIngestSkipsBadFilesAndKeepsIndexWhole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dataDir := t.TempDir()
	ix := openSeeds(t, dataDir, nil)
	src := copyFixtures(t)
	if _, err := ix.Ingest(ctx, []string{src}, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	docsBefore, passagesBefore := len(ix.Sources()), ix.Len()

	bad := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(bad, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("binary.txt", []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00 some zip bytes \x00\x00"))
	write("empty.md", nil)
	write("blank.html", []byte("   \n\t\n"))
	write("latin1.txt", []byte("Kyiv negotiators said the caf\xe9 talks were productive and would continue next week."))
	write("nobody.html", []byte("<html><head><title>x</title></head><body><nav>Home</nav></body></html>"))
	write("image.png", []byte("\x89PNG")) // in a directory: ignored quietly
	// A 50 MB article, sparse so the test stays fast: refused before reading.
	big := filepath.Join(bad, "huge.txt")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(50 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	pdf := write("report.pdf", []byte("%PDF-1.7"))

	rep, err := ix.Ingest(ctx, []string{bad, pdf, filepath.Join(bad, "missing.md")}, IngestOptions{Prune: true})
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]error{}
	for _, s := range rep.Skipped {
		reasons[filepath.Base(s.Path)] = s.Err
	}
	tests := []struct {
		file string
		want error
	}{
		{"binary.txt", ErrBinary},
		{"empty.md", ErrEmpty},
		{"blank.html", ErrEmpty},
		{"latin1.txt", ErrNotUTF8},
		{"nobody.html", ErrEmpty},
		{"huge.txt", ErrTooBig},
		{"report.pdf", ErrUnsupported},
		{"missing.md", os.ErrNotExist},
	}
	for _, tt := range tests {
		err, ok := reasons[tt.file]
		if !ok {
			t.Errorf("%s not reported as skipped", tt.file)
			continue
		}
		if !errors.Is(err, tt.want) {
			t.Errorf("%s skipped for %v, want %v", tt.file, err, tt.want)
		}
	}
	if len(rep.Skipped) != len(tests) {
		t.Errorf("skipped %d files, want %d: %v", len(rep.Skipped), len(tests), reasons)
	}
	if !strings.Contains(reasons["huge.txt"].Error(), "50.0 MB") {
		t.Errorf("too-big reason does not give the size: %v", reasons["huge.txt"])
	}
	if rep.Added+rep.Updated+rep.Removed != 0 {
		t.Errorf("bad files changed the index: %s", rep.Summary())
	}
	if len(ix.Sources()) != docsBefore || ix.Len() != passagesBefore {
		t.Errorf("index changed: %d docs/%d passages, was %d/%d", len(ix.Sources()), ix.Len(), docsBefore, passagesBefore)
	}
	// The store on disk is whole too: a fresh process sees every article.
	re, err := Open(ctx, Options{Dir: dataDir, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(re.Sources()) != docsBefore || re.Len() != passagesBefore {
		t.Errorf("reopened store has %d docs/%d passages, want %d/%d", len(re.Sources()), re.Len(), docsBefore, passagesBefore)
	}
}

func TestIngestIDsAreStableAndUnique(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ix := openSeeds(t, "", nil)
	root := t.TempDir()
	article := "Negotiators met again in Geneva on Tuesday and agreed to continue the talks next week, officials said.\n"
	for _, p := range []string{"a/talks.txt", "b/talks.md", "c/000_c42f37b296db4cc9.txt"} {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(article+p), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	rep, err := ix.Ingest(ctx, []string{root}, IngestOptions{Progress: func(fr FileResult) { ids = append(ids, fr.ID) }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 3 {
		t.Fatalf("%s", rep.Summary())
	}
	byPath := map[string]string{}
	for _, d := range ix.Documents() {
		if d.Path != "" {
			byPath[strings.TrimPrefix(d.Path, root+string(filepath.Separator))] = d.ID
		}
	}
	if byPath["a/talks.txt"] != "talks" {
		t.Errorf("first talks file got ID %q, want its name", byPath["a/talks.txt"])
	}
	if id := byPath["b/talks.md"]; !strings.HasPrefix(id, "talks-") || len(id) != len("talks-")+8 {
		t.Errorf("colliding name got ID %q, want talks-<8 hex>", id)
	}
	if id := byPath["c/000_c42f37b296db4cc9.txt"]; id == "000_c42f37b296db4cc9" || !strings.HasPrefix(id, "000_c42f37b296db4cc9-") {
		t.Errorf("file named like a built-in article got ID %q", id)
	}
	if d, _ := ix.Document("000_c42f37b296db4cc9"); d.Path != "" {
		t.Error("built-in article was overwritten by an ingested file")
	}
	// Re-ingesting only the second directory keeps its ID.
	rep, err = ix.Ingest(ctx, []string{filepath.Join(root, "b")}, IngestOptions{})
	if err != nil || rep.Unchanged != 1 {
		t.Fatalf("re-ingest: %v %s", err, rep.Summary())
	}
	if _, ok := ix.Document(byPath["b/talks.md"]); !ok || len(ix.Documents()) != 5+3 {
		t.Errorf("IDs changed on re-ingest: %d documents", len(ix.Documents()))
	}
}

// downAfter embeds for the first n calls, then fails like a server gone away.
type downAfter struct {
	HashEmbedder
	n *atomic.Int64
}

func (d downAfter) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if d.n.Add(-1) < 0 {
		return nil, errors.New("connection refused")
	}
	return d.HashEmbedder.Embed(ctx, texts)
}

// An ingest that fails part-way counts what it stored, and that much is
// in the store for the next process.
func TestIngestSummaryCountsWhatWasStored(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dataDir := t.TempDir()
	calls := new(atomic.Int64)
	calls.Store(1) // the first batch embeds, the second fails
	ix, err := Open(ctx, Options{Dir: dataDir, Embedder: downAfter{NewHashEmbedder(0), calls}})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	rep, err := ix.Ingest(ctx, []string{copyFixtures(t)}, IngestOptions{Batch: 1})
	if err == nil {
		t.Fatal("ingest with the embedder down succeeded")
	}
	if rep.Added != 1 || rep.Updated != 0 {
		t.Errorf("summary after a failure: %s; want added 1", rep.Summary())
	}
	ix.Close()
	if got := len(openReader(t, dataDir, nil).Sources()); got != 1 {
		t.Errorf("store holds %d articles, summary said 1", got)
	}
}
