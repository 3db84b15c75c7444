package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/talkbot/talkbot/bot/discordtest"
	"github.com/talkbot/talkbot/internal/syncbuf"
	"github.com/talkbot/talkbot/retrieval/store/qlog"
)

const (
	reportUserA = "500000000000000001"
	reportUserB = "500000000000000002"
	reportChan  = "700000000000000001"
	reportDM    = "710000000000000001"
)

// served is `talkbot serve` running in-process against a fake Discord.
type served struct {
	t      *testing.T
	srv    *discordtest.Server
	stderr *syncbuf.Buffer
	cancel context.CancelFunc
	done   chan error
}

func serveFake(t *testing.T, envv map[string]string) *served {
	t.Helper()
	srv := discordtest.New(t)
	envv["DISCORD_TOKEN"] = "report-test-token"
	envv["DISCORD_API_URL"] = srv.APIURL()
	envv["DISCORD_GUILD_ID"] = discordtest.DefaultGuildID
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{t: t, srv: srv, stderr: &syncbuf.Buffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		s.done <- runEnv(ctx, []string{"serve"}, &env{stdout: &syncbuf.Buffer{}, stderr: s.stderr, getenv: func(k string) string { return envv[k] }})
	}()
	t.Cleanup(func() { s.stop() })
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(s.stderr.String(), "connected to Discord as user"); time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("serve ended early: %v\n%s", err, s.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not connect:\n%s", s.stderr.String())
		}
	}
	return s
}

// stop ends serve as SIGTERM would and waits for it (and so for the log
// to be written).
func (s *served) stop() {
	s.t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		s.done <- err
		if err != nil {
			s.t.Errorf("serve: %v\n%s", err, s.stderr.String())
		}
	case <-time.After(30 * time.Second):
		s.t.Fatal("serve did not stop 30 s after the context ended")
	}
}

func (s *served) wait(what string, match func(discordtest.Request) bool) discordtest.Request {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := s.srv.WaitRequest(ctx, match)
	if err != nil {
		s.t.Fatalf("waiting for %s: %v\n%s", what, err, s.stderr.String())
	}
	return r
}

func hasButtons(r discordtest.Request) bool {
	c, _ := r.Body["components"].([]any)
	return len(c) > 0
}

// ask asks with /ask and waits for the final answer (the edit with buttons).
func (s *served) ask(user, q string) *discordgo.Interaction {
	s.t.Helper()
	i := discordtest.SlashCommand("ask", map[string]any{"question": q}, user, reportChan)
	s.dispatch(i)
	s.wait("the answer to "+q, func(r discordtest.Request) bool {
		return r.Method == "PATCH" && strings.HasSuffix(r.Path, "/"+i.Token+"/messages/@original") && hasButtons(r)
	})
	return i
}

func (s *served) dispatch(i *discordgo.Interaction) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.DispatchInteraction(ctx, i); err != nil {
		s.t.Fatal(err)
	}
}

func (s *served) click(user, customID string, answered *discordgo.Interaction) {
	s.t.Helper()
	c := discordtest.ButtonClick(customID, user, reportChan, s.srv.Original(answered.ID))
	s.dispatch(c)
	s.wait("the vote's ack", func(r discordtest.Request) bool {
		return r.Method == "POST" && r.Path == "/interactions/"+c.ID+"/"+c.Token+"/callback"
	})
}

