package answer

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	openai "github.com/sashabaranov/go-openai"
)

// fakeLLM is an OpenAI-compatible chat server on loopback: it records every
// request, can fail with given statuses first, hang, or stream garbage, and
// otherwise streams (SSE) the reply its reply func writes from the prompt.
type fakeLLM struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests []openai.ChatCompletionRequest
	statuses []int             // answered in order before any success
	header   map[string]string // sent with those failures
	hang     bool              // never answer (until the client gives up)
	garbage  bool              // stream something that is not JSON
	reply    func(req openai.ChatCompletionRequest) string
}

func newFakeLLM(t *testing.T, reply func(req openai.ChatCompletionRequest) string) *fakeLLM {
	t.Helper()
	f := &fakeLLM{reply: reply}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the base URL a client is given (OPENAI_BASE_URL).
func (f *fakeLLM) URL() string { return f.srv.URL + "/v1" }

func (f *fakeLLM) Requests() []openai.ChatCompletionRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]openai.ChatCompletionRequest(nil), f.requests...)
}

func (f *fakeLLM) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		http.Error(w, `{"error":{"message":"not found","type":"invalid_request_error"}}`, http.StatusNotFound)
		return
	}
	var req openai.ChatCompletionRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, `{"error":{"message":"bad json","type":"invalid_request_error"}}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	status := 0
	if len(f.statuses) > 0 {
		status, f.statuses = f.statuses[0], f.statuses[1:]
	}
	hang, garbage, header := f.hang, f.garbage, f.header
	f.mu.Unlock()
	if status != 0 {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":{"message":"fake failure %d","type":"server_error"}}`, status)
		return
	}
	if hang {
		<-r.Context().Done()
		return
	}
	text := f.reply(req)
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(openai.ChatCompletionResponse{ID: "c1", Object: "chat.completion", Model: req.Model,
			Choices: []openai.ChatCompletionChoice{{Message: openai.ChatCompletionMessage{Role: "assistant", Content: text}, FinishReason: "stop"}}})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	fl, _ := w.(http.Flusher)
	if garbage {
		fmt.Fprint(w, "data: {this is not json\n\n")
		return
	}
	for _, piece := range chunks(text, 7) {
		b, _ := json.Marshal(openai.ChatCompletionStreamResponse{ID: "c1", Object: "chat.completion.chunk", Model: req.Model,
			Choices: []openai.ChatCompletionStreamChoice{{Index: 0, Delta: openai.ChatCompletionStreamChoiceDelta{Content: piece}}}})
		fmt.Fprintf(w, "data: %s\n\n", b)
		if fl != nil {
			fl.Flush()
		}
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
}

// chunks splits s into pieces of n bytes (at rune boundaries), as a model
// streams tokens.
func chunks(s string, n int) []string {
	var out []string
	for len(s) > 0 {
		i := min(n, len(s))
		for i < len(s) && !utf8RuneStart(s[i]) {
			i++
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return out
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

var passageTag = regexp.MustCompile(`<passage n="(\d+)" doc="([^"]*)" title="[^"]*">\n([^<]*)\n</passage>`)

// promptPassages reads the numbered passages back out of a prompt, as a
// model would see them: number → text.
func promptPassages(req openai.ChatCompletionRequest) map[string]string {
	out := map[string]string{}
	for _, m := range req.Messages {
		if m.Role != "user" {
			continue
		}
		for _, sm := range passageTag.FindAllStringSubmatch(m.Content, -1) {
			out[sm[1]] = sm[3]
		}
	}
	return out
}

// citing returns the number of the first passage containing s, the way a
// model picks what to cite; "0" when none does.
func citing(req openai.ChatCompletionRequest, s string) string {
	best := 0
	for n, text := range promptPassages(req) {
		var k int
		fmt.Sscan(n, &k)
		if strings.Contains(text, s) && (best == 0 || k < best) {
			best = k
		}
	}
	return fmt.Sprint(best)
}
