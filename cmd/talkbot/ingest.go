package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/talkbot/talkbot/config"
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
	w, err := openWriter(ctx, e, true)
	if err != nil {
		return err
	}
	ix, dir, start := w.ix, w.dir, w.start
	defer ix.Close()
	// The built-in articles are not stored (readers keep them in memory);
	// new files just must not take their IDs.
	docs, err := seeds.Documents()
	if err != nil {
		return err
	}
	var reserved []string
	for _, d := range docs {
		reserved = append(reserved, d.ID)
	}

	prog := newProgress(e.stderr)
	rep, err := ix.Ingest(ctx, paths, retrieval.IngestOptions{Prune: *prune, Progress: prog.update, ReservedIDs: reserved})
	prog.finish()
	var missing []string
	for _, s := range rep.Skipped {
		fmt.Fprintf(e.stdout, "skipped %s: %s\n", s.Path, skipReason(s.Err))
		if errors.Is(s.Err, iofs.ErrNotExist) && slices.Contains(paths, s.Path) {
			missing = append(missing, s.Path)
		}
	}
	// The summary counts what was committed, also when the run failed or
	// was interrupted: that much is kept.
	fmt.Fprintln(e.stdout, rep.Summary())
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("ingest stopped; what is counted above was stored, run the same command again to finish: %w", ctx.Err())
		}
		return err
	}
	fmt.Fprintf(e.stderr, "talkbot: %s: %d articles stored; embedded %d passages in %s\n",
		dir, len(ix.Sources()), rep.Embedded, time.Since(start).Round(time.Millisecond))
	if len(missing) > 0 {
		return fmt.Errorf("%s: no such file or directory; check the path", strings.Join(missing, ", "))
	}
	return nil
}

// dataDirForWriting is where ingest and reindex write; a data directory
// that is a file is a configuration mistake (exit 2).
func dataDirForWriting(cfg config.Config) (string, error) {
	dir, err := cfg.ResolvedDataDir()
	if err != nil {
		return "", usagef("configuration: %v", err)
	}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return "", usagef("configuration: %s is a file, not a directory; set %s to a directory", dir, config.EnvDataDir)
	}
	return dir, nil
}

// storeLockWait bounds how long a second writer waits for the first.
const storeLockWait = 2 * time.Minute

// writer is the store opened for writing with the configured embedder.
type writer struct {
	ix    *retrieval.Index
	emb   retrieval.Embedder
	dir   string
	start time.Time // when opening began, for the summary's time
}

// openWriter opens the store in the configured data dir for writing
// (ingest, reindex), telling the user when another writer holds it.
// docsOnly skips loading passages and vectors (see retrieval.Options).
func openWriter(ctx context.Context, e *env, docsOnly bool) (writer, error) {
	cfg, err := e.config()
	if err != nil {
		return writer{}, err
	}
	log := e.logger(cfg)
	dir, err := dataDirForWriting(cfg)
	if err != nil {
		return writer{}, err
	}
	emb, err := newEmbedder(cfg, log)
	if err != nil {
		return writer{}, err
	}
	start := time.Now()
	ix, err := retrieval.Open(ctx, retrieval.Options{Dir: dir, Embedder: emb, Logger: log, LockWait: storeLockWait, DocumentsOnly: docsOnly,
		OnLockWait: func() {
			fmt.Fprintf(e.stderr, "talkbot: another ingest is writing to %s; waiting for it (up to %s)…\n", dir, storeLockWait)
		}})
	if err != nil {
		return writer{}, fmt.Errorf("opening the index: %w", err)
	}
	return writer{ix: ix, emb: emb, dir: dir, start: start}, nil
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
