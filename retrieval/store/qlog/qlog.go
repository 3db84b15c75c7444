// Package qlog is talkbot's question log: every question the bot answers,
// with its answer, citations, timing and the 👍/👎 it got, kept in the same
// SQLite database as the articles (<data dir>/talkbot.db) so an operator can
// see which questions the articles do not cover (`talkbot report`).
//
// The log keeps to its own tables (qlog_*) and its own migration
// bookkeeping (qlog_migrations); it never reads or writes the store's. It
// holds no user IDs: each is replaced by a keyed hash whose key is a random
// salt kept in the database, so a list of known IDs cannot be hashed and
// matched against it without the database itself.
//
// Writing never holds up an answer: Record and Vote queue and return at
// once; one goroutine writes, and when the queue is full the entry is
// dropped and counted rather than waited for.
package qlog

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite", pure Go
)

// FileName is the database file inside the data directory, shared with the
// article store.
const FileName = "talkbot.db"

// DefaultRetention is how long entries are kept unless told otherwise.
const DefaultRetention = 90 * 24 * time.Hour

// busyTimeoutMS bounds how long a statement waits for another process's
// write (an ingest, a second bot) before it fails.
const busyTimeoutMS = 5000

// Path is the database file for a data directory.
func Path(dataDir string) string { return filepath.Join(dataDir, FileName) }

// Votes.
const (
	VoteUp   = "up"
	VoteDown = "down"
)

// Entry is one answered (or failed) question.
type Entry struct {
	// AnswerID identifies the answer, so a later vote can name it: the bot
	// uses the Discord event's ID, which its feedback buttons carry.
	AnswerID  string
	At        time.Time // when the question arrived
	Surface   string    // slash, mention, dm, thread, …
	GuildID   string    // "" in DMs
	ChannelID string
	// User is the asker's Discord ID; only its keyed hash is stored.
	User      string
	Question  string
	Answer    string // the answer text shown, with its [n] markers
	Found     bool
	Mode      string // extractive or llm; "" when answering failed
	Latency   time.Duration
	Error     string // why answering failed; "" on success
	Citations []Citation
}

// Citation is one cited passage of an answer.
type Citation struct {
	N       int    `json:"n"`
	Doc     string `json:"doc"`
	Title   string `json:"title,omitempty"`
	Passage string `json:"passage,omitempty"` // the passage's ID
	Quote   string `json:"quote"`
}

// Vote is a 👍 or 👎 on an earlier answer. A user's later vote on the same
// answer replaces the earlier one.
type Vote struct {
	AnswerID string
	User     string // Discord ID; only its keyed hash is stored
	Vote     string // VoteUp or VoteDown
	At       time.Time
}

// Options configure a Log. Zero values take the defaults noted.
type Options struct {
	// Off makes a Log that records nothing and touches no file
	// (TALKBOT_QUESTION_LOG=off).
	Off bool
	// Retention is how long entries are kept (default 90 days); older ones
	// are deleted on open and once a day.
	Retention time.Duration
	// PruneEvery is how often the retention is applied while open
	// (default daily).
	PruneEvery time.Duration
	// Queue bounds the entries waiting to be written (default 256); beyond
	// it entries are dropped, never waited for.
	Queue  int
	Logger *slog.Logger
	// Now is the clock (default time.Now); tests move it.
	Now func() time.Time
}

// Log writes the question log. Its methods are safe for concurrent use.
// Create it with Open and end it with Close.
type Log struct {
	off  bool
	db   *sql.DB
	salt []byte
	opts Options
	log  *slog.Logger

	queue   chan item
	mu      sync.RWMutex // guards closed against sends on a closed queue
	closed  bool
	done    chan struct{}
	dropped atomic.Int64
	failed  atomic.Int64
}

// item is one queued write: an entry or a vote.
type item struct {
	entry *Entry
	vote  *Vote
}

// Open opens (creating if needed) the question log in dataDir, brings its
// tables up to date, deletes entries older than the retention and starts
// the writer. With Options.Off it returns a Log that does nothing.
func Open(ctx context.Context, dataDir string, o Options) (*Log, error) {
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.Queue <= 0 {
		o.Queue = 256
	}
	if o.PruneEvery <= 0 {
		o.PruneEvery = 24 * time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	l := &Log{off: o.Off, opts: o, log: o.Logger.With("component", "question_log"), done: make(chan struct{})}
	if o.Off {
		close(l.done)
		return l, nil
	}
	if dataDir == "" {
		return nil, errors.New("question log: no data directory; set TALKBOT_DATA_DIR or TALKBOT_QUESTION_LOG=off")
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("question log: creating %s: %w (set TALKBOT_DATA_DIR to a writable directory or TALKBOT_QUESTION_LOG=off)", dataDir, err)
	}
	db, err := openDB(Path(dataDir), false)
	if err != nil {
		return nil, err
	}
	salt, err := migrate(ctx, db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("question log %s: %w", Path(dataDir), err)
	}
	l.db, l.salt = db, salt
	if _, err := l.Prune(ctx); err != nil {
		db.Close()
		return nil, err
	}
	l.queue = make(chan item, o.Queue)
	go l.write()
	return l, nil
}

// openDB opens the database file; readOnly opens it so that nothing,
// not even a migration, can write.
func openDB(path string, readOnly bool) (*sql.DB, error) {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busyTimeoutMS))
	if readOnly {
		q.Set("mode", "ro")
		q.Set("_query_only", "1")
		if _, err := os.Stat(path + "-wal"); errors.Is(err, os.ErrNotExist) {
			// No process has the database open (the last one to close it
			// removed its WAL): read the file as it is, without creating
			// the -wal and -shm files a WAL reader otherwise leaves behind,
			// so a report changes nothing and works on a read-only disk.
			q.Set("immutable", "1")
		}
	} else {
		q.Set("_journal_mode", "WAL")
		q.Set("_foreign_keys", "1")
		// Take the write lock when a transaction starts: a transaction that
		// read first and then upgraded could fail at once with SQLITE_BUSY
		// instead of waiting out the busy timeout.
		q.Set("_txlock", "immediate")
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("question log: opening %s: %w", path, err)
	}
	if !readOnly {
		// One connection: this process's writes queue here, not in SQLite.
		db.SetMaxOpenConns(1)
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("question log: opening %s: %w", path, err)
	}
	return db, nil
}