// The bot's real path fills the log (slash, DM, votes through the fake
// Discord), and `talkbot report` shows the gaps: not-found questions
// grouped, the 👎 answer with its citations, and the latency table; an
// entry past TALKBOT_LOG_RETENTION is gone, and reading changes nothing.
func TestReportOnALogFilledByTheBot(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	// An old not-found question, from before the retention window.
	old, err := qlog.Open(context.Background(), data, qlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	old.Record(qlog.Entry{AnswerID: "1", At: time.Now().Add(-10 * 24 * time.Hour), Surface: "slash", User: reportUserA,
		Question: "Who won the Kenya election in the old days?", Mode: "extractive", Latency: time.Millisecond})
	if err := old.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	envv := map[string]string{"TALKBOT_DATA_DIR": data, "TALKBOT_LOG_RETENTION": "7d"}
	s := serveFake(t, envv)
	witkoff := s.ask(reportUserA, "How long did Witkoff meet Putin?")
	s.ask(reportUserA, "Who won the Kenya election?")
	s.ask(reportUserB, "who won the kenya election")
	s.ask(reportUserB, "What is the population of Mars?")
	dm := discordtest.DirectMessage("Kenya election winner?", reportUserA, reportDM)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.DispatchMessage(ctx, dm); err != nil {
		t.Fatal(err)
	}
	s.wait("the DM answer", func(r discordtest.Request) bool {
		return r.Method == "POST" && r.Path == "/channels/"+reportDM+"/messages" && hasButtons(r)
	})
	s.click(reportUserA, "fb:down:"+witkoff.ID, witkoff)
	s.click(reportUserB, "fb:up:"+witkoff.ID, witkoff)
	s.click(reportUserB, "fb:down:"+witkoff.ID, witkoff) // changed its mind
	s.stop()

	before := dirState(t, data)
	out, errOut, code := runCLI(t, map[string]string{"TALKBOT_DATA_DIR": data}, "report", "--since", "30d")
	if code != 0 {
		t.Fatalf("report exit %d: %s", code, errOut)
	}
	t.Logf("report:\n%s", out)
	notFound := section(out, "Not found")
	// "who won the kenya election" is the same wording; "Kenya election
	// winner?" a similar one.
	for _, want := range []string{"3×  Who won the Kenya election?", "also: Kenya election winner? (1×)",
		"1×  What is the population of Mars?"} {
		if !strings.Contains(notFound, want) {
			t.Errorf("not-found section lacks %q:\n%s", want, notFound)
		}
	}
	if strings.Index(notFound, "Kenya") > strings.Index(notFound, "Mars") {
		t.Errorf("the most asked not-found question is not first:\n%s", notFound)
	}
	if strings.Contains(out, "old days") {
		t.Errorf("an entry older than TALKBOT_LOG_RETENTION=7d is still reported")
	}
	disliked := section(out, "Voted 👎")
	for _, want := range []string{"2👎 0👍  How long did Witkoff meet Putin?", "answer " + witkoff.ID, "[1] ", "[1]"} {
		if !strings.Contains(disliked, want) {
			t.Errorf("👎 section lacks %q:\n%s", want, disliked)
		}
	}
	if strings.Contains(disliked, "Kenya") {
		t.Errorf("an answer nobody voted 👎 is in the 👎 section:\n%s", disliked)
	}
	latency := section(out, "Latency")
	if !strings.Contains(latency, "p50") || !strings.Contains(latency, "extractive        5") {
		t.Errorf("latency table lacks the 5 extractive answers:\n%s", latency)
	}
	if !strings.Contains(section(out, "Most asked"), "3×  Who won the Kenya election?  (3 not found)") {
		t.Errorf("most asked section:\n%s", section(out, "Most asked"))
	}

	// The same as JSON.
	out, errOut, code = runCLI(t, map[string]string{"TALKBOT_DATA_DIR": data}, "report", "--json")
	if code != 0 {
		t.Fatalf("report --json exit %d: %s", code, errOut)
	}
	var rep qlog.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report --json is not a report: %v\n%s", err, out)
	}
	if rep.Questions != 5 || rep.NotFoundN != 4 || len(rep.NotFound) != 2 || rep.NotFound[0].Count != 3 {
		t.Errorf("JSON report totals: %d questions, %d not found, groups %+v", rep.Questions, rep.NotFoundN, rep.NotFound)
	}
	if len(rep.DownVoted) != 1 || rep.DownVoted[0].AnswerID != witkoff.ID || len(rep.DownVoted[0].Citations) == 0 ||
		rep.DownVoted[0].Citations[0].Doc == "" || rep.DownVoted[0].Citations[0].Quote == "" {
		t.Errorf("JSON 👎 answers = %+v", rep.DownVoted)
	}
	if len(rep.Latency) != 1 || rep.Latency[0].Mode != "extractive" || rep.Latency[0].Count != 5 || rep.Latency[0].P95ms < rep.Latency[0].P50ms {
		t.Errorf("JSON latency = %+v", rep.Latency)
	}
	if after := dirState(t, data); after != before {
		t.Errorf("report changed the data directory:\nbefore %s\nafter  %s", before, after)
	}
	// No user ID is stored as is.
	if b, err := os.ReadFile(qlog.Path(data)); err != nil || strings.Contains(string(b), reportUserA) {
		t.Errorf("the database holds a raw user ID (or cannot be read: %v)", err)
	}
}

