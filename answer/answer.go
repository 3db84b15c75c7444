// Package answer turns retrieved passages into short, grounded answers with
// checked citations, extractively (offline) or through an LLM.
package answer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/talkbot/talkbot/retrieval"
)

// Modes of an Answer.
const (
	ModeExtractive = "extractive"
	ModeLLM        = "llm"
)

// Citation points a marker [N] at the exact passage text it rests on.
type Citation struct {
	N       int    `json:"n"`
	Doc     string `json:"doc"`
	Title   string `json:"title"`
	Quote   string `json:"quote"`
	Passage string `json:"passage"`
}

// Answer is the one result type every surface renders.
type Answer struct {
	Question  string     `json:"question"`
	Text      string     `json:"answer"`
	Found     bool       `json:"found"`
	Mode      string     `json:"mode"`
	Model     string     `json:"model,omitempty"`
	Citations []Citation `json:"citations"`
	// Note explains a degraded answer, e.g. the LLM was unreachable.
	Note string `json:"note,omitempty"`
	// DroppedMarkers counts LLM citation markers removed by the check.
	DroppedMarkers int `json:"dropped_markers,omitempty"`
	// Retrieval and Elapsed are timings for footers and metrics.
	Retrieval time.Duration `json:"-"`
	Elapsed   time.Duration `json:"-"`
	// Hits are the passages the answer was built from, for eval and debugging.
	Hits []retrieval.Hit `json:"-"`
}

// Turn is one earlier exchange in a conversation.
type Turn struct {
	Question string
	Answer   string
}

// Request is a question with its conversation so far (oldest first).
type Request struct {
	Question string
	History  []Turn
}

// MaxQuestionRunes bounds a question; longer ones are refused with a clear
// error rather than truncated into a different question.
const MaxQuestionRunes = 1000

// Validation errors; surfaces show their text to the user.
var (
	ErrEmptyQuestion   = errors.New("the question is empty: ask something about the articles")
	ErrQuestionTooLong = fmt.Errorf("the question is too long: keep it to at most %d characters", MaxQuestionRunes)
	ErrNotUTF8         = errors.New("the question is not valid UTF-8 text")
)

// NotFoundText is what an answer says when the articles do not cover a question.
const NotFoundText = "The articles don't cover that, so I can't answer it from them."

// Normalize validates a question and returns it trimmed, with control
// characters removed. Errors are user-facing.
func Normalize(q string) (string, error) {
	if !utf8.ValidString(q) {
		return "", ErrNotUTF8
	}
	q = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return -1
		}
		return r
	}, q)
	q = strings.Join(strings.Fields(q), " ")
	if q == "" {
		return "", ErrEmptyQuestion
	}
	if n := utf8.RuneCountInString(q); n > MaxQuestionRunes {
		return "", fmt.Errorf("%w (it has %d)", ErrQuestionTooLong, n)
	}
	return q, nil
}

// Searcher is the retrieval the Engine needs; *retrieval.Index has it.
type Searcher interface {
	Search(ctx context.Context, query string, o retrieval.SearchOptions) (retrieval.Result, error)
}

// Generator writes an answer from retrieved passages, e.g. an LLM. onDelta,
// when not nil, receives text as it is produced (unchecked, for live
// display); the returned Answer is the checked one.
type Generator interface {
	Generate(ctx context.Context, req Request, ev retrieval.Result, onDelta func(string)) (Answer, error)
	// Rewrite turns a follow-up into a standalone search query.
	Rewrite(ctx context.Context, req Request) (string, error)
}

// Engine answers questions: retrieve, then generate or extract.
type Engine struct {
	Index Searcher
	// LLM is optional; without it (or when it fails) answers are extractive.
	LLM    Generator
	Logger *slog.Logger
	// K is how many passages are retrieved (default 6).
	K int
}

// Ask answers one question.
func (e *Engine) Ask(ctx context.Context, req Request) (Answer, error) {
	return e.AskStream(ctx, req, nil)
}

// AskStream answers one question, passing LLM text deltas to onDelta as they
// arrive. Extractive answers arrive whole.
func (e *Engine) AskStream(ctx context.Context, req Request, onDelta func(string)) (Answer, error) {
	start := time.Now()
	q, err := Normalize(req.Question)
	if err != nil {
		return Answer{}, err
	}
	req.Question = q
	log := e.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	query := q
	if len(req.History) > 0 {
		if e.LLM != nil {
			if rq, err := e.LLM.Rewrite(ctx, req); err == nil && strings.TrimSpace(rq) != "" {
				query = rq
			} else if err != nil {
				log.Warn("follow-up rewrite failed; using carried-over subject", "err", err)
				query = CarryOver(req)
			}
		} else {
			query = CarryOver(req)
		}
	}
	k := e.K
	if k <= 0 {
		k = 6
	}
	rs := time.Now()
	ev, err := e.Index.Search(ctx, SearchText(query), retrieval.SearchOptions{K: k})
	if errors.Is(err, retrieval.ErrEmptyQuery) {
		// Only emoji or punctuation: nothing to look up, which is an
		// answer ("not covered"), not a failure.
		return Answer{Question: q, Text: NotFoundText, Mode: ModeExtractive, Citations: []Citation{}, Elapsed: time.Since(start)}, nil
	}
	if err != nil {
		return Answer{}, fmt.Errorf("searching the articles: %w", err)
	}
	retrievalTime := time.Since(rs)

	var a Answer
	if e.LLM != nil {
		a, err = e.LLM.Generate(ctx, req, ev, onDelta)
		if err != nil {
			if ctx.Err() != nil {
				return Answer{}, fmt.Errorf("answering: %w", ctx.Err())
			}
			log.Warn("LLM failed; answering extractively", "err", err)
			a = ExtractFollowUp(req.Question, query, ev)
			a.Note = "The language model was unavailable, so this answer quotes the articles directly."
		}
	} else {
		a = ExtractFollowUp(req.Question, query, ev)
	}
	a.Question = req.Question
	a.Hits = ev.Hits
	a.Retrieval = retrievalTime
	a.Elapsed = time.Since(start)
	if a.Citations == nil {
		a.Citations = []Citation{}
	}
	return a, nil
}

// CarryOver makes an offline follow-up searchable by carrying the previous
// question's subject along when the new one leans on it ("and what did
// Russia say about it?").
func CarryOver(req Request) string {
	if len(req.History) == 0 {
		return req.Question
	}
	prev := req.History[len(req.History)-1].Question
	words := retrieval.Words(req.Question)
	content := retrieval.Analyze(req.Question)
	anaphoric := false
	for _, w := range words {
		switch w {
		case "it", "that", "this", "they", "them", "he", "she", "him", "her", "there", "those", "these", "its", "their":
			anaphoric = true
		}
	}
	if len(words) > 0 && (words[0] == "and" || words[0] == "what" && len(words) > 1 && words[1] == "about") {
		anaphoric = true
	}
	if anaphoric || len(content) < 2 {
		return prev + " " + req.Question
	}
	return req.Question
}
