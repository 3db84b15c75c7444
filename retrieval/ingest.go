package retrieval

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// parserFor is the parser for a file name's extension, or nil.
func parserFor(name string) func(id string, raw []byte) (Document, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".txt", ".text":
		return ParseText
	case ".md", ".markdown":
		return ParseMarkdown
	case ".html", ".htm":
		return ParseHTML
	}
	return nil
}

// Ingestable reports whether a file name has an extension Ingest reads.
func Ingestable(name string) bool { return parserFor(name) != nil }

// ErrUnsupported is the skip reason for files of a type Ingest cannot read.
var ErrUnsupported = errors.New("unsupported file type (want .txt, .md or .html)")

// IngestOptions control an Ingest run.
type IngestOptions struct {
	// Prune removes indexed documents whose source files no longer exist.
	Prune bool
	// Progress, when set, is called after each file with what happened to it.
	Progress func(FileResult)
	// ReservedIDs are taken by articles that are not in the store (the
	// built-in ones): a new file never gets one of them as its ID.
	ReservedIDs []string
	// Batch is how many changed documents are indexed together (default 32):
	// each batch is one transaction, so a kill loses at most one batch.
	Batch int
}

// File outcomes reported by Ingest.
const (
	FileAdded     = "added"
	FileUpdated   = "updated"
	FileUnchanged = "unchanged"
	FileSkipped   = "skipped"
	FileRemoved   = "removed"
)

// FileResult is what happened to one file.
type FileResult struct {
	Path   string
	ID     string
	Status string // FileAdded, FileUpdated, ...
	Err    error  // the reason a file was skipped
	Done   int    // files handled so far
	Total  int    // files found
}

// IngestReport sums up an Ingest run.
type IngestReport struct {
	Added, Updated, Unchanged, Removed int
	Skipped                            []FileResult
	Embedded                           int // passages sent to the embedder
}

// Summary is the one-line account the CLI prints.
func (r IngestReport) Summary() string {
	return fmt.Sprintf("added %d, updated %d, unchanged %d, removed %d, skipped %d",
		r.Added, r.Updated, r.Unchanged, r.Removed, len(r.Skipped))
}

// Ingest reads .txt, .md and .html files (directories recursively, hidden
// entries ignored) and indexes them. Unchanged files cost nothing; changed
// ones are re-chunked and only their new passages embedded. A file that
// cannot be read (empty, binary, not UTF-8, too big) is skipped with its
// reason and the rest go on: a bad file never costs the index anything.
//
// Document IDs are stable: a file keeps the ID it was first given. A new
// file's ID is its name without extension, unless another file (or a
// built-in article) already has that ID, in which case a short hash of the
// file's absolute path is appended ("talks-3f2a9c01").
func (ix *Index) Ingest(ctx context.Context, paths []string, o IngestOptions) (IngestReport, error) {
	if o.Batch <= 0 {
		o.Batch = 32
	}
	var rep IngestReport
	files, bad, err := collectFiles(ctx, paths)
	if err != nil {
		return rep, fmt.Errorf("ingest interrupted: %w", err)
	}
	total := len(files) + len(bad)
	done := 0
	report := func(fr FileResult) {
		done++
		fr.Done, fr.Total = done, total
		if fr.Status == FileSkipped {
			rep.Skipped = append(rep.Skipped, fr)
		}
		if o.Progress != nil {
			o.Progress(fr)
		}
	}
	for _, b := range bad {
		report(b)
	}

	byPath := map[string]string{} // absolute path → ID, for stable IDs
	taken := map[string]string{}  // ID → path ("" for built-in articles)
	for _, id := range o.ReservedIDs {
		taken[id] = ""
	}
	for _, d := range ix.Documents() {
		taken[d.ID] = d.Path
		if d.Path != "" {
			byPath[d.Path] = d.ID
		}
	}

	var batch []Document
	var batchRes []FileResult
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		st, err := ix.Add(ctx, batch...)
		if err != nil {
			// The batch was not committed: it counts as nothing stored.
			return fmt.Errorf("indexing %d documents: %w", len(batch), err)
		}
		rep.Embedded += st.Embedded
		for _, fr := range batchRes {
			// Counted once committed, so a failed run's summary is what
			// the store holds.
			if fr.Status == FileUpdated {
				rep.Updated++
			} else {
				rep.Added++
			}
			report(fr)
		}
		batch, batchRes = batch[:0], batchRes[:0]
		return nil
	}
	for _, path := range files {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("ingest interrupted: %w", err)
		}
		id, ok := byPath[path]
		if !ok {
			id = uniqueID(path, taken)
		}
		d, err := readDocument(ctx, path, id)
		if err != nil {
			report(FileResult{Path: path, ID: id, Status: FileSkipped, Err: err})
			continue
		}
		taken[id], byPath[path] = path, id
		fr := FileResult{Path: path, ID: id, Status: FileAdded}
		if old, exists := ix.Document(id); exists {
			ix.mu.RLock()
			same := ix.sameDocument(old, d)
			ix.mu.RUnlock()
			if same {
				rep.Unchanged++
				fr.Status = FileUnchanged
				report(fr)
				continue
			}
			fr.Status = FileUpdated
		}
		batch = append(batch, d)
		batchRes = append(batchRes, fr)
		if len(batch) >= o.Batch {
			if err := flush(); err != nil {
				return rep, err
			}
		}
	}
	if err := flush(); err != nil {
		return rep, err
	}
	if o.Prune {
		var gone []string
		for _, d := range ix.Documents() {
			if d.Path == "" {
				continue // built-in articles have no file
			}
			if _, err := os.Stat(d.Path); errors.Is(err, fs.ErrNotExist) {
				gone = append(gone, d.ID)
			}
		}
		if len(gone) > 0 {
			if err := ix.Remove(ctx, gone...); err != nil {
				return rep, fmt.Errorf("pruning %d documents: %w", len(gone), err)
			}
			rep.Removed = len(gone)
		}
	}
	// Readers start from the search snapshot plus the changes behind it;
	// rewrite it when this ingest left it far behind. What was stored
	// stands either way.
	ix.mu.RLock()
	writing := ix.st != nil && !ix.readOnly
	ix.mu.RUnlock()
	if writing {
		if _, err := ix.Checkpoint(ctx, false); err != nil {
			ix.log.Warn("search snapshot not updated; answers are unaffected, start-up is slower until the next ingest", "err", err)
		}
	}
	return rep, nil
}

// Documents lists the indexed documents (with their source paths) by ID.
func (ix *Index) Documents() []Document {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := make([]Document, 0, len(ix.docs))
	for _, d := range ix.docs {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// uniqueID is the file's name without extension, or that plus a short hash
// of its path when the name is already another file's (or a seed's) ID.
func uniqueID(path string, taken map[string]string) string {
	id := IDFromPath(path)
	if p, used := taken[id]; !used || p == path {
		return id
	}
	return id + "-" + HashBytes([]byte(path))[:8]
}

// stripIDPrefix keeps the wrapped error but drops the "id: " the parsers
// put in front, so skip lines read "empty file", not "x: empty file".
func stripIDPrefix(err error, id string) error {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, id+": "); ok {
		return prefixless{msg: rest, err: err}
	}
	return err
}

type prefixless struct {
	msg string
	err error
}

func (p prefixless) Error() string { return p.msg }
func (p prefixless) Unwrap() error { return p.err }
