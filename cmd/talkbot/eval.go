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

// evalSet is the older built-in question set, written from the seed articles.
//
//go:embed evalset.json
var evalSet []byte

// discordSet is the built-in set phrased the way Discord users type
// (lowercase, colloquial, typos), with near-topic questions the articles do
// not answer, summary requests and greetings; its questions carry a kind.
//
//go:embed evalset_discord.json
var discordSet []byte

// Kinds of question in a set; a question without one is answerable or
// unanswerable by its Answerable flag.
const (
	kindAnswerable = "answerable"
	kindNearTopic  = "near-topic-unanswerable"
	kindSummary    = "summary"
	kindGreeting   = "greeting"
)

// evalQuestion is one question with what a right answer looks like.
type evalQuestion struct {
	ID         string   `json:"id"`
	Question   string   `json:"question"`
	Docs       []string `json:"docs"`
	Facts      []string `json:"facts"` // each "a|b": hit when any alternative is in the answer
	Answerable bool     `json:"answerable"`
	Disagree   bool     `json:"disagree"`
	Kind       string   `json:"kind,omitempty"`
}

// evalScores are the metrics of one retrieval mode.
type evalScores struct {
	Mode         string  `json:"mode"`
	RecallAt1    float64 `json:"recall_at_1"`
	RecallAt5    float64 `json:"recall_at_5"`
	MRR          float64 `json:"mrr"`
	FactHitRate  float64 `json:"fact_hit_rate"`
	NotFoundAcc  float64 `json:"not_found_accuracy"`
	AnsweredRate float64 `json:"answered_rate"` // answerable questions that got an answer
	Questions    int     `json:"questions"`
	Unanswerable int     `json:"unanswerable"`
	// Kinds holds the per-kind figures of a set whose questions have kinds.
	Kinds           *kindScores `json:"kinds,omitempty"`
	FailedQuestions []string    `json:"failed,omitempty"`
}

// kindScores are the figures that show how a set typed as people type fares.
type kindScores struct {
	// RightSource: an expected article is among the passages the answer
	// cites, or, when it says not found, among the top 5 retrieved.
	RightSource float64 `json:"right_source"`
	// KeyFact is the share of the answerable questions' facts the answer states.
	KeyFact float64 `json:"key_fact"`
	// NearTopicNotFound: near-topic questions the articles don't answer
	// that got "not found".
	NearTopicNotFound float64 `json:"near_topic_not_found"`
	// SummaryAnswered: summary requests that got an answer.
	SummaryAnswered float64 `json:"summary_answered"`
	// GreetingHelp: greetings and "help" that point to /help.
	GreetingHelp float64 `json:"greeting_help"`
	Answerable   int     `json:"answerable"`
	NearTopic    int     `json:"near_topic"`
	Summary      int     `json:"summary"`
	Greeting     int     `json:"greeting"`
}

// optionalFile is a flag that may stand alone (--replies: the built-in
// set) or name a file (--replies=FILE, or --replies FILE).
type optionalFile struct {
	set  bool
	path string
}

func (f *optionalFile) String() string { return f.path }

func (f *optionalFile) Set(v string) error {
	f.set = true
	if v != "true" {
		f.path = v
	}
	return nil
}

// IsBoolFlag lets the flag package accept --replies without a value.
func (f *optionalFile) IsBoolFlag() bool { return true }

// namedSet is a question set with the name eval prints above its table.
type namedSet struct {
	Name string
	Qs   []evalQuestion
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
	return parseEvalSet(raw)
}

func parseEvalSet(raw []byte) ([]evalQuestion, error) {
	var qs []evalQuestion
	if err := json.Unmarshal(raw, &qs); err != nil {
		return nil, fmt.Errorf("parsing question set: %w", err)
	}
	if len(qs) == 0 {
		return nil, errors.New("question set is empty")
	}
	for _, q := range qs {
		switch q.Kind {
		case "", kindAnswerable, kindNearTopic, kindSummary, kindGreeting:
		default:
			return nil, fmt.Errorf("question %s: unknown kind %q (use %s, %s, %s or %s)",
				q.ID, q.Kind, kindAnswerable, kindNearTopic, kindSummary, kindGreeting)
		}
	}
	return qs, nil
}

