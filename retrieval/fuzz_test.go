package retrieval

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzClean: whatever the page, cleaning never panics, keeps lines of the
// input verbatim (quotes stay exact) and yields a title.
func FuzzClean(f *testing.F) {
	for _, s := range []string{
		"Connect with us\n\nWorld\n\nA Headline Here Today\n\nPublished\n\non\n\nBody text with enough words to be a paragraph of prose here.\n\nTrending\n",
		"", "\n\n\n", "©", "- bullet\n- bullet", "Title\r\nBody.", "\uFEFF", "a.b.c. d. E.",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if !utf8.ValidString(raw) {
			return
		}
		c := Clean(raw)
		norm := strings.ReplaceAll(strings.ReplaceAll(raw, "\r\n", "\n"), "\r", "\n")
		for _, para := range strings.Split(c.Body, "\n\n") {
			if para != "" && !strings.Contains(norm, para) {
				t.Fatalf("paragraph not in input: %q", para)
			}
		}
		if c.Body != "" && c.Title == "" {
			t.Fatalf("body without title")
		}
	})
}

// FuzzChunk: passages respect the size limit (a single over-long sentence
// aside), never lose a sentence, and quote exact text.
func FuzzChunk(f *testing.F) {
	for _, s := range []string{
		"One. Two. Three.", "Heading\n\nA sentence here. Another one here.\n\n- a bullet\n\n- another",
		strings.Repeat("Word word word word word. ", 100), "U.S. talks. 19.3% of it. “Quote.” Done",
	} {
		f.Add(s, 20, 40, 60, 1)
	}
	f.Fuzz(func(t *testing.T, text string, minW, target, maxW, overlap int) {
		if !utf8.ValidString(text) || minW < 0 || target < 1 || maxW < target || overlap < 0 || overlap > 3 || maxW > 1000 {
			return
		}
		doc := Document{ID: "d", Title: "T", Text: text}
		ps := Chunk(doc, ChunkOptions{MinWords: minW, TargetWords: target, MaxWords: maxW, Overlap: overlap})
		for i, p := range ps {
			if p.Index != i || len(p.Sentences) == 0 {
				t.Fatalf("bad passage %d: %+v", i, p)
			}
			if n := len(strings.Fields(p.Text())); n > maxW && len(p.Sentences) > 1+overlap {
				t.Fatalf("passage %d has %d words > %d", i, n, maxW)
			}
			for _, s := range p.Sentences {
				if !strings.Contains(text, s) {
					t.Fatalf("sentence not in text: %q", s)
				}
			}
		}
	})
}

// FuzzSplitSentences: sentences are trimmed, non-empty substrings in order.
func FuzzSplitSentences(f *testing.F) {
	for _, s := range []string{"A. B.", "Mr. X met U.S. officials. Then?", "“Hi.” Bye", "...", "19.3% of it."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		rest := p
		for _, s := range SplitSentences(p) {
			if s == "" || s != strings.TrimSpace(s) {
				t.Fatalf("untrimmed or empty sentence %q", s)
			}
			i := strings.Index(rest, s)
			if i < 0 {
				t.Fatalf("sentence %q not found in order in %q", s, p)
			}
			rest = rest[i+len(s):]
		}
	})
}
