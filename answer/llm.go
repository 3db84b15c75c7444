package answer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/talkbot/talkbot/retrieval"
)

// ClientOptions configure the client for an OpenAI-compatible server
// (OpenAI, Ollama, llama.cpp server, vLLM, LM Studio).
type ClientOptions struct {
	BaseURL string // empty: OpenAI's
	APIKey  string // optional for local servers; never logged
	// Retries is how many times a 429 or 5xx response is retried.
	Retries int
	// MaxRetryWait caps one wait between attempts (default 20s); a server
	// asking for longer (Retry-After) gets an error instead, at once.
	MaxRetryWait time.Duration
	Logger       *slog.Logger
	// HTTPClient sends the requests (default: a plain http.Client; the
	// per-request context carries the deadline, so streams are not cut).
	HTTPClient *http.Client
}

// NewOpenAIClient returns a go-openai client that retries 429 and 5xx
// responses with backoff, honouring Retry-After. Both the chat model and the
// OpenAI-compatible embedder use it.
func NewOpenAIClient(o ClientOptions) *openai.Client {
	cfg := openai.DefaultConfig(o.APIKey)
	if o.BaseURL != "" {
		cfg.BaseURL = strings.TrimRight(o.BaseURL, "/")
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	wait := o.MaxRetryWait
	if wait <= 0 {
		wait = 20 * time.Second
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.HTTPClient = &retryDoer{client: hc, retries: max(0, o.Retries), maxWait: wait, base: 500 * time.Millisecond, log: log}
	return openai.NewClientWithConfig(cfg)
}

// retryDoer retries at the HTTP layer, where the Retry-After header is
// visible (go-openai's errors do not carry headers). Retries are bounded
// in count, in each wait, and by the request's context deadline.
type retryDoer struct {
	client  *http.Client
	retries int
	maxWait time.Duration
	base    time.Duration
	log     *slog.Logger
}

// Do implements openai.HTTPDoer.
func (d *retryDoer) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		r := req
		if attempt > 0 {
			if req.GetBody == nil {
				return nil, errors.New("cannot retry a request whose body cannot be replayed")
			}
			body, err := req.GetBody()
			if err != nil {
				return nil, fmt.Errorf("replaying request body: %w", err)
			}
			r = req.Clone(ctx)
			r.Body = body
		}
		resp, err := d.client.Do(r)
		if err != nil || !retryable(resp.StatusCode) || attempt >= d.retries {
			return resp, err
		}
		wait, asked := retryAfter(resp.Header, time.Now())
		if !asked {
			// Exponential backoff with jitter, so clients that failed
			// together do not retry together.
			wait = d.base << attempt
			wait += time.Duration(rand.Int64N(int64(wait)/2 + 1))
		}
		if wait > d.maxWait {
			d.log.Warn("model server asks to wait too long; giving up", "status", resp.StatusCode, "wait", wait)
			return resp, nil
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return resp, nil // the wait would outlast the request: fail now
		}
		d.log.Info("model server busy; retrying", "status", resp.StatusCode, "attempt", attempt+1, "wait", wait)
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status >= 500 && status <= 599
}

// retryAfter reads how long the server asked us to wait: OpenAI's
// retry-after-ms, or Retry-After in seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

// LLM answers through a chat model, grounded in the retrieved passages and
// with every citation checked. It implements Generator.
type LLM struct {
	client  *openai.Client
	model   string
	timeout time.Duration
	log     *slog.Logger
	sem     *semanticConfig // optional; see WithSemantic
}

// DefaultLLMTimeout bounds one answer, retries included.
const DefaultLLMTimeout = 30 * time.Second

// maxReplyBytes bounds what is read from a model: a reply this long is not
// the short answer asked for, and is treated as a failure.
const maxReplyBytes = 16 << 10

// NewLLM returns a Generator using model through client. timeout bounds each
// request, retries included (DefaultLLMTimeout when <= 0).
func NewLLM(client *openai.Client, model string, timeout time.Duration, log *slog.Logger) *LLM {
	if timeout <= 0 {
		timeout = DefaultLLMTimeout
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &LLM{client: client, model: model, timeout: timeout, log: log}
}

// Model is the chat model's name.
func (l *LLM) Model() string { return l.model }

// ungroundedNote explains an extractive answer given because the model's
// own could not be matched to the articles.
const ungroundedNote = "The language model's answer could not be matched to the articles, so this answer quotes them directly."

// Generate implements Generator. It streams the model's reply to onDelta
// (with mentions defused, citations not yet checked), then checks every
// citation. Errors (unreachable server, timeout, malformed stream) are
// returned so the Engine can answer extractively.
func (l *LLM) Generate(ctx context.Context, req Request, ev retrieval.Result, onDelta func(string)) (Answer, error) {
	a := Answer{Question: req.Question, Mode: ModeLLM, Model: l.model, Citations: []Citation{}}
	if len(ev.Hits) == 0 {
		a.Text = NotFoundText
		return a, nil
	}
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	start := time.Now()
	reply, err := l.stream(ctx, buildPrompt(req, ev.Hits), onDelta)
	if err != nil {
		return Answer{}, fmt.Errorf("chat model %q: %w", l.model, err)
	}
	c := l.supporter(ctx, reply, ev.Hits).verifyCitations(req.Question, reply, ev.Hits)
	l.log.Debug("model replied", "model", l.model, "prompt", PromptVersion, "took", time.Since(start),
		"markers", c.Markers, "dropped", c.Dropped, "sentences", c.Factual, "kept", c.Kept, "recited", c.Recited)
	a.DroppedMarkers = c.Dropped
	switch {
	case c.Kept == 0 && declines(stripMarkers(stripTrailers(reply))):
		// Rule 3 of the prompt: the passages do not answer it. Our own
		// wording is shown, not the model's, which is unchecked; a plain
		// decline needs no note.
		a.Text = NotFoundText
		a.DroppedMarkers = 0
		return a, nil
	case c.mostlyUngrounded():
		l.log.Warn("model answer mostly unsupported by its passages; answering extractively",
			"model", l.model, "sentences", c.Factual, "kept", c.Kept, "dropped_markers", c.Dropped)
		x := Extract(req.Question, ev)
		x.Note = ungroundedNote
		x.DroppedMarkers = c.Dropped
		return x, nil
	}
	a.Text = defuseMentions(c.Text)
	a.Citations = c.Citations
	a.Found = true
	if c.changed() {
		a.Note = checkedNote
	}
	return a, nil
}

// checkedNote tells the reader the model's answer was corrected: a claim
// the articles don't support was removed, or a citation moved to the
// passage that supports it.
const checkedNote = "Parts of the language model's answer were removed or re-cited because the articles don't support them as written."

// stream runs one streamed chat completion and returns the whole reply.
func (l *LLM) stream(ctx context.Context, msgs []promptMessage, onDelta func(string)) (string, error) {
	st, err := l.client.CreateChatCompletionStream(ctx, openai.ChatCompletionRequest{
		Model: l.model, Messages: chatMessages(msgs), Stream: true,
	})
	if err != nil {
		return "", err
	}
	defer st.Close()
	var b strings.Builder
	for {
		resp, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", err
		}
		for _, ch := range resp.Choices {
			if ch.Index != 0 || ch.Delta.Content == "" {
				continue
			}
			b.WriteString(ch.Delta.Content)
			if b.Len() > maxReplyBytes {
				return "", fmt.Errorf("reply longer than %d bytes", maxReplyBytes)
			}
			if onDelta != nil {
				onDelta(defuseMentions(ch.Delta.Content))
			}
		}
	}
	reply := strings.TrimSpace(b.String())
	if reply == "" {
		return "", errors.New("empty reply")
	}
	return reply, nil
}

// maxQueryRunes bounds a rewritten search query.
const maxQueryRunes = 300

// Rewrite implements Generator: it turns a follow-up into a standalone
// search query.
func (l *LLM) Rewrite(ctx context.Context, req Request) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	resp, err := l.client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
		Model: l.model, Messages: chatMessages(buildRewritePrompt(req)),
	})
	if err != nil {
		return "", fmt.Errorf("rewriting follow-up with %q: %w", l.model, err)
	}
	if len(resp.Choices) == 0 {
		return "", errors.New("rewriting follow-up: no choices in reply")
	}
	q := strings.TrimSpace(resp.Choices[0].Message.Content)
	if i := strings.IndexByte(q, '\n'); i >= 0 {
		q = q[:i]
	}
	q = strings.Trim(strings.TrimSpace(q), `"'“”`)
	if q == "" {
		return "", errors.New("rewriting follow-up: empty query")
	}
	return truncateRunes(q, maxQueryRunes), nil
}

func chatMessages(ms []promptMessage) []openai.ChatCompletionMessage {
	out := make([]openai.ChatCompletionMessage, len(ms))
	for i, m := range ms {
		out[i] = openai.ChatCompletionMessage{Role: m.Role, Content: m.Content}
	}
	return out
}

// declines reports whether an uncited reply says the passages don't answer.
func declines(reply string) bool {
	if len(retrieval.SplitSentences(reply)) > 2 {
		return false
	}
	for _, w := range retrieval.Words(reply) {
		switch w {
		case "not", "dont", "doesnt", "no", "cannot", "cant", "unable", "nothing", "neither", "none", "isnt", "arent":
			return true
		}
	}
	return false
}

// defuseMentions breaks every @ so generated text can never ping anyone
// (@everyone, @here, <@id>), whatever the surface does. It works on any
// fragment, so stream deltas are safe on their own.
func defuseMentions(s string) string { return strings.ReplaceAll(s, "@", "@\u200b") }
