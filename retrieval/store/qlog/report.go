package qlog

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/talkbot/talkbot/retrieval"
)

// ErrNoLog means the data directory has no question log to read.
var ErrNoLog = errors.New("no question log")

// Reader reads the question log without ever writing to the database.
type Reader struct {
	db *sql.DB
}

// OpenReader opens the question log in dataDir read-only. It returns an
// error wrapping ErrNoLog when there is none (nothing recorded yet, or the
// log is off); it never creates a file.
func OpenReader(ctx context.Context, dataDir string) (*Reader, error) {
	path := Path(dataDir)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s: the bot records questions while `talkbot serve` runs (unless TALKBOT_QUESTION_LOG=off)", ErrNoLog, dataDir)
	} else if err != nil {
		return nil, fmt.Errorf("question log: %w", err)
	}
	db, err := openDB(path, true)
	if err != nil {
		return nil, err
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'qlog_questions'`).Scan(&n); err != nil {
		db.Close()
		return nil, fmt.Errorf("question log %s: %w", path, err)
	}
	if n == 0 {
		db.Close()
		return nil, fmt.Errorf("%w in %s yet: the bot records questions while `talkbot serve` runs (unless TALKBOT_QUESTION_LOG=off)", ErrNoLog, path)
	}
	return &Reader{db: db}, nil
}

// Close closes the database.
func (r *Reader) Close() error { return r.db.Close() }

// Report is what the log says about a period: the gaps in the articles and
// the answers people disliked.
type Report struct {
	Since     time.Time `json:"since"`
	Questions int       `json:"questions"`
	NotFoundN int       `json:"not_found_total"`
	FailedN   int       `json:"failed_total"`
	// NotFound are the questions the articles did not answer, similar
	// wordings grouped, most asked first.
	NotFound []Group `json:"not_found"`
	// DownVoted are answers with at least one 👎, most 👎 first.
	DownVoted []Voted `json:"down_voted"`
	// MostAsked are all questions grouped like NotFound, most asked first.
	MostAsked []Group `json:"most_asked"`
	// Latency is the time to the final answer by answer mode.
	Latency []Latency `json:"latency"`
}

// Group is one question asked in one or more similar wordings.
type Group struct {
	Question  string    `json:"question"` // the most asked wording
	Count     int       `json:"count"`
	NotFound  int       `json:"not_found"`
	Wordings  []Wording `json:"wordings"` // every distinct wording, most asked first
	LastAsked time.Time `json:"last_asked"`
}

// Wording is one way a question was put, and how often.
type Wording struct {
	Text  string `json:"text"`
	Count int    `json:"count"`
}

// Voted is an answer with its votes.
type Voted struct {
	AnswerID  string     `json:"answer_id"`
	AskedAt   time.Time  `json:"asked_at"`
	Surface   string     `json:"surface"`
	Question  string     `json:"question"`
	Answer    string     `json:"answer"`
	Found     bool       `json:"found"`
	Mode      string     `json:"mode"`
	Down      int        `json:"down"`
	Up        int        `json:"up"`
	Citations []Citation `json:"citations"`
}

// Latency summarises answer times for one mode ("failed" for errors).
type Latency struct {
	Mode  string `json:"mode"`
	Count int    `json:"count"`
	P50ms int64  `json:"p50_ms"`
	P95ms int64  `json:"p95_ms"`
}

// ModeFailed labels questions whose answering failed, in Latency.
const ModeFailed = "failed"

// row is one question as read back.
type row struct {
	id        int64
	answerID  string
	at        time.Time
	surface   string
	question  string
	answer    string
	found     bool
	mode      string
	latencyMS int64
	failed    bool
}

// Report summarises the questions asked since the given time; top bounds
// the NotFound, DownVoted and MostAsked lists and each group's wordings
// (0 = no bound).
func (r *Reader) Report(ctx context.Context, since time.Time, top int) (Report, error) {
	rep := Report{Since: since, NotFound: []Group{}, DownVoted: []Voted{}, MostAsked: []Group{}, Latency: []Latency{}}
	rows, err := r.questions(ctx, since)
	if err != nil {
		return rep, err
	}
	rep.Questions = len(rows)
	var notFound, answered []row
	latency := map[string][]int64{}
	for _, q := range rows {
		mode := q.mode
		switch {
		case q.failed:
			rep.FailedN++
			mode = ModeFailed
		case !q.found:
			rep.NotFoundN++
			notFound = append(notFound, q)
		}
		if !q.failed {
			answered = append(answered, q)
		}
		if mode == "" {
			mode = "unknown"
		}
		latency[mode] = append(latency[mode], q.latencyMS)
	}
	rep.NotFound = boundGroups(groupQuestions(notFound), top)
	rep.MostAsked = boundGroups(groupQuestions(answered), top)
	for mode, ms := range latency {
		slices.Sort(ms)
		rep.Latency = append(rep.Latency, Latency{Mode: mode, Count: len(ms), P50ms: percentile(ms, 0.50), P95ms: percentile(ms, 0.95)})
	}
	slices.SortFunc(rep.Latency, func(a, b Latency) int { return cmp.Compare(a.Mode, b.Mode) })
	voted, err := r.downVoted(ctx, rows)
	if err != nil {
		return rep, err
	}
	rep.DownVoted = bound(voted, top)
	return rep, nil
}

// boundGroups bounds the groups and each group's wordings to n.
func boundGroups(gs []Group, n int) []Group {
	gs = bound(gs, n)
	for k := range gs {
		gs[k].Wordings = bound(gs[k].Wordings, n)
	}
	return gs
}

func bound[T any](s []T, n int) []T {
	if n > 0 && len(s) > n {
		return s[:n]
	}
	return s
}

func (r *Reader) questions(ctx context.Context, since time.Time) ([]row, error) {
	rs, err := r.db.QueryContext(ctx, `SELECT id, answer_id, at_ms, surface, question, answer, found, mode, latency_ms, error
		FROM qlog_questions WHERE at_ms >= ? ORDER BY at_ms, id`, since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("reading the question log: %w", err)
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		var q row
		var at int64
		var errText string
		if err := rs.Scan(&q.id, &q.answerID, &at, &q.surface, &q.question, &q.answer, &q.found, &q.mode, &q.latencyMS, &errText); err != nil {
			return nil, fmt.Errorf("reading the question log: %w", err)
		}
		q.at, q.failed = time.UnixMilli(at).UTC(), errText != ""
		out = append(out, q)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("reading the question log: %w", err)
	}
	return out, nil
}

// downVoted joins the votes to the questions asked in the period.
func (r *Reader) downVoted(ctx context.Context, rows []row) ([]Voted, error) {
	byAnswer := make(map[string]row, len(rows))
	for _, q := range rows {
		if q.answerID != "" {
			byAnswer[q.answerID] = q // the latest, should an ID repeat
		}
	}
	rs, err := r.db.QueryContext(ctx, `SELECT answer_id, SUM(vote = 'down'), SUM(vote = 'up') FROM qlog_votes
		GROUP BY answer_id HAVING SUM(vote = 'down') > 0`)
	if err != nil {
		return nil, fmt.Errorf("reading the votes: %w", err)
	}
	var out []Voted
	var ids []int64
	for rs.Next() {
		var v Voted
		if err := rs.Scan(&v.AnswerID, &v.Down, &v.Up); err != nil {
			rs.Close()
			return nil, fmt.Errorf("reading the votes: %w", err)
		}
		q, ok := byAnswer[v.AnswerID]
		if !ok {
			continue // asked before the period, or never logged
		}
		v.AskedAt, v.Surface, v.Question, v.Answer, v.Found, v.Mode = q.at, q.surface, q.question, q.answer, q.found, q.mode
		out = append(out, v)
		ids = append(ids, q.id)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("reading the votes: %w", err)
	}
	for k, id := range ids {
		cs, err := r.citations(ctx, id)
		if err != nil {
			return nil, err
		}
		out[k].Citations = cs
	}
	slices.SortStableFunc(out, func(a, b Voted) int {
		if c := cmp.Compare(b.Down, a.Down); c != 0 {
			return c
		}
		return b.AskedAt.Compare(a.AskedAt)
	})
	return out, nil
}

func (r *Reader) citations(ctx context.Context, questionID int64) ([]Citation, error) {
	rs, err := r.db.QueryContext(ctx, `SELECT n, doc, title, passage, quote FROM qlog_citations WHERE question_id = ? ORDER BY n`, questionID)
	if err != nil {
		return nil, fmt.Errorf("reading citations: %w", err)
	}
	defer rs.Close()
	cs := []Citation{}
	for rs.Next() {
		var c Citation
		if err := rs.Scan(&c.N, &c.Doc, &c.Title, &c.Passage, &c.Quote); err != nil {
			return nil, fmt.Errorf("reading citations: %w", err)
		}
		cs = append(cs, c)
	}
	return cs, rs.Err()
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []int64, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	k := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(k, len(sorted)-1))]
}

// similar is the least share of analysed terms two wordings must have in
// common (Jaccard) to count as one question: "who won the kenya election"
// and "kenya election winner?" share 2 of 4 terms.
const similar = 0.5

// maxCandidates bounds the groups a wording is compared with per term, so
// grouping a log of 100,000 questions takes seconds, not minutes; groups
// are listed most asked first, so only rarely asked ones can be missed.
const maxCandidates = 64

// groupQuestions groups questions whose wordings are the same after
// normalising (case, spacing, end punctuation) or share enough analysed
// terms (stemmed, stop words removed), most asked first. Each wording joins
// the most similar group named by a more asked wording, or starts one.
func groupQuestions(rows []row) []Group {
	type wording struct {
		text     string
		count    int
		notFound int
		last     time.Time
		words    []string
		terms    []int // term IDs, rarest first
	}
	byText := map[string]*wording{}
	var ws []*wording
	for _, q := range rows {
		key := normalise(q.question)
		w := byText[key]
		if w == nil {
			w = &wording{text: strings.TrimSpace(q.question), words: uniqueTerms(q.question)}
			byText[key] = w
			ws = append(ws, w)
		}
		w.count++
		if !q.found {
			w.notFound++
		}
		if q.at.After(w.last) {
			w.last = q.at
		}
	}
	// Most asked wordings first, so each group is named by its most asked
	// wording and compared against it.
	slices.SortStableFunc(ws, func(a, b *wording) int {
		if c := cmp.Compare(b.count, a.count); c != 0 {
			return c
		}
		return b.last.Compare(a.last)
	})
	// Term IDs in order of rarity, so a sorted ID list starts with its
	// rarest terms (see prefix).
	df := map[string]int{}
	for _, w := range ws {
		for _, t := range w.words {
			df[t]++
		}
	}
	vocab := make([]string, 0, len(df))
	for t := range df {
		vocab = append(vocab, t)
	}
	slices.SortFunc(vocab, func(a, b string) int {
		if c := cmp.Compare(df[a], df[b]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	id := make(map[string]int, len(vocab))
	for k, t := range vocab {
		id[t] = k
	}
	for _, w := range ws {
		w.terms = make([]int, len(w.words))
		for k, t := range w.words {
			w.terms[k] = id[t]
		}
		slices.Sort(w.terms)
	}

	type group struct {
		Group
		terms []int
	}
	var gs []*group
	// Groups by the rare end of their first wording's terms: a wording
	// similar enough to a group must share one of these with it.
	byTerm := map[int][]int{}
	seen := []int{} // seen[k] == wording index + 1: group k already compared
	for wi, w := range ws {
		bestK, bestScore := -1, 0.0
		for _, t := range w.terms[:prefix(len(w.terms))] {
			// Bounded work on a huge log: beyond maxCandidates groups
			// sharing a term, only the most asked are compared.
			for _, k := range bound(byTerm[t], maxCandidates) {
				if seen[k] == wi+1 {
					continue
				}
				seen[k] = wi + 1
				// Ties go to the earlier (more asked) group.
				if s := jaccard(w.terms, gs[k].terms); s >= similar && (s > bestScore || s == bestScore && k < bestK) {
					bestK, bestScore = k, s
				}
			}
		}
		var best *group
		if bestK >= 0 {
			best = gs[bestK]
		} else {
			best = &group{Group: Group{Question: w.text}, terms: w.terms}
			for _, t := range w.terms[:prefix(len(w.terms))] {
				byTerm[t] = append(byTerm[t], len(gs))
			}
			gs = append(gs, best)
			seen = append(seen, 0)
		}
		best.Count += w.count
		best.NotFound += w.notFound
		best.Wordings = append(best.Wordings, Wording{Text: w.text, Count: w.count})
		if w.last.After(best.LastAsked) {
			best.LastAsked = w.last
		}
	}
	out := make([]Group, 0, len(gs))
	for _, g := range gs {
		out = append(out, g.Group)
	}
	slices.SortStableFunc(out, func(a, b Group) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return b.LastAsked.Compare(a.LastAsked)
	})
	return out
}

// prefix is how many of a set's rarest terms another set must meet one of
// to reach the similar threshold (prefix filtering): sets with Jaccard ≥ t
// share at least ⌈t·n⌉ of a set's n terms, so at least one among its
// n−⌈t·n⌉+1 rarest. Common terms ("putin") past the prefix are never
// looked up, which keeps grouping near linear on a large log.
func prefix(n int) int {
	if n == 0 {
		return 0
	}
	return n - int(math.Ceil(similar*float64(n))) + 1
}

// uniqueTerms is a wording's analysed terms, each once.
func uniqueTerms(q string) []string {
	ts := retrieval.Analyze(q)
	slices.Sort(ts)
	return slices.Compact(ts)
}

// jaccard is |a∩b| / |a∪b| of two sorted sets; wordings with no terms at
// all ("hi?") match only by their normalised text, never here.
func jaccard(a, b []int) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	common := 0
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			common++
			i++
			j++
		}
	}
	return float64(common) / float64(len(a)+len(b)-common)
}

// normalise folds case, spacing and end punctuation, so "Who won?" and
// "who won" are one wording.
func normalise(q string) string {
	q = strings.Join(strings.Fields(strings.ToLower(q)), " ")
	return strings.TrimRightFunc(q, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) })
}
