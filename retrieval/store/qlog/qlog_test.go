package qlog

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func open(t *testing.T, dir string, o Options) *Log {
	t.Helper()
	l, err := Open(context.Background(), dir, o)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func closeLog(t *testing.T, l *Log) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func report(t *testing.T, dir string, since time.Time) Report {
	t.Helper()
	r, err := OpenReader(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rep, err := r.Report(context.Background(), since, 0)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// raw opens the database as a test's own handle, to look at what is stored.
func raw(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", Path(dir)+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func count(t *testing.T, db *sql.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func entry(id, q string, found bool, mode string, ms int, at time.Time) Entry {
	e := Entry{AnswerID: id, At: at, Surface: "slash", GuildID: "g1", ChannelID: "c1", User: "500000000000000001",
		Question: q, Found: found, Mode: mode, Latency: time.Duration(ms) * time.Millisecond}
	if found {
		e.Answer = "Witkoff met Putin for five hours [1]."
		e.Citations = []Citation{{N: 1, Doc: "002_witkoff", Title: "Witkoff in Moscow", Passage: "002_witkoff#3", Quote: "The meeting lasted five hours."}}
	} else {
		e.Answer = "The articles don't cover that."
	}
	return e
}

func TestRecordVoteAndReport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l := open(t, dir, Options{Now: func() time.Time { return t0 }})
	at := t0.Add(-time.Hour)
	l.Record(entry("a1", "How long did Witkoff meet Putin?", true, "extractive", 40, at))
	l.Record(entry("a2", "Who won the Kenya election?", false, "extractive", 20, at))
	l.Record(entry("a3", "who won the kenya election", false, "extractive", 30, at.Add(time.Minute)))
	l.Record(entry("a4", "Kenya election winner?", false, "llm", 900, at.Add(2*time.Minute)))
	l.Record(entry("a5", "What is the price of grain in Egypt?", false, "llm", 1100, at))
	l.Record(Entry{AnswerID: "a6", At: at, Surface: "dm", User: "u9", Question: "boom", Error: "answer timed out", Latency: 2 * time.Minute})
	// Two people dislike a1, one likes it and then changes to 👎.
	l.Vote(Vote{AnswerID: "a1", User: "u1", Vote: VoteDown})
	l.Vote(Vote{AnswerID: "a1", User: "u2", Vote: VoteDown})
	l.Vote(Vote{AnswerID: "a1", User: "u3", Vote: VoteUp})
	l.Vote(Vote{AnswerID: "a1", User: "u3", Vote: VoteDown})
	// a5 liked, then the like withdrawn into nothing else: not a 👎 answer.
	l.Vote(Vote{AnswerID: "a5", User: "u1", Vote: VoteUp})
	closeLog(t, l)
	if l.Dropped() != 0 {
		t.Errorf("dropped %d entries with nothing in the way", l.Dropped())
	}

	rep := report(t, dir, t0.Add(-24*time.Hour))
	if rep.Questions != 6 || rep.NotFoundN != 4 || rep.FailedN != 1 {
		t.Errorf("totals = %d questions, %d not found, %d failed; want 6, 4, 1", rep.Questions, rep.NotFoundN, rep.FailedN)
	}
	if len(rep.NotFound) != 2 {
		t.Fatalf("not-found groups = %+v, want the Kenya wordings grouped and the grain question alone", rep.NotFound)
	}
	kenya := rep.NotFound[0]
	if kenya.Count != 3 || kenya.Question != "Who won the Kenya election?" || len(kenya.Wordings) != 2 {
		t.Errorf("first not-found group = %+v, want 3 asks in 2 wordings named by the most asked", kenya)
	}
	if rep.NotFound[1].Question != "What is the price of grain in Egypt?" || rep.NotFound[1].Count != 1 {
		t.Errorf("second not-found group = %+v", rep.NotFound[1])
	}
	if len(rep.DownVoted) != 1 {
		t.Fatalf("down-voted = %+v, want a1 only", rep.DownVoted)
	}
	v := rep.DownVoted[0]
	if v.AnswerID != "a1" || v.Down != 3 || v.Up != 0 || v.Question != "How long did Witkoff meet Putin?" ||
		!strings.Contains(v.Answer, "five hours [1]") {
		t.Errorf("down-voted answer = %+v, want a1 with 3 👎 (a changed vote replaces the old one)", v)
	}
	if len(v.Citations) != 1 || v.Citations[0].Doc != "002_witkoff" || v.Citations[0].Passage != "002_witkoff#3" ||
		v.Citations[0].Quote != "The meeting lasted five hours." {
		t.Errorf("citations of the 👎 answer = %+v", v.Citations)
	}
	if len(rep.MostAsked) == 0 || rep.MostAsked[0].Count != 3 || rep.MostAsked[0].NotFound != 3 {
		t.Errorf("most asked = %+v, want the Kenya question (3, all not found) first", rep.MostAsked)
	}
	want := []Latency{{"extractive", 3, 30, 40}, {ModeFailed, 1, 120000, 120000}, {"llm", 2, 900, 1100}}
	if !slices.Equal(rep.Latency, want) {
		t.Errorf("latency = %+v, want %+v", rep.Latency, want)
	}

	// --since leaves out what was asked before it, and votes on it.
	if rep := report(t, dir, t0.Add(-30*time.Minute)); rep.Questions != 0 || len(rep.DownVoted) != 0 {
		t.Errorf("since 30 min ago: %d questions, %d down-voted; want none", rep.Questions, len(rep.DownVoted))
	}
}

func TestUserIDsAreStoredOnlyAsKeyedHashes(t *testing.T) {
	t.Parallel()
	const user = "500000000000000001"
	hashes := map[string]bool{}
	for range 2 {
		dir := t.TempDir()
		l := open(t, dir, Options{})
		l.Record(entry("a1", "q", true, "extractive", 1, time.Now()))
		l.Vote(Vote{AnswerID: "a1", User: user, Vote: VoteDown})
		closeLog(t, l)
		db := raw(t, dir)
		var qh, vh string
		if err := db.QueryRow("SELECT user_hash FROM qlog_questions").Scan(&qh); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow("SELECT user_hash FROM qlog_votes").Scan(&vh); err != nil {
			t.Fatal(err)
		}
		plain := sha256.Sum256([]byte(user))
		if qh == "" || qh != vh || strings.Contains(qh, user) || strings.HasPrefix(hex.EncodeToString(plain[:]), qh) {
			t.Errorf("user hash %q / %q: want one keyed hash, not the ID or its plain SHA-256", qh, vh)
		}
		hashes[qh] = true
		b, err := os.ReadFile(Path(dir))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), user) {
			t.Errorf("the raw user ID is in the database file")
		}
	}
	if len(hashes) != 2 {
		t.Errorf("two stores hashed one user to the same value: the salt is not per store")
	}
}

