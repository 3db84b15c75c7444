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

func TestStripMentionsInQuestions(t *testing.T) {
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

// maskedFrame builds a client text frame as gorilla/websocket sends it.
func maskedFrame(payload []byte, fin bool) []byte {
	b0 := byte(0x01)
	if fin {
		b0 |= 0x80
	}
	f := []byte{b0, 0x80}
	switch n := len(payload); {
	case n < 126:
		f[1] |= byte(n)
	default:
		f[1] |= 126
		f = append(f, byte(n>>8), byte(n))
	}
	key := []byte{0x11, 0x22, 0x33, 0x44}
	f = append(f, key...)
	for i, c := range payload {
		f = append(f, c^key[i%4])
	}
	return f
}

func unmask(t *testing.T, f []byte) []byte {
	t.Helper()
	n, off := int(f[1]&0x7f), 2
	if n == 126 {
		n, off = int(f[2])<<8|int(f[3]), 4
	}
	if len(f) != off+4+n {
		t.Fatalf("frame length %d, header says %d", len(f), off+4+n)
	}
	out := make([]byte, n)
	for i := range out {
		out[i] = f[off+4+i] ^ f[off+i%4]
	}
	return out
}

func TestRewriteIdentifyFrame(t *testing.T) {
	t.Parallel()
	identify := `{"op":2,"d":{"token":"Bot x","properties":{"$os":"linux","$browser":"talkbot","$device":"talkbot","$referer":"","$referring_domain":""},` +
		`"compress":false,"large_threshold":250,"presence":{"since":0,"game":{"name":"","type":0,"created_at":"0001-01-01T00:00:00Z"},"status":"online","afk":false},"intents":37377}}`
	out, ok := rewriteIdentifyFrame(maskedFrame([]byte(identify), true))
	if !ok {
		t.Fatal("the IDENTIFY frame was not rewritten")
	}
	var got struct {
		Op int `json:"op"`
		D  struct {
			Token      string            `json:"token"`
			Intents    int               `json:"intents"`
			Properties map[string]string `json:"properties"`
			Presence   map[string]any    `json:"presence"`
		} `json:"d"`
	}
	if err := json.Unmarshal(unmask(t, out), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"os": "linux", "browser": "talkbot", "device": "talkbot"}
	if got.Op != 2 || got.D.Token != "Bot x" || got.D.Intents != 37377 || len(got.D.Properties) != 3 ||
		got.D.Properties["os"] != want["os"] || got.D.Properties["browser"] != want["browser"] || got.D.Properties["device"] != want["device"] {
		t.Errorf("rewritten IDENTIFY = %+v", got)
	}
	if _, has := got.D.Presence["game"]; has || got.D.Presence["status"] != "online" || got.D.Presence["activities"] == nil {
		t.Errorf("presence = %v; want status online, activities, no game", got.D.Presence)
	}
	v, err := discordtest.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	var frame struct {
		D json.RawMessage `json:"d"`
	}
	_ = json.Unmarshal(unmask(t, out), &frame)
	if vs := v.CheckIdentify(frame.D); len(vs) > 0 {
		t.Errorf("the rewritten IDENTIFY still breaks the docs: %v", vs)
	}
	// Everything else passes untouched.
	for name, f := range map[string][]byte{
		"heartbeat":         maskedFrame([]byte(`{"op":1,"d":null}`), true),
		"resume":            maskedFrame([]byte(`{"op":6,"d":{"token":"Bot x","session_id":"s","seq":3}}`), true),
		"fragment":          maskedFrame([]byte(identify), false),
		"truncated":         maskedFrame([]byte(identify), true)[:40],
		"HTTP upgrade line": []byte("GET /gateway HTTP/1.1\r\nHost: x\r\n\r\n"),
	} {
		if _, ok := rewriteIdentifyFrame(f); ok {
			t.Errorf("%s frame was rewritten", name)
		}
	}
}

// FuzzEmbedURL: whatever an article's URL is, embedURL yields "" or a URL
// Discord accepts.
func FuzzEmbedURL(f *testing.F) {
	for _, s := range []string{"https://example.com/grain report 10", "https://bücher.example/straße?q=ä#x y",
		"http://[::1]:80/a", "https://a.example/%zz", "https://a.example:99999999999/", "https://a..example/", "http://%41.example/"} {
		f.Add(s)
	}
	v, err := discordtest.NewValidator()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := embedURL(raw)
		if got == "" {
			return
		}
		body, _ := json.Marshal(map[string]any{"embeds": []any{map[string]any{"title": "t", "url": got}}})
		if vs := v.Check("POST", "/channels/1/messages", body, 0); len(vs) > 0 {
			t.Errorf("embedURL(%q) = %q, which Discord refuses: %v", raw, got, vs)
		}
	})
}
