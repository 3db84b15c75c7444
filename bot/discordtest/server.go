package discordtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// DefaultGuildID is the guild the event helpers put their events in.
const DefaultGuildID = "900000000000000001"

const (
	defaultAppID       = "900000000000000002"
	defaultBotUserID   = "900000000000000003"
	defaultHeartbeat   = 41250 * time.Millisecond
	defaultInteraction = 3 * time.Second
	// discordEpoch is the start of Discord's snowflake clock (2015-01-01 UTC).
	discordEpoch = 1420070400000
)

// ErrNotDelivered is wrapped by dispatch errors when Discord would not have
// delivered the event to this client (for example, a missing intent).
var ErrNotDelivered = errors.New("discordtest: event not delivered")

// Options configures a [Server]. Zero fields take realistic defaults.
type Options struct {
	// HeartbeatInterval is sent in HELLO; default 41.25 s like Discord.
	HeartbeatInterval time.Duration
	// AppID is the application (and interaction webhook) id.
	AppID string
	// BotUserID is the id of the bot user in READY and on its messages.
	BotUserID string
	// GuildID is reported as the bot's guild in READY; default DefaultGuildID.
	GuildID string
	// InteractionTimeout is how long after dispatch an interaction may still
	// get its first callback; default 3 s as on Discord, negative disables.
	InteractionTimeout time.Duration
	// NoEcho stops the fake echoing the bot's own messages as MESSAGE_CREATE.
	NoEcho bool
}

// Request is one REST request the fake received.
type Request struct {
	Method string
	// Path is the route without the /api/vN prefix, e.g. "/channels/1/messages".
	Path  string
	Query url.Values
	// Header holds the request headers without Authorization.
	Header http.Header
	// Body is the JSON object sent (payload_json for multipart), or nil.
	Body map[string]any
	// JSON is the decoded body whatever its shape (arrays included).
	JSON any
	// Raw is the body as received.
	Raw []byte
	// Files are the attachments of a multipart request.
	Files []File
	// Status is the HTTP status the fake answered.
	Status int
	At     time.Time
}

// File is an attachment sent in a multipart request.
type File struct {
	Field, Name, ContentType string
	Data                     []byte
}

type fault struct {
	method, prefix string
	status         int
	retryAfter     time.Duration
}

// Server is a fake Discord. All methods are safe for concurrent use.
type Server struct {
	t    testing.TB
	opts Options
	base string // http://127.0.0.1:port
	srv  *http.Server
	ln   net.Listener

	ctx    context.Context // cancelled at cleanup; bounds background work
	cancel context.CancelFunc
	wg     sync.WaitGroup
	async  chan echoEvent // events the fake sends on its own, in order

	validator *Validator // immutable

	mu          sync.Mutex
	violations  []Violation
	changed     chan struct{} // closed and replaced whenever state changes
	requests    []Request
	faults      []fault
	conns       map[*gwConn]struct{}
	current     *gwConn // the connection that completed a handshake last
	identifies  int
	resumes     int
	token       string
	intents     discordgo.Intent
	identifyRaw []byte // the last IDENTIFY's "d", as sent
	sessionID   string
	seq         int64
	lastID      int64
	noAck       bool

	messages     map[string]*discordgo.Message // by id
	order        map[string][]string           // channel id → message ids, oldest first
	channels     map[string]*discordgo.Channel
	interactions map[string]*interactionRec // by token
	commands     map[string][]*discordgo.ApplicationCommand
	commandIDs   map[string]string // guild+"/"+name → id, stable across overwrites
}

// New starts a fake Discord on 127.0.0.1, stopped by t.Cleanup.
func New(t testing.TB, opts ...Options) *Server {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.HeartbeatInterval <= 0 {
		o.HeartbeatInterval = defaultHeartbeat
	}
	if o.AppID == "" {
		o.AppID = defaultAppID
	}
	if o.BotUserID == "" {
		o.BotUserID = defaultBotUserID
	}
	if o.GuildID == "" {
		o.GuildID = DefaultGuildID
	}
	if o.InteractionTimeout == 0 {
		o.InteractionTimeout = defaultInteraction
	}
	v, err := NewValidator()
	if err != nil {
		t.Fatalf("discordtest: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("discordtest: listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		t:            t,
		opts:         o,
		validator:    v,
		base:         "http://" + ln.Addr().String(),
		ln:           ln,
		ctx:          ctx,
		cancel:       cancel,
		changed:      make(chan struct{}),
		conns:        map[*gwConn]struct{}{},
		messages:     map[string]*discordgo.Message{},
		order:        map[string][]string{},
		channels:     map[string]*discordgo.Channel{},
		interactions: map[string]*interactionRec{},
		commands:     map[string][]*discordgo.ApplicationCommand{},
		commandIDs:   map[string]string{},
		async:        make(chan echoEvent, 1024),
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	s.wg.Add(2)
	go s.asyncWorker()
	go func() {
		defer s.wg.Done()
		_ = s.srv.Serve(ln) // returns ErrServerClosed at cleanup
	}()
	t.Cleanup(s.close)
	return s
}

// close stops the server and waits for every goroutine it started.
func (s *Server) close() {
	s.cancel()
	_ = s.srv.Close() // closes the listener and idle HTTP conns; hijacked ones are ours
	s.mu.Lock()
	for c := range s.conns {
		_ = c.ws.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// ServeHTTP routes the websocket and REST API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/gateway" || r.URL.Path == "/gateway/" || r.URL.Path == "/" {
		s.serveGateway(w, r)
		return
	}
	s.serveREST(w, r)
}

// BaseURL is "http://127.0.0.1:PORT".
func (s *Server) BaseURL() string { return s.base }

// APIURL is the REST base, "http://127.0.0.1:PORT/api/v9/".
func (s *Server) APIURL() string { return s.base + "/api/v9/" }

// GatewayURL is the websocket URL the gateway routes return.
func (s *Server) GatewayURL() string { return "ws" + strings.TrimPrefix(s.base, "http") + "/gateway" }

// AppID is the application id.
func (s *Server) AppID() string { return s.opts.AppID }

// BotUserID is the bot's user id.
func (s *Server) BotUserID() string { return s.opts.BotUserID }

// Token is the token of the last IDENTIFY or RESUME (as sent, e.g. "Bot x").
func (s *Server) Token() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token
}

// Intents are the intents of the last IDENTIFY.
func (s *Server) Intents() discordgo.Intent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.intents
}

