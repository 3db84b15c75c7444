package bot

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// DefaultAPIURL is Discord's own REST base, the one discordgo's endpoint
// variables are built on.
const DefaultAPIURL = "https://discord.com/api/v9/"

// NewSession builds an unopened discordgo session for a bot token whose REST
// calls go to apiURL (empty: Discord's own). discordgo computes its endpoint
// variables once at start-up, so another base is reached by rewriting
// requests in the HTTP client rather than by changing those variables; the
// gateway URL then comes from that base's GET gateway answer.
func NewSession(token, apiURL string) (*discordgo.Session, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, fmt.Errorf("no Discord bot token")
	}
	if !strings.HasPrefix(token, "Bot ") {
		token = "Bot " + token
	}
	s, err := discordgo.New(token)
	if err != nil {
		// discordgo.New only fails on malformed arguments; its error never
		// contains the token.
		return nil, fmt.Errorf("creating the Discord session: %w", err)
	}
	// discordgo's debug level prints the IDENTIFY packet, token included;
	// errors and warnings never do.
	s.LogLevel = discordgo.LogError
	// Our own dialer rather than websocket.DefaultDialer: the package-level
	// one is shared and we must not change it.
	s.Dialer = &websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: 30 * time.Second}
	identifyAsDocumented(s, apiURL)
	if apiURL == "" || apiURL == DefaultAPIURL {
		return s, nil
	}
	base, err := url.Parse(apiURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("the Discord API URL %q is not an http(s) URL", apiURL)
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	s.Client = &http.Client{Timeout: 20 * time.Second, Transport: rewriter{base: base, next: http.DefaultTransport}}
	return s, nil
}

// rewriter sends requests for https://discord.com/api/vN/... to base.
type rewriter struct {
	base *url.URL
	next http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (rw rewriter) RoundTrip(r *http.Request) (*http.Response, error) {
	rest, ok := apiPath(r.URL)
	if !ok {
		return rw.next.RoundTrip(r)
	}
	u := *rw.base
	u.Path = rw.base.Path + rest
	u.RawPath = ""
	u.RawQuery = r.URL.RawQuery
	r2 := r.Clone(r.Context())
	r2.URL = &u
	r2.Host = u.Host
	resp, err := rw.next.RoundTrip(r2)
	if err != nil {
		// net/http names the URL the caller asked for (discord.com); say
		// where the request really went, so a bad DISCORD_API_URL shows.
		return nil, &rewrittenError{method: r.Method, url: u.Redacted(), err: err}
	}
	return resp, nil
}

// rewrittenError is a failed request to the rewritten URL. http.Client
// wraps it in a url.Error naming discord.com; errors.As finds this one,
// which names where the request really went.
type rewrittenError struct {
	method, url string
	err         error
}

func (e *rewrittenError) Error() string { return e.method + " " + e.url + ": " + e.err.Error() }
func (e *rewrittenError) Unwrap() error { return e.err }

// whereItWent replaces net/http's description of a rewritten request
// (which names discord.com) by the URL it was really sent to.
func whereItWent(err error) error {
	var rw *rewrittenError
	if errors.As(err, &rw) {
		return rw
	}
	return err
}

// apiPath is the part of a discord.com REST URL after /api/vN/.
func apiPath(u *url.URL) (string, bool) {
	if u.Host != "discord.com" {
		return "", false
	}
	rest, ok := strings.CutPrefix(u.Path, "/api/")
	if !ok {
		return "", false
	}
	if strings.HasPrefix(rest, "v") {
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			rest = rest[i+1:]
		}
	}
	return rest, true
}

// identifyAsDocumented makes the session IDENTIFY as Discord's current docs
// describe: connection properties os, browser and device, and a presence
// with status "online" and an activities list.
//
// discordgo v0.29.0 (the latest release) can carry only the values: its
// Identify struct marshals the properties as "$os", "$browser", "$device"
// and the presence with a "game" object and no "activities", fixed by its
// JSON tags. So the values are set through the struct, and the one
// IDENTIFY frame of each gateway connection is rewritten on its way out
// to the current field names; every other frame passes untouched. Behind
// an HTTP(S) proxy the frames are encrypted below the dialer, so there
// the rewrite is skipped and Discord gets the older, still accepted form.
// apiURL (empty: Discord's) tells where the gateway is likely to be.
func identifyAsDocumented(s *discordgo.Session, apiURL string) {
	s.Identify.Properties = discordgo.IdentifyProperties{OS: runtime.GOOS, Browser: "talkbot", Device: "talkbot"}
	s.Identify.Presence = discordgo.GatewayStatusUpdate{Status: "online"}
	// The gateway is Discord's, or on the host of another API URL.
	probe := &http.Request{URL: &url.URL{Scheme: "https", Host: "gateway.discord.gg"}}
	if u, err := url.Parse(apiURL); err == nil && u.Host != "" && apiURL != DefaultAPIURL {
		probe.URL.Scheme, probe.URL.Host = u.Scheme, u.Host
	}
	if u, err := http.ProxyFromEnvironment(probe); err != nil || u != nil {
		return
	}
	d := s.Dialer
	d.Proxy = nil
	plain := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := plain.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &identifyConn{Conn: c}, nil
	}
	d.NetDialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := plain.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		host, _, _ := net.SplitHostPort(addr)
		tc := tls.Client(c, &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12})
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = c.Close()
			return nil, err
		}
		return &identifyConn{Conn: tc}, nil
	}
}

