package bot

import (
	"encoding/json"
	"testing"

	"github.com/talkbot/talkbot/bot/discordtest"
)

func TestEmbedURL(t *testing.T) {
	t.Parallel()
	v, err := discordtest.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	long := "https://example.com/"
	for range 2100 {
		long += "a"
	}
	for _, tc := range []struct{ in, want string }{
		{"https://example.com/grain report 10", "https://example.com/grain%20report%2010"},
		{"https://example.com/a?q=grain report&x=1#part 2", "https://example.com/a?q=grain%20report&x=1#part%202"},
		{"https://bücher.example/straße", "https://xn--bcher-kva.example/stra%C3%9Fe"},
		{"HTTPS://Example.com:8443/ok", "https://example.com:8443/ok"},
		{"https://example.com/already%20encoded", "https://example.com/already%20encoded"},
		{"https://example.com/100%", "https://example.com/100%25"},
		{"https://example.com/[x]|{y}\"", "https://example.com/%5Bx%5D%7C%7By%7D%22"},
		{"https://example.com/a#b#c", "https://example.com/a#b%23c"},
		{"  https://example.com/  ", "https://example.com/"},
		{"ftp://example.com/a", ""},
		{"javascript:alert(1)", ""},
		{"example.com/a", ""},
		{"https://user:pw@example.com/", ""},
		{"https://exa mple.com/", ""},
		{"https://example.com:port/", ""},
		{"", ""},
		{long, ""},
	} {
		got := embedURL(tc.in)
		if got != tc.want {
			t.Errorf("embedURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got == "" {
			continue
		}
		body, _ := json.Marshal(map[string]any{"embeds": []any{map[string]any{"title": "t", "url": got}}})
		if vs := v.Check("POST", "/channels/1/messages", body, 0); len(vs) > 0 {
			t.Errorf("embedURL(%q) = %q, which Discord refuses: %v", tc.in, got, vs)
		}
	}
}

func TestStripMentions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"what did <@123> say about grain", "what did say about grain"},
		{"<@!123> <@&456> in <#789>: who won?", "in : who won?"},
		{"no mentions here", "no mentions here"},
		{"a <b> c and <@abc> stay", "a <b> c and <@abc> stay"},
		{"<@123>", ""},
	} {
		if got := stripMentions(tc.in); got != tc.want {
			t.Errorf("stripMentions(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
