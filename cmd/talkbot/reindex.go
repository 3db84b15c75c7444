package main

import (
	"context"
	"fmt"
	"time"
)

// cmdReindex embeds the stored passages that have no vector from the
// configured embedder: after changing TALKBOT_EMBED_MODEL, or after an
// ingest while the embedding server was down. Nothing else re-embeds a
// whole store, because with a remote model it costs money.
func cmdReindex(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("reindex", "reindex\n\nEmbeds every stored passage that has no vector from the configured embedder (TALKBOT_EMBED_MODEL).")
	if helped, err := parseNoArgs(fs, args, "reindex takes no arguments"); helped || err != nil {
		return err
	}
	w, err := openWriter(ctx, e, false)
	if err != nil {
		return err
	}
	ix, emb, dir, start := w.ix, w.emb, w.dir, w.start
	defer ix.Close()
	n, err := ix.Reindex(ctx, 256, func(done, total int) {
		fmt.Fprintf(e.stderr, "talkbot: embedded %d of %d passages\n", done, total)
	})
	fmt.Fprintf(e.stdout, "embedded %d passages with %s\n", n, emb.Name())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "talkbot: %s: %d articles, %d passages in %s\n", dir, len(ix.Sources()), ix.Len(),
		time.Since(start).Round(time.Millisecond))
	return nil
}
