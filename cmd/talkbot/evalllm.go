package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/config"
	"github.com/talkbot/talkbot/retrieval"
)

// llmScores are the metrics of the LLM path on the question set.
type llmScores struct {
	Model         string `json:"model"`
	PromptVersion string `json:"prompt_version"`
	Questions     int    `json:"questions"`
	// LLMAnswers were written by the model; Fallbacks came back extractive
	// (server failure or an answer the citation check could not keep).
	LLMAnswers   int     `json:"llm_answers"`
	Fallbacks    int     `json:"fallbacks"`
	FactHitRate  float64 `json:"fact_hit_rate"`
	NotFoundAcc  float64 `json:"not_found_accuracy"`
	AnsweredRate float64 `json:"answered_rate"`
	// KeptMarkers survived the citation check; DroppedMarkers did not.
	KeptMarkers    int `json:"kept_markers"`
	DroppedMarkers int `json:"dropped_markers"`
	// CitationPrecision is the share of judged kept markers whose passage
	// contains the supporting text: a marker is judged when its sentence
	// states one of the question's expected facts, and precise when the
	// cited passage contains that fact too.
	CitationPrecision float64  `json:"citation_precision"`
	JudgedMarkers     int      `json:"judged_markers"`
	MeanSeconds       float64  `json:"mean_seconds"`
	FailedQuestions   []string `json:"failed,omitempty"`
}

// evalLLM scores the LLM path: the real Engine with the configured model
// over the same in-memory index the retrieval eval uses.
func evalLLM(ctx context.Context, e *env, ix *retrieval.Index, qs []evalQuestion) (llmScores, error) {
	cfg, err := e.config()
	if err != nil {
		return llmScores{}, err
	}
	if !cfg.LLMEnabled() {
		return llmScores{}, usagef("eval --llm needs a chat model: set %s (and %s or %s)", config.EnvChatModel, config.EnvOpenAIBaseURL, config.EnvOpenAIKey)
	}
	log := e.logger(cfg)
	gen, err := newGenerator(cfg, log)
	if err != nil {
		return llmScores{}, err
	}
	eng := &answer.Engine{Index: ix, LLM: gen, Logger: log}
	s := llmScores{Model: cfg.ChatModel, PromptVersion: answer.PromptVersion, Questions: len(qs)}
	var answerable, unanswerable, facts, factHits, answered, notFoundOK, precise int
	var took time.Duration
	for _, q := range qs {
		start := time.Now()
		a, err := eng.Ask(ctx, answer.Request{Question: q.Question})
		took += time.Since(start)
		if err != nil {
			return s, fmt.Errorf("%s: %w", q.ID, err)
		}
		if a.Mode == answer.ModeLLM {
			s.LLMAnswers++
		} else {
			s.Fallbacks++
			s.FailedQuestions = append(s.FailedQuestions, fmt.Sprintf("%s fell back to extractive (%s): %s", q.ID, a.Note, q.Question))
		}
		s.DroppedMarkers += a.DroppedMarkers
		passages := map[int]string{}
		for _, c := range a.Citations {
			for _, h := range a.Hits {
				if h.Passage.ID == c.Passage {
					passages[c.N] = h.Passage.Text()
				}
			}
		}
		for _, cs := range answer.ParseCitations(a.Text) {
			s.KeptMarkers += len(cs.Markers)
			for _, f := range q.Facts {
				alt := matchedAlt(cs.Text, f)
				if alt == "" {
					continue
				}
				for _, n := range cs.Markers {
					s.JudgedMarkers++
					if strings.Contains(strings.ToLower(passages[n]), alt) {
						precise++
					}
				}
			}
		}
		if !q.Answerable {
			unanswerable++
			if !a.Found {
				notFoundOK++
			} else {
				s.FailedQuestions = append(s.FailedQuestions, q.ID+" answered, should be not found: "+q.Question)
			}
			continue
		}
		answerable++
		if a.Found {
			answered++
		}
		for _, f := range q.Facts {
			facts++
			if factHit(a.Text, f) {
				factHits++
			} else {
				s.FailedQuestions = append(s.FailedQuestions, fmt.Sprintf("%s missed %q: %s", q.ID, f, q.Question))
			}
		}
	}
	if answerable > 0 {
		s.AnsweredRate = float64(answered) / float64(answerable)
	}
	if facts > 0 {
		s.FactHitRate = float64(factHits) / float64(facts)
	}
	if unanswerable > 0 {
		s.NotFoundAcc = float64(notFoundOK) / float64(unanswerable)
	}
	if s.JudgedMarkers > 0 {
		s.CitationPrecision = float64(precise) / float64(s.JudgedMarkers)
	}
	if len(qs) > 0 {
		s.MeanSeconds = took.Seconds() / float64(len(qs))
	}
	return s, nil
}

// matchedAlt is the (lower-case) alternative of a fact "a|b" that text
// states, or "".
func matchedAlt(text, fact string) string {
	low := strings.ToLower(text)
	for _, alt := range strings.Split(fact, "|") {
		if alt = strings.ToLower(strings.TrimSpace(alt)); alt != "" && strings.Contains(low, alt) {
			return alt
		}
	}
	return ""
}

func printLLMTable(w io.Writer, s llmScores, verbose bool) {
	fmt.Fprintf(w, "\nLLM path: model %s, prompt %s\n", s.Model, s.PromptVersion)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	rows := []struct {
		name string
		val  string
	}{
		{"answers by the model", fmt.Sprintf("%d/%d", s.LLMAnswers, s.Questions)},
		{"extractive fallbacks", fmt.Sprint(s.Fallbacks)},
		{"fact hit rate", fmt.Sprintf("%.3f", s.FactHitRate)},
		{"not-found accuracy", fmt.Sprintf("%.3f", s.NotFoundAcc)},
		{"answered rate", fmt.Sprintf("%.3f", s.AnsweredRate)},
		{"citation precision", fmt.Sprintf("%.3f (%d judged)", s.CitationPrecision, s.JudgedMarkers)},
		{"markers kept / dropped", fmt.Sprintf("%d / %d", s.KeptMarkers, s.DroppedMarkers)},
		{"mean seconds per answer", fmt.Sprintf("%.2f", s.MeanSeconds)},
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t\n", r.name, r.val)
	}
	tw.Flush()
	if verbose && len(s.FailedQuestions) > 0 {
		fmt.Fprintln(w, "\nLLM misses:")
		for _, f := range s.FailedQuestions {
			fmt.Fprintf(w, "  %s\n", f)
		}
	}
}
