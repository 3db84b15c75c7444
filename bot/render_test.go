package bot

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/talkbot/talkbot/answer"
)

func noSpace(s string) string { return strings.Join(strings.Fields(s), "") }

// checkSplit asserts the invariants of splitText: pieces fit, are not
// blank, and add up to the text.
func checkSplit(t *testing.T, s string, max int, pieces []string) {
	t.Helper()
	for k, p := range pieces {
		if n := utf8.RuneCountInString(p); n > max || strings.TrimSpace(p) == "" {
			t.Fatalf("piece %d has %d runes (max %d): %q", k, n, max, p)
		}
	}
	// Only whitespace at the cuts may go: the rest is kept, in order.
	if noSpace(strings.Join(pieces, "")) != noSpace(s) {
		t.Fatalf("pieces do not add up:\n%q\n%q", pieces, s)
	}
}

func TestSplitText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   string
		max  int
		want []string
	}{
		{"fits", "Short answer [1].", 100, []string{"Short answer [1]."}},
		{"empty", "  ", 10, nil},
		{"paragraph first", "First para one. First para two.\n\nSecond para.", 40, []string{"First para one. First para two.", "Second para."}},
		{"line", "- one bullet here\n- two bullet here", 25, []string{"- one bullet here", "- two bullet here"}},
		{"sentence keeps its marker", "The talks lasted five hours. [1] Russia said no [2]. More text follows here.", 50,
			[]string{"The talks lasted five hours. [1]", "Russia said no [2]. More text follows here."}},
		{"closing quote", "He said “no.” Then left the room quietly.", 20, []string{"He said “no.”", "Then left the room", "quietly."}},
		{"words", "alpha beta gamma delta epsilon", 12, []string{"alpha beta", "gamma delta", "epsilon"}},
		{"no spaces", strings.Repeat("x", 25), 10, []string{strings.Repeat("x", 10), strings.Repeat("x", 10), strings.Repeat("x", 5)}},
		{"multibyte", strings.Repeat("é", 15), 10, []string{strings.Repeat("é", 10), strings.Repeat("é", 5)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := splitText(tc.in, tc.max)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("splitText(%q, %d) =\n%q\nwant\n%q", tc.in, tc.max, got, tc.want)
			}
			checkSplit(t, tc.in, tc.max, got)
		})
	}
}

func FuzzSplitText(f *testing.F) {
	f.Add("The talks lasted five hours. [1] Russia said no [2].\n\nNext.", 20)
	f.Add("a b c", 1)
	f.Add(strings.Repeat("日本語 ", 50), 7)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 1 || max > 5000 || !utf8.ValidString(s) {
			return
		}
		checkSplit(t, s, max, splitText(s, max))
	})
}

func TestEscape(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, escaped, answer string
	}{
		{"**bold** _it_ ~~s~~ ||sp||", `\*\*bold\*\* \_it\_ \~\~s\~\~ \|\|sp\|\|`, `\*\*bold\*\* \_it\_ \~\~s\~\~ \|\|sp\|\|`},
		{"[click](http://evil) [1]", `\[click\](http://evil) \[1\]`, `\[click\](http://evil) [1]`},
		{"<@123> <@&4> @everyone", `\<@123> \<@&4> @everyone`, `\<@123> \<@&4> @everyone`},
		{"# heading\nnot # one", "\\# heading\nnot # one", "\\# heading\nnot # one"},
		{"- bullet [12]\n> quote", "- bullet \\[12\\]\n\\> quote", "- bullet [12]\n\\> quote"},
		{"back\\slash `code`", "back\\\\slash \\`code\\`", "back\\\\slash \\`code\\`"},
	} {
		if got := escape(tc.in); got != tc.escaped {
			t.Errorf("escape(%q) = %q, want %q", tc.in, got, tc.escaped)
		}
		if got := unescape(escape(tc.in)); got != tc.in {
			t.Errorf("unescape(escape(%q)) = %q", tc.in, got)
		}
		if got := escapeAnswer(tc.in); got != tc.answer {
			t.Errorf("escapeAnswer(%q) = %q, want %q", tc.in, got, tc.answer)
		}
	}
}

func TestRenderAnswer(t *testing.T) {
	t.Parallel()
	found := answer.Answer{Question: "How long? **really**", Text: "Five hours [1].", Found: true, Mode: answer.ModeLLM, Model: "m1",
		Note: "degraded", Citations: []answer.Citation{{N: 1, Title: "Talks _in_ Moscow", Quote: strings.Repeat("long quote ", 40)}}}
	parts := renderAnswer(found, 1500*time.Millisecond)
	if len(parts) != 1 || len(parts[0].Embeds) != 1 || parts[0].Content != "" {
		t.Fatalf("parts = %+v", parts)
	}
	e := parts[0].Embeds[0]
	if e.Title != `How long? \*\*really\*\*` || e.Description != "Five hours [1]." {
		t.Errorf("title %q description %q", e.Title, e.Description)
	}
	if len(e.Fields) != 1 || e.Fields[0].Name != "Sources" || !strings.HasPrefix(e.Fields[0].Value, `[1] Talks \_in\_ Moscow — “long quote`) ||
		utf8.RuneCountInString(e.Fields[0].Value) > 200 || !strings.HasSuffix(e.Fields[0].Value, "…”") {
		t.Errorf("sources = %+v", e.Fields)
	}
	if e.Footer == nil || e.Footer.Text != "llm (m1) · 1.50 s · degraded" {
		t.Errorf("footer = %+v", e.Footer)
	}

	nf := renderAnswer(answer.Answer{Text: answer.NotFoundText, Mode: answer.ModeExtractive}, time.Second)
	if len(nf) != 1 || nf[0].Content != answer.NotFoundText || nf[0].Embeds != nil {
		t.Errorf("not found = %+v", nf)
	}
}

