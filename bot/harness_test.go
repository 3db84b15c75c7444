package bot_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/discordtest"
	"github.com/talkbot/talkbot/internal/syncbuf"
	"github.com/talkbot/talkbot/retrieval"
	"github.com/talkbot/talkbot/seeds"
)

// testToken is the bot token the tests use; it must never reach a log.
const testToken = "MTIzNDU2Nzg5.sekret-test-token"

const (
	chanA = "700000000000000001"
	chanB = "700000000000000002"
	dmA   = "710000000000000001"
	userA = "500000000000000001"
	userB = "500000000000000002"
)

// seedIndex is a real in-memory index of the built-in articles.
func seedIndex(t testing.TB, extra ...retrieval.Document) *retrieval.Index {
	t.Helper()
	ix, err := retrieval.Open(context.Background(), retrieval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	docs, err := seeds.Documents()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Add(context.Background(), append(docs, extra...)...); err != nil {
		t.Fatal(err)
	}
	return ix
}

// engine is the real answer pipeline over the seeds.
func engine(t testing.TB) (*answer.Engine, *retrieval.Index) {
	ix := seedIndex(t)
	return &answer.Engine{Index: ix}, ix
}

// harness is a bot running against a fake Discord through the production
// path: a token and DISCORD_API_URL pointing at the fake.
type harness struct {
	t      *testing.T
	srv    *discordtest.Server
	bot    *bot.Bot
	logs   *syncbuf.Buffer
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, ans bot.Answerer, lib bot.Library, o bot.Options, fo ...discordtest.Options) *harness {
	t.Helper()
	srv := discordtest.New(t, fo...)
	logs := &syncbuf.Buffer{}
	// Production pacing would make every test wait: a 1.5 s chain window
	// before each message answer and 5 writes per 5 s per channel. Tests
	// that are about chaining or pacing set their own.
	if o.ChainWindow == 0 {
		o.ChainWindow = 100 * time.Millisecond
	}
	if o.ChannelWindow == 0 {
		o.ChannelWindow = 500 * time.Millisecond
	}
	o.Token = testToken
	o.APIURL = srv.APIURL()
	o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	connected := make(chan struct{})
	o.OnConnected = func(string) { close(connected) }
	b, err := bot.New(ans, lib, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, srv: srv, bot: b, logs: logs, cancel: cancel, done: make(chan error, 1)}
	go func() { h.done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-h.done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
			h.done <- err
		case <-time.After(30 * time.Second):
			t.Errorf("Run did not return 30 s after cancel")
		}
		if l := logs.String(); strings.Contains(l, testToken) || strings.Contains(l, "sekret") {
			t.Errorf("the bot token reached the log:\n%s", l)
		}
	})
	// Started means connected and commands registered.
	select {
	case <-connected:
	case err := <-h.done:
		h.done <- err
		t.Fatalf("Run ended while starting: %v\nlog:\n%s", err, logs.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("bot did not start in 10 s\nlog:\n%s", logs.String())
	}
	return h
}

// wait waits up to 10 s for a request.
func (h *harness) wait(match func(discordtest.Request) bool) (discordtest.Request, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return h.srv.WaitRequest(ctx, match)
}

// mustWait is wait that fails the test, naming what it waited for.
func (h *harness) mustWait(what string, match func(discordtest.Request) bool) discordtest.Request {
	h.t.Helper()
	r, err := h.wait(match)
	if err != nil {
		h.t.Fatalf("waiting for %s: %v\nlog:\n%s", what, err, h.logs.String())
	}
	return r
}

// stop cancels Run and returns its result (within 30 s).
func (h *harness) stop() error {
	h.cancel()
	select {
	case err := <-h.done:
		h.done <- err // for Cleanup
		return err
	case <-time.After(30 * time.Second):
		return errors.New("Run did not return 30 s after cancel")
	}
}

func (h *harness) dispatch(i *discordgo.Interaction) *discordgo.Interaction {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.srv.DispatchInteraction(ctx, i); err != nil {
		h.t.Fatal(err)
	}
	return i
}

func (h *harness) message(m *discordgo.Message) *discordgo.Message {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.srv.DispatchMessage(ctx, m); err != nil {
		h.t.Fatal(err)
	}
	return m
}

func (h *harness) ask(user, channel, q string, private bool) *discordgo.Interaction {
	h.t.Helper()
	opts := map[string]any{"question": q}
	if private {
		opts["private"] = true
	}
	return h.dispatch(discordtest.SlashCommand("ask", opts, user, channel))
}

// callback matches the first response to interaction i.
func callback(i *discordgo.Interaction) func(discordtest.Request) bool {
	return func(r discordtest.Request) bool {
		return r.Method == "POST" && r.Path == "/interactions/"+i.ID+"/"+i.Token+"/callback"
	}
}