func TestRetention(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := t0
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	l := open(t, dir, Options{Retention: 30 * 24 * time.Hour, Now: clock})
	l.Record(entry("old", "old question", true, "extractive", 1, t0.Add(-40*24*time.Hour)))
	l.Record(entry("mid", "middle question", true, "extractive", 1, t0.Add(-20*24*time.Hour)))
	l.Record(entry("new", "new question", false, "extractive", 1, t0.Add(-time.Hour)))
	l.Vote(Vote{AnswerID: "old", User: "u", Vote: VoteDown, At: t0.Add(-40 * 24 * time.Hour)})
	l.Vote(Vote{AnswerID: "new", User: "u", Vote: VoteDown, At: t0.Add(-time.Hour)})
	closeLog(t, l)
	db := raw(t, dir)
	if n := count(t, db, "qlog_questions"); n != 3 {
		t.Fatalf("%d questions written, want 3 (retention applies on open and daily, not on write)", n)
	}

	// Reopening prunes what is past the retention, with its citations and votes.
	l = open(t, dir, Options{Retention: 30 * 24 * time.Hour, Now: clock})
	if n := count(t, db, "qlog_questions"); n != 2 {
		t.Errorf("after reopening: %d questions, want 2", n)
	}
	if n := count(t, db, "qlog_citations"); n != 1 {
		t.Errorf("after reopening: %d citations, want 1 (the old answer's went with it)", n)
	}
	if n := count(t, db, "qlog_votes"); n != 1 {
		t.Errorf("after reopening: %d votes, want 1", n)
	}
	// A day later the daily prune takes the next one.
	mu.Lock()
	now = t0.Add(11 * 24 * time.Hour)
	mu.Unlock()
	n, err := l.Prune(context.Background())
	if err != nil || n != 1 {
		t.Errorf("Prune = %d, %v; want the 20-day-old question deleted at 31 days", n, err)
	}
	closeLog(t, l)
	if rep := report(t, dir, time.Time{}); rep.Questions != 1 || rep.NotFound[0].Question != "new question" {
		t.Errorf("report after retention = %+v", rep)
	}
}

