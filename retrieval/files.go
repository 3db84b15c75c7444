package retrieval

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// collectFiles expands paths into the absolute paths of ingestable files,
// sorted, each once. Paths that do not exist or have an unsupported type
// come back as skip results; inside directories, other file types and
// hidden entries are ignored quietly (a folder of articles often holds
// images and stylesheets too).
func collectFiles(paths []string) ([]string, []FileResult) {
	seen := map[string]bool{}
	var files []string
	var bad []FileResult
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			files = append(files, p)
		}
	}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			bad = append(bad, FileResult{Path: p, Status: FileSkipped, Err: err})
			continue
		}
		fi, err := os.Stat(abs)
		if err != nil {
			bad = append(bad, FileResult{Path: p, Status: FileSkipped, Err: fmt.Errorf("cannot read: %w", unwrapPathError(err))})
			continue
		}
		if !fi.IsDir() {
			if !Ingestable(abs) {
				bad = append(bad, FileResult{Path: abs, Status: FileSkipped, Err: ErrUnsupported})
				continue
			}
			add(abs)
			continue
		}
		err = filepath.WalkDir(abs, func(path string, de fs.DirEntry, err error) error {
			if err != nil {
				bad = append(bad, FileResult{Path: path, Status: FileSkipped, Err: fmt.Errorf("cannot read: %w", unwrapPathError(err))})
				if de != nil && de.IsDir() && path != abs {
					return fs.SkipDir
				}
				return nil
			}
			if path != abs && strings.HasPrefix(de.Name(), ".") {
				if de.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			// Symlinked files are followed when read; readDocument
			// refuses anything that is not a regular file then.
			if !de.IsDir() && Ingestable(path) {
				add(path)
			}
			return nil
		})
		if err != nil {
			bad = append(bad, FileResult{Path: abs, Status: FileSkipped, Err: err})
		}
	}
	sort.Strings(files)
	return files, bad
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// readDocument reads and parses one file. The size is checked before
// reading, so a huge file is refused without being loaded.
func readDocument(path, id string) (Document, error) {
	parse := parserFor(path)
	if parse == nil {
		return Document{}, ErrUnsupported
	}
	f, err := os.Open(path)
	if err != nil {
		return Document{}, fmt.Errorf("cannot read: %w", unwrapPathError(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Document{}, fmt.Errorf("cannot read: %w", unwrapPathError(err))
	}
	if !fi.Mode().IsRegular() {
		return Document{}, errors.New("not a regular file")
	}
	if fi.Size() > MaxFileBytes {
		return Document{}, fmt.Errorf("%w: %s, limit %s", ErrTooBig, humanBytes(fi.Size()), humanBytes(MaxFileBytes))
	}
	raw, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return Document{}, fmt.Errorf("cannot read: %w", unwrapPathError(err))
	}
	d, err := parse(id, raw)
	if err != nil {
		// The parsers prefix the ID; the caller already names the file.
		return Document{}, stripIDPrefix(err, id)
	}
	d.Path = path
	return d, nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
