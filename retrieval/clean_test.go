package retrieval

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanStripsPageChrome(t *testing.T) {
	t.Parallel()
	raw := readSeed(t, "004_3f0c181de509a6cc")
	c := Clean(raw)
	if c.Title != "Ukraine and US Negotiators Meet in Florida After Putin Talks" || c.TitleDerived {
		t.Errorf("title = %q (derived %v), want the headline", c.Title, c.TitleDerived)
	}
	for _, chrome := range []string{"Connect with us", "Editorial", "Published", "Trending", "Copyright",
		"All rights reserved", "Our Editorial team", "silver platter"} {
		if strings.Contains(c.Body, chrome) {
			t.Errorf("body still contains page chrome %q", chrome)
		}
	}
	if !strings.HasPrefix(c.Body, "Negotiators from Ukraine and the United States") {
		t.Errorf("body should start with the first paragraph, got %.60q", c.Body)
	}
	if !strings.HasSuffix(c.Body, "regional stability.") {
		t.Errorf("body should end with the story's last paragraph, got …%q", c.Body[len(c.Body)-40:])
	}
}

func TestCleanGeneralPages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		raw       string
		title     string
		derived   bool
		keep      []string
		drop      []string
		bodyStart string
	}{
		{
			name: "nav, share widgets and footer of another site",
			raw: "Home\nPolitics\nShare this article\nTalks Resume in Geneva as Envoys Meet Again\nBy\n\n" +
				"Envoys from both countries met again in Geneva on Tuesday to resume talks on a ceasefire, officials said.\n" +
				"Advertisement\n" +
				"The meeting lasted three hours and ended without a joint statement from either delegation.\n" +
				"Follow us on Twitter for more updates\nRelated articles\n© 2025 Example News. All rights reserved.\n",
			title: "Talks Resume in Geneva as Envoys Meet Again",
			keep:  []string{"Envoys from both countries", "three hours"},
			drop:  []string{"Home", "Politics", "Share this", "Advertisement", "Follow us", "Related", "©"},
		},
		{
			name:    "no headline: title derived from the first sentence",
			raw:     "Officials from three countries gathered in Vienna this week to discuss a framework for future talks on the region. More followed.\n",
			title:   "Officials from three countries gathered in Vienna this week to discuss…",
			derived: true,
			keep:    []string{"Officials from three countries"},
		},
		{
			name:  "publisher blurb after the story",
			raw:   "A Short Headline About Talks\nThe delegations met for a second day and agreed to continue discussions next week in the capital.\nWe are a team of journalists. Our mission is to inform you, and we work hard so you can count on us every day.\n",
			title: "A Short Headline About Talks",
			keep:  []string{"second day"},
			drop:  []string{"Our mission"},
		},
		{
			name:  "quoted first-person speech in the story is kept",
			raw:   "Leader Says Talks Will Go On\nThe leader spoke to reporters after the session ended late on Friday evening in the city.\n“We will continue, our people need peace, and we ask our partners to help us,” he said.\n",
			title: "Leader Says Talks Will Go On",
			keep:  []string{"We will continue"},
		},
		{
			name:  "short title and short first paragraph are the story",
			raw:   "Ceasefire agreed\nNegotiators agreed a ceasefire on Tuesday.\nTalks resume next week.\n",
			title: "Ceasefire agreed",
			keep:  []string{"Negotiators agreed a ceasefire on Tuesday.", "Talks resume next week."},
		},
		{
			name: "breadcrumb, byline and dateline go by what they say; a short standfirst stays",
			raw: "World › Europe\nEnvoys Meet Again in Geneva\nA second round within a week\nBy Jane Doe and John Roe\n" +
				"Published 16 December 2025, 17:40 GMT\n5 min read\nEnvoys met on Tuesday.\nUpdated 17 Dec 2025\n",
			title: "Envoys Meet Again in Geneva",
			keep:  []string{"A second round within a week", "Envoys met on Tuesday."},
			drop:  []string{"Europe", "Jane Doe", "17:40", "min read", "Updated"},
		},
		{
			name: "a whole copied news page: widgets, kicker, byline, caption credit, topic rail",
			raw: "Skip to main content\nMenu\nSearch\nNews\nWorld\nUkraine war\nTalks resume in Geneva as envoys meet\n" +
				"By Jane Doe, BBC News\n16 December 2025\nShare\nSave\nListen\nGetty Images\n" +
				"Envoys met in Geneva on Tuesday.\nNo statement followed.\nWhat comes next\nAnother round is planned for January.\n" +
				"Related topics\nUkraine\nRussia\nGeneva talks\nMore on this story\nEnvoys to meet again in Istanbul\n12 December 2025\n" +
				"© 2025 BBC. The BBC is not responsible for the content of external sites.\n",
			title: "Talks resume in Geneva as envoys meet",
			keep:  []string{"Envoys met in Geneva on Tuesday.", "No statement followed.", "What comes next", "Another round is planned for January."},
			drop: []string{"Skip", "Menu", "Ukraine war", "Jane Doe", "16 December", "Share", "Save", "Listen", "Getty",
				"Related", "Russia", "Geneva talks", "Istanbul", "12 December", "©"},
		},
		{
			name:    "a line leading into a quote is text, not a headline",
			raw:     "The minister told reporters:\n“We will sign on Friday.”\n",
			title:   "“We will sign on Friday.”",
			derived: true,
			keep:    []string{"The minister told reporters:", "“We will sign on Friday.”"},
		},
		{
			name:  "a rail ends at the next sentence",
			raw:   "Envoys Meet Again in Geneva\nEnvoys met on Tuesday.\nRelated\nOther headline here\nThe talks will go on, officials said.\n",
			title: "Envoys Meet Again in Geneva",
			keep:  []string{"Envoys met on Tuesday.", "The talks will go on, officials said."},
			drop:  []string{"Other headline"},
		},
		{
			name:  "a sentence that mentions a weekday or a section is not a label",
			raw:   "Talks Go On Despite Strikes\nOn Tuesday, Europe said no.\nWorld leaders met.\nBy noon it was over.\n",
			title: "Talks Go On Despite Strikes",
			keep:  []string{"On Tuesday, Europe said no.", "World leaders met.", "By noon it was over."},
		},
		{
			name:  "CRLF line endings and a BOM",
			raw:   "\uFEFFHeadline With Windows Line Endings\r\nThe body of this article has enough words to count as a real paragraph of prose text.\r\n",
			title: "Headline With Windows Line Endings",
			keep:  []string{"The body of this article"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := Clean(tt.raw)
			if c.Title != tt.title || c.TitleDerived != tt.derived {
				t.Errorf("title = %q derived=%v, want %q derived=%v", c.Title, c.TitleDerived, tt.title, tt.derived)
			}
			for _, k := range tt.keep {
				if !strings.Contains(c.Body, k) {
					t.Errorf("body lost %q:\n%s", k, c.Body)
				}
			}
			for _, d := range tt.drop {
				if strings.Contains(c.Body, d) {
					t.Errorf("body kept chrome %q:\n%s", d, c.Body)
				}
			}
		})
	}
}

