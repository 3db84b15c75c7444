package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

func sampleBatch(docs int) Batch {
	b := Batch{Embedder: "hash-test", Vectors: map[string][]float32{}}
	for i := range docs {
		id := string(rune('a'+i%26)) + "-doc"
		b.Docs = append(b.Docs, Document{ID: id, Title: "Title " + id, Path: "/src/" + id + ".txt",
			Text: "First sentence of " + id + ". Second one.", Hash: "h" + id, Published: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)})
		for j := range 2 {
			key := id + "-k" + string(rune('0'+j))
			b.Passages = append(b.Passages, Passage{ID: id + "#" + string(rune('0'+j)), DocID: id, Index: j, Title: "Title " + id,
				Sentences: []string{"First sentence of " + id + ".", "Second one."}, Terms: []string{"first", "sentenc", id}, EmbedKey: key})
			b.Vectors[key] = []float32{1, float32(i), float32(j), 0.5}
		}
	}
	return b
}

func load(t testing.TB, s *Store, embedder string) (map[string]Document, []Passage, LoadInfo) {
	t.Helper()
	docs := map[string]Document{}
	var ps []Passage
	vecs := map[string][]float32{}
	info, err := s.Load(context.Background(), embedder, nil, func(d Document) { docs[d.ID] = d }, func(p Passage) {
		ps = append(ps, p)
	}, func(key string, raw []byte) { vecs[key] = DecodeVector(nil, raw) })
	if err != nil {
		t.Fatal(err)
	}
	for i := range ps {
		ps[i].Vector = vecs[ps[i].EmbedKey]
	}
	return docs, ps, info
}

// writerWith opens a writer on dir holding sampleBatch(docs); it is
// closed when the test ends.
func writerWith(t testing.TB, dir string, docs int) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Apply(context.Background(), sampleBatch(docs)); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRoundTripAndChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	w := writerWith(t, dir, 3)
	r, err := Open(ctx, dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	docs, ps, info := load(t, r, "hash-test")
	if len(docs) != 3 || len(ps) != 6 || info.Vectors != 6 || len(info.Skipped) != 0 {
		t.Fatalf("loaded %d docs, %d passages, %d vectors, skipped %v", len(docs), len(ps), info.Vectors, info.Skipped)
	}
	if d := docs["a-doc"]; !d.Published.Equal(time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)) || d.Path != "/src/a-doc.txt" ||
		d.Words != 6 || d.TextHash != TextHash("First sentence of a-doc. Second one.") {
		t.Errorf("document fields not kept: %+v", d)
	}
	if text, ok, err := r.Text(context.Background(), "a-doc"); err != nil || !ok || text != "First sentence of a-doc. Second one." {
		t.Errorf("Text = %q, %v, %v", text, ok, err)
	}
	if p := ps[1]; !slices.Equal(p.Sentences, []string{"First sentence of a-doc.", "Second one."}) || p.Vector[2] != 1 {
		t.Errorf("passage not kept: %+v", p)
	}
	// Another embedder sees no vectors but is told whose they are.
	if _, _, other := load(t, r, "other"); other.Vectors != 0 || other.OtherEmbedders["hash-test"] != 6 {
		t.Errorf("other embedder: %+v", other)
	}

	// A change and a removal reach a reader through Changes only.
	b := sampleBatch(1)
	b.Docs[0].Text = "Changed."
	if err := w.Apply(ctx, Batch{Docs: b.Docs, Passages: b.Passages[:1], Removed: []string{"c-doc"}}); err != nil {
		t.Fatal(err)
	}
	var changed, removed []string
	var passages int
	ch, err := r.Changes(ctx, info.Seq, "hash-test", func(d Document) { changed = append(changed, d.ID+":"+d.TextHash) },
		func(Passage) { passages++ }, func(id string) { removed = append(removed, id) })
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(changed, []string{"a-doc:" + TextHash("Changed.")}) || !slices.Equal(removed, []string{"c-doc"}) || passages != 1 || ch.Seq <= info.Seq {
		t.Errorf("changes: %v removed %v passages %d seq %d→%d", changed, removed, passages, info.Seq, ch.Seq)
	}
	// The passage dropped from a-doc and c-doc's passages took their now
	// unused vectors with them; a-doc's kept passage still has its own.
	_, ps, info = load(t, r, "hash-test")
	if len(ps) != 3 || info.Vectors != 3 {
		t.Errorf("after the change: %d passages, %d vectors", len(ps), info.Vectors)
	}
}

// A second writer waits, is told so, and gives up after the bound.
func TestWriterLockWaitsThenGivesUp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	unlock, err := LockWriter(context.Background(), dir, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	waited := false
	start := time.Now()
	_, err = LockWriter(context.Background(), dir, 300*time.Millisecond, func() { waited = true })
	if !errors.Is(err, ErrLocked) || !waited || time.Since(start) > 2*time.Second {
		t.Fatalf("second writer: err %v, told to wait %v, after %s", err, waited, time.Since(start))
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		time.Sleep(100 * time.Millisecond)
		unlock()
	})
	u2, err := LockWriter(context.Background(), dir, 5*time.Second, nil)
	if err != nil {
		t.Fatalf("lock not taken once released: %v", err)
	}
	u2()
	wg.Wait()
}

