package retrieval

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/talkbot/talkbot/retrieval/store"
)

// A data dir in the old layout (manifest.json + vectors.bin) is imported
// once on first open, by a reader too; the old files are left as they were,
// and the built-in articles the old layout stored are not imported.
func TestOldLayoutIsImportedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	docs := seedDocs(t)
	docs[0].Path, docs[1].Path = "/articles/a.txt", "/articles/b.txt" // ingested; the rest are built-in
	m, err := json.Marshal(manifest{Version: 1, Embedder: NewHashEmbedder(0).Name(), Documents: docs})
	if err != nil {
		t.Fatal(err)
	}
	mpath := filepath.Join(dir, manifestName)
	if err := os.WriteFile(mpath, m, 0o600); err != nil {
		t.Fatal(err)
	}
	ix := openReader(t, dir, nil)
	if got := len(ix.Sources()); got != 2 {
		t.Fatalf("imported %d articles, want the 2 ingested ones", got)
	}
	if r, err := ix.Search(ctx, docs[0].Title, SearchOptions{}); err != nil || len(r.Hits) == 0 {
		t.Errorf("imported articles not searchable: %v", err)
	}
	if b, err := os.ReadFile(mpath); err != nil || !bytes.Equal(b, m) {
		t.Errorf("the old manifest was changed or removed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); err != nil {
		t.Fatalf("no store after the import: %v", err)
	}
	// Once: a later change to the old files is not imported again.
	if err := os.WriteFile(mpath, []byte(`{"documents":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := len(openReader(t, dir, nil).Sources()); got != 2 {
		t.Errorf("after the import the store has %d articles, want 2", got)
	}
}
