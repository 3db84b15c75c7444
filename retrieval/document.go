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
	c := Clean(StripControls(string(raw)))
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
		// ESC starts colour and cursor sequences, which are a text
		// phenomenon (StripControls removes them), not a binary one.
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' && r != 0x1b {
			ctrl++
		}
	}
	if ctrl > len(raw)/100+2 {
		return ErrBinary
	}
	return nil
}

// StripControls removes terminal escape sequences (CSI such as "\x1b[31m",
// OSC such as window titles and hyperlinks, DCS/APC/PM/SOS strings, and
// their 8-bit C1 forms) and every other control character except newline,
// carriage return and tab, which the parsers need for line structure.
// Article text is printed to terminals by ask and sources: a sequence in
// a scraped page must never reach them as anything but visible text.
func StripControls(s string) string {
	clean := true
	for _, r := range s {
		if isControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if !isControl(r) {
			b.WriteRune(r)
			continue
		}
		switch {
		case r == 0x1b && i+1 < len(rs) && rs[i+1] == '[', r == 0x9b:
			// CSI: parameters and intermediates, then one final byte.
			if r == 0x1b {
				i++
			}
			for i+1 < len(rs) && rs[i+1] >= 0x20 && rs[i+1] <= 0x3f {
				i++
			}
			if i+1 < len(rs) && rs[i+1] >= 0x40 && rs[i+1] <= 0x7e {
				i++
			}
		case r == 0x1b && i+1 < len(rs) && strings.ContainsRune("]PX^_", rs[i+1]), r == 0x9d, r == 0x90, r == 0x98, r == 0x9e, r == 0x9f:
			// A string sequence runs to BEL or ST; an unterminated one
			// ends at the line so it cannot swallow the article.
			if r == 0x1b {
				i++
			}
			for i+1 < len(rs) {
				c := rs[i+1]
				if c == '\n' {
					break
				}
				i++
				if c == 0x07 || c == 0x9c {
					break
				}
				if c == 0x1b && i+1 < len(rs) && rs[i+1] == '\\' {
					i++
					break
				}
			}
		case r == 0x1b:
			// Other escapes: intermediates, then one final character.
			for i+1 < len(rs) && rs[i+1] >= 0x20 && rs[i+1] <= 0x2f {
				i++
			}
			if i+1 < len(rs) && rs[i+1] >= 0x30 && rs[i+1] <= 0x7e {
				i++
			}
		}
	}
	return b.String()
}

// isControl: C0 controls but newline, carriage return and tab; DEL; C1.
func isControl(r rune) bool {
	return r < 0x20 && r != '\n' && r != '\r' && r != '\t' || r >= 0x7f && r <= 0x9f
}

// stripFieldControls cleans the fields a parser filled from metadata.
func stripFieldControls(d *Document) {
	d.Title = strings.TrimSpace(StripControls(d.Title))
	d.Site = strings.TrimSpace(StripControls(d.Site))
	d.URL = strings.TrimSpace(StripControls(d.URL))
	d.Text = StripControls(d.Text)
}
