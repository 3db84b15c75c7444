package retrieval

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseMarkdownFixture(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("testdata", "ingest", "istanbul-prisoner-exchange.md"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseMarkdown("istanbul", raw)
	if err != nil {
		t.Fatal(err)
	}
	if d.Title != "Russia and Ukraine Agree Prisoner Exchange Ahead of Istanbul Round" || d.TitleDerived {
		t.Errorf("title %q (derived %v)", d.Title, d.TitleDerived)
	}
	if !d.Published.Equal(time.Date(2025, 12, 19, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("published %v", d.Published)
	}
	if d.Site != "The North Sea Observer" || d.URL != "https://northsea-observer.example/2025/12/19/istanbul-prisoner-exchange" {
		t.Errorf("site %q url %q", d.Site, d.URL)
	}
	for _, s := range []string{
		// Soft-wrapped lines joined, emphasis and link targets gone.
		"Russia and Ukraine have agreed to exchange 1,200 prisoners of war on each side before a new round of direct talks in Istanbul, Turkish Foreign Minister Hakan Fidan said on Friday.",
		"Fidan said Turkey would host the next round on December 29, the first meeting",
		"According to the Turkish foreign ministry, the Istanbul round will discuss the revised US framework that was sent to Moscow after the Geneva talks.",
		"- a halt to strikes on energy infrastructure during the talks,",
		`"We are ready to talk, but not to be talked into defeat," Umerov told reporters in Kyiv.`,
	} {
		if !strings.Contains(d.Text, s) {
			t.Errorf("body lacks %q:\n%s", s, d.Text)
		}
	}
	for _, bad := range []string{"**", "](", "---", "title:", "# ", "> ", "Follow us", "Russia and Ukraine Agree Prisoner Exchange Ahead"} {
		if strings.Contains(d.Text, bad) {
			t.Errorf("body keeps %q:\n%s", bad, d.Text)
		}
	}
	var headings []string
	for _, p := range Chunk(d, DefaultChunkOptions()) {
		if len(headings) == 0 || headings[len(headings)-1] != p.Heading {
			headings = append(headings, p.Heading)
		}
	}
	if !strings.Contains(strings.Join(headings, "|"), "Reaction in Moscow") {
		t.Errorf("section headings lost: %q", headings)
	}
}

func TestParseMarkdownVariants(t *testing.T) {
	t.Parallel()
	para := "Negotiators from both delegations met again on Tuesday to discuss the revised framework, officials said."
	tests := []struct {
		name, src          string
		title, date, site  string
		derived            bool
		bodyHas, bodyLacks string
	}{
		{name: "H1 is the title", src: "# Talks Resume\n\n" + para + "\n", title: "Talks Resume", bodyLacks: "Talks Resume"},
		{name: "setext H1", src: "Talks Resume\n============\n\n" + para + "\n", title: "Talks Resume", bodyLacks: "==="},
		{name: "no title anywhere", src: para + "\n", title: "Negotiators from both delegations met again on Tuesday to discuss the revised…", derived: true},
		{name: "quoted values, published key, site URL", src: "---\ntitle: 'A: colon title'\npublished: \"2025-12-20T08:30:00Z\"\nsource: https://ex.example/x\n---\n" + para,
			title: "A: colon title", date: "2025-12-20"},
		{name: "publisher and long date", src: "---\ntitle: T\ndate: December 21, 2025\npublisher: Ledger\n---\n" + para, title: "T", date: "2025-12-21", site: "Ledger"},
		{name: "unclosed front matter is text", src: "---\ntitle: Not metadata\n\n" + para, title: "Negotiators from both delegations met again on Tuesday to discuss the revised…", derived: true, bodyHas: para},
		{name: "unparsable date is no date", src: "---\ntitle: T\ndate: last week\n---\n" + para, title: "T"},
		{name: "inline marks", src: "# T\n\nThe *revised* plan, `v2`, was sent to [Moscow](https://x.example) on _Friday_ ![map](m.png) with ~~20~~ 28 points and snake_case_words kept.\n",
			title: "T", bodyHas: "The revised plan, v2, was sent to Moscow on Friday with 20 28 points and snake_case_words kept."},
		{name: "code fence and comment", src: "# T\n\n<!-- draft note\nremove me -->\n" + para + "\n\n```\nraw line\n```\n", title: "T", bodyLacks: "draft note"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := ParseMarkdown("x", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			date := ""
			if !d.Published.IsZero() {
				date = d.Published.Format("2006-01-02")
			}
			if d.Title != tt.title || date != tt.date || d.Site != tt.site || d.TitleDerived != tt.derived {
				t.Errorf("title %q date %q site %q derived %v; want %q %q %q %v", d.Title, date, d.Site, d.TitleDerived,
					tt.title, tt.date, tt.site, tt.derived)
			}
			if tt.bodyHas != "" && !strings.Contains(d.Text, tt.bodyHas) {
				t.Errorf("body lacks %q:\n%s", tt.bodyHas, d.Text)
			}
			if tt.bodyLacks != "" && strings.Contains(d.Text, tt.bodyLacks) {
				t.Errorf("body keeps %q:\n%s", tt.bodyLacks, d.Text)
			}
		})
	}
}

func TestParseMarkdownRejectsBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw string
		want      error
	}{
		{"empty", "", ErrEmpty},
		{"front matter only", "---\ntitle: x\n---\n", ErrEmpty},
		{"binary", "# x\x00\x01", ErrBinary},
		{"latin-1", "# caf\xe9", ErrNotUTF8},
	}
	for _, tt := range tests {
		if _, err := ParseMarkdown("x", []byte(tt.raw)); !errors.Is(err, tt.want) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.want)
		}
	}
}

// FuzzParseMarkdown: any input parses or fails with an error, and every
// passage sentence of a parsed article is exact text of its body.
func FuzzParseMarkdown(f *testing.F) {
	if raw, err := os.ReadFile(filepath.Join("testdata", "ingest", "istanbul-prisoner-exchange.md")); err == nil {
		f.Add(string(raw))
	}
	f.Add("---\ntitle: x\n---\n# H\n\n*a* [b](c) `d` ![e](f)\n- g\n> h\n```\ni\n")
	f.Add("Title\n===\n\n<!-- x")
	f.Fuzz(func(t *testing.T, src string) {
		d, err := ParseMarkdown("f", []byte(src))
		if err != nil {
			return
		}
		if strings.TrimSpace(d.Text) == "" || d.Title == "" {
			t.Fatalf("parsed with empty text or title: %+v", d)
		}
		for _, p := range Chunk(d, DefaultChunkOptions()) {
			for _, s := range p.Sentences {
				if !strings.Contains(d.Text, s) {
					t.Fatalf("sentence %q not in body", s)
				}
			}
		}
	})
}