func TestPackEmbedsWithinMessageLimits(t *testing.T) {
	t.Parallel()
	var es []*discordgo.MessageEmbed
	for range 25 {
		es = append(es, &discordgo.MessageEmbed{Description: strings.Repeat("x", 1000)})
	}
	parts := packEmbeds(es)
	total := 0
	for _, p := range parts {
		size := 0
		for _, e := range p.Embeds {
			size += embedSize(e)
		}
		if len(p.Embeds) > maxEmbeds || size > maxEmbedTotal {
			t.Errorf("part with %d embeds, %d characters", len(p.Embeds), size)
		}
		total += len(p.Embeds)
	}
	if total != 25 || len(parts) != 5 {
		t.Errorf("%d embeds in %d parts, want 25 in 5", total, len(parts))
	}
}

func TestRateLimiter(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	r := newRateLimiter(2, time.Minute)
	for _, step := range []struct {
		user string
		at   time.Duration
		ok   bool
		wait time.Duration
	}{
		{"a", 0, true, 0},
		{"a", time.Second, true, 0},
		{"a", 2 * time.Second, false, 58 * time.Second},
		{"b", 2 * time.Second, true, 0},
		{"a", 59 * time.Second, false, time.Second},
		{"a", 60 * time.Second, true, 0}, // the first question left the window
		{"a", 61 * time.Second, true, 0},
		{"a", 62 * time.Second, false, 58 * time.Second},
	} {
		ok, wait := r.allow(step.user, t0.Add(step.at))
		if ok != step.ok || wait != step.wait {
			t.Errorf("%s at %v: allow = %v, %v; want %v, %v", step.user, step.at, ok, wait, step.ok, step.wait)
		}
	}
	if !r.firstNotice("a") || r.firstNotice("a") {
		t.Error("firstNotice: want true once, then false")
	}
	if ok, _ := r.allow("a", t0.Add(10*time.Minute)); !ok || !r.firstNotice("a") {
		t.Error("an allowed question must reset the notice")
	}
	if got := rateLimitText(58*time.Second + time.Millisecond); got != "You're asking quickly — try again in 59 s." {
		t.Errorf("notice = %q", got)
	}
}

func TestGate(t *testing.T) {
	t.Parallel()
	g := newGate(1, 1)
	if ok, _ := g.admit(); !ok {
		t.Fatal("first refused")
	}
	if ok, _ := g.admit(); !ok {
		t.Fatal("second (queued) refused")
	}
	if ok, closed := g.admit(); ok || closed {
		t.Fatalf("third: ok=%v closed=%v, want busy", ok, closed)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := g.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if err := g.acquire(ctx); err == nil {
		t.Fatal("a second slot was granted with a cap of 1")
	}
	g.release()
	g.leave()
	g.close()
	if ok, closed := g.admit(); ok || !closed {
		t.Fatalf("after close: ok=%v closed=%v", ok, closed)
	}
	if g.load() != 1 {
		t.Errorf("load = %d", g.load())
	}
}

// TestNewSessionRewritesAPIURL checks DISCORD_API_URL with a real discordgo
// REST call: it lands on the configured base, path prefix and query kept.
func TestNewSessionRewritesAPIURL(t *testing.T) {
	t.Parallel()
	got := make(chan *http.Request, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[]`))
	}))
	defer srv.Close()
	s, err := NewSession("tok", srv.URL+"/proxy/api/v9")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChannelMessages("123", 5, "", "", ""); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if r.URL.Path != "/proxy/api/v9/channels/123/messages" || r.URL.Query().Get("limit") != "5" || r.Header.Get("Authorization") != "Bot tok" {
		t.Errorf("request went to %s (auth header set: %v)", r.URL, r.Header.Get("Authorization") != "")
	}
	for _, bad := range []string{"", "ftp://x/", "not a url"} {
		tok := "tok"
		if bad == "" {
			tok = ""
		}
		if _, err := NewSession(tok, bad); err == nil {
			t.Errorf("NewSession(%q, %q) accepted", tok, bad)
		} else if strings.Contains(err.Error(), "tok") && tok != "" {
			t.Errorf("error names the token: %v", err)
		}
	}
}
