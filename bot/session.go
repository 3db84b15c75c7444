package bot

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
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
	return rw.next.RoundTrip(r2)
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
