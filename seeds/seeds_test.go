package seeds

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// The embedded corpus is the shared seed articles, byte for byte.
func TestSeedsMatchShared(t *testing.T) {
	t.Parallel()
	shared := filepath.Join("..", "..", "shared", "seeds")
	want, err := filepath.Glob(filepath.Join(shared, "*.txt"))
	if err != nil || len(want) == 0 {
		t.Skip("no ../shared/seeds beside this checkout")
	}
	got, _ := fs.Glob(FS(), "*.txt")
	if len(got) != len(want) {
		t.Fatalf("%d embedded articles, %d shared", len(got), len(want))
	}
	for _, p := range want {
		a, _ := os.ReadFile(p)
		b, err := fs.ReadFile(FS(), filepath.Base(p))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs from the shared copy (%v)", filepath.Base(p), err)
		}
	}
}

func TestDocuments(t *testing.T) {
	t.Parallel()
	docs, err := Documents()
	if err != nil || len(docs) != 5 {
		t.Fatalf("Documents() = %d, %v", len(docs), err)
	}
	for _, d := range docs {
		if d.ID == "" || d.Title == "" || d.Text == "" || d.Hash == "" {
			t.Errorf("incomplete document %+v", d.ID)
		}
	}
}
