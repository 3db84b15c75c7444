package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
	"unicode"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/config"
	"github.com/talkbot/talkbot/retrieval/store/qlog"
)

// cmdReport prints what the question log says about the articles' gaps:
// questions not found, answers voted 👎, the most asked questions and
// answer latency. It only reads.
func cmdReport(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("report", "report [--since 7d] [--json] [--top 10]")
	sinceFlag := fs.String("since", "7d", "report questions asked in this last stretch of time (e.g. 24h, 7d, 90d)")
	asJSON := fs.Bool("json", false, "print one JSON object instead of text")
	top := fs.Int("top", 10, "show at most this many entries per list (0 = all)")
	if helped, err := parseNoArgs(fs, args, "report takes no arguments; e.g. talkbot report --since 7d"); helped || err != nil {
		return err
	}
	span, err := config.ParseAge(*sinceFlag)
	if err != nil {
		return usagef("--since: %v", err)
	}
	if *top < 0 {
		return usagef("--top: %d is negative; use 0 for all", *top)
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	dir, err := cfg.ResolvedDataDir()
	if err != nil {
		return err
	}
	r, err := qlog.OpenReader(ctx, dir)
	if err != nil {
		return err
	}
	defer r.Close()
	since := time.Now().Add(-span).UTC()
	rep, err := r.Report(ctx, since, *top)
	if err != nil {
		return fmt.Errorf("reading the question log: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printReport(e.stdout, rep, *sinceFlag)
	return nil
}

// printReport writes the report for a terminal. Questions and answers are
// what users typed: control characters are removed so they cannot drive
// the terminal.
func printReport(w io.Writer, rep qlog.Report, span string) {
	fmt.Fprintf(w, "Questions since %s (%s): %d asked, %d not found, %d failed.\n",
		rep.Since.Format("2006-01-02 15:04 MST"), span, rep.Questions, rep.NotFoundN, rep.FailedN)
	if rep.Questions == 0 {
		fmt.Fprintln(w, "\nNothing was asked in that time; try a longer --since.")
		return
	}

	fmt.Fprintln(w, "\nNot found: questions the articles don't answer, similar wordings grouped, most asked first")
	if len(rep.NotFound) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	for _, g := range rep.NotFound {
		fmt.Fprintf(w, "  %3d×  %s\n", g.Count, printable(g.Question, 200))
		for _, wd := range g.Wordings[1:] {
			fmt.Fprintf(w, "          also: %s (%d×)\n", printable(wd.Text, 200), wd.Count)
		}
	}

	fmt.Fprintln(w, "\nVoted 👎: answers people disliked, with what they cited")
	if len(rep.DownVoted) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	for _, v := range rep.DownVoted {
		fmt.Fprintf(w, "  %d👎 %d👍  %s\n", v.Down, v.Up, printable(v.Question, 200))
		fmt.Fprintf(w, "        asked %s via %s, %s answer %s\n", v.AskedAt.Format("2006-01-02 15:04 MST"), v.Surface, v.Mode, v.AnswerID)
		fmt.Fprintf(w, "        answer: %s\n", printable(v.Answer, 300))
		for _, c := range v.Citations {
			fmt.Fprintf(w, "        [%d] %s (%s): %q\n", c.N, printable(c.Doc, 80), printable(c.Title, 80), printable(c.Quote, 200))
		}
	}

	fmt.Fprintln(w, "\nMost asked")
	if len(rep.MostAsked) == 0 {
		fmt.Fprintln(w, "  (none answered)")
	}
	for _, g := range rep.MostAsked {
		note := ""
		if g.NotFound > 0 {
			note = fmt.Sprintf("  (%d not found)", g.NotFound)
		}
		fmt.Fprintf(w, "  %3d×  %s%s\n", g.Count, printable(g.Question, 200), note)
	}

	fmt.Fprintln(w, "\nLatency to the final answer, by mode")
	fmt.Fprintf(w, "  %-12s %6s %10s %10s\n", "mode", "count", "p50", "p95")
	for _, l := range rep.Latency {
		fmt.Fprintf(w, "  %-12s %6d %10s %10s\n", l.Mode, l.Count, millis(l.P50ms), millis(l.P95ms))
	}
}

func millis(ms int64) string {
	if ms < 1000 {
		return fmt.Sprintf("%d ms", ms)
	}
	return fmt.Sprintf("%.1f s", float64(ms)/1000)
}

// printable flattens text to one line without control characters and
// shortens it to n runes.
func printable(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	s = oneLine(s)
	if r := []rune(s); len(r) > n {
		s = string(r[:n-1]) + "…"
	}
	return s
}

// openQuestionLog opens the question log for serve, or returns nil when it
// is off. A log that cannot be opened is a warning, not a failure: the bot
// answers without it.
func openQuestionLog(ctx context.Context, e *env, cfg config.Config, log *slog.Logger) (bot.QuestionLog, func()) {
	if !cfg.QuestionLog {
		log.Info("question log is off", "setting", config.EnvQuestionLog)
		return nil, func() {}
	}
	dir, err := cfg.ResolvedDataDir()
	var l *qlog.Log
	if err == nil {
		l, err = qlog.Open(ctx, dir, qlog.Options{Retention: cfg.LogRetention, Logger: log})
	}
	if err != nil {
		log.Warn("not recording questions", "err", err)
		fmt.Fprintf(e.stderr, "talkbot: warning: not recording questions for `talkbot report`: %v\n", err)
		return nil, func() {}
	}
	return questionLog{l}, func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := l.Close(cctx); err != nil {
			log.Warn("closing the question log", "err", err)
		}
		if n := l.Dropped(); n > 0 {
			log.Warn("question log entries not written", "dropped", n)
		}
	}
}

// questionLog records the bot's questions and votes in a qlog.Log.
type questionLog struct{ l *qlog.Log }

func (q questionLog) Asked(a bot.AskedQuestion) {
	e := qlog.Entry{AnswerID: a.AnswerID, At: a.At, Surface: a.Surface, GuildID: a.GuildID, ChannelID: a.ChannelID,
		User: a.UserID, Question: a.Question, Answer: a.Answer.Text, Found: a.Answer.Found, Mode: a.Answer.Mode,
		Latency: a.Took, Error: a.Error}
	for _, c := range a.Answer.Citations {
		e.Citations = append(e.Citations, qlog.Citation{N: c.N, Doc: c.Doc, Title: c.Title, Passage: c.Passage, Quote: c.Quote})
	}
	q.l.Record(e)
}

func (q questionLog) Voted(v bot.FeedbackVote) {
	q.l.Vote(qlog.Vote{AnswerID: v.AnswerID, User: v.UserID, Vote: v.Vote, At: v.At})
}