// migrations are applied in order, once each, recorded in qlog_migrations.
// Append only: a released migration never changes.
var migrations = []string{
	1: `
CREATE TABLE IF NOT EXISTS qlog_meta (
	key   TEXT PRIMARY KEY,
	value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS qlog_questions (
	id         INTEGER PRIMARY KEY,
	answer_id  TEXT NOT NULL,
	at_ms      INTEGER NOT NULL,
	surface    TEXT NOT NULL,
	guild_id   TEXT NOT NULL,
	channel_id TEXT NOT NULL,
	user_hash  TEXT NOT NULL,
	question   TEXT NOT NULL,
	answer     TEXT NOT NULL,
	found      INTEGER NOT NULL,
	mode       TEXT NOT NULL,
	latency_ms INTEGER NOT NULL,
	error      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS qlog_questions_at ON qlog_questions(at_ms);
CREATE INDEX IF NOT EXISTS qlog_questions_answer ON qlog_questions(answer_id);
CREATE TABLE IF NOT EXISTS qlog_citations (
	question_id INTEGER NOT NULL REFERENCES qlog_questions(id) ON DELETE CASCADE,
	n           INTEGER NOT NULL,
	doc         TEXT NOT NULL,
	title       TEXT NOT NULL,
	passage     TEXT NOT NULL,
	quote       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS qlog_citations_question ON qlog_citations(question_id);
CREATE TABLE IF NOT EXISTS qlog_votes (
	answer_id TEXT NOT NULL,
	user_hash TEXT NOT NULL,
	vote      TEXT NOT NULL,
	at_ms     INTEGER NOT NULL,
	PRIMARY KEY (answer_id, user_hash)
);
CREATE INDEX IF NOT EXISTS qlog_votes_at ON qlog_votes(at_ms);
`,
}

// migrate brings the log's tables up to date and returns the salt, making
// one on first use. It runs in one write transaction, so two processes
// opening a new database at once do not both migrate or both make a salt.
func migrate(ctx context.Context, db *sql.DB) ([]byte, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("starting the migration: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS qlog_migrations (version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL)`); err != nil {
		return nil, fmt.Errorf("creating qlog_migrations: %w", err)
	}
	var have int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM qlog_migrations`).Scan(&have); err != nil {
		return nil, fmt.Errorf("reading qlog_migrations: %w", err)
	}
	// A log migrated by a newer talkbot runs nothing here: migrations only
	// add, so its tables still hold what this version reads and writes.
	for v := have + 1; v < len(migrations); v++ {
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			return nil, fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO qlog_migrations (version, applied_ms) VALUES (?, ?)`, v, time.Now().UnixMilli()); err != nil {
			return nil, fmt.Errorf("recording migration %d: %w", v, err)
		}
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("making the user-ID salt: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO qlog_meta (key, value) VALUES ('user_salt', ?)`, fresh); err != nil {
		return nil, fmt.Errorf("storing the user-ID salt: %w", err)
	}
	var salt []byte
	if err := tx.QueryRowContext(ctx, `SELECT value FROM qlog_meta WHERE key = 'user_salt'`).Scan(&salt); err != nil {
		return nil, fmt.Errorf("reading the user-ID salt: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("committing the migration: %w", err)
	}
	return salt, nil
}

// hashUser is the keyed hash that stands for a user ID.
func (l *Log) hashUser(id string) string {
	if id == "" {
		return ""
	}
	m := hmac.New(sha256.New, l.salt)
	m.Write([]byte(id))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// Record queues an entry to be written. It never blocks: when the queue is
// full the entry is dropped, logged and counted (Dropped).
func (l *Log) Record(e Entry) {
	if l == nil || l.off {
		return
	}
	if e.At.IsZero() {
		e.At = l.opts.Now()
	}
	l.enqueue(item{entry: &e})
}

// Vote queues a vote to be written, like Record.
func (l *Log) Vote(v Vote) {
	if l == nil || l.off {
		return
	}
	if v.At.IsZero() {
		v.At = l.opts.Now()
	}
	l.enqueue(item{vote: &v})
}

func (l *Log) enqueue(it item) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		l.dropped.Add(1)
		return
	}
	select {
	case l.queue <- it:
	default:
		if l.dropped.Add(1)%100 == 1 {
			// Once per hundred, so a stuck disk does not flood the log.
			l.log.Warn("question log queue is full; dropping entries", "dropped_total", l.dropped.Load())
		}
	}
}