// IdentifyPayload is the "d" of the last IDENTIFY, as the client sent it.
func (s *Server) IdentifyPayload() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.identifyRaw...)
}

// Identifies counts completed IDENTIFY and RESUME handshakes.
func (s *Server) Identifies() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.identifies + s.resumes
}

// Resumes counts completed RESUME handshakes.
func (s *Server) Resumes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resumes
}

// SetHeartbeatAck turns heartbeat ACKs on (default) or off, to make the
// client see a zombie connection.
func (s *Server) SetHeartbeatAck(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noAck = !on
}

// WaitIdentified waits until a client has identified (or resumed) and is
// connected.
func (s *Server) WaitIdentified(ctx context.Context) error {
	return s.waitFor(ctx, "a client to identify", func() bool { return s.current != nil })
}

// WaitIdentifies waits until n handshakes (IDENTIFY or RESUME) have completed
// and a client is connected, e.g. after [Server.DropGateway].
func (s *Server) WaitIdentifies(ctx context.Context, n int) error {
	return s.waitFor(ctx, fmt.Sprintf("%d handshakes", n), func() bool {
		return s.current != nil && s.identifies+s.resumes >= n
	})
}

// waitFor waits until cond (called with s.mu held) is true.
func (s *Server) waitFor(ctx context.Context, what string, cond func() bool) error {
	for {
		s.mu.Lock()
		ok := cond()
		ch := s.changed
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("discordtest: waiting for %s: %w", what, ctx.Err())
		case <-s.ctx.Done():
			return fmt.Errorf("discordtest: waiting for %s: server closed", what)
		}
	}
}

// notifyLocked wakes waiters; s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Violations returns every violation of Discord's schema and documented
// rules seen so far: in REST requests (rejected with 400 as Discord would,
// unless only deprecations), in interaction timing and order, and in
// IDENTIFY (recorded only: Discord has long accepted discordgo's).
func (s *Server) Violations() []Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Violation(nil), s.violations...)
}

// violateLocked records a violation of an interaction rule.
func (s *Server) violateLocked(req *Request, rule, field, msg string) {
	s.violations = append(s.violations, Violation{Method: req.Method, Path: req.Path, Rule: rule, Field: field, Message: msg, Source: docInteraction})
}

// Requests returns a copy of every REST request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// WaitRequest returns the first request, already received or still to come,
// for which match is true.
func (s *Server) WaitRequest(ctx context.Context, match func(Request) bool) (Request, error) {
	seen := 0
	for {
		s.mu.Lock()
		reqs := s.requests[seen:]
		ch := s.changed
		s.mu.Unlock()
		for _, r := range reqs {
			if match(r) {
				return r, nil
			}
		}
		seen += len(reqs)
		select {
		case <-ch:
		case <-ctx.Done():
			return Request{}, fmt.Errorf("discordtest: waiting for a request (%d seen): %w", seen, ctx.Err())
		case <-s.ctx.Done():
			return Request{}, errors.New("discordtest: waiting for a request: server closed")
		}
	}
}

// FailNext makes the next request whose method matches (empty matches any)
// and whose path starts with pathPrefix (e.g. "/channels/"; a leading
// /api/vN is ignored) fail once with
// status. A 429 carries retryAfter in its body and Retry-After header, as
// Discord's do. Calls queue up.
func (s *Server) FailNext(method, pathPrefix string, status int, retryAfter time.Duration) {
	for _, v := range []string{"/api/v9", "/api/v10"} {
		if rest, found := strings.CutPrefix(pathPrefix, v); found {
			pathPrefix = rest
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{method: method, prefix: pathPrefix, status: status, retryAfter: retryAfter})
}

// takeFaultLocked removes and returns the first fault matching the request.
func (s *Server) takeFaultLocked(method, path string) (fault, bool) {
	for i, f := range s.faults {
		if (f.method == "" || strings.EqualFold(f.method, method)) && strings.HasPrefix(path, f.prefix) {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			return f, true
		}
	}
	return fault{}, false
}

// newIDLocked returns a fresh, increasing snowflake for the current time.
func (s *Server) newIDLocked() string {
	id := (time.Now().UnixMilli() - discordEpoch) << 22
	if id <= s.lastID {
		id = s.lastID + 1
	}
	s.lastID = id
	return fmt.Sprint(id)
}

// botUser is the bot's user object.
func (s *Server) botUser() *discordgo.User {
	return &discordgo.User{ID: s.opts.BotUserID, Username: "talkbot", Discriminator: "0", Bot: true}
}