// identifyConn rewrites the first IDENTIFY frame written to it.
type identifyConn struct {
	net.Conn
	done atomic.Bool
}

// Write implements net.Conn. gorilla/websocket writes a small frame in one
// Write, so one complete frame is what an IDENTIFY looks like here.
func (c *identifyConn) Write(p []byte) (int, error) {
	if !c.done.Load() {
		if out, ok := rewriteIdentifyFrame(p); ok {
			c.done.Store(true)
			if _, err := c.Conn.Write(out); err != nil {
				return 0, err
			}
			return len(p), nil
		}
	}
	return c.Conn.Write(p)
}

// rewriteIdentifyFrame returns p with its IDENTIFY payload brought to the
// current field names, if p is exactly one masked, final text frame
// holding op 2; otherwise ok is false.
func rewriteIdentifyFrame(p []byte) (out []byte, ok bool) {
	if len(p) < 6 || p[0] != 0x80|websocket.TextMessage || p[1]&0x80 == 0 {
		return nil, false
	}
	n, off := uint64(p[1]&0x7f), 2
	switch n {
	case 126:
		if len(p) < 4 {
			return nil, false
		}
		n, off = uint64(binary.BigEndian.Uint16(p[2:4])), 4
	case 127:
		if len(p) < 10 {
			return nil, false
		}
		n, off = binary.BigEndian.Uint64(p[2:10]), 10
	}
	if uint64(len(p)) != uint64(off)+4+n {
		return nil, false
	}
	key := p[off : off+4]
	payload := make([]byte, n)
	for i := range payload {
		payload[i] = p[off+4+i] ^ key[i%4]
	}
	rewritten, ok := rewriteIdentify(payload)
	if !ok {
		return nil, false
	}
	hdr := []byte{p[0], 0x80}
	switch m := len(rewritten); {
	case m < 126:
		hdr[1] |= byte(m)
	case m <= 0xffff:
		hdr[1] |= 126
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(m))
	default:
		hdr[1] |= 127
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(m))
	}
	out = append(hdr, key...)
	for i, b := range rewritten {
		out = append(out, b^key[i%4])
	}
	return out, true
}

// rewriteIdentify renames "$os", "$browser", "$device" to their current
// names, drops the retired "$referer"/"$referring_domain", and replaces the
// presence's "game" with an "activities" list. Other payloads: ok false.
func rewriteIdentify(payload []byte) ([]byte, bool) {
	var frame struct {
		Op int                        `json:"op"`
		D  map[string]json.RawMessage `json:"d"`
	}
	if err := json.Unmarshal(payload, &frame); err != nil || frame.Op != 2 || frame.D == nil {
		return nil, false
	}
	var props map[string]any
	if err := json.Unmarshal(frame.D["properties"], &props); err == nil && props != nil {
		for k, v := range props {
			if name, old := strings.CutPrefix(k, "$"); old {
				delete(props, k)
				if name == "referer" || name == "referring_domain" {
					continue
				}
				if _, has := props[name]; !has {
					props[name] = v
				}
			}
		}
		b, err := json.Marshal(props)
		if err != nil {
			return nil, false
		}
		frame.D["properties"] = b
	}
	if raw, has := frame.D["presence"]; has {
		var pres map[string]json.RawMessage
		if err := json.Unmarshal(raw, &pres); err == nil && pres != nil {
			delete(pres, "game")
			if _, has := pres["activities"]; !has {
				pres["activities"] = json.RawMessage("[]")
			}
			b, err := json.Marshal(pres)
			if err != nil {
				return nil, false
			}
			frame.D["presence"] = b
		}
	}
	out, err := json.Marshal(frame)
	return out, err == nil
}
