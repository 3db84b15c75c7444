package retrieval

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Reload makes a persistent index match its directory again, picking up
// documents that another process (talkbot ingest) added, changed or pruned.
// The new state — manifest, vectors, passages, keyword index — is built
// aside and swapped in under the lock in one step, so a search running
// meanwhile sees the old corpus or the new one, never a half-built one; a
// reload that fails leaves the old state serving. An in-memory index has
// nothing to reload.
func (ix *Index) Reload(ctx context.Context) error {
	if ix.dir == "" {
		return nil
	}
	seen := manifestStamp(filepath.Join(ix.dir, manifestName)) // before reading: a later write differs
	m, err := readManifest(filepath.Join(ix.dir, manifestName))
	if err != nil {
		return fmt.Errorf("reloading the index: %w", err)
	}
	if m.Embedder != "" && m.Embedder != ix.emb.Name() {
		// Vectors from another model are not comparable with our queries.
		return fmt.Errorf("reloading the index: the store was built with embedder %q, this process uses %q",
			m.Embedder, ix.emb.Name())
	}
	nx := &Index{emb: ix.emb, log: ix.log, dir: ix.dir, chunk: ix.chunk,
		docs: map[string]Document{}, passages: map[string]Passage{}, byDoc: map[string][]string{}, kw: newBM25()}
	// The vector file is replaced by rename, so it is read whole or not at all.
	if err := nx.openVectorStore(true); err != nil {
		return fmt.Errorf("reloading the vector store: %w", err)
	}
	// Passages whose vectors are on disk are reused; any missing (a writer
	// died between vectors and manifest) are embedded here.
	st, err := nx.add(ctx, m.Documents, true)
	if err != nil {
		return fmt.Errorf("reloading the index: %w", err)
	}

	ix.mu.Lock()
	before := len(ix.docs)
	ix.db, ix.col, ix.docs, ix.passages, ix.byDoc, ix.kw = nx.db, nx.col, nx.docs, nx.passages, nx.byDoc, nx.kw
	ix.vecs, ix.seen = nx.vecs, seen
	after, passages := len(ix.docs), len(ix.passages)
	ix.mu.Unlock()
	ix.log.Info("index reloaded", "dir", ix.dir, "documents_before", before, "documents", after,
		"passages", passages, "embedded", st.Embedded)
	return nil
}

// Watch reloads the index whenever its manifest changes on disk, checking
// every interval, until ctx ends. A failed reload is logged and retried at
// the next check; the index keeps serving what it had. `serve` runs it so
// articles ingested meanwhile are answered without a restart.
func (ix *Index) Watch(ctx context.Context, interval time.Duration) error {
	if ix.dir == "" {
		<-ctx.Done()
		return nil
	}
	if interval <= 0 {
		interval = 2 * time.Second
	}
	path := filepath.Join(ix.dir, manifestName)
	// Start from the version the index holds, not what is on disk now: an
	// ingest that finished between Open and this call must still be seen.
	ix.mu.RLock()
	last := ix.seen
	ix.mu.RUnlock()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		cur := manifestStamp(path)
		if cur == last {
			continue
		}
		// The stamp is taken before reading, so a write that lands during
		// the reload changes it again and is picked up next time.
		if err := ix.Reload(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			ix.log.Warn("index reload failed; still serving the previous corpus", "err", err)
			continue
		}
		last = cur
	}
}

// stamp identifies one version of the manifest file cheaply.
type stamp struct {
	mod  time.Time
	size int64
	ok   bool
}

func manifestStamp(path string) stamp {
	fi, err := os.Stat(path)
	if err != nil {
		return stamp{} // missing or unreadable: "no manifest" until it is back
	}
	return stamp{mod: fi.ModTime(), size: fi.Size(), ok: true}
}
