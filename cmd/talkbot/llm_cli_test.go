package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	openai "github.com/sashabaranov/go-openai"

	"github.com/talkbot/talkbot/retrieval"
)

var promptPassage = regexp.MustCompile(`<passage n="(\d+)" doc="[^"]*" title="[^"]*">\n([^<]*)\n</passage>`)

// fakeModel answers like a small grounded model: it quotes the two
// adjacent passage sentences sharing most terms with the question, citing
// them, or declines when nothing matches.
func fakeModel(req openai.ChatCompletionRequest) string {
	user := req.Messages[len(req.Messages)-1].Content
	q := user[strings.Index(user, "<question>")+len("<question>"):]
	q = q[:strings.Index(q, "</question>")]
	want := map[string]bool{}
	for _, t := range retrieval.Analyze(q) {
		want[t] = true
	}
	var best []string
	bestN, bestScore := "", 1
	for _, m := range promptPassage.FindAllStringSubmatch(user, -1) {
		sents := retrieval.SplitSentences(m[2])
		for i := range sents {
			win := sents[i:min(i+2, len(sents))]
			got := map[string]bool{}
			for _, t := range retrieval.Analyze(strings.Join(win, " ")) {
				if want[t] {
					got[t] = true
				}
			}
			if len(got) > bestScore {
				best, bestN, bestScore = win, m[1], len(got)
			}
		}
	}
	if best == nil {
		return "The articles don't cover that."
	}
	var b strings.Builder
	for _, s := range best {
		fmt.Fprintf(&b, "%s [%s]. ", strings.TrimSuffix(s, "."), bestN)
	}
	return strings.TrimSpace(b.String())
}