// evalSets are the sets eval scores: the one named by --set, or both
// built-in sets.
func evalSets(path string) ([]namedSet, error) {
	if path != "" {
		qs, err := loadEvalSet(path)
		if err != nil {
			return nil, err
		}
		return []namedSet{{Name: path, Qs: qs}}, nil
	}
	older, err := parseEvalSet(evalSet)
	if err != nil {
		return nil, fmt.Errorf("built-in set: %w", err)
	}
	discord, err := parseEvalSet(discordSet)
	if err != nil {
		return nil, fmt.Errorf("built-in Discord set: %w", err)
	}
	return []namedSet{{Name: "older set (evalset.json)", Qs: older},
		{Name: "Discord-style set (evalset_discord.json)", Qs: discord}}, nil
}

func cmdEval(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("eval", "eval [--json] [--set FILE] [--verbose] [--llm] [--replies [FILE]]")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	setPath := fs.String("set", "", "question set (JSON); default: both built-in sets")
	verbose := fs.Bool("verbose", false, "list the questions each mode got wrong")
	withLLM := fs.Bool("llm", false, "also score the LLM path on the first set (needs TALKBOT_CHAT_MODEL); JSON becomes {retrieval, llm}")
	var replies optionalFile
	fs.Var(&replies, "replies", "replay a labelled LLM-reply set (the built-in one, or FILE) through the real LLM client and citation check")
	prompts := fs.Bool("prompts", false, "with --replies: print the exact prompt each question gets, to write replies from")
	pos, err := parseFlags(fs, args)
	switch {
	case errors.Is(err, errHelp):
		return nil
	case err != nil:
		return err
	case replies.set && len(pos) == 1 && replies.path == "":
		replies.path = pos[0] // --replies FILE
	case len(pos) > 0:
		return usagef("eval takes no arguments (a reply set is named as --replies FILE)")
	}
	if replies.set {
		if *setPath != "" || *withLLM {
			return usagef("eval --replies replays its own questions with its own replies: drop --set and --llm")
		}
		return cmdReplay(ctx, e, replies.path, *asJSON, *verbose, *prompts)
	}
	if *prompts {
		return usagef("--prompts goes with --replies")
	}
	sets, err := evalSets(*setPath)
	if err != nil {
		return err
	}
	ix, err := seedIndex(ctx)
	if err != nil {
		return err
	}
	results := make([][]evalScores, len(sets))
	for i, set := range sets {
		for _, m := range []retrieval.Mode{retrieval.KeywordOnly, retrieval.VectorOnly, retrieval.Hybrid} {
			s, err := evaluate(ctx, ix, set.Qs, m)
			if err != nil {
				return err
			}
			results[i] = append(results[i], s)
		}
	}
	// One set prints as it always has; both built-in sets print as an
	// object keyed by set.
	var retrievalJSON any = results[0]
	if len(sets) == 2 {
		retrievalJSON = map[string][]evalScores{"older": results[0], "discord": results[1]}
	}
	if *withLLM {
		ls, err := evalLLM(ctx, e, ix, sets[0].Qs)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(e.stdout, map[string]any{"retrieval": retrievalJSON, "llm": ls})
		}
		defer printLLMTable(e.stdout, ls, *verbose)
	}
	if *asJSON {
		return writeJSON(e.stdout, retrievalJSON)
	}
	for i, set := range sets {
		if len(sets) > 1 {
			if i > 0 {
				fmt.Fprintln(e.stdout)
			}
			fmt.Fprintf(e.stdout, "%s:\n", set.Name)
		}
		printEvalTable(e.stdout, results[i])
		if *verbose {
			for _, s := range results[i] {
				fmt.Fprintf(e.stdout, "\n%s misses:\n", s.Mode)
				for _, f := range s.FailedQuestions {
					fmt.Fprintf(e.stdout, "  %s\n", f)
				}
			}
		}
	}
	return nil
}

// seedIndex indexes the built-in corpus with the offline embedder, in
// memory, so figures are comparable across machines and runs.
func seedIndex(ctx context.Context) (*retrieval.Index, error) {
	ix, err := retrieval.Open(ctx, retrieval.Options{})
	if err != nil {
		return nil, err
	}
	docs, err := seeds.Documents()
	if err != nil {
		return nil, err
	}
	if _, err := ix.Add(ctx, docs...); err != nil {
		return nil, err
	}
	return ix, nil
}

// kindOf is a question's kind, from its Answerable flag when it has none.
func kindOf(q evalQuestion) string {
	if q.Kind != "" {
		return q.Kind
	}
	if q.Answerable {
		return kindAnswerable
	}
	return "unanswerable"
}