// Another package's tables in the same file are left alone, and a file
// that has only them is an empty store.
func TestForeignTablesAreKept(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS question_log (id INTEGER PRIMARY KEY, q TEXT); INSERT INTO question_log(q) VALUES ('hi')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM question_log`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("foreign table after reopen: %d rows, %v", n, err)
	}
}

// Bad rows are skipped with a reason, never fatal.
func TestBadRowsAreSkipped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := writerWith(t, t.TempDir(), 2)
	for _, q := range []string{
		`INSERT INTO documents(id, title, text, hash) VALUES ('', 'no id', 'x', 'h')`,
		`UPDATE passages SET sentences = x'ff' WHERE id = 'a-doc#0'`,
		`UPDATE embeddings SET vec = x'0102' WHERE key = 'b-doc-k1'`,
	} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	docs, ps, info := load(t, s, "hash-test")
	if len(docs) != 2 || len(ps) != 3 || len(info.Skipped) != 3 {
		t.Errorf("got %d docs, %d passages, skipped %q", len(docs), len(ps), info.Skipped)
	}
	// And a further write goes through.
	if err := s.Apply(ctx, sampleBatch(3)); err != nil {
		t.Errorf("a bad row blocked a write: %v", err)
	}
}

func TestStringsCodec(t *testing.T) {
	t.Parallel()
	for _, in := range [][]string{nil, {""}, {"a", "", "ünïcode \x1e\x00 text"}, {string(make([]byte, 300))}} {
		out, err := DecodeStrings(EncodeStrings(in))
		if err != nil || !slices.Equal(out, in) && len(in) > 0 {
			t.Errorf("%q → %q, %v", in, out, err)
		}
	}
	if _, err := DecodeStrings([]byte{0x05, 'a'}); err == nil {
		t.Error("a length past the end was accepted")
	}
}

var (
	baseOnce sync.Once
	baseDB   []byte
)

// FuzzOpenDamagedStore damages a valid store at a fuzzed offset and opens
// it: the open never panics; a store that reads as damaged is moved aside
// byte for byte (never deleted); and a writer can always open afterwards.
// fileMovedAside reports whether path was moved aside as damaged.
func fileMovedAside(path string) bool {
	aside, _ := filepath.Glob(path + ".corrupt-*")
	return len(aside) > 0
}

func FuzzOpenDamagedStore(f *testing.F) {
	baseOnce.Do(func() {
		dir := f.TempDir()
		writerWith(f, dir, 26).Close()
		var err error
		if baseDB, err = os.ReadFile(filepath.Join(dir, FileName)); err != nil {
			f.Fatal(err)
		}
	})
	f.Add(uint32(0), []byte("garbage"))
	f.Add(uint32(100), []byte{0xff, 0xff, 0xff, 0xff})
	f.Add(uint32(4096), bytes.Repeat([]byte{0}, 64))
	f.Add(uint32(8192+10), []byte{0x0d, 0x00})
	f.Add(uint32(1<<30), []byte{}) // truncation
	f.Fuzz(func(t *testing.T, off uint32, patch []byte) {
		b := slices.Clone(baseDB)
		if int(off) >= len(b) {
			b = b[:int(off)%(len(b)+1)]
		} else {
			copy(b[off:], patch)
		}
		dir := t.TempDir()
		path := filepath.Join(dir, FileName)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		s, err := Open(ctx, dir, Options{ReadOnly: true})
		if err == nil {
			_, lerr := s.Load(ctx, "hash-test", nil, func(Document) {}, func(Passage) {}, func(string, []byte) {})
			s.Close()
			if IsCorrupt(lerr) {
				err = MoveAside(dir, nil, lerr)
			}
		}
		if IsCorrupt(err) {
			aside, _ := filepath.Glob(path + ".corrupt-*")
			if len(aside) != 1 {
				t.Fatalf("damaged store not moved aside: %v", aside)
			}
			if got, _ := os.ReadFile(aside[0]); !bytes.Equal(got, b) {
				t.Fatalf("the file moved aside differs from the damaged store")
			}
		}
		w, err := Open(ctx, dir, Options{})
		if IsCorrupt(err) {
			w, err = Open(ctx, dir, Options{})
		}
		if errors.Is(err, ErrNewer) {
			// Damage that reads as a newer schema is refused by name, like
			// a real newer store, and left exactly as it was.
			if got, _ := os.ReadFile(path); !bytes.Equal(got, b) && !fileMovedAside(path) {
				t.Fatalf("a store refused as newer was changed")
			}
			return
		}
		if err != nil {
			t.Fatalf("a writer cannot open after damage: %v", err)
		}
		w.Close()
	})
}