// A bot that runs for months prunes while it runs, not only when it starts.
func TestPrunesWhileOpen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := t0
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	l := open(t, dir, Options{Retention: time.Hour, PruneEvery: 10 * time.Millisecond, Now: clock})
	defer closeLog(t, l)
	l.Record(entry("a1", "q", false, "extractive", 1, t0.Add(-30*time.Minute)))
	db := raw(t, dir)
	waitFor := func(what string, want int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); count(t, db, "qlog_questions") != want; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	waitFor("the entry to be written and kept", 1)
	time.Sleep(50 * time.Millisecond) // several prunes: still within the retention
	waitFor("the entry to be kept", 1)
	mu.Lock()
	now = t0.Add(time.Hour)
	mu.Unlock()
	waitFor("the periodic prune to delete the entry past the retention", 0)
}

func TestOffWritesNothing(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	l := open(t, dir, Options{Off: true})
	l.Record(entry("a1", "q", true, "extractive", 1, time.Now()))
	l.Vote(Vote{AnswerID: "a1", User: "u", Vote: VoteDown})
	if _, err := l.Prune(context.Background()); err != nil {
		t.Fatal(err)
	}
	closeLog(t, l)
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the log is off but %s exists (err %v)", dir, err)
	}
	if _, err := OpenReader(context.Background(), dir); !errors.Is(err, ErrNoLog) {
		t.Errorf("OpenReader = %v, want ErrNoLog", err)
	}
}

// Two processes (here two *sql.DB handles, as two bots or a bot and an
// ingest would have) write at once; nothing is lost and both hash users
// with the one salt.
func TestConcurrentWritersFromTwoHandles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := open(t, dir, Options{}), open(t, dir, Options{})
	const each = 150
	var wg sync.WaitGroup
	for k, l := range []*Log{a, b} {
		wg.Go(func() {
			for i := range each {
				l.Record(entry(fmt.Sprintf("%d-%d", k, i), fmt.Sprintf("question %d", i), i%2 == 0, "extractive", i, time.Now()))
				if i%10 == 0 {
					l.Vote(Vote{AnswerID: "shared", User: "same-user", Vote: []string{VoteUp, VoteDown}[k]})
				}
			}
		})
	}
	wg.Wait()
	closeLog(t, a)
	closeLog(t, b)
	if a.Dropped()+b.Dropped() != 0 {
		t.Errorf("dropped %d + %d", a.Dropped(), b.Dropped())
	}
	db := raw(t, dir)
	if n := count(t, db, "qlog_questions"); n != 2*each {
		t.Errorf("%d questions stored, want %d", n, 2*each)
	}
	if n := count(t, db, "qlog_citations"); n != each {
		t.Errorf("%d citations stored, want %d", n, each)
	}
	if n := count(t, db, "qlog_votes"); n != 1 {
		t.Errorf("%d vote rows for one user on one answer from two handles, want 1 (same salt)", n)
	}
	if n := count(t, db, "qlog_migrations"); n != len(migrations)-1 {
		t.Errorf("%d migrations recorded, want %d", n, len(migrations)-1)
	}
}

// A database locked by another writer must not hold up the caller: Record
// returns at once, drops beyond the queue, and writes the rest later.
func TestRecordNeverBlocks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l := open(t, dir, Options{Queue: 8})
	lock := raw(t, dir)
	conn, err := lock.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	const n = 500
	start := time.Now()
	for i := range n {
		l.Record(entry(fmt.Sprint(i), "q", false, "extractive", 1, time.Now()))
	}
	if took := time.Since(start); took > 200*time.Millisecond {
		t.Errorf("%d Records took %v with the database locked; they must not wait", n, took)
	}
	dropped := l.Dropped()
	if dropped == 0 || dropped > n-8 {
		t.Errorf("dropped %d of %d with a queue of 8", dropped, n)
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := conn.ExecContext(context.Background(), "COMMIT"); err != nil {
		t.Fatal(err)
	}
	closeLog(t, l)
	if got := count(t, lock, "qlog_questions"); int64(got) != n-l.Dropped() || got == 0 {
		t.Errorf("%d written, %d dropped, of %d", got, l.Dropped(), n)
	}
}

