package retrieval

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/internal/syncbuf"
)

// snapCorpus is the seed articles (several passages, headings, dates) and
// enough synthetic ones to cross the snapshot threshold.
func snapCorpus(t testing.TB) []Document {
	t.Helper()
	seeds := seedDocs(t)
	docs := slices.Clone(seeds)
	for i, d := range SyntheticCorpus(seeds, snapMinPassages, 7) {
		d.ID = "synthetic-" + d.ID
		if i%3 == 0 {
			d.Published = time.Date(2025, 11, 1+i%28, 9, 30, 0, 0, time.UTC)
			d.Site, d.URL = "example.org", "https://example.org/"+d.ID
		}
		docs = append(docs, d)
	}
	return docs
}

// writeStore stores docs in dir with a writer and, with checkpoint,
// writes the snapshot.
func writeStore(t testing.TB, dir string, docs []Document, checkpoint bool) {
	t.Helper()
	ctx := context.Background()
	w, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Add(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	if checkpoint {
		wrote, err := w.Checkpoint(ctx, true)
		if err != nil || !wrote {
			t.Fatalf("checkpoint: wrote %v, %v", wrote, err)
		}
	}
}

// openWithoutSnapshot opens dir read-only as if it had no snapshot: the
// reference every snapshot-loaded index must equal.
func openWithoutSnapshot(t *testing.T, dir string) *Index {
	t.Helper()
	snap := filepath.Join(dir, snapFile)
	aside := snap + ".aside"
	if err := os.Rename(snap, aside); err != nil {
		t.Fatal(err)
	}
	defer os.Rename(aside, snap)
	ix := openReader(t, dir, nil)
	if ix.fromSnapshot {
		t.Fatal("loaded a snapshot that was not there")
	}
	return ix
}

// sameIndex fails unless two indexes list, hold and rank the same.
func sameIndex(t *testing.T, got, want *Index) {
	t.Helper()
	ctx := context.Background()
	if g, w := got.Len(), want.Len(); g != w {
		t.Fatalf("passages: %d, want %d", g, w)
	}
	if g, w := got.Sources(), want.Sources(); !reflect.DeepEqual(g, w) {
		t.Fatalf("sources differ: %d vs %d articles", len(g), len(w))
	}
	for _, s := range want.Sources() {
		if g, w := got.Passages(s.ID), want.Passages(s.ID); !reflect.DeepEqual(g, w) {
			t.Fatalf("passages of %s differ:\n%+v\nwant\n%+v", s.ID, g, w)
		}
		if g, _ := got.DocumentContext(ctx, s.ID); g.Text == "" {
			t.Fatalf("no text for %s", s.ID)
		}
	}
	for _, q := range []string{"How long did Witkoff meet Putin?", "ceasefire Geneva working groups",
		"what did Zelensky say about territory", "harbour berth grain exports", "sanctions relief"} {
		for _, mode := range []Mode{Hybrid, KeywordOnly, VectorOnly} {
			g, err1 := got.Search(ctx, q, SearchOptions{Mode: mode, K: 10})
			w, err2 := want.Search(ctx, q, SearchOptions{Mode: mode, K: 10})
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if !reflect.DeepEqual(g, w) {
				for i := range g.Hits {
					if i < len(w.Hits) && !reflect.DeepEqual(g.Hits[i], w.Hits[i]) {
						t.Logf("hit %d:\n%+v\n%+v", i, g.Hits[i], w.Hits[i])
					}
				}
				t.Logf("weak %v %v terms %v %v", g.Weak, w.Weak, g.Terms, w.Terms)
				t.Fatalf("%q (mode %v) ranks differently:\n%v\nwant\n%v", q, mode, hitIDs(g.Hits), hitIDs(w.Hits))
			}
		}
	}
}

func hitIDs(hs []Hit) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.Passage.ID)
	}
	return out
}

