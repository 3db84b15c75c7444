package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/retrieval"
	"github.com/talkbot/talkbot/seeds"
)

// evalSet is the built-in question set, written from the seed articles.
//
//go:embed evalset.json
var evalSet []byte

// evalQuestion is one question with what a right answer looks like.
type evalQuestion struct {
	ID         string   `json:"id"`
	Question   string   `json:"question"`
	Docs       []string `json:"docs"`
	Facts      []string `json:"facts"` // each "a|b": hit when any alternative is in the answer
	Answerable bool     `json:"answerable"`
	Disagree   bool     `json:"disagree"`
}

// evalScores are the metrics of one retrieval mode.
type evalScores struct {
	Mode            string   `json:"mode"`
	RecallAt1       float64  `json:"recall_at_1"`
	RecallAt5       float64  `json:"recall_at_5"`
	MRR             float64  `json:"mrr"`
	FactHitRate     float64  `json:"fact_hit_rate"`
	NotFoundAcc     float64  `json:"not_found_accuracy"`
	AnsweredRate    float64  `json:"answered_rate"` // answerable questions that got an answer
	Questions       int      `json:"questions"`
	Unanswerable    int      `json:"unanswerable"`
	FailedQuestions []string `json:"failed,omitempty"`
}

func loadEvalSet(path string) ([]evalQuestion, error) {
	raw := evalSet
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading question set: %w", err)
		}
		raw = b
	}
	var qs []evalQuestion
	if err := json.Unmarshal(raw, &qs); err != nil {
		return nil, fmt.Errorf("parsing question set: %w", err)
	}
	if len(qs) == 0 {
		return nil, errors.New("question set is empty")
	}
	return qs, nil
}

func cmdEval(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("eval", "eval [--json] [--set FILE] [--verbose] [--llm]")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	setPath := fs.String("set", "", "question set (JSON); default: the built-in set")
	verbose := fs.Bool("verbose", false, "list the questions each mode got wrong")
	withLLM := fs.Bool("llm", false, "also score the LLM path (needs TALKBOT_CHAT_MODEL); JSON becomes {retrieval, llm}")
	if helped, err := parseNoArgs(fs, args, "eval takes no arguments"); helped || err != nil {
		return err
	}
	qs, err := loadEvalSet(*setPath)
	if err != nil {
		return err
	}
	// Eval scores the built-in corpus with the offline embedder, in memory,
	// so figures are comparable across machines and runs.
	ix, err := retrieval.Open(ctx, retrieval.Options{})
	if err != nil {
		return err
	}
	docs, err := seeds.Documents()
	if err != nil {
		return err
	}
	if _, err := ix.Add(ctx, docs...); err != nil {
		return err
	}
	var all []evalScores
	for _, m := range []retrieval.Mode{retrieval.KeywordOnly, retrieval.VectorOnly, retrieval.Hybrid} {
		s, err := evaluate(ctx, ix, qs, m)
		if err != nil {
			return err
		}
		all = append(all, s)
	}
	if *withLLM {
		ls, err := evalLLM(ctx, e, ix, qs)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(e.stdout, map[string]any{"retrieval": all, "llm": ls})
		}
		defer printLLMTable(e.stdout, ls, *verbose)
	}
	if *asJSON {
		return writeJSON(e.stdout, all)
	}
	printEvalTable(e.stdout, all)
	if *verbose {
		for _, s := range all {
			fmt.Fprintf(e.stdout, "\n%s misses:\n", s.Mode)
			for _, f := range s.FailedQuestions {
				fmt.Fprintf(e.stdout, "  %s\n", f)
			}
		}
	}
	return nil
}

func evaluate(ctx context.Context, ix *retrieval.Index, qs []evalQuestion, mode retrieval.Mode) (evalScores, error) {
	s := evalScores{Mode: mode.String(), Questions: len(qs)}
	var answerable, facts, factHits, answered, notFoundOK int
	for _, q := range qs {
		res, err := ix.Search(ctx, q.Question, retrieval.SearchOptions{K: 10, Mode: mode})
		if err != nil {
			return s, fmt.Errorf("%s: %w", q.ID, err)
		}
		a := answer.Extract(q.Question, topK(res, 6))
		if !q.Answerable {
			s.Unanswerable++
			if !a.Found {
				notFoundOK++
			} else {
				s.FailedQuestions = append(s.FailedQuestions, q.ID+" answered, should be not found: "+q.Question)
			}
			continue
		}
		answerable++
		want := map[string]bool{}
		for _, d := range q.Docs {
			want[d] = true
		}
		for i, h := range res.Hits {
			if want[h.Passage.DocID] {
				if i == 0 {
					s.RecallAt1++
				}
				if i < 5 {
					s.RecallAt5++
				}
				s.MRR += 1 / float64(i+1)
				break
			}
		}
		if a.Found {
			answered++
		}
		missed := []string{}
		for _, f := range q.Facts {
			facts++
			if factHit(a.Text, f) {
				factHits++
			} else {
				missed = append(missed, f)
			}
		}
		if len(missed) > 0 {
			s.FailedQuestions = append(s.FailedQuestions, fmt.Sprintf("%s missed %v: %s", q.ID, missed, q.Question))
		}
	}
	if answerable > 0 {
		n := float64(answerable)
		s.RecallAt1 /= n
		s.RecallAt5 /= n
		s.MRR /= n
		s.AnsweredRate = float64(answered) / n
	}
	if facts > 0 {
		s.FactHitRate = float64(factHits) / float64(facts)
	}
	if s.Unanswerable > 0 {
		s.NotFoundAcc = float64(notFoundOK) / float64(s.Unanswerable)
	}
	return s, nil
}

// topK keeps the first k hits, as the answer engine would have retrieved.
func topK(r retrieval.Result, k int) retrieval.Result {
	if len(r.Hits) > k {
		r.Hits = r.Hits[:k]
	}
	return r
}

func factHit(text, fact string) bool {
	low := strings.ToLower(text)
	for _, alt := range strings.Split(fact, "|") {
		if alt = strings.ToLower(strings.TrimSpace(alt)); alt != "" && strings.Contains(low, alt) {
			return true
		}
	}
	return false
}

func printEvalTable(w io.Writer, all []evalScores) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "metric\t")
	for _, s := range all {
		fmt.Fprintf(tw, "%s\t", s.Mode)
	}
	fmt.Fprintln(tw)
	rows := []struct {
		name string
		get  func(evalScores) float64
	}{
		{"recall@1", func(s evalScores) float64 { return s.RecallAt1 }},
		{"recall@5", func(s evalScores) float64 { return s.RecallAt5 }},
		{"MRR", func(s evalScores) float64 { return s.MRR }},
		{"fact hit rate", func(s evalScores) float64 { return s.FactHitRate }},
		{"not-found accuracy", func(s evalScores) float64 { return s.NotFoundAcc }},
		{"answered rate", func(s evalScores) float64 { return s.AnsweredRate }},
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t", r.name)
		for _, s := range all {
			fmt.Fprintf(tw, "%.3f\t", r.get(s))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	if len(all) > 0 {
		fmt.Fprintf(w, "(%d questions, %d of them not answerable from the articles)\n", all[0].Questions, all[0].Unanswerable)
	}
}
