package retrieval

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"
)

// Document is one cleaned article.
type Document struct {
	ID           string    `json:"id"`
	Title        string    `json:"title"`
	TitleDerived bool      `json:"title_derived,omitempty"` // no headline in the file; Title was made from the text
	Published    time.Time `json:"published,omitzero"`      // only from machine-readable metadata, never body text
	Site         string    `json:"site,omitempty"`
	URL          string    `json:"url,omitempty"`
	Path         string    `json:"path,omitempty"` // where it was ingested from; empty for seeds
	Text         string    `json:"text"`           // cleaned body, paragraphs separated by blank lines
	Hash         string    `json:"hash"`           // content hash of the raw file, for incremental work
}

// Errors for files that cannot become documents; callers skip such files
// with a warning and keep the rest of the corpus.
var (
	ErrEmpty   = errors.New("empty file")
	ErrBinary  = errors.New("binary file")
	ErrNotUTF8 = errors.New("not valid UTF-8")
	ErrTooBig  = errors.New("file too big")
)

// MaxFileBytes bounds one article; real news articles are far smaller.
const MaxFileBytes = 5 << 20

// IDFromPath is the document ID for a file: its name without extension.
func IDFromPath(path string) string {
	base := filepath.Base(path)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// HashBytes is the content hash used to detect unchanged files.
func HashBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ParseText builds a Document from a plain-text or Markdown article. The raw
// bytes are checked first so that binary, empty or mis-encoded files give a
// clear error instead of garbage passages.
func ParseText(id string, raw []byte) (Document, error) {
	if err := CheckText(raw); err != nil {
		return Document{}, fmt.Errorf("%s: %w", id, err)
	}
	c := Clean(string(raw))
	if strings.TrimSpace(c.Body) == "" {
		return Document{}, fmt.Errorf("%s: %w (nothing left after cleaning)", id, ErrEmpty)
	}
	return Document{
		ID:           id,
		Title:        c.Title,
		TitleDerived: c.TitleDerived,
		Text:         c.Body,
		Hash:         HashBytes(raw),
	}, nil
}

// CheckText rejects bytes that are not a readable text article.
func CheckText(raw []byte) error {
	switch {
	case len(raw) > MaxFileBytes:
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooBig, len(raw), MaxFileBytes)
	case len(bytes.TrimSpace(raw)) == 0:
		return ErrEmpty
	case bytes.IndexByte(raw, 0) >= 0:
		return ErrBinary
	case !utf8.Valid(raw):
		return ErrNotUTF8
	}
	// Many control characters mean a binary format that happens to lack NULs.
	ctrl := 0
	for _, r := range string(raw) {
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' {
			ctrl++
		}
	}
	if ctrl > len(raw)/100+2 {
		return ErrBinary
	}
	return nil
}
