package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/talkbot/talkbot/answer"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestOpsHealthReadyMetrics(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := newOps()
	addr, err := o.serve(ctx, "127.0.0.1:0", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + addr.String()

	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("healthz = %d", code)
	}
	// Not ready until every condition holds.
	if code, body := get(t, base+"/readyz"); code != 503 {
		t.Errorf("readyz before any check = %d %s", code, body)
	}
	var indexLoaded atomic.Bool
	o.readyWhen("index", indexLoaded.Load)
	if code, body := get(t, base+"/readyz"); code != 503 || !strings.Contains(body, "index") {
		t.Errorf("readyz before index load = %d %s", code, body)
	}
	indexLoaded.Store(true)
	if code, _ := get(t, base+"/readyz"); code != 200 {
		t.Errorf("readyz after load = %d", code)
	}

	o.observe("slash", answer.Answer{Found: true, Mode: "llm", DroppedMarkers: 2, Retrieval: time.Millisecond, Elapsed: 5 * time.Millisecond}, nil, 5*time.Millisecond)
	o.observe("dm", answer.Answer{Mode: "extractive"}, nil, time.Millisecond)
	o.observe("mention", answer.Answer{}, errors.New("boom"), time.Millisecond)
	o.rateLimited("slash")
	o.vote("up")
	_, m := get(t, base+"/metrics")
	for _, want := range []string{
		`talkbot_questions_total{mode="llm",outcome="answered",surface="slash"} 1`,
		`talkbot_questions_total{mode="extractive",outcome="not_found",surface="dm"} 1`,
		`talkbot_questions_total{mode="none",outcome="error",surface="mention"} 1`,
		`talkbot_questions_total{mode="none",outcome="rate_limited",surface="slash"} 1`,
		`talkbot_dropped_citations_total 2`,
		`talkbot_feedback_total{vote="up"} 1`,
		`talkbot_llm_seconds_count 1`,
		`talkbot_retrieval_seconds_count 2`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	cancel()
	// The server stops with its context.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := http.Get(base + "/healthz"); err != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Error("server still up after cancel")
}
