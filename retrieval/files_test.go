//go:build unix

package retrieval

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const article = "Ceasefire agreed\n\nNegotiators agreed a ceasefire on Tuesday.\n"

// fixtureTree is a folder holding one article, a named pipe and a symlink
// to that pipe, both named like articles, and an image.
func fixtureTree(t *testing.T) (dir, good, fifo, link string) {
	t.Helper()
	dir = t.TempDir()
	good = filepath.Join(dir, "good.txt")
	fifo = filepath.Join(dir, "pipe.txt")
	link = filepath.Join(dir, "link.md")
	if err := os.WriteFile(good, []byte(article), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "photo.png"), []byte("png"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("cannot make a named pipe here: %v", err)
	}
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	return dir, good, fifo, link
}

// within fails the test instead of hanging it when f blocks.
func within[T any](t *testing.T, d time.Duration, f func() T) T {
	t.Helper()
	ch := make(chan T, 1)
	go func() { ch <- f() }()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("still blocked after %v", d)
		panic("unreachable")
	}
}

func TestCollectFilesReportsMissingAndSpecialFiles(t *testing.T) {
	t.Parallel()
	dir, good, fifo, link := fixtureTree(t)
	missing := filepath.Join(dir, "typo", "path")
	tests := []struct {
		name      string
		paths     []string
		files     []string
		skipped   map[string]error // path → the reason it must wrap
		skipWords string           // what the reason says
	}{
		{"a folder: the pipe is reported, the image ignored, the link kept for a read-time check",
			[]string{dir}, []string{good, link}, map[string]error{fifo: ErrNotRegular}, "named pipe"},
		{"a pipe named directly", []string{fifo}, nil, map[string]error{fifo: ErrNotRegular}, "named pipe"},
		{"a link to a pipe named directly", []string{link}, nil, map[string]error{link: ErrNotRegular}, "named pipe"},
		{"a device", []string{"/dev/null"}, nil, map[string]error{"/dev/null": ErrNotRegular}, "character device"},
		{"a path that does not exist", []string{missing, good}, []string{good}, map[string]error{missing: ErrNoSuchPath}, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files, bad, err := collectFiles(context.Background(), tt.paths)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(files, ",") != strings.Join(tt.files, ",") {
				t.Errorf("files %q, want %q", files, tt.files)
			}
			if len(bad) != len(tt.skipped) {
				t.Fatalf("skipped %+v, want %v", bad, tt.skipped)
			}
			for _, b := range bad {
				want, ok := tt.skipped[b.Path]
				if !ok || !errors.Is(b.Err, want) || b.Status != FileSkipped || !strings.Contains(b.Err.Error(), tt.skipWords) {
					t.Errorf("skip %s: %v (%s), want %v mentioning %q", b.Path, b.Err, b.Status, want, tt.skipWords)
				}
			}
		})
	}
}

func TestCollectFilesStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	dir, _, _, _ := fixtureTree(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := collectFiles(ctx, []string{dir}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

// Reading never blocks on a pipe, whether named directly or through a
// link, and a cancelled read gives up.
func TestReadDocumentOnlyReadsRegularFiles(t *testing.T) {
	t.Parallel()
	_, good, fifo, link := fixtureTree(t)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		path string
		want error // nil: the article is read
	}{
		{"article", context.Background(), good, nil},
		{"pipe", context.Background(), fifo, ErrNotRegular},
		{"link to a pipe", context.Background(), link, ErrNotRegular},
		{"cancelled", cancelled, good, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			type res struct {
				d   Document
				err error
			}
			r := within(t, 5*time.Second, func() res {
				d, err := readDocument(tt.ctx, tt.path, "x")
				return res{d, err}
			})
			if tt.want == nil {
				if r.err != nil || !strings.Contains(r.d.Text, "Negotiators agreed a ceasefire on Tuesday.") || r.d.Path != tt.path {
					t.Fatalf("read %+v, %v", r.d, r.err)
				}
				return
			}
			if !errors.Is(r.err, tt.want) {
				t.Fatalf("err %v, want %v", r.err, tt.want)
			}
		})
	}
}

// Through the real Ingest: a folder with a pipe named like an article is
// ingested promptly (it used to hang forever), the article is added, the
// pipe skipped with its reason, and a typo'd path is reported as missing.
func TestIngestSkipsPipesAndReportsMissingPaths(t *testing.T) {
	t.Parallel()
	dir, _, fifo, _ := fixtureTree(t)
	ix, err := Open(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "nope")
	type res struct {
		rep IngestReport
		err error
	}
	r := within(t, 10*time.Second, func() res {
		rep, err := ix.Ingest(context.Background(), []string{dir, missing}, IngestOptions{})
		return res{rep, err}
	})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.rep.Added != 1 {
		t.Errorf("added %d, want the one article", r.rep.Added)
	}
	reasons := map[string]error{}
	for _, s := range r.rep.Skipped {
		reasons[s.Path] = s.Err
	}
	if !errors.Is(reasons[fifo], ErrNotRegular) || !errors.Is(reasons[missing], ErrNoSuchPath) {
		t.Errorf("skips %v: want the pipe as not regular and %s as missing", reasons, missing)
	}
}