// A reader started from the snapshot holds and ranks exactly what a reader
// loading the store does, before and after the store changes behind the
// snapshot (added, updated and removed articles).
func TestSnapshotLoadsWhatTheStoreHolds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	docs := snapCorpus(t)
	writeStore(t, dir, docs, true)

	fromSnap := openReader(t, dir, nil)
	if !fromSnap.fromSnapshot {
		t.Fatal("the reader did not start from the snapshot")
	}
	sameIndex(t, fromSnap, openWithoutSnapshot(t, dir))

	// An ingest opens documents only, from the snapshot, and still knows
	// every stored article unchanged.
	ing, err := Open(ctx, Options{Dir: dir, DocumentsOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if !ing.fromSnapshot || len(ing.Sources()) != len(docs) {
		t.Fatalf("ingest's open: from snapshot %v, %d articles, want %d", ing.fromSnapshot, len(ing.Sources()), len(docs))
	}
	if st, err := ing.Add(ctx, docs...); err != nil || st.Unchanged != len(docs) {
		t.Fatalf("re-ingesting the same articles: %+v, %v", st, err)
	}
	ing.Close()

	// Changes after the snapshot: a reader applies them on top of it.
	w, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	changed := docs[0]
	changed.Text = "Harbour officials said the new berth would open in March. " + changed.Text
	changed.Hash = "changed"
	added := Document{ID: "new-harbour", Title: "A new berth", Text: "The harbour authority opened a grain berth on Tuesday, officials said.", Hash: "h"}
	if _, err := w.Add(ctx, changed, added); err != nil {
		t.Fatal(err)
	}
	if err := w.Remove(ctx, docs[len(docs)-1].ID); err != nil {
		t.Fatal(err)
	}
	if wrote, err := w.Checkpoint(ctx, false); err != nil || wrote {
		t.Fatalf("a small change rewrote the snapshot (%v, %v)", wrote, err)
	}
	w.Close()
	behind := openReader(t, dir, nil)
	if !behind.fromSnapshot {
		t.Fatal("a snapshot behind the store was not used")
	}
	if _, ok := behind.Document("new-harbour"); !ok {
		t.Fatal("the article added after the snapshot is missing")
	}
	if _, ok := behind.Document(docs[len(docs)-1].ID); ok {
		t.Fatal("the article removed after the snapshot is still there")
	}
	sameIndex(t, behind, openWithoutSnapshot(t, dir))

	// A serving index started from the snapshot picks up later changes.
	w, err = Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Remove(ctx, "new-harbour"); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if err := behind.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	sameIndex(t, behind, openWithoutSnapshot(t, dir))
}

// Readers never write the snapshot, and a damaged one is ignored with a
// warning, left as it was, and answers come from the store.
func TestDamagedSnapshotIsIgnoredNotTrusted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeStore(t, dir, snapCorpus(t), true)
	path := filepath.Join(dir, snapFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ref := openWithoutSnapshot(t, dir)
	for _, tc := range []struct {
		name   string
		damage func([]byte) []byte
	}{
		{"a flipped byte in the vectors", func(b []byte) []byte { b[len(b)/2] ^= 0x40; return b }},
		{"a flipped byte in the checksums", func(b []byte) []byte { b[len(b)-10] ^= 0x01; return b }},
		{"a flipped byte in the documents", func(b []byte) []byte { b[snapHeader+5] ^= 0x01; return b }},
		{"a flipped change counter", func(b []byte) []byte { b[16] ^= 0x01; return b }},
		{"truncated", func(b []byte) []byte { return b[:len(b)*2/3] }},
		{"empty", func([]byte) []byte { return nil }},
		{"another format", func(b []byte) []byte { b[8] = 9; return b }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := tc.damage(slices.Clone(good))
			if err := os.WriteFile(path, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			var logs syncbuf.Buffer
			ix, err := Open(context.Background(), Options{Dir: dir, ReadOnly: true,
				Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer ix.Close()
			if ix.fromSnapshot {
				t.Fatal("a damaged snapshot was used")
			}
			if !strings.Contains(logs.String(), "ignoring the search snapshot") {
				t.Fatalf("no warning: %s", logs.String())
			}
			sameIndex(t, ix, ref)
			if now, _ := os.ReadFile(path); !bytes.Equal(now, bad) {
				t.Fatal("a reader changed the snapshot file")
			}
		})
	}
	if err := os.WriteFile(path, good, 0o600); err != nil {
		t.Fatal(err)
	}
}

// A snapshot of another store (the old one was moved aside and re-made),
// or for another embedder, is never used; a writer replaces or removes it.
func TestSnapshotOfAnotherStoreOrEmbedderIsNotUsed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	writeStore(t, dir, snapCorpus(t), true)

	other := openReader(t, dir, NewHashEmbedder(64))
	if other.fromSnapshot {
		t.Fatal("a snapshot of another embedder's vectors was used")
	}

	// The store is replaced by a small new one: the old snapshot names the
	// old store.
	for _, suf := range []string{"", "-wal", "-shm"} {
		os.Remove(filepath.Join(dir, "talkbot.db"+suf))
	}
	writeStore(t, dir, seedDocs(t)[:2], false)
	ix := openReader(t, dir, nil)
	if ix.fromSnapshot || ix.Len() == 0 || len(ix.Sources()) != 2 {
		t.Fatalf("read the old store's snapshot: %d passages, %d articles, from snapshot %v", ix.Len(), len(ix.Sources()), ix.fromSnapshot)
	}
	w, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Checkpoint(ctx, false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, snapFile)); !os.IsNotExist(err) {
		t.Fatalf("the old store's snapshot was left behind: %v", err)
	}
}

// A writer rewrites the snapshot once the changes behind it would slow a
// reader's start-up, not for every small ingest.
func TestCheckpointRewritesOnlyWhenDue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	docs := snapCorpus(t)
	// What a checkpoint killed mid-write leaves: the next writer clears it.
	killed := filepath.Join(dir, snapFile+".tmp-12345")
	if err := os.WriteFile(killed, []byte("half a snapshot"), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := os.Stat(killed); !os.IsNotExist(err) {
		t.Fatalf("a killed checkpoint's temporary file was left: %v", err)
	}
	if _, err := w.Add(ctx, docs[:100]...); err != nil {
		t.Fatal(err)
	}
	if wrote, err := w.Checkpoint(ctx, false); err != nil || wrote {
		t.Fatalf("a small store got a snapshot (%v, %v)", wrote, err)
	}
	if _, err := w.Add(ctx, docs[100:]...); err != nil {
		t.Fatal(err)
	}
	if wrote, err := w.Checkpoint(ctx, false); err != nil || !wrote {
		t.Fatalf("a store past the threshold got no snapshot (%v, %v)", wrote, err)
	}
	if wrote, err := w.Checkpoint(ctx, false); err != nil || wrote {
		t.Fatalf("an unchanged store's snapshot was rewritten (%v, %v)", wrote, err)
	}
	more := SyntheticCorpus(seedDocs(t), snapMinPassages+10, 99)
	for i := range more {
		more[i].ID = "more-" + more[i].ID
	}
	if _, err := w.Add(ctx, more...); err != nil {
		t.Fatal(err)
	}
	if wrote, err := w.Checkpoint(ctx, false); err != nil || !wrote {
		t.Fatalf("a snapshot far behind the store was not rewritten (%v, %v)", wrote, err)
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, snapFile+".tmp-*")); len(tmps) > 0 {
		t.Fatalf("temporary files left: %v", tmps)
	}
}

