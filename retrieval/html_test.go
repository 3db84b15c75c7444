package retrieval

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromeMarkers are texts of the fixture page's navigation, cookie banner,
// share bars, promos, "Most read" rail and footer; none may reach the body.
var chromeMarkers = []string{"cookie", "Accept all", "Manage preferences", "Subscribe", "Share on", "Share this",
	"Copy link", "LinkedIn", "Sign up", "newsletter", "Most read", "Energy prices", "About us", "Privacy",
	"All rights reserved", "©", "Photo:", "Topics:", "Home", "Business", "Follow us"}

func TestParseHTMLFixture(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("testdata", "ingest", "geneva-working-groups.html"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseHTML("geneva", raw)
	if err != nil {
		t.Fatal(err)
	}
	if d.Title != "Ukraine and US Agree Three Working Groups in Geneva as Russia Studies Revised Plan" || d.TitleDerived {
		t.Errorf("title %q (derived %v)", d.Title, d.TitleDerived)
	}
	want := time.Date(2025, 12, 16, 17, 40, 0, 0, time.UTC)
	if !d.Published.Equal(want) {
		t.Errorf("published %v, want %v", d.Published, want)
	}
	if d.Site != "The Meridian Dispatch" || d.URL != "https://meridian-dispatch.example/world/europe/geneva-working-groups" {
		t.Errorf("site %q url %q", d.Site, d.URL)
	}
	for _, m := range chromeMarkers {
		if strings.Contains(d.Text, m) {
			t.Errorf("page chrome %q in body:\n%s", m, d.Text)
		}
	}
	for _, s := range []string{
		"agreeing to set up three working groups, one each on security guarantees, territory and economic recovery",
		"Kremlin spokesman Dmitry Peskov said Russia would study the document \"carefully and without haste\"",
		"President Volodymyr Zelensky said in his evening address",
	} {
		if !strings.Contains(d.Text, s) {
			t.Errorf("body lacks %q", s)
		}
	}
	// Paragraphs are separated by blank lines, so the chunker sees them
	// and headings become section context.
	if n := len(strings.Split(d.Text, "\n\n")); n < 8 {
		t.Errorf("%d paragraphs, want the article's 9 (7 paragraphs, 2 headings)", n)
	}
	ps := Chunk(d, DefaultChunkOptions())
	headings := map[string]bool{}
	for _, p := range ps {
		headings[p.Heading] = true
		for _, s := range p.Sentences {
			if !strings.Contains(d.Text, s) {
				t.Errorf("passage sentence is not exact body text: %q", s)
			}
		}
	}
	if !headings["Security guarantees first"] {
		t.Errorf("section headings lost: %v", headings)
	}
}

func TestParseHTMLMetadata(t *testing.T) {
	t.Parallel()
	body := `<article><h1>Talks resume</h1>` + strings.Repeat(`<p>Negotiators from both delegations met again on Tuesday to discuss the revised framework, officials said after the session ended.</p>`, 4) + `</article>`
	page := func(head string) []byte {
		return []byte("<html><head>" + head + "</head><body>" + body + "</body></html>")
	}
	tests := []struct {
		name, head             string
		title, site, url, date string
		derived                bool
	}{
		{name: "meta tags", head: `<meta property="og:title" content="Talks resume in Geneva"><meta property="og:site_name" content="Daily Example"><meta property="og:url" content="https://ex.example/a"><meta property="article:published_time" content="2025-12-16T10:00:00Z">`,
			title: "Talks resume in Geneva", site: "Daily Example", url: "https://ex.example/a", date: "2025-12-16"},
		{name: "JSON-LD graph, publisher list", head: `<script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"WebPage","name":"page"},{"@type":["NewsArticle"],"headline":"Geneva round ends","datePublished":"2025-12-17","publisher":[{"@type":"Organization","name":"Ledger"}]}]}</script><link rel="canonical" href="https://ledger.example/geneva">`,
			title: "Geneva round ends", site: "Ledger", url: "https://ledger.example/geneva", date: "2025-12-17"},
		{name: "meta wins over JSON-LD", head: `<meta property="article:published_time" content="2025-12-18"><script type="application/ld+json">{"@type":"NewsArticle","headline":"LD title","datePublished":"2020-01-01"}</script><meta property="og:title" content="Meta title">`,
			title: "Meta title", date: "2025-12-18"},
		{name: "title tag with site suffix", head: `<title>Talks resume in Geneva | Daily Example</title><meta property="og:site_name" content="Daily Example">`,
			title: "Talks resume in Geneva", site: "Daily Example"},
		{name: "malformed JSON-LD and bad date ignored", head: `<script type="application/ld+json">{"@type": "NewsArticle", </script><meta property="article:published_time" content="last Tuesday">`,
			title: "Talks resume"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := ParseHTML("x", page(tt.head))
			if err != nil {
				t.Fatal(err)
			}
			date := ""
			if !d.Published.IsZero() {
				date = d.Published.Format("2006-01-02")
			}
			if d.Title != tt.title || d.Site != tt.site || d.URL != tt.url || date != tt.date || d.TitleDerived != tt.derived {
				t.Errorf("got title %q site %q url %q date %q derived %v; want %q %q %q %q %v",
					d.Title, d.Site, d.URL, date, d.TitleDerived, tt.title, tt.site, tt.url, tt.date, tt.derived)
			}
		})
	}
}

func TestParseHTMLNeverGuessesDateFromText(t *testing.T) {
	t.Parallel()
	raw := []byte(`<html><body><article><p>Published 3 March 2025.</p>` + strings.Repeat(`<p>On 3 March 2025 negotiators from both delegations met again to discuss the revised framework, officials said.</p>`, 4) + `</article></body></html>`)
	d, err := ParseHTML("x", raw)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Published.IsZero() {
		t.Errorf("date %v guessed from body text", d.Published)
	}
}

func TestParseHTMLRejectsBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raw  string
		want error
	}{
		{"empty", "", ErrEmpty},
		{"binary", "\x00\x01\x02<html>", ErrBinary},
		{"latin-1", "<p>caf\xe9</p>", ErrNotUTF8},
		{"no article", "<html><body><nav><a href=/>Home</a></nav><footer>© 2025</footer></body></html>", ErrEmpty},
	}
	for _, tt := range tests {
		if _, err := ParseHTML("x", []byte(tt.raw)); !errors.Is(err, tt.want) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.want)
		}
	}
}

// FuzzParseHTML: any input parses or fails with an error, and every
// passage sentence of a parsed article is exact text of its body.
func FuzzParseHTML(f *testing.F) {
	if raw, err := os.ReadFile(filepath.Join("testdata", "ingest", "geneva-working-groups.html")); err == nil {
		f.Add(string(raw))
	}
	f.Add(`<html><head><script type="application/ld+json">[{"@graph":[{"@type":"NewsArticle","publisher":[1]}]}]</script></head><body><p>x</p></body></html>`)
	f.Add("<article><ul><li>a<li>b</ul><p>c<br>d</p>")
	f.Fuzz(func(t *testing.T, src string) {
		d, err := ParseHTML("f", []byte(src))
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