// Dropped counts entries and votes not written: dropped while the queue
// was full or after Close, or failed to write.
func (l *Log) Dropped() int64 { return l.dropped.Load() + l.failed.Load() }

// write is the one writer: queued items in order, and the periodic prune.
func (l *Log) write() {
	defer close(l.done)
	tick := time.NewTicker(l.opts.PruneEvery)
	defer tick.Stop()
	for {
		select {
		case it, ok := <-l.queue:
			if !ok {
				return
			}
			l.writeItem(it)
		case <-tick.C:
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if _, err := l.Prune(ctx); err != nil {
				l.log.Warn("pruning the question log", "err", err)
			}
			cancel()
		}
	}
}

func (l *Log) writeItem(it item) {
	// Bounded: a write waits out another process's lock (busy timeout),
	// never longer.
	ctx, cancel := context.WithTimeout(context.Background(), 2*busyTimeoutMS*time.Millisecond)
	defer cancel()
	var err error
	if it.entry != nil {
		err = l.insertEntry(ctx, *it.entry)
	} else {
		err = l.insertVote(ctx, *it.vote)
	}
	if err != nil {
		l.failed.Add(1)
		l.log.Warn("writing the question log", "err", err)
	}
}

func (l *Log) insertEntry(ctx context.Context, e Entry) error {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("recording a question: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO qlog_questions
		(answer_id, at_ms, surface, guild_id, channel_id, user_hash, question, answer, found, mode, latency_ms, error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.AnswerID, e.At.UnixMilli(), e.Surface, e.GuildID, e.ChannelID, l.hashUser(e.User), e.Question, e.Answer,
		e.Found, e.Mode, e.Latency.Milliseconds(), e.Error)
	if err != nil {
		return fmt.Errorf("recording a question: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("recording a question: %w", err)
	}
	for _, c := range e.Citations {
		if _, err := tx.ExecContext(ctx, `INSERT INTO qlog_citations (question_id, n, doc, title, passage, quote) VALUES (?, ?, ?, ?, ?, ?)`,
			id, c.N, c.Doc, c.Title, c.Passage, c.Quote); err != nil {
			return fmt.Errorf("recording a citation: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("recording a question: %w", err)
	}
	return nil
}

func (l *Log) insertVote(ctx context.Context, v Vote) error {
	if v.Vote != VoteUp && v.Vote != VoteDown {
		return fmt.Errorf("recording a vote: %q is neither %q nor %q", v.Vote, VoteUp, VoteDown)
	}
	_, err := l.db.ExecContext(ctx, `INSERT INTO qlog_votes (answer_id, user_hash, vote, at_ms) VALUES (?, ?, ?, ?)
		ON CONFLICT (answer_id, user_hash) DO UPDATE SET vote = excluded.vote, at_ms = excluded.at_ms`,
		v.AnswerID, l.hashUser(v.User), v.Vote, v.At.UnixMilli())
	if err != nil {
		return fmt.Errorf("recording a vote: %w", err)
	}
	return nil
}

// Prune deletes entries and votes older than the retention and returns how
// many questions it deleted. Open and the daily tick call it.
func (l *Log) Prune(ctx context.Context) (int64, error) {
	if l.off {
		return 0, nil
	}
	cutoff := l.opts.Now().Add(-l.opts.Retention).UnixMilli()
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("question log: pruning: %w", err)
	}
	defer tx.Rollback()
	// Citations go with their questions (ON DELETE CASCADE).
	res, err := tx.ExecContext(ctx, `DELETE FROM qlog_questions WHERE at_ms < ?`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("question log: pruning questions: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := tx.ExecContext(ctx, `DELETE FROM qlog_votes WHERE at_ms < ?`, cutoff); err != nil {
		return 0, fmt.Errorf("question log: pruning votes: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("question log: pruning: %w", err)
	}
	if n > 0 {
		l.log.Info("pruned the question log", "deleted", n, "retention", l.opts.Retention)
	}
	return n, nil
}

// Close writes what is queued (until ctx ends; the rest is dropped) and
// closes the database.
func (l *Log) Close(ctx context.Context) error {
	if l == nil || l.off {
		return nil
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	close(l.queue)
	l.mu.Unlock()
	select {
	case <-l.done:
	case <-ctx.Done():
		// The writer is mid-queue; closing the database ends its writes
		// with errors, which it counts, and it then drains and stops.
		l.log.Warn("question log: stopped before writing everything queued", "queued", len(l.queue))
	}
	if err := l.db.Close(); err != nil {
		return fmt.Errorf("question log: closing: %w", err)
	}
	return nil
}