// Readers opening while a writer rewrites the snapshot always get a whole
// one (old or new) plus the changes since: never a missing or partial
// article.
func TestReadersOpenWhileCheckpointing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	docs := snapCorpus(t)
	writeStore(t, dir, docs, true)
	w, err := Open(ctx, Options{Dir: dir, DocumentsOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	done := make(chan struct{})
	var werr error
	go func() {
		defer close(done)
		for i := range 4 {
			d := Document{ID: fmt.Sprintf("late-%d", i), Title: "Late news", Hash: fmt.Sprint(i),
				Text: fmt.Sprintf("Officials confirmed late development number %d in the talks on Friday.", i)}
			if _, werr = w.Add(ctx, d); werr != nil {
				return
			}
			if _, werr = w.Checkpoint(ctx, true); werr != nil {
				return
			}
		}
	}()
	deadline := time.Now().Add(time.Minute)
	opened := 0
	for running := true; running && time.Now().Before(deadline); opened++ {
		select {
		case <-done:
			running = false
		default:
		}
		r, err := Open(ctx, Options{Dir: dir, ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		n := len(r.Sources())
		for _, d := range docs[:3] {
			if len(r.Passages(d.ID)) == 0 {
				t.Fatalf("open %d: %s has no passages", opened, d.ID)
			}
		}
		r.Close()
		if n < len(docs) || n > len(docs)+4 {
			t.Fatalf("open %d: %d articles, want %d to %d", opened, n, len(docs), len(docs)+4)
		}
	}
	<-done
	if werr != nil {
		t.Fatal(werr)
	}
	t.Logf("%d reader opens during 4 checkpoints", opened)
}

// Parsing a snapshot never panics or points outside the file, whatever its
// bytes (the checksum is fixed up so the structural checks are reached).
func FuzzParseSnapshot(f *testing.F) {
	dir := f.TempDir()
	docs := seedDocs(f)[:3]
	w, err := Open(context.Background(), Options{Dir: dir})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := w.Add(context.Background(), docs...); err != nil {
		f.Fatal(err)
	}
	if _, err := w.Checkpoint(context.Background(), true); err != nil {
		f.Fatal(err)
	}
	w.Close()
	good, err := os.ReadFile(filepath.Join(dir, snapFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint32(30), []byte{0xff, 0xff, 0xff, 0x7f})
	f.Add(uint32(130), []byte{0x10})
	f.Add(uint32(len(good)-8), []byte{1, 2, 3})
	f.Add(uint32(1<<30), []byte{})
	f.Fuzz(func(t *testing.T, off uint32, patch []byte) {
		b := slices.Clone(good)
		if int(off) >= len(b) {
			b = b[:int(off)%(len(b)+1)]
		} else {
			copy(b[off:], patch)
		}
		reseal(b)
		for _, check := range []snapCheck{checkHeader, checkDocs, checkAll} {
			s, err := parseSnapshot(b, check)
			if err != nil || check == checkHeader {
				continue
			}
			ix := newIndex(NewHashEmbedder(0), slog.New(slog.DiscardHandler), DefaultChunkOptions())
			s.install(ix, check == checkDocs)
			for _, src := range ix.Sources() {
				_ = ix.Passages(src.ID)
			}
			_, _ = ix.Search(context.Background(), "ceasefire talks", SearchOptions{})
		}
	})
}

// reseal recomputes a snapshot's checksums after a test changed it, where
// its header still says where they are.
func reseal(b []byte) {
	le := binary.LittleEndian
	if len(b) < snapHeader {
		return
	}
	end := le.Uint64(b[96:])
	if end < snapHeader || end > uint64(len(b)) {
		return
	}
	chunks := (end - snapHeader + snapChunk - 1) / snapChunk
	if uint64(len(b)) < end+4*chunks {
		return
	}
	for c := range chunks {
		lo := snapHeader + c*snapChunk
		hi := min(lo+snapChunk, end)
		le.PutUint32(b[end+4*c:], crc32.Checksum(b[lo:hi], castagnoli))
	}
	le.PutUint32(b[52:], crc32.Checksum(b[end:end+4*chunks], castagnoli))
	le.PutUint32(b[snapHeader-8:], crc32.Checksum(b[:snapHeader-8], castagnoli))
}

// Reindexing with another embedder writes vectors without changing any
// article: the snapshot it leaves holds them, and a reader with that
// embedder searches them exactly as one loading the store.
func TestReindexLeavesASnapshotWithItsVectors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	writeStore(t, dir, snapCorpus(t), true)
	other := NewHashEmbedder(64)
	w, err := Open(ctx, Options{Dir: dir, Embedder: other})
	if err != nil {
		t.Fatal(err)
	}
	n, err := w.Reindex(ctx, 1000, nil)
	w.Close()
	if err != nil || n == 0 {
		t.Fatalf("reindex: %d, %v", n, err)
	}
	r := openReader(t, dir, other)
	if !r.fromSnapshot || r.vectorsPartial() {
		t.Fatalf("after reindex: from snapshot %v, vectors partial %v", r.fromSnapshot, r.vectorsPartial())
	}
	snap := filepath.Join(dir, snapFile)
	if err := os.Rename(snap, snap+".aside"); err != nil {
		t.Fatal(err)
	}
	ref := openReader(t, dir, other)
	if err := os.Rename(snap+".aside", snap); err != nil {
		t.Fatal(err)
	}
	sameIndex(t, r, ref)
}
