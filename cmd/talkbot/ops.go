package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/talkbot/talkbot/answer"
)

// Outcomes of a question, as counted in metrics.
const (
	outcomeAnswered    = "answered"
	outcomeNotFound    = "not_found"
	outcomeRateLimited = "rate_limited"
	outcomeError       = "error"
)

// ops is the operational surface: Prometheus metrics and health checks.
// Each instance has its own registry, so tests and commands never share
// global collectors.
type ops struct {
	reg       *prometheus.Registry
	questions *prometheus.CounterVec
	retrieval prometheus.Histogram
	llm       prometheus.Histogram
	total     *prometheus.HistogramVec
	dropped   prometheus.Counter
	feedback  *prometheus.CounterVec

	mu     sync.Mutex
	checks map[string]func() bool // readiness conditions by name
}

func newOps() *ops {
	buckets := []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	o := &ops{
		reg: prometheus.NewRegistry(),
		questions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "talkbot_questions_total",
			Help: "Questions by surface (cli, slash, mention, dm), answer mode and outcome."}, []string{"surface", "mode", "outcome"}),
		retrieval: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "talkbot_retrieval_seconds",
			Help: "Time to retrieve passages for a question.", Buckets: buckets}),
		llm: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "talkbot_llm_seconds",
			Help: "Time the LLM took to write an answer.", Buckets: buckets}),
		total: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "talkbot_answer_seconds",
			Help: "Time from question to final answer.", Buckets: buckets}, []string{"surface"}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "talkbot_dropped_citations_total",
			Help: "Citation markers removed by the citation check."}),
		feedback: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "talkbot_feedback_total",
			Help: "Feedback button clicks by vote."}, []string{"vote"}),
		checks: map[string]func() bool{},
	}
	o.reg.MustRegister(o.questions, o.retrieval, o.llm, o.total, o.dropped, o.feedback,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return o
}

// observe records one finished question.
func (o *ops) observe(surface string, a answer.Answer, err error, took time.Duration) {
	outcome, mode := outcomeAnswered, a.Mode
	switch {
	case err != nil:
		outcome = outcomeError
	case !a.Found:
		outcome = outcomeNotFound
	}
	if mode == "" {
		mode = "none"
	}
	o.questions.WithLabelValues(surface, mode, outcome).Inc()
	o.total.WithLabelValues(surface).Observe(took.Seconds())
	if err != nil {
		return
	}
	o.retrieval.Observe(a.Retrieval.Seconds())
	if a.Mode == answer.ModeLLM {
		o.llm.Observe((a.Elapsed - a.Retrieval).Seconds())
	}
	o.dropped.Add(float64(a.DroppedMarkers))
}

// rateLimited counts a question refused by the rate limiter or the queue.
func (o *ops) rateLimited(surface string) {
	o.questions.WithLabelValues(surface, "none", outcomeRateLimited).Inc()
}

// vote counts a feedback click.
func (o *ops) vote(v string) { o.feedback.WithLabelValues(v).Inc() }

// readyWhen adds a readiness condition; /readyz is true only when all hold.
func (o *ops) readyWhen(name string, f func() bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.checks[name] = f
}

func (o *ops) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		o.mu.Lock()
		defer o.mu.Unlock()
		var failing []string
		for name, f := range o.checks {
			if !f() {
				failing = append(failing, name)
			}
		}
		if len(o.checks) == 0 {
			failing = append(failing, "starting")
		}
		if len(failing) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "not ready: %v\n", failing)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(o.reg, promhttp.HandlerOpts{}))
	return mux
}

// serve runs the HTTP endpoint on addr until ctx ends. It returns once the
// listener is bound (so readiness can be probed at once); errors after that
// are logged.
func (o *ops) serve(ctx context.Context, addr string, log *slog.Logger) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("TALKBOT_HTTP_ADDR %q: %w", addr, err)
	}
	srv := &http.Server{Handler: o.handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("health and metrics server stopped", "err", err)
		}
	}()
	log.Info("health and metrics listening", "addr", ln.Addr().String())
	return ln.Addr(), nil
}
