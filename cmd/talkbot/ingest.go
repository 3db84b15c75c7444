package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/talkbot/talkbot/retrieval"
	"github.com/talkbot/talkbot/seeds"
)

// cmdIngest adds article files to the persistent index: TALKBOT_DATA_DIR, or
// the per-user data directory (created if needed), which ask and serve then
// read together with the built-in articles.
func cmdIngest(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("ingest", "ingest [--prune] PATH…\n\nAdds .txt, .md and .html articles (directories recursively) to the persistent index.\nUnchanged files are skipped; changed ones re-indexed; --prune removes articles whose files are gone.")
	prune := fs.Bool("prune", false, "remove indexed articles whose source files no longer exist")
	paths, err := parseFlags(fs, args)
	if errors.Is(err, errHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(paths) == 0 && !*prune {
		return usagef("ingest needs at least one file or directory, e.g. talkbot ingest ./articles")
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	log := e.logger(cfg)
	dir, err := cfg.ResolvedDataDir()
	if err != nil {
		return usagef("configuration: %v", err)
	}
	emb, err := newEmbedder(cfg, log)
	if err != nil {
		return err
	}
	start := time.Now()
	ix, err := retrieval.Open(ctx, retrieval.Options{Dir: dir, Embedder: emb, Logger: log})
	if err != nil {
		return fmt.Errorf("opening the index: %w", err)
	}
	// The store holds the built-in articles too, so a server reloading it
	// keeps them; unchanged ones cost nothing.
	docs, err := seeds.Documents()
	if err != nil {
		return err
	}
	seedStats, err := ix.Add(ctx, docs...)
	if err != nil {
		return fmt.Errorf("indexing the built-in articles: %w", err)
	}

	prog := newProgress(e.stderr)
	rep, err := ix.Ingest(ctx, paths, retrieval.IngestOptions{Prune: *prune, Progress: prog.update})
	prog.finish()
	for _, s := range rep.Skipped {
		fmt.Fprintf(e.stdout, "skipped %s: %s\n", s.Path, skipReason(s.Err))
	}
	if err != nil {
		// What was indexed before the failure is kept; say how far it got.
		fmt.Fprintln(e.stdout, rep.Summary())
		return err
	}
	fmt.Fprintln(e.stdout, rep.Summary())
	fmt.Fprintf(e.stderr, "talkbot: %s: %d articles, %d passages; embedded %d passages in %s\n",
		dir, len(ix.Sources()), ix.Len(), rep.Embedded+seedStats.Embedded, time.Since(start).Round(time.Millisecond))
	return nil
}

// skipReason is one line of plain text for a skipped file.
func skipReason(err error) string {
	if err == nil {
		return "unknown reason"
	}
	return oneLine(err.Error())
}

// progress shows ingest progress: a redrawn bar on a terminal, one plain
// line per file otherwise (logs and pipes get no control characters).
type progress struct {
	w     io.Writer
	tty   bool
	drawn bool
	width int
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, width: 80}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 20 {
			p.width = cols
		}
	}
	return p
}

func (p *progress) update(fr retrieval.FileResult) {
	if !p.tty {
		line := fmt.Sprintf("[%d/%d] %s %s", fr.Done, fr.Total, fr.Status, fr.Path)
		if fr.Err != nil {
			line += ": " + skipReason(fr.Err)
		}
		fmt.Fprintln(p.w, line)
		return
	}
	const barWidth = 24
	filled := barWidth
	if fr.Total > 0 {
		filled = barWidth * fr.Done / fr.Total
	}
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", barWidth-filled)
	line := fmt.Sprintf("[%s] %d/%d %s", bar, fr.Done, fr.Total, filepath.Base(fr.Path))
	if r := []rune(line); len(r) > p.width-1 {
		line = string(r[:p.width-1])
	}
	// \r and erase-line redraw the bar in place.
	fmt.Fprintf(p.w, "\r\x1b[2K%s", line)
	p.drawn = true
}

func (p *progress) finish() {
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[2K")
	}
}