func TestReaderNeverWrites(t *testing.T) {
	t.Parallel()
	t.Run("no database", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		_, err := OpenReader(context.Background(), dir)
		if !errors.Is(err, ErrNoLog) || !strings.Contains(err.Error(), "talkbot serve") {
			t.Errorf("OpenReader = %v, want ErrNoLog saying how a log is made", err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("reading made files: %v", entries)
		}
	})
	t.Run("database without a log", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		db := raw(t, dir)
		if _, err := db.Exec("CREATE TABLE documents (id TEXT)"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		before, _ := os.ReadFile(Path(dir))
		if _, err := OpenReader(context.Background(), dir); !errors.Is(err, ErrNoLog) {
			t.Errorf("OpenReader = %v, want ErrNoLog", err)
		}
		if after, _ := os.ReadFile(Path(dir)); string(after) != string(before) {
			t.Errorf("reading changed the database")
		}
	})
	t.Run("log", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		l := open(t, dir, Options{})
		l.Record(entry("a1", "q", true, "extractive", 1, time.Now()))
		closeLog(t, l)
		before, _ := os.ReadFile(Path(dir))
		r, err := OpenReader(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.db.Exec("DELETE FROM qlog_questions"); err == nil {
			t.Errorf("the reader's handle can write")
		}
		if _, err := r.Report(context.Background(), time.Time{}, 10); err != nil {
			t.Fatal(err)
		}
		r.Close()
		if after, _ := os.ReadFile(Path(dir)); string(after) != string(before) {
			t.Errorf("reading changed the database")
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("reading left files beside the database: %v", entries)
		}
	})
	t.Run("while a writer has it open", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		l := open(t, dir, Options{})
		defer closeLog(t, l)
		l.Record(entry("a1", "q", false, "extractive", 1, time.Now()))
		deadline := time.Now().Add(5 * time.Second)
		for {
			r, err := OpenReader(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := r.Report(context.Background(), time.Time{}, 0)
			r.Close()
			if err != nil {
				t.Fatal(err)
			}
			if rep.Questions == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("a committed entry never became visible to a reader")
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func TestGroupQuestions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   []string
		want []string // group: wordings joined by " | ", most asked first
	}{
		{"case, spacing and end punctuation are one wording",
			[]string{"Who won?", "who  won", "WHO WON?!"}, []string{"Who won?"}},
		{"shared analysed terms group different wordings; ties go to the latest",
			[]string{"Who won the Kenya election?", "kenya election winner", "kenya elections won"},
			[]string{"kenya elections won | kenya election winner | Who won the Kenya election?"}},
		{"one shared word is not the same question",
			[]string{"What did Putin say about Donbas?", "When was Putin born?"},
			[]string{"When was Putin born?", "What did Putin say about Donbas?"}},
		{"the most asked comes first and names its group",
			[]string{"grain price", "tl;dr?", "What is the grain price?", "what is the grain price", "tl;dr"},
			[]string{"What is the grain price? | grain price", "tl;dr?"}},
		{"wordings without terms group only when identical",
			[]string{"hi", "hello", "hi!"}, []string{"hi", "hello"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var rows []row
			for k, q := range tc.in {
				rows = append(rows, row{question: q, at: t0.Add(time.Duration(k) * time.Second)})
			}
			var got []string
			for _, g := range groupQuestions(rows) {
				var ws []string
				for _, w := range g.Wordings {
					ws = append(ws, w.Text)
				}
				if g.Question != ws[0] {
					t.Errorf("group named %q, its most asked wording is %q", g.Question, ws[0])
				}
				got = append(got, strings.Join(ws, " | "))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("groups = %q, want %q", got, tc.want)
			}
		})
	}
}
