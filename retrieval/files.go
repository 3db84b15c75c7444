package retrieval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// ErrNoSuchPath marks a path given to Ingest that does not exist. It comes
// back as a skip result (Status FileSkipped, Err wrapping ErrNoSuchPath),
// and a command should exit non-zero for it: "ingest /typo/path" must not
// look like success. A file that disappears inside a directory being read
// is an ordinary skip. It also matches fs.ErrNotExist.
var ErrNoSuchPath error = noSuchPath{}

type noSuchPath struct{}

func (noSuchPath) Error() string        { return "no such file or directory" }
func (noSuchPath) Is(target error) bool { return target == fs.ErrNotExist }

// ErrNotRegular is the skip reason for named pipes, devices and sockets:
// reading one could block forever or never end.
var ErrNotRegular = errors.New("not a regular file")

// readChunk is how much of a file is read between checks of ctx.
const readChunk = 256 << 10

// collectFiles expands paths into the absolute paths of ingestable files,
// sorted, each once. Paths that do not exist (wrapping ErrNoSuchPath), are
// not regular files, or have an unsupported type come back as skip
// results; inside directories, other file types and hidden entries are
// ignored quietly (a folder of articles often holds images and
// stylesheets too), but a pipe or device with an article's name is
// reported. The walk stops when ctx ends.
func collectFiles(ctx context.Context, paths []string) ([]string, []FileResult, error) {
	seen := map[string]bool{}
	var files []string
	var bad []FileResult
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			files = append(files, p)
		}
	}
	skip := func(p string, err error) {
		bad = append(bad, FileResult{Path: p, Status: FileSkipped, Err: err})
	}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			skip(p, err)
			continue
		}
		// Stat follows symlinks: a link to an article is read, a link to a
		// pipe is not.
		fi, err := os.Stat(abs)
		if errors.Is(err, fs.ErrNotExist) {
			skip(p, fmt.Errorf("%w (check the path)", ErrNoSuchPath))
			continue
		}
		if err != nil {
			skip(p, fmt.Errorf("cannot read: %w", unwrapPathError(err)))
			continue
		}
		if !fi.IsDir() {
			switch {
			case !fi.Mode().IsRegular():
				skip(abs, notRegular(fi.Mode()))
			case !Ingestable(abs):
				skip(abs, ErrUnsupported)
			default:
				add(abs)
			}
			continue
		}
		err = filepath.WalkDir(abs, func(path string, de fs.DirEntry, err error) error {
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			if err != nil {
				skip(path, fmt.Errorf("cannot read: %w", unwrapPathError(err)))
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
			if de.IsDir() || !Ingestable(path) {
				return nil
			}
			// Symlinks are followed when read; readDocument checks what
			// they point to.
			if t := de.Type(); t&fs.ModeSymlink == 0 && !t.IsRegular() {
				skip(path, notRegular(t))
				return nil
			}
			add(path)
			return nil
		})
		if cerr := ctx.Err(); cerr != nil {
			return nil, nil, cerr
		}
		if err != nil {
			skip(abs, err)
		}
	}
	sort.Strings(files)
	return files, bad, nil
}

// notRegular names the kind of file refused, so the skip line says what
// the user pointed at.
func notRegular(m fs.FileMode) error {
	kind := "special file"
	switch {
	case m&fs.ModeNamedPipe != 0:
		kind = "named pipe"
	case m&fs.ModeSocket != 0:
		kind = "socket"
	case m&fs.ModeCharDevice != 0:
		kind = "character device"
	case m&fs.ModeDevice != 0:
		kind = "device"
	case m.IsDir():
		kind = "directory"
	}
	return fmt.Errorf("%w (a %s)", ErrNotRegular, kind)
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// readDocument reads and parses one file. Only a regular file is read: it
// is checked before opening, opened without blocking (opening a named pipe
// for reading otherwise waits for a writer forever) and checked again on
// the open file, in case the path was swapped in between. The size is
// checked before reading, so a huge file is refused without being loaded,
// and reading stops when ctx ends.
func readDocument(ctx context.Context, path, id string) (Document, error) {
	parse := parserFor(path)
	if parse == nil {
		return Document{}, ErrUnsupported
	}
	fi, err := os.Stat(path)
	if err != nil {
		return Document{}, fmt.Errorf("cannot read: %w", unwrapPathError(err))
	}
	if !fi.Mode().IsRegular() {
		return Document{}, notRegular(fi.Mode())
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return Document{}, fmt.Errorf("cannot read: %w", unwrapPathError(err))
	}
	defer f.Close()
	fi, err = f.Stat()
	if err != nil {
		return Document{}, fmt.Errorf("cannot read: %w", unwrapPathError(err))
	}
	if !fi.Mode().IsRegular() {
		return Document{}, notRegular(fi.Mode())
	}
	if fi.Size() > MaxFileBytes {
		return Document{}, fmt.Errorf("%w: %s, limit %s", ErrTooBig, humanBytes(fi.Size()), humanBytes(MaxFileBytes))
	}
	raw, err := readAll(ctx, io.LimitReader(f, MaxFileBytes+1), fi.Size())
	if err != nil {
		return Document{}, err
	}
	d, err := parse(id, raw)
	if err != nil {
		// The parsers prefix the ID; the caller already names the file.
		return Document{}, stripIDPrefix(err, id)
	}
	d.Path = path
	return d, nil
}

// readAll reads r in chunks, checking ctx between them, so an interrupt
// is not held up by a large file on a slow disk.
func readAll(ctx context.Context, r io.Reader, size int64) ([]byte, error) {
	buf := make([]byte, 0, size+1)
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("reading interrupted: %w", err)
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):min(cap(buf), len(buf)+readChunk)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read: %w", unwrapPathError(err))
		}
	}
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