// With TALKBOT_QUESTION_LOG=off, serving answers and records nothing, and
// the report says there is no log.
func TestQuestionLogOff(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	s := serveFake(t, map[string]string{"TALKBOT_DATA_DIR": data, "TALKBOT_QUESTION_LOG": "off"})
	s.ask(reportUserA, "What is the population of Mars?")
	s.stop()
	if n := qlogTables(t, data); n != 0 {
		t.Errorf("the log is off but talkbot.db has %d qlog tables", n)
	}
	_, errOut, code := runCLI(t, map[string]string{"TALKBOT_DATA_DIR": data}, "report")
	if code != 1 || !strings.Contains(errOut, "no question log") || !strings.Contains(errOut, "TALKBOT_QUESTION_LOG") {
		t.Errorf("report with the log off: exit %d, %q", code, errOut)
	}
}

func TestReportBadInput(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"report", "--since", "a week"}, 2, "7d"},
		{[]string{"report", "--since", "-3d"}, 2, "positive"},
		{[]string{"report", "--top", "-1"}, 2, "--top"},
		{[]string{"report", "kenya"}, 2, "no arguments"},
		{[]string{"report"}, 1, "no question log in " + data},
	} {
		_, errOut, code := runCLI(t, map[string]string{"TALKBOT_DATA_DIR": data}, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %q; want exit %d mentioning %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
	if entries, _ := os.ReadDir(data); len(entries) != 0 {
		t.Errorf("report created files in an empty data dir: %v", entries)
	}
}

func TestPrintableRemovesTerminalControls(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"plain question?", 100, "plain question?"},
		{"red \x1b[31mtext\x1b[0m\nnext line", 100, "red [31mtext [0m next line"},
		{"a\u2028b\tc", 100, "a b c"},
		{strings.Repeat("x", 20), 10, strings.Repeat("x", 9) + "…"},
	} {
		if got := printable(tc.in, tc.n); got != tc.want {
			t.Errorf("printable(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

// section is the part of a text report under the heading that starts with
// title, up to the next blank line.
func section(out, title string) string {
	k := strings.Index(out, "\n"+title)
	if k < 0 {
		return ""
	}
	s := out[k+1:]
	if end := strings.Index(s, "\n\n"); end >= 0 {
		s = s[:end]
	}
	return s
}

// dirState names each file in dir with its size and modification time.
func dirState(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(&b, "%s:%s:%x ", filepath.Base(p), info.ModTime(), sum[:8])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// qlogTables counts the question log's tables in the data dir's database
// (0 when there is no database: with the log off nothing need create it).
func qlogTables(t *testing.T, dir string) int {
	t.Helper()
	if _, err := os.Stat(qlog.Path(dir)); errors.Is(err, os.ErrNotExist) {
		return 0
	}
	db, err := sql.Open("sqlite", "file:"+qlog.Path(dir)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'qlog%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