// finalEdit matches the edit of i's response that carries the feedback
// buttons, i.e. the final answer (previews have none).
func finalEdit(i *discordgo.Interaction) func(discordtest.Request) bool {
	return func(r discordtest.Request) bool {
		return r.Method == "PATCH" && strings.HasSuffix(r.Path, "/"+i.Token+"/messages/@original") && len(components(r.Body)) > 0
	}
}

// channelPost matches a message the bot posts in a channel.
func channelPost(channel string) func(discordtest.Request) bool {
	return func(r discordtest.Request) bool {
		return r.Method == "POST" && r.Path == "/channels/"+channel+"/messages"
	}
}

// payload is the message part of a request body (callbacks nest it in data).
func payload(r discordtest.Request) map[string]any {
	if strings.HasSuffix(r.Path, "/callback") {
		d, _ := r.Body["data"].(map[string]any)
		return d
	}
	return r.Body
}

func embeds(body map[string]any) []map[string]any {
	list, _ := body["embeds"].([]any)
	var out []map[string]any
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func components(body map[string]any) []any {
	list, _ := body["components"].([]any)
	return list
}

// customIDs lists the custom IDs of a message body's buttons.
func customIDs(body map[string]any) []string {
	var out []string
	for _, row := range components(body) {
		r, _ := row.(map[string]any)
		cs, _ := r["components"].([]any)
		for _, c := range cs {
			m, _ := c.(map[string]any)
			if id, ok := m["custom_id"].(string); ok {
				out = append(out, id)
			}
		}
	}
	return out
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func fields(e map[string]any) []map[string]any {
	list, _ := e["fields"].([]any)
	var out []map[string]any
	for _, f := range list {
		if m, ok := f.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func flags(body map[string]any) int {
	f, _ := body["flags"].(float64)
	return int(f)
}

// writesMessage reports whether a request creates or edits a message.
func writesMessage(r discordtest.Request) bool {
	switch {
	case r.Method == "POST" && strings.HasSuffix(r.Path, "/callback"):
		return payload(r) != nil
	case strings.HasPrefix(r.Path, "/webhooks/"):
		return r.Method == "POST" || r.Method == "PATCH"
	case strings.HasPrefix(r.Path, "/channels/") && strings.Contains(r.Path, "/messages"):
		return r.Method == "POST" || r.Method == "PATCH"
	}
	return false
}

// recorder is the real answer pipeline, recording the requests it gets.
type recorder struct {
	next bot.Answerer
	mu   sync.Mutex
	reqs []answer.Request
}

func (r *recorder) AskStream(ctx context.Context, req answer.Request, onDelta func(string)) (answer.Answer, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.mu.Unlock()
	return r.next.AskStream(ctx, req, onDelta)
}

func (r *recorder) requests() []answer.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]answer.Request(nil), r.reqs...)
}

// scripted is a fake Answerer for tests that need control: it streams
// deltas, waits, and returns a fixed answer or error.
type scripted struct {
	answer  answer.Answer
	err     error
	deltas  []string
	every   time.Duration
	release chan struct{} // if set, wait for it (or ctx) before answering
	started chan string   // if set, receives each question as it starts
}

func (s *scripted) AskStream(ctx context.Context, req answer.Request, onDelta func(string)) (answer.Answer, error) {
	if s.started != nil {
		s.started <- req.Question
	}
	for _, d := range s.deltas {
		select {
		case <-ctx.Done():
			return answer.Answer{}, ctx.Err()
		case <-time.After(s.every):
		}
		onDelta(d)
	}
	if s.release != nil {
		select {
		case <-s.release:
		case <-ctx.Done():
			return answer.Answer{}, ctx.Err()
		}
	}
	a := s.answer
	a.Question = req.Question
	return a, s.err
}

// observed records what the bot reports to its Observer.
type observed struct {
	mu       sync.Mutex
	answered []string // surface/outcome
	refused  []string // surface/reason
	votes    []string
}

func (o *observed) Answered(surface string, a answer.Answer, err error, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	outcome := "answered"
	switch {
	case err != nil:
		outcome = "error"
	case !a.Found:
		outcome = "not_found"
	}
	o.answered = append(o.answered, surface+"/"+outcome)
}

func (o *observed) Refused(surface, reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.refused = append(o.refused, surface+"/"+reason)
}

func (o *observed) Feedback(vote string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.votes = append(o.votes, vote)
}

func (o *observed) snapshot() (answered, refused, votes []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.answered...), append([]string(nil), o.refused...), append([]string(nil), o.votes...)
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
