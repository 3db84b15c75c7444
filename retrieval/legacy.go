package retrieval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/talkbot/talkbot/retrieval/store"
)

// The store layout before SQLite: manifest.json (every document, rewritten
// whole on each save) and vectors.bin. A data directory in that layout is
// imported into talkbot.db once, on the first open; the old files are left
// where they are, untouched, so nothing is lost.
const (
	manifestName   = "manifest.json"
	collectionName = "passages"
)

type manifest struct {
	Version   int        `json:"version"`
	Embedder  string     `json:"embedder"`
	Dims      int        `json:"dims"`
	Documents []Document `json:"documents"`
}

func readManifest(path string) (manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return manifest{}, err
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return manifest{}, fmt.Errorf("parsing %s: %w", path, err)
	}
	return m, nil
}

// importLegacy imports an old-layout store when there is no talkbot.db yet.
// It is the one write a reader may cause, once: it takes the writer lock.
// Documents without a source path are the built-in articles, which the old
// layout stored and the new one keeps in memory only.
func (ix *Index) importLegacy(ctx context.Context, o Options) error {
	mpath := filepath.Join(o.Dir, manifestName)
	if _, err := os.Stat(filepath.Join(o.Dir, store.FileName)); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	m, err := readManifest(mpath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		ix.log.Warn("the old-layout store is unreadable and was not imported; re-ingest your articles with talkbot ingest PATH…",
			"path", mpath, "err", err)
		return nil
	}
	var docs []Document
	for _, d := range m.Documents {
		if d.ID != "" && d.Path != "" {
			docs = append(docs, d)
		}
	}
	if len(docs) == 0 {
		return nil
	}
	if o.ReadOnly {
		unlock, err := store.LockWriter(ctx, o.Dir, o.LockWait, o.OnLockWait)
		if err != nil {
			return fmt.Errorf("importing the old store in %s: %w", o.Dir, err)
		}
		defer unlock()
		if _, err := os.Stat(filepath.Join(o.Dir, store.FileName)); err == nil {
			return nil // another process imported it while we waited
		}
	}
	st, err := store.Open(ctx, o.Dir, store.Options{Logger: ix.log})
	if err != nil {
		return fmt.Errorf("importing the old store in %s: %w", o.Dir, err)
	}
	imp := newIndex(ix.emb, ix.log, ix.chunk)
	imp.dir, imp.st = o.Dir, st
	defer st.Close()
	// Vectors of the same embedder are reused, so the import embeds nothing.
	legacy := newVectorSet()
	if m.Embedder == ix.emb.Name() {
		if err := readVectors(filepath.Join(o.Dir, vectorsFile), ix.emb.Name(), legacy); err != nil {
			ix.log.Warn("old vector file unreadable; its passages will be embedded again", "err", err)
			legacy = newVectorSet()
		}
	}
	imp.legacy = legacy
	for i := 0; i < len(docs); i += 256 {
		if _, err := imp.Add(ctx, docs[i:min(i+256, len(docs))]...); err != nil {
			return fmt.Errorf("importing the old store in %s: %w", o.Dir, err)
		}
	}
	ix.log.Info("imported the old-layout store", "dir", o.Dir, "documents", len(docs), "kept", mpath)
	return nil
}
