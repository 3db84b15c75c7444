package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot/discordtest"
	"github.com/talkbot/talkbot/internal/syncbuf"
)

// fakeLLMServer is an OpenAI-compatible chat endpoint on loopback that
// streams a grounded answer: the first sentence of passage [1], cited. It
// takes `delay` to "generate", like a small local model.
func fakeLLMServer(t *testing.T, delay time.Duration) *httptest.Server {
	t.Helper()
	passage1 := regexp.MustCompile(`(?s)<passage n="1"[^>]*>\n(.*?)\n</passage>`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/chat/completions") {
			http.NotFound(w, r)
			return
		}
		var req struct {
			Stream   bool `json:"stream"`
			Messages []struct {
				Role, Content string
			} `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		reply := "The articles don't cover that."
		if m := passage1.FindStringSubmatch(req.Messages[len(req.Messages)-1].Content); m != nil {
			first, _, _ := strings.Cut(m[1], ". ")
			reply = strings.TrimSuffix(first, ".") + " [1]."
		}
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		if !req.Stream {
			json.NewEncoder(w).Encode(map[string]any{"id": "x", "object": "chat.completion", "model": "fake",
				"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": reply}, "finish_reason": "stop"}}})
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for _, part := range strings.SplitAfter(reply, " ") {
			b, _ := json.Marshal(map[string]any{"id": "x", "object": "chat.completion.chunk", "model": "fake",
				"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": part}}}})
			fmt.Fprintf(w, "data: %s\n\n", b)
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestLoadThroughFakeDiscord sends 200 questions from 50 users through the
// real `talkbot serve` (fake Discord, fake LLM): every question gets an
// answer or a rate-limit notice, none is lost, and no goroutine outlives
// the server. Not parallel, so the goroutine count is this test's own.
func TestLoadThroughFakeDiscord(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	const (
		users       = 50
		perUser     = 4
		rateLimit   = 3 // so each user's 4th question is refused
		llmDelay    = 20 * time.Millisecond
		testTimeout = 90 * time.Second
	)
	before := runtime.NumGoroutine()
	// A subtest, so the fake servers' cleanups run before goroutines are counted.
	t.Run("200 questions", func(t *testing.T) {
		srv := discordtest.New(t, discordtest.Options{InteractionTimeout: -1})
		llm := fakeLLMServer(t, llmDelay)
		envv := map[string]string{
			"DISCORD_TOKEN":           "load-test-token",
			"DISCORD_API_URL":         srv.APIURL(),
			"DISCORD_GUILD_ID":        discordtest.DefaultGuildID,
			"TALKBOT_DATA_DIR":        t.TempDir(),
			"OPENAI_BASE_URL":         llm.URL + "/v1",
			"TALKBOT_CHAT_MODEL":      "fake",
			"TALKBOT_USER_RATE_LIMIT": fmt.Sprint(rateLimit),
			"TALKBOT_RATE_WINDOW":     "10m",
			"TALKBOT_MAX_CONCURRENT":  "8",
			"TALKBOT_MAX_QUEUE":       "256",
		}
		var stderr syncbuf.Buffer
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() {
			done <- runEnv(ctx, []string{"serve"}, &env{stdout: &stderr, stderr: &stderr, getenv: func(k string) string { return envv[k] }})
		}()
		wctx, wcancel := context.WithTimeout(context.Background(), testTimeout)
		defer wcancel()
		if err := srv.WaitIdentified(wctx); err != nil {
			t.Fatalf("serve did not connect: %v\n%s", err, stderr.String())
		}

		questions := []string{"How long did Witkoff meet Putin?", "Who represented Putin at the Miami talks?",
			"How much of Ukraine does Russia control?", "When will the EU phase out Russian gas imports?"}
		type sent struct {
			token string
			at    time.Time
		}
		var mu sync.Mutex
		var all []sent
		var wg sync.WaitGroup
		for u := range users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				user := fmt.Sprintf("5%017d", u+1)
				for q := range perUser {
					i := discordtest.SlashCommand("ask", map[string]any{"question": questions[(u+q)%len(questions)]}, user, "700000000000000001")
					at := time.Now()
					if err := srv.DispatchInteraction(wctx, i); err != nil {
						t.Errorf("dispatch: %v", err)
						return
					}
					mu.Lock()
					all = append(all, sent{i.Token, at})
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(all) != users*perUser {
			t.Fatalf("sent %d of %d", len(all), users*perUser)
		}

		// Every question ends in an answer (the deferred response edited) or
		// a rate-limit notice (an ephemeral callback).
		var answered, limited int
		var latencies, acks []time.Duration
		for _, s := range all {
			r, err := srv.WaitRequest(wctx, func(r discordtest.Request) bool {
				if !strings.Contains(r.Path, s.token) {
					return false
				}
				if r.Method == "PATCH" && strings.HasSuffix(r.Path, "/messages/@original") {
					embeds, _ := r.Body["embeds"].([]any)
					return len(embeds) > 0
				}
				if r.Method == "POST" && strings.HasSuffix(r.Path, "/callback") {
					d, _ := r.Body["data"].(map[string]any)
					c, _ := d["content"].(string)
					return strings.Contains(c, "try again")
				}
				return false
			})
			if err != nil {
				t.Fatalf("a question was lost (no answer, no notice): %v\n%s", err, tail(stderr.String(), 3000))
			}
			if r.Method == "PATCH" {
				answered++
				latencies = append(latencies, r.At.Sub(s.at))
				ack, err := srv.WaitRequest(wctx, func(r discordtest.Request) bool {
					return r.Method == "POST" && strings.Contains(r.Path, s.token) && strings.HasSuffix(r.Path, "/callback")
				})
				if err != nil {
					t.Fatalf("answer without acknowledgement: %v", err)
				}
				acks = append(acks, ack.At.Sub(s.at))
			} else {
				limited++
			}
		}
		if answered != users*rateLimit || limited != users*(perUser-rateLimit) {
			t.Errorf("answered %d, rate-limited %d; want %d and %d", answered, limited, users*rateLimit, users*(perUser-rateLimit))
		}
		slices.Sort(latencies)
		slices.Sort(acks)
		p := func(d []time.Duration, q float64) time.Duration { return d[int(q*float64(len(d)-1))] }
		t.Logf("%d answered, %d rate-limited; event→acknowledgement p50 %v p99 %v; event→answer p50 %v p99 %v "+
			"(all 200 sent at once; answers include %v of fake LLM time each, 8 at a time)",
			answered, limited, p(acks, 0.5), p(acks, 0.99), p(latencies, 0.5), p(latencies, 0.99), llmDelay)
		if bad := srv.Requests(); len(bad) > 0 {
			for _, r := range bad {
				if r.Status >= 400 && r.Status != 429 {
					t.Errorf("fake Discord refused a request: %s %s → %d %v", r.Method, r.Path, r.Status, r.Body)
					break
				}
			}
		}

		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not stop")
		}
	})

	// Goroutines wind down asynchronously (discordgo, idle HTTP conns).
	deadline := time.Now().Add(10 * time.Second)
	after := runtime.NumGoroutine()
	for after > before+2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		after = runtime.NumGoroutine()
	}
	t.Logf("goroutines: %d before, %d after", before, after)
	if after > before+2 {
		buf := make([]byte, 1<<16)
		n := runtime.Stack(buf, true)
		t.Errorf("goroutine leak: %d before, %d after\n%s", before, after, buf[:n])
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