// A short opening paragraph is article text in every format: it must reach
// the passages the index is built from, not be dropped as page chrome.
func TestShortOpeningReachesPassages(t *testing.T) {
	t.Parallel()
	const opening = "Negotiators agreed a ceasefire on Tuesday."
	const more = "The deal was signed in Geneva after three days of talks."
	tests := []struct {
		name  string
		parse func(id string, raw []byte) (Document, error)
		raw   string
		title string
	}{
		{"txt with a short title", ParseText, "Ceasefire agreed\n\n" + opening + "\n\n" + more + "\n", "Ceasefire agreed"},
		{"txt, the opening alone", ParseText, opening + "\n", "Negotiators agreed a ceasefire on Tuesday"},
		{"txt after navigation", ParseText, "Home\nWorld\nCeasefire agreed\n" + opening + "\n" + more + "\n", "Ceasefire agreed"},
		{"md with an H1", ParseMarkdown, "# Ceasefire agreed\n\n" + opening + "\n\n" + more + "\n", "Ceasefire agreed"},
		{"md with front matter and a short sub-heading", ParseMarkdown,
			"---\ntitle: Ceasefire agreed\n---\n\n" + opening + "\n\n## Next steps\n\n" + more + "\n", "Ceasefire agreed"},
		{"md, the opening alone", ParseMarkdown, opening + "\n", "Negotiators agreed a ceasefire on Tuesday"},
		{"html article with nav and footer", ParseHTML, "<html><head><title>Ceasefire agreed</title></head><body><nav><a>World</a></nav>" +
			"<article><h1>Ceasefire agreed</h1><p>" + opening + "</p><p>" + more + "</p></article><footer>© 2025 Example</footer></body></html>",
			"Ceasefire agreed"},
		{"html whose h1 is worded unlike og:title", ParseHTML, `<html><head><meta property="og:title" content="Ceasefire agreed in Geneva | Example">` +
			`</head><body><article><h1>Envoys agree a ceasefire</h1><p>` + opening + "</p><p>" + more + "</p></article></body></html>",
			"Ceasefire agreed in Geneva | Example"},
		{"html, the opening alone", ParseHTML, "<html><body><p>" + opening + "</p></body></html>", "Negotiators agreed a ceasefire on Tuesday"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := tt.parse("x", []byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			if d.Title != tt.title {
				t.Errorf("title %q, want %q", d.Title, tt.title)
			}
			var sentences []string
			for _, p := range Chunk(d, DefaultChunkOptions()) {
				sentences = append(sentences, p.Sentences...)
			}
			if len(sentences) == 0 || sentences[0] != opening {
				t.Errorf("first passage sentence %q, want %q; body:\n%s", sentences, opening, d.Text)
			}
			if strings.Contains(tt.raw, more) && !slices.Contains(sentences, more) {
				t.Errorf("passages lack %q: %q", more, sentences)
			}
			if strings.Contains(tt.raw, "Next steps") && !strings.Contains(d.Text, "Next steps") {
				t.Errorf("short sub-heading dropped:\n%s", d.Text)
			}
			if strings.Contains(d.Text, "World") || strings.Contains(d.Text, "©") {
				t.Errorf("navigation or footer kept:\n%s", d.Text)
			}
		})
	}
}

func TestParseTextRejectsBadFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raw  []byte
		want error
	}{
		{"empty", nil, ErrEmpty},
		{"blank", []byte(" \n\t\n"), ErrEmpty},
		{"binary", []byte("PK\x03\x04\x00\x00binary"), ErrBinary},
		{"not utf-8", []byte("caf\xe9 talks resumed in the capital today"), ErrNotUTF8},
		{"control characters", []byte(strings.Repeat("\x01\x02abc", 50)), ErrBinary},
		{"too big", make([]byte, MaxFileBytes+1), ErrTooBig},
		{"only chrome", []byte("Trending\nShare\n© 2024 All rights reserved\n"), ErrEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseText("x", tt.raw)
			if err == nil || !strings.Contains(err.Error(), tt.want.Error()) {
				t.Fatalf("ParseText error = %v, want %v", err, tt.want)
			}
		})
	}
}

func readSeed(t testing.TB, id string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "seeds", id+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func seedDocs(t testing.TB) []Document {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "seeds", "*.txt"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no seeds: %v", err)
	}
	var docs []Document
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		d, err := ParseText(IDFromPath(p), b)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	return docs
}

// Terminal escapes and control characters in an article never reach its
// text or title (ask and sources print both to terminals); the visible
// words around them stay.
func TestParsersStripTerminalEscapes(t *testing.T) {
	t.Parallel()
	const body = "Negotiators \x1b[1;31magreed\x1b[0m a \x1b]8;;https://evil.example\x07ceasefire\x1b]8;;\x07 on Tuesday.\x07\x08\x7f\u009b2J" +
		" The deal was signed in Geneva\x1b]0;pwned\x1b\\ after three days\x1bc of talks.\x00"
	const want = "Negotiators agreed a ceasefire on Tuesday. The deal was signed in Geneva after three days of talks."
	// A real article is longer than its escapes; CheckText rightly calls a
	// file binary when control characters are a large share of it.
	rest := strings.Repeat("Officials said more talks are planned. ", 8)
	tests := []struct {
		name  string
		parse func(id string, raw []byte) (Document, error)
		raw   string
	}{
		{"txt", ParseText, "Ceasefire \x1b[5magreed\x1b[0m\x1b]0;owned\x07\n\n" + body + "\n\n" + rest + "\n"},
		{"md", ParseMarkdown, "---\ntitle: \"Ceasefire \x1b[5magreed\x1b[0m\"\nsite: Ex\x1b[2Kample\n---\n\n" + body + "\n\n" + rest + "\n"},
		{"html", ParseHTML, "<html><head><title>Ceasefire &#27;[5magreed&#x1b;[0m</title>" +
			`<meta property="og:site_name" content="Ex` + "\x1b[2K" + `ample"></head><body><article><p>` + body +
			"</p><p>" + rest + "</p></article></body></html>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// NUL and many controls mark a binary file; this test is
			// about the few an article can carry, so drop NUL here.
			d, err := tt.parse("x", []byte(strings.ReplaceAll(tt.raw, "\x00", "")))
			if err != nil {
				t.Fatal(err)
			}
			for field, v := range map[string]string{"title": d.Title, "text": d.Text, "site": d.Site, "url": d.URL} {
				for _, r := range v {
					if r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f {
						t.Errorf("%s keeps control %U: %q", field, r, v)
						break
					}
				}
			}
			if d.Title != "Ceasefire agreed" {
				t.Errorf("title %q", d.Title)
			}
			if !strings.HasPrefix(d.Text, want+"\n\nOfficials said") {
				t.Errorf("text %q\nwant %q", d.Text, want)
			}
			if tt.name != "txt" && d.Site != "Example" {
				t.Errorf("site %q", d.Site)
			}
		})
	}
}