// fakeChatServer is an OpenAI-compatible chat server on loopback that
// streams fakeModel's reply over SSE and counts requests.
func fakeChatServer(t *testing.T) (url string, requests *atomic.Int64) {
	t.Helper()
	requests = &atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		var req openai.ChatCompletionRequest
		if r.URL.Path != "/v1/chat/completions" || json.NewDecoder(r.Body).Decode(&req) != nil || !req.Stream {
			http.Error(w, `{"error":{"message":"unexpected request"}}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for _, word := range strings.SplitAfter(fakeModel(req), " ") {
			b, _ := json.Marshal(openai.ChatCompletionStreamResponse{Model: req.Model,
				Choices: []openai.ChatCompletionStreamChoice{{Delta: openai.ChatCompletionStreamChoiceDelta{Content: word}}}})
			fmt.Fprintf(w, "data: %s\n\n", b)
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v1", requests
}

type llmJSON struct {
	Mode      string `json:"mode"`
	Model     string `json:"model"`
	Found     bool   `json:"found"`
	Answer    string `json:"answer"`
	Note      string `json:"note"`
	Citations []struct {
		N     int    `json:"n"`
		Doc   string `json:"doc"`
		Quote string `json:"quote"`
	} `json:"citations"`
}

func closedPortURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/v1"
}

func TestAskWithLLM(t *testing.T) {
	url, requests := fakeChatServer(t)
	cases := []struct {
		name      string
		url       string
		args      []string
		wantMode  string
		wantModel string
		wantReqs  int64
	}{
		{"server up", url, nil, "llm", "fake-model", 1},
		{"server down", closedPortURL(t), nil, "extractive", "", 0},
		{"--offline", url, []string{"--offline"}, "extractive", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := requests.Load()
			envv := map[string]string{"OPENAI_BASE_URL": c.url, "TALKBOT_CHAT_MODEL": "fake-model", "TALKBOT_LLM_TIMEOUT": "5s"}
			args := append([]string{"ask", "--json"}, c.args...)
			out, errOut, code := runCLI(t, envv, append(args, "Who represented Putin at the Miami talks?")...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var a llmJSON
			if err := json.Unmarshal([]byte(out), &a); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			if a.Mode != c.wantMode || a.Model != c.wantModel || !a.Found {
				t.Fatalf("mode %q model %q found %v, want %q %q: %s", a.Mode, a.Model, a.Found, c.wantMode, c.wantModel, out)
			}
			if got := requests.Load() - before; got != c.wantReqs {
				t.Errorf("%d requests to the model, want %d", got, c.wantReqs)
			}
			if c.name == "server down" && a.Note == "" {
				t.Errorf("fallback without a note: %s", out)
			}
			miami := false
			for _, ci := range a.Citations {
				raw, err := os.ReadFile(filepath.Join("..", "..", "seeds", ci.Doc+".txt"))
				if err != nil || ci.Quote == "" || !strings.Contains(string(raw), ci.Quote) {
					t.Errorf("citation %d quote is not exact text of %s: %q", ci.N, ci.Doc, ci.Quote)
				}
				miami = miami || ci.Doc == "002_5f20617c4fac4dcb" && strings.Contains(ci.Quote, "Dmitriev")
			}
			if !miami || !strings.Contains(a.Answer, "Dmitriev") {
				t.Errorf("the Miami article's Dmitriev sentence is not cited: %s", out)
			}
		})
	}
}

func TestLLMConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"chat model with nowhere to send it", map[string]string{"TALKBOT_CHAT_MODEL": "llama3.1"}, "TALKBOT_CHAT_MODEL"},
		{"bad base URL", map[string]string{"TALKBOT_CHAT_MODEL": "llama3.1", "OPENAI_BASE_URL": "localhost:11434"}, "OPENAI_BASE_URL"},
		{"bad timeout", map[string]string{"TALKBOT_CHAT_MODEL": "x", "OPENAI_BASE_URL": "http://127.0.0.1:1/v1", "TALKBOT_LLM_TIMEOUT": "soon"}, "TALKBOT_LLM_TIMEOUT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, c.env, "ask", "How long did Witkoff meet Putin?")
			if code != 2 || !strings.Contains(errOut, c.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 naming %s", code, errOut, c.want)
			}
		})
	}
}

func TestEvalLLM(t *testing.T) {
	url, requests := fakeChatServer(t)
	set := filepath.Join(t.TempDir(), "set.json")
	if err := os.WriteFile(set, []byte(`[
	{"id":"m1","question":"Who represented Putin at the Miami talks?","docs":["002_5f20617c4fac4dcb"],"facts":["Dmitriev"],"answerable":true},
	{"id":"n1","question":"Who won the Super Bowl?","docs":[],"facts":[],"answerable":false}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	envv := map[string]string{"OPENAI_BASE_URL": url, "TALKBOT_CHAT_MODEL": "fake-model"}
	out, errOut, code := runCLI(t, envv, "eval", "--llm", "--json", "--set", set)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r struct {
		Retrieval []evalScores `json:"retrieval"`
		LLM       llmScores    `json:"llm"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(r.Retrieval) != 3 || r.LLM.Questions != 2 || r.LLM.Model != "fake-model" || requests.Load() != 2 {
		t.Fatalf("unexpected eval output (%d requests): %s", requests.Load(), out)
	}
	// The fake model quotes its passages, so every judged marker is precise;
	// it declines the Super Bowl.
	if r.LLM.LLMAnswers != 2 || r.LLM.JudgedMarkers == 0 || r.LLM.CitationPrecision != 1 || r.LLM.FactHitRate != 1 || r.LLM.NotFoundAcc != 1 {
		t.Errorf("scores: %+v", r.LLM)
	}
	if _, errOut, code := runCLI(t, nil, "eval", "--llm"); code != 2 || !strings.Contains(errOut, "TALKBOT_CHAT_MODEL") {
		t.Errorf("eval --llm without a model: exit %d, %q", code, errOut)
	}
	out, _, code = runCLI(t, envv, "eval", "--llm", "--set", set)
	if code != 0 || !strings.Contains(out, "citation precision") || !strings.Contains(out, "recall@5") {
		t.Errorf("eval --llm table:\n%s", out)
	}
}
