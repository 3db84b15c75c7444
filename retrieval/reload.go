package retrieval

import (
	"context"
	"fmt"
	"time"

	"github.com/talkbot/talkbot/retrieval/store"
)

// Reload brings a store-backed index up to date with what other processes
// (talkbot ingest) committed since it last looked: only the documents added,
// changed or removed since its change counter are read, each applied whole
// under the lock, so a search meanwhile sees a document's old version or
// its new one, never a mix, and memory does not double. A reader that found
// no store at Open picks it up here once an ingest has created it. An
// in-memory index has nothing to reload.
func (ix *Index) Reload(ctx context.Context) error {
	if ix.dir == "" {
		return nil
	}
	ix.mu.RLock()
	st, since := ix.st, ix.seq
	ix.mu.RUnlock()
	if st == nil {
		var err error
		if st, err = openStore(ctx, ix.dir, true, ix.log); err != nil || st == nil {
			return err
		}
		ix.mu.Lock()
		ix.st = st
		ix.mu.Unlock()
	}
	type change struct {
		doc      Document
		passages []Passage
		terms    [][]string
		keys     []string
		vecs     [][]float32
		textHash string
		words    int
	}
	changed := map[string]*change{}
	var order []string
	var removed []string
	info, err := st.Changes(ctx, since, ix.emb.Name(), func(d store.Document) {
		changed[d.ID] = &change{doc: fromStoreDoc(d), textHash: d.TextHash, words: d.Words}
		order = append(order, d.ID)
	}, func(p store.Passage) {
		if c := changed[p.DocID]; c != nil {
			c.passages = append(c.passages, fromStorePassage(p))
			c.terms = append(c.terms, p.Terms)
			c.keys = append(c.keys, p.EmbedKey)
			var v []float32
			if p.VectorRaw != nil {
				v = store.DecodeVector(nil, p.VectorRaw) // p.VectorRaw is reused by the next row
			}
			c.vecs = append(c.vecs, v)
		}
	}, func(id string) { removed = append(removed, id) })
	if err != nil {
		return fmt.Errorf("reloading the index: %w", err)
	}
	if info.Seq == since {
		return nil
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, id := range removed {
		if !ix.builtin[id] {
			ix.uninstallDoc(ctx, id)
		}
	}
	for _, id := range order {
		c := changed[id]
		ix.installDoc(ctx, c.doc, c.passages, c.terms, c.keys, c.vecs)
		ix.textHash[id], ix.words[id] = c.textHash, c.words
	}
	ix.seq = info.Seq
	if len(info.Skipped) > 0 {
		ix.reportLoad(info, 0)
	}
	ix.log.Info("index updated from the store", "dir", ix.dir, "changed", len(order), "removed", len(removed),
		"documents", len(ix.docs), "passages", len(ix.passages))
	return nil
}

// Watch applies the store's changes whenever its change counter moves,
// checking every interval (a cheap read), until ctx ends. A failed update
// is logged and retried at the next check; the index keeps serving what it
// had. `serve` runs it so articles ingested meanwhile are answered without
// a restart.
func (ix *Index) Watch(ctx context.Context, interval time.Duration) error {
	if ix.dir == "" {
		<-ctx.Done()
		return nil
	}
	if interval <= 0 {
		interval = 2 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		ix.mu.RLock()
		st, seen := ix.st, ix.seq
		ix.mu.RUnlock()
		if st != nil {
			cur, err := st.Seq(ctx)
			if err == nil && cur == seen {
				continue
			}
		}
		if err := ix.Reload(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			ix.log.Warn("index update failed; still serving the previous corpus", "err", err)
		}
	}
}