// pointsToHelp reports whether an answer sends the user to /help, what a
// greeting or "help" should get instead of "not found".
func pointsToHelp(a answer.Answer) bool { return strings.Contains(a.Text, "/help") }

func evaluate(ctx context.Context, ix *retrieval.Index, qs []evalQuestion, mode retrieval.Mode) (evalScores, error) {
	s := evalScores{Mode: mode.String(), Questions: len(qs)}
	var answerable, facts, factHits, answered, notFoundOK int
	var k kindScores
	var kindFacts, kindFactHits, nearOK, summaryOK, greetOK int
	hasKinds := false
	for _, q := range qs {
		hasKinds = hasKinds || q.Kind != ""
		res, err := ix.Search(ctx, answer.SearchText(q.Question), retrieval.SearchOptions{K: 10, Mode: mode})
		if err != nil {
			return s, fmt.Errorf("%s: %w", q.ID, err)
		}
		a := answer.Extract(q.Question, topK(res, 6))
		want := map[string]bool{}
		for _, d := range q.Docs {
			want[d] = true
		}
		switch kindOf(q) {
		case kindAnswerable:
			k.Answerable++
			if rightSource(a, res, want) {
				k.RightSource++
			} else {
				s.FailedQuestions = append(s.FailedQuestions, fmt.Sprintf("%s wrong source: %s", q.ID, q.Question))
			}
			for _, f := range q.Facts {
				kindFacts++
				if factHit(a.Text, f) {
					kindFactHits++
				}
			}
		case kindNearTopic:
			k.NearTopic++
			if !a.Found {
				nearOK++
			}
		case kindSummary:
			k.Summary++
			if a.Found {
				summaryOK++
			} else {
				s.FailedQuestions = append(s.FailedQuestions, fmt.Sprintf("%s summary not answered: %s", q.ID, q.Question))
			}
		case kindGreeting:
			k.Greeting++
			if pointsToHelp(a) {
				greetOK++
			} else {
				s.FailedQuestions = append(s.FailedQuestions, fmt.Sprintf("%s greeting not pointed to /help: %s", q.ID, q.Question))
			}
		}
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
	if hasKinds {
		k.RightSource = ratio(int(k.RightSource), k.Answerable)
		k.KeyFact = ratio(kindFactHits, kindFacts)
		k.NearTopicNotFound = ratio(nearOK, k.NearTopic)
		k.SummaryAnswered = ratio(summaryOK, k.Summary)
		k.GreetingHelp = ratio(greetOK, k.Greeting)
		s.Kinds = &k
	}
	return s, nil
}

// rightSource reports whether the answer rests on an expected article: one
// it cites, or, for "not found", one in the top 5 retrieved (the answer had
// the right material and declined).
func rightSource(a answer.Answer, res retrieval.Result, want map[string]bool) bool {
	if a.Found {
		for _, c := range a.Citations {
			if want[c.Doc] {
				return true
			}
		}
		return false
	}
	for i, h := range res.Hits {
		if i < 5 && want[h.Passage.DocID] {
			return true
		}
	}
	return false
}

// ratio is n/d, or 0 when there is nothing to divide.
func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
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
	if len(all) > 0 && all[0].Kinds != nil {
		k := all[0].Kinds
		kindRows := []struct {
			name string
			get  func(kindScores) float64
		}{
			{fmt.Sprintf("right source (%d)", k.Answerable), func(k kindScores) float64 { return k.RightSource }},
			{fmt.Sprintf("key fact (%d)", k.Answerable), func(k kindScores) float64 { return k.KeyFact }},
			{fmt.Sprintf("near-topic not found (%d)", k.NearTopic), func(k kindScores) float64 { return k.NearTopicNotFound }},
			{fmt.Sprintf("summary answered (%d)", k.Summary), func(k kindScores) float64 { return k.SummaryAnswered }},
			{fmt.Sprintf("greeting -> /help (%d)", k.Greeting), func(k kindScores) float64 { return k.GreetingHelp }},
		}
		for _, r := range kindRows {
			fmt.Fprintf(tw, "%s\t", r.name)
			for _, s := range all {
				fmt.Fprintf(tw, "%.3f\t", r.get(*s.Kinds))
			}
			fmt.Fprintln(tw)
		}
	}
	tw.Flush()
	if len(all) > 0 {
		fmt.Fprintf(w, "(%d questions, %d of them not answerable from the articles)\n", all[0].Questions, all[0].Unanswerable)
	}
}