func TestStripControls(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain\ttext\r\nlines", "plain\ttext\r\nlines"},
		{"\x1b[38;5;196mred\x1b[m", "red"},
		{"a\x1b]52;c;c2VjcmV0\x07b", "ab"},                                   // OSC 52 clipboard write
		{"a\x1bP1$qm\x1b\\b", "ab"},                                          // DCS
		{"unterminated \x1b]0;title\nnext line", "unterminated \nnext line"}, // stops at the line end
		{"\u009b31mC1 CSI\u009d0;t\u009c", "C1 CSI"},
		{"\x1b(Bcharset", "charset"},
		{"trailing \x1b", "trailing "},
		{"«café» – ünïcode ✓", "«café» – ünïcode ✓"},
	}
	for _, tt := range tests {
		if got := StripControls(tt.in); got != tt.want {
			t.Errorf("StripControls(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzStripControls: the result holds no control character but newline,
// carriage return and tab, keeps the input's other characters in order
// (it only removes), and cleaning twice changes nothing.
func FuzzStripControls(f *testing.F) {
	for _, s := range []string{"plain", "\x1b[31mred\x1b[0m", "\x1b]0;t\x07x", "\u009b1m\u009d2\u009c", "\x1b", "a\x1bP\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		out := StripControls(s)
		rest := []rune(s)
		for _, r := range out {
			if isControl(r) {
				t.Fatalf("control %U kept: %q", r, out)
			}
			i := slices.Index(rest, r)
			if i < 0 {
				t.Fatalf("%q is not a subsequence of %q", out, s)
			}
			rest = rest[i+1:]
		}
		if again := StripControls(out); again != out {
			t.Fatalf("not idempotent: %q → %q", out, again)
		}
	})
}
