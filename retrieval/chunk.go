package retrieval

import (
	"fmt"
	"strings"
)

// Passage is a sentence-aligned piece of one document: the unit that is
// embedded, searched and cited.
type Passage struct {
	ID      string `json:"id"` // "<doc>#<index>"
	DocID   string `json:"doc"`
	Title   string `json:"title"`
	Index   int    `json:"index"`             // position within the document, from 0
	Heading string `json:"heading,omitempty"` // section heading in force, for context only
	// Sentences are exact substrings of the document text, in order; a
	// citation quotes one or more of them.
	Sentences []string `json:"sentences"`
}

// Text is the passage's sentences joined with spaces.
func (p Passage) Text() string { return strings.Join(p.Sentences, " ") }

// EmbedText is what gets embedded and keyword-indexed: the title and
// section heading give short passages the article's context.
func (p Passage) EmbedText() string {
	var b strings.Builder
	b.WriteString(p.Title)
	b.WriteString("\n")
	if p.Heading != "" {
		b.WriteString(p.Heading)
		b.WriteString("\n")
	}
	b.WriteString(p.Text())
	return b.String()
}

// ChunkOptions sizes passages in words.
type ChunkOptions struct {
	MinWords, TargetWords, MaxWords int
	Overlap                         int // sentences repeated at the start of the next passage
}

// DefaultChunkOptions follow the design: about 60–200 words, one sentence of overlap.
func DefaultChunkOptions() ChunkOptions {
	return ChunkOptions{MinWords: 60, TargetWords: 120, MaxWords: 200, Overlap: 1}
}

type unit struct {
	text    string
	words   int
	heading string
	paraEnd bool
}

// Chunk splits a document into passages. Paragraph and section boundaries are
// preferred break points; a bullet is one unit, so summary lists stay whole
// and quotable.
func Chunk(doc Document, o ChunkOptions) []Passage {
	var units []unit
	heading := ""
	for _, para := range strings.Split(doc.Text, "\n\n") {
		para = strings.TrimSpace(para)
		if para == "" {
			continue
		}
		if isSectionHeading(para) {
			heading = strings.TrimSpace(strings.TrimLeft(para, "#"))
			continue
		}
		var ss []string
		if isBullet(para) {
			ss = []string{strings.TrimSpace(para[strings.IndexByte(para, ' ')+1:])}
		} else {
			ss = SplitSentences(para)
		}
		for i, s := range ss {
			units = append(units, unit{text: s, words: len(strings.Fields(s)), heading: heading, paraEnd: i == len(ss)-1})
		}
	}

	var out []Passage
	var cur []unit
	words := 0
	emit := func() {
		if len(cur) == 0 {
			return
		}
		p := Passage{DocID: doc.ID, Title: doc.Title, Index: len(out), Heading: cur[len(cur)-1].heading}
		for _, u := range cur {
			p.Sentences = append(p.Sentences, u.text)
		}
		p.ID = fmt.Sprintf("%s#%d", doc.ID, p.Index)
		out = append(out, p)
	}
	for i, u := range units {
		if len(cur) > 0 && words+u.words > o.TargetWords && words >= o.MinWords || len(cur) > 0 && words+u.words > o.MaxWords {
			emit()
			keep := min(o.Overlap, len(cur))
			if cur[len(cur)-1].heading != u.heading { // no overlap across sections
				keep = 0
			}
			cur = append([]unit(nil), cur[len(cur)-keep:]...)
			words = 0
			for _, c := range cur {
				words += c.words
			}
		}
		cur = append(cur, u)
		words += u.words
		// A paragraph end after reaching the target is a natural break.
		if u.paraEnd && words >= o.TargetWords*3/4 && i < len(units)-1 {
			emit()
			cur, words = nil, 0
		}
	}
	if len(cur) > 0 {
		// A short tail joins the previous passage when it fits.
		if words < o.MinWords && len(out) > 0 {
			last := &out[len(out)-1]
			total := len(strings.Fields(last.Text()))
			if total+words <= o.MaxWords {
				for _, u := range cur {
					if !containsString(last.Sentences, u.text) {
						last.Sentences = append(last.Sentences, u.text)
					}
				}
				return out
			}
		}
		emit()
	}
	return out
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// isSectionHeading: a short paragraph that is not a sentence.
func isSectionHeading(p string) bool {
	if isBullet(p) || strings.Contains(p, "\n") {
		return false
	}
	if strings.HasPrefix(p, "#") {
		return true
	}
	n := len(strings.Fields(p))
	return n <= 12 && !strings.ContainsAny(p[len(p)-1:], ".!?\"”:")
}
