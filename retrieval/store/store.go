// Package store is talkbot's store of record: one SQLite file
// (<data dir>/talkbot.db, WAL mode) holding the ingested articles, their
// passages with pre-analysed terms, and embeddings per embedder. All SQL of
// the index lives here; the retrieval package sees plain records.
//
// One writer at a time (an advisory lock held for a whole ingest, see
// lock.go), any number of readers; readers never write and read inside one
// transaction, so they see a committed snapshot. Other packages may keep
// their own tables in the same file (the question log does): this package
// never drops or complains about tables it does not know, and numbers its
// own migrations in store_migrations.
package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// FileName is the database's name inside the data directory.
const FileName = "talkbot.db"

//go:embed migrations/*.sql
var migrationFS embed.FS

// Errors callers act on.
var (
	// ErrNoStore: a read-only open found no database (nothing ingested yet).
	ErrNoStore = errors.New("no store in the data directory yet")
	// ErrCorrupt: the database file is damaged. Open moves it aside.
	ErrCorrupt = errors.New("the store is damaged")
	// ErrNewer: the database was written by a newer talkbot.
	ErrNewer = errors.New("the store was written by a newer talkbot")
)

// Options configure Open.
type Options struct {
	// ReadOnly opens for reading only; a missing database is ErrNoStore
	// and nothing is created.
	ReadOnly bool
	// BusyTimeout bounds how long one statement waits for another
	// process's lock (default 10s).
	BusyTimeout time.Duration
	Logger      *slog.Logger
}

// Store is an open talkbot.db. It is safe for concurrent use.
type Store struct {
	db       *sql.DB
	dir      string
	path     string
	readOnly bool
	log      *slog.Logger
}

// Document is one stored article.
type Document struct {
	ID           string
	Title        string
	TitleDerived bool
	Published    time.Time
	Site, URL    string
	Path         string // the source file it was ingested from
	Text         string
	Hash         string
	// TextHash is TextHash(Text) and Words the number of words in it, set
	// by the store. Load and Changes return them with Text empty: readers
	// fetch an article's text when they need it (Store.Text), so a big
	// store's texts do not sit in every process's memory.
	TextHash string
	Words    int
}

// Text returns a stored document's text.
func (s *Store) Text(ctx context.Context, id string) (string, bool, error) {
	var text string
	err := s.db.QueryRowContext(ctx, `SELECT text FROM documents WHERE id = ?`, id).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, s.wrap("reading", err)
	}
	return text, true, nil
}

// TextHash is the hash the store keeps of a document's text.
func TextHash(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// Passage is one stored passage with its analysed terms and, when loaded
// for an embedder that has one, its vector.
type Passage struct {
	ID        string
	DocID     string
	Index     int
	Title     string
	Heading   string
	Sentences []string
	Terms     []string
	// EmbedKey identifies the embedded text (a hash of it); vectors are
	// stored per (embedder, key), so an unchanged passage keeps its vector
	// across re-ingests and another embedder's vectors are never touched.
	EmbedKey string
	// Vector is the embedding to store (Apply); unused when reading.
	Vector []float32
	// VectorRaw is the stored embedding for the embedder asked for, as
	// little-endian float32s (see DecodeVector), or nil. It is only valid
	// during the callback: decoding it straight into its final place saves
	// a copy of every vector at start-up.
	VectorRaw []byte
}

// Open opens (creating it unless ReadOnly) <dir>/talkbot.db. A database
// that is not a valid SQLite file is moved aside to talkbot.db.corrupt-<time>
// (never deleted) and the error wraps ErrCorrupt and names where it went;
// the next open starts afresh.
func Open(ctx context.Context, dir string, o Options) (*Store, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 10 * time.Second
	}
	path := filepath.Join(dir, FileName)
	if o.ReadOnly {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, ErrNoStore
		}
	}
	if !o.ReadOnly {
		// Articles may be private: the file is the user's alone (SQLite
		// would create it with the umask's permissions).
		if f, err := os.OpenFile(path, os.O_CREATE|os.O_RDONLY, 0o600); err == nil {
			f.Close()
		}
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(o.BusyTimeout.Milliseconds(), 10)+")")
	if o.ReadOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_pragma", "journal_mode(wal)")
		// NORMAL in WAL mode: a power cut may lose the last commits, never
		// consistency; a killed process loses nothing committed.
		q.Add("_pragma", "synchronous(normal)")
		q.Add("_txlock", "immediate")
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	// One connection: readers read in one transaction anyway, and a single
	// writer connection keeps "one writer" true inside the process too.
	db.SetMaxOpenConns(1)
	s := &Store{db: db, dir: dir, path: path, readOnly: o.ReadOnly, log: o.Logger}
	if err := s.init(ctx); err != nil {
		_ = db.Close()
		if IsCorrupt(err) {
			return nil, s.moveAside(err)
		}
		return nil, err
	}
	return s, nil
}

// IsCorrupt reports whether err says the database file is damaged (as
// opposed to busy, missing or unreadable for permissions).
func IsCorrupt(err error) bool {
	if errors.Is(err, ErrCorrupt) {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
			return true
		}
	}
	return false
}

// unreadable marks an error reading the schema as damage unless it is one
// that says nothing about the file's content (busy, permissions, I/O,
// memory): SQLite reports some damaged headers as a plain SQLITE_ERROR
// ("unsupported file format").
func unreadable(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) || IsCorrupt(err) {
		return err
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM,
		sqlite3.SQLITE_IOERR, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_AUTH,
		sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_FULL:
		return err
	}
	return fmt.Errorf("%w: %w", ErrCorrupt, err)
}

// moveAside renames the damaged database (and its WAL and shared-memory
// files) so nothing is lost, and returns an error that says what to do.
func (s *Store) moveAside(cause error) error {
	to := s.path + ".corrupt-" + time.Now().UTC().Format("20060102T150405.000000000")
	if err := os.Rename(s.path, to); err != nil {
		return fmt.Errorf("%w: %s (%v); could not move it aside: %v — move it away by hand, then run talkbot ingest again",
			ErrCorrupt, s.path, cause, err)
	}
	for _, suf := range []string{"-wal", "-shm"} {
		_ = os.Rename(s.path+suf, to+suf) // absent when the file was closed cleanly
	}
	s.log.Warn("store damaged; moved aside", "path", s.path, "moved_to", to, "err", cause)
	return fmt.Errorf("%w: %s was unreadable (%v) and was moved to %s; re-ingest your articles with talkbot ingest PATH…",
		ErrCorrupt, s.path, cause, to)
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Path is the database file.
func (s *Store) Path() string { return s.path }

// init checks the file and applies the migrations a writer needs.
func (s *Store) init(ctx context.Context) error {
	// Reading the schema is the cheapest read that detects a file that is
	// not a database at all.
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master`).Scan(&n); err != nil {
		return fmt.Errorf("reading %s: %w", s.path, unreadable(err))
	}
	have, err := s.version(ctx)
	if err != nil {
		return unreadable(err)
	}
	want := len(migrationNames())
	if have > want {
		return fmt.Errorf("%w (%s is at schema %d, this talkbot knows %d): upgrade talkbot", ErrNewer, s.path, have, want)
	}
	if s.readOnly {
		return nil
	}
	if have < want {
		if err := s.migrate(ctx); err != nil {
			return err
		}
	}
	// The store's identity: files derived from it (the search snapshot)
	// name it, so a store replaced or moved aside never matches them.
	// It is also the writer's first write, so a file SQLite will only read
	// is found here rather than at the end of a long ingest.
	if _, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO meta(key, value) VALUES ('store_id', lower(hex(randomblob(16))))`); err != nil {
		return fmt.Errorf("writing %s: %w", s.path, s.unwritable(err))
	}
	return nil
}

// unwritable classifies a failed first write: SQLite refusing to write a
// file the user may write means its header is damaged (fuzzing found
// headers that make SQLite open a database read-only), so it counts as
// damage; a file without write permission is the user's to fix.
func (s *Store) unwritable(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_READONLY {
		if f, oerr := os.OpenFile(s.path, os.O_WRONLY, 0); oerr == nil {
			f.Close()
			return fmt.Errorf("%w: SQLite will only read this file although it is writable (a damaged header): %w", ErrCorrupt, err)
		}
		return fmt.Errorf("%w (make %s writable, or set TALKBOT_DATA_DIR to a writable directory)", err, s.path)
	}
	return unreadable(err)
}

// ID is the store's identity, set when a writer first opens it ("" in a
// store no writer of this version has opened).
func (s *Store) ID(ctx context.Context) (string, error) { return s.Meta(ctx, "store_id") }

// ChangedPassages counts the passages of the documents written since the
// change counter since: what a reader starting from a snapshot taken at
// since has to read from the store.
func (s *Store) ChangedPassages(ctx context.Context, since int64) (int, error) {
	var n int
	err := s.readTx(ctx, func(c *sql.Conn) error {
		ok, err := hasSchema(ctx, c)
		if err != nil || !ok {
			return err
		}
		return c.QueryRowContext(ctx, `SELECT count(*) FROM passages WHERE doc_id IN
			(SELECT doc_id FROM changes WHERE seq > ?)`, since).Scan(&n)
	})
	if err != nil {
		return 0, s.wrap("reading", err)
	}
	return n, nil
}

// PassageCount is the number of stored passages.
func (s *Store) PassageCount(ctx context.Context) (int, error) {
	var n int
	err := s.readTx(ctx, func(c *sql.Conn) error {
		ok, err := hasSchema(ctx, c)
		if err != nil || !ok {
			return err
		}
		return c.QueryRowContext(ctx, `SELECT count(*) FROM passages`).Scan(&n)
	})
	if err != nil {
		return 0, s.wrap("reading", err)
	}
	return n, nil
}

func migrationNames() []string {
	ents, _ := fs.ReadDir(migrationFS, "migrations")
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names) // 0001_…, 0002_…: applied in order
	return names
}

// version is how many of our migrations the file has (0 for a new file or
// one holding only other packages' tables).
func (s *Store) version(ctx context.Context) (int, error) {
	var name string
	err := s.db.QueryRowContext(ctx, `SELECT name FROM sqlite_master WHERE type='table' AND name='store_migrations'`).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", s.path, err)
	}
	var v sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT max(version) FROM store_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("reading %s: %w", s.path, err)
	}
	return int(v.Int64), nil
}

// migrate applies the migrations the store lacks, in one transaction,
// re-reading the version under the write lock.
func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrating %s: %w", s.path, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS store_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrating %s: %w", s.path, unreadable(err))
	}
	// Another writer may have migrated between version() and our lock.
	var v sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(version) FROM store_migrations`).Scan(&v); err != nil {
		return fmt.Errorf("migrating %s: %w", s.path, unreadable(err))
	}
	have := int(v.Int64)
	for i, name := range migrationNames() {
		if i < have {
			continue
		}
		body, err := migrationFS.ReadFile("migrations/" + name)
		if err != nil {
			return err
		}
		// Our migrations are tested on every layout we ever wrote, so one
		// that fails for a reason other than busy, permissions or I/O means
		// the file is not what we wrote: a damaged schema or table (seen
		// in fuzzing: a record that lost its row, a mangled CREATE text).
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("migrating %s (%s): %w", s.path, name, unreadable(err))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO store_migrations(version, name, applied_at) VALUES (?, ?, ?)`,
			i+1, name, time.Now().UTC().Format(time.RFC3339)); err != nil {
			return fmt.Errorf("migrating %s: %w", s.path, unreadable(err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrating %s: %w", s.path, err)
	}
	return nil
}

// readTx runs f inside one read transaction on a dedicated connection, so
// every query sees the same committed snapshot.
func (s *Store) readTx(ctx context.Context, f func(c *sql.Conn) error) error {
	c, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("reading %s: %w", s.path, err)
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "BEGIN DEFERRED"); err != nil {
		return fmt.Errorf("reading %s: %w", s.path, err)
	}
	ferr := f(c)
	// A read transaction has nothing to commit; ending it releases the snapshot.
	if _, err := c.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); err != nil && ferr == nil {
		ferr = fmt.Errorf("reading %s: %w", s.path, err)
	}
	return ferr
}

// hasSchema reports whether our tables exist (a read-only open of a file
// holding only other packages' tables has none).
func hasSchema(ctx context.Context, c *sql.Conn) (bool, error) {
	var n int
	err := c.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type='table' AND name='documents'`).Scan(&n)
	return n > 0, err
}

// LoadInfo describes what a Load or Changes read.
type LoadInfo struct {
	// Seq is the change counter of the snapshot read; pass it to Changes.
	Seq int64
	// Documents and Passages are the counts in the snapshot (Load only).
	Documents, Passages int
	// Vectors is how many vectors of the embedder asked for were read.
	Vectors int
	// OtherEmbedders counts stored vectors by embedder, for those that
	// are not the one asked for (a process configured differently).
	OtherEmbedders map[string]int
	// Skipped describes rows that could not be read; they are left out.
	Skipped []string
}

// Load reads the whole store in one snapshot: every document, then every
// passage (in document order, without vectors), then every vector of
// embedder by embed key (raw little-endian float32s, valid only during the
// call; see DecodeVector). Reading the vectors in their own range scan,
// rather than joined to each passage, is what makes start-up fast. A nil
// onPassage reads the documents only.
//
// onSizes, if set, is told the number of documents and passages first, so
// the caller can size its maps once.
func (s *Store) Load(ctx context.Context, embedder string, onSizes func(docs, passages int), onDoc func(Document),
	onPassage func(Passage), onVector func(key string, raw []byte)) (LoadInfo, error) {
	var info LoadInfo
	err := s.readTx(ctx, func(c *sql.Conn) error {
		ok, err := hasSchema(ctx, c)
		if err != nil || !ok {
			return err
		}
		if info.Seq, err = seq(ctx, c); err != nil {
			return err
		}
		if err := c.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM passages)`).Scan(&info.Documents, &info.Passages); err != nil {
			return err
		}
		if onSizes != nil {
			onSizes(info.Documents, info.Passages)
		}
		if err := readDocs(ctx, c, `SELECT id, title, title_derived, published, site, url, path, '', hash, text_hash, words FROM documents ORDER BY id`, nil, onDoc, &info); err != nil {
			return err
		}
		if onPassage == nil {
			return nil
		}
		if err := readPassagesWith(ctx, c, `SELECT id, doc_id, idx, title, heading, sentences, terms, embed_key, NULL, NULL
			FROM passages ORDER BY doc_id, idx`, nil, onPassage, &info); err != nil {
			return err
		}
		if err := readVectors(ctx, c, embedder, onVector, &info); err != nil {
			return err
		}
		info.OtherEmbedders, err = otherEmbedders(ctx, c, embedder)
		return err
	})
	if err != nil {
		return info, s.wrap("loading", err)
	}
	return info, nil
}

// wrap adds context and marks corruption found while reading.
func (s *Store) wrap(what string, err error) error {
	if IsCorrupt(err) && !errors.Is(err, ErrCorrupt) {
		return fmt.Errorf("%s %s: %w: %w (run talkbot ingest again on your article folders to rebuild it)", what, s.path, ErrCorrupt, err)
	}
	return fmt.Errorf("%s %s: %w", what, s.path, err)
}

func seq(ctx context.Context, c *sql.Conn) (int64, error) {
	var v sql.NullInt64
	err := c.QueryRowContext(ctx, `SELECT max(seq) FROM changes`).Scan(&v)
	return v.Int64, err
}

func otherEmbedders(ctx context.Context, c *sql.Conn, embedder string) (map[string]int, error) {
	rows, err := c.QueryContext(ctx, `SELECT embedder, count(*) FROM embeddings WHERE embedder <> ? GROUP BY embedder`, embedder)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			return nil, err
		}
		out[name] = n
	}
	return out, rows.Err()
}

func readDocs(ctx context.Context, c *sql.Conn, query string, args []any, onDoc func(Document), info *LoadInfo) error {
	rows, err := c.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var d Document
		var derived int
		var pub string
		if err := rows.Scan(&d.ID, &d.Title, &derived, &pub, &d.Site, &d.URL, &d.Path, &d.Text, &d.Hash, &d.TextHash, &d.Words); err != nil {
			info.Skipped = append(info.Skipped, fmt.Sprintf("document row: %v", err))
			continue
		}
		if d.ID == "" {
			info.Skipped = append(info.Skipped, "document row without an ID")
			continue
		}
		d.TitleDerived = derived != 0
		if pub != "" {
			if t, err := time.Parse(time.RFC3339Nano, pub); err == nil {
				d.Published = t
			}
		}
		onDoc(d)
	}
	return rows.Err()
}

// readVectors streams every stored vector of embedder.
func readVectors(ctx context.Context, c *sql.Conn, embedder string, onVector func(string, []byte), info *LoadInfo) error {
	rows, err := c.QueryContext(ctx, `SELECT key, dims, vec FROM embeddings WHERE embedder = ?`, embedder)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var key sql.RawBytes
		var dims int
		var blob sql.RawBytes
		if err := rows.Scan(&key, &dims, &blob); err != nil {
			info.Skipped = append(info.Skipped, fmt.Sprintf("vector row: %v", err))
			continue
		}
		if dims <= 0 || dims*4 != len(blob) {
			info.Skipped = append(info.Skipped, fmt.Sprintf("vector %s: %d bytes for %d dimensions", key, len(blob), dims))
			continue
		}
		info.Vectors++
		onVector(string(key), blob)
	}
	return rows.Err()
}

// readPassagesWith decodes the rows of a passage query (columns as in
// readPassages); a row that cannot be decoded is skipped and described.
func readPassagesWith(ctx context.Context, c *sql.Conn, q string, args []any, onPassage func(Passage), info *LoadInfo) error {
	rows, err := c.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var p Passage
		var sents sql.RawBytes // valid until Next: decoded at once
		var terms string
		var dims sql.NullInt64
		var blob sql.RawBytes
		if err := rows.Scan(&p.ID, &p.DocID, &p.Index, &p.Title, &p.Heading, &sents, &terms, &p.EmbedKey, &dims, &blob); err != nil {
			info.Skipped = append(info.Skipped, fmt.Sprintf("passage row: %v", err))
			continue
		}
		if p.ID == "" || p.DocID == "" {
			info.Skipped = append(info.Skipped, "passage row without an ID")
			continue
		}
		var err error
		if p.Sentences, err = DecodeStrings(sents); err != nil || len(p.Sentences) == 0 {
			info.Skipped = append(info.Skipped, fmt.Sprintf("passage %s: unreadable sentences", p.ID))
			continue
		}
		p.Terms = strings.Fields(terms)
		if dims.Valid {
			if int(dims.Int64)*4 == len(blob) && dims.Int64 > 0 {
				p.VectorRaw = blob
				info.Vectors++
			} else {
				info.Skipped = append(info.Skipped, fmt.Sprintf("passage %s: vector of %d bytes for %d dimensions", p.ID, len(blob), dims.Int64))
			}
		}
		onPassage(p)
	}
	return rows.Err()
}

// Changes reads, in one snapshot, the documents changed or removed since
// the change counter since: onDoc and onPassage get the new state of every
// changed document (its passages follow it), onRemoved the IDs of removed
// ones. It is what lets a server pick up an ingest without reloading.
func (s *Store) Changes(ctx context.Context, since int64, embedder string,
	onDoc func(Document), onPassage func(Passage), onRemoved func(id string)) (LoadInfo, error) {
	info := LoadInfo{Seq: since}
	err := s.readTx(ctx, func(c *sql.Conn) error {
		ok, err := hasSchema(ctx, c)
		if err != nil || !ok {
			return err
		}
		if info.Seq, err = seq(ctx, c); err != nil || info.Seq == since {
			return err
		}
		rows, err := c.QueryContext(ctx, `SELECT DISTINCT c.doc_id, d.id IS NOT NULL FROM changes c
			LEFT JOIN documents d ON d.id = c.doc_id WHERE c.seq > ?`, since)
		if err != nil {
			return err
		}
		var present []string
		for rows.Next() {
			var id string
			var exists bool
			if err := rows.Scan(&id, &exists); err != nil {
				rows.Close()
				return err
			}
			if exists {
				present = append(present, id)
			} else {
				onRemoved(id)
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for chunk := range slicesChunk(present, 500) {
			args := make([]any, len(chunk))
			ph := make([]string, len(chunk))
			for i, id := range chunk {
				args[i], ph[i] = id, "?"
			}
			in := strings.Join(ph, ",")
			// Document then its passages: readers apply a document whole.
			var docs []Document
			if err := readDocs(ctx, c, `SELECT id, title, title_derived, published, site, url, path, '', hash, text_hash, words FROM documents WHERE id IN (`+in+`) ORDER BY id`,
				args, func(d Document) { docs = append(docs, d) }, &info); err != nil {
				return err
			}
			for _, d := range docs {
				onDoc(d)
			}
			q := `SELECT p.id, p.doc_id, p.idx, p.title, p.heading, p.sentences, p.terms, p.embed_key, e.dims, e.vec
				FROM passages p LEFT JOIN embeddings e ON e.embedder = ? AND e.key = p.embed_key
				WHERE p.doc_id IN (` + in + `) ORDER BY p.doc_id, p.idx`
			if err := readPassagesWith(ctx, c, q, append([]any{embedder}, args...), onPassage, &info); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return info, s.wrap("reading changes from", err)
	}
	return info, nil
}

func slicesChunk(s []string, n int) func(func([]string) bool) {
	return func(yield func([]string) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}

// Seq is the current change counter: it moves whenever an ingest commits.
func (s *Store) Seq(ctx context.Context) (int64, error) {
	var out int64
	err := s.readTx(ctx, func(c *sql.Conn) error {
		ok, err := hasSchema(ctx, c)
		if err != nil || !ok {
			return err
		}
		out, err = seq(ctx, c)
		return err
	})
	if err != nil {
		return 0, s.wrap("reading", err)
	}
	return out, nil
}

// Batch is one ingest step, committed atomically: a kill loses at most the
// batch in flight.
type Batch struct {
	// Docs are stored whole: a document's old passages are replaced by the
	// Passages given for it.
	Docs     []Document
	Passages []Passage
	// Vectors are new embeddings by EmbedKey, for Embedder.
	Vectors  map[string][]float32
	Embedder string
	// Removed are IDs of documents to delete with their passages.
	Removed []string
}

// Apply commits a batch in one transaction and advances the change counter.
func (s *Store) Apply(ctx context.Context, b Batch) error {
	if s.readOnly {
		return errors.New("store opened read-only")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap("writing", err)
	}
	defer tx.Rollback()
	if err := apply(ctx, tx, b); err != nil {
		return s.wrap("writing", err)
	}
	if err := tx.Commit(); err != nil {
		return s.wrap("writing", err)
	}
	return nil
}

func apply(ctx context.Context, tx *sql.Tx, b Batch) error {
	// The embed keys of the passages replaced or removed here.
	oldKeys := map[string]bool{}
	keysOf, err := tx.PrepareContext(ctx, `SELECT embed_key FROM passages WHERE doc_id = ?`)
	if err != nil {
		return err
	}
	defer keysOf.Close()
	delP0, err := tx.PrepareContext(ctx, `DELETE FROM passages WHERE doc_id = ?`)
	if err != nil {
		return err
	}
	defer delP0.Close()
	delP := delPassages{keysOf: keysOf, del: delP0, keys: oldKeys}
	change, err := tx.PrepareContext(ctx, `INSERT INTO changes(doc_id) VALUES (?)`)
	if err != nil {
		return err
	}
	defer change.Close()
	for _, id := range b.Removed {
		if _, err := delP.ExecContext(ctx, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM documents WHERE id = ?`, id); err != nil {
			return err
		}
		if _, err := change.ExecContext(ctx, id); err != nil {
			return err
		}
	}
	putD, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO documents(id, title, title_derived, published, site, url, path, text, hash, text_hash, words)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer putD.Close()
	for _, d := range b.Docs {
		if d.ID == "" {
			return errors.New("document without ID")
		}
		pub := ""
		if !d.Published.IsZero() {
			pub = d.Published.UTC().Format(time.RFC3339Nano)
		}
		if _, err := delP.ExecContext(ctx, d.ID); err != nil {
			return err
		}
		if _, err := putD.ExecContext(ctx, d.ID, d.Title, d.TitleDerived, pub, d.Site, d.URL, d.Path, d.Text, d.Hash, TextHash(d.Text), len(strings.Fields(d.Text))); err != nil {
			return err
		}
		if _, err := change.ExecContext(ctx, d.ID); err != nil {
			return err
		}
	}
	putP, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO passages(id, doc_id, idx, title, heading, sentences, terms, embed_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer putP.Close()
	for _, p := range b.Passages {
		if _, err := putP.ExecContext(ctx, p.ID, p.DocID, p.Index, p.Title, p.Heading, EncodeStrings(p.Sentences),
			strings.Join(p.Terms, " "), p.EmbedKey); err != nil {
			return err
		}
	}
	if len(b.Vectors) > 0 {
		putV, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO embeddings(embedder, key, dims, vec) VALUES (?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer putV.Close()
		for key, v := range b.Vectors {
			if _, err := putV.ExecContext(ctx, b.Embedder, key, len(v), encodeVector(v)); err != nil {
				return err
			}
		}
	}
	// Vectors no passage uses any more (its text changed or its article
	// went), of every embedder: checked per old key, through the index on
	// passages.embed_key, so a small ingest into a big store stays small.
	if len(oldKeys) > 0 {
		gc, err := tx.PrepareContext(ctx, `DELETE FROM embeddings WHERE key = ?1 AND NOT EXISTS (SELECT 1 FROM passages WHERE embed_key = ?1)`)
		if err != nil {
			return err
		}
		defer gc.Close()
		for k := range oldKeys {
			if _, err := gc.ExecContext(ctx, k); err != nil {
				return err
			}
		}
	}
	return nil
}

type delPassages struct {
	keysOf, del *sql.Stmt
	keys        map[string]bool
}

// ExecContext deletes a document's passages, noting their embed keys.
func (d delPassages) ExecContext(ctx context.Context, docID string) (sql.Result, error) {
	rows, err := d.keysOf.QueryContext(ctx, docID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, err
		}
		d.keys[k] = true
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	return d.del.ExecContext(ctx, docID)
}

// Vectors returns the stored vectors of embedder for the given keys (those
// it has): an ingest embeds only what is not stored yet.
func (s *Store) Vectors(ctx context.Context, embedder string, keys []string) (map[string][]float32, error) {
	out := map[string][]float32{}
	err := s.readTx(ctx, func(c *sql.Conn) error {
		ok, err := hasSchema(ctx, c)
		if err != nil || !ok {
			return err
		}
		for chunk := range slicesChunk(keys, 500) {
			args := []any{embedder}
			ph := make([]string, len(chunk))
			for i, k := range chunk {
				args = append(args, k)
				ph[i] = "?"
			}
			rows, err := c.QueryContext(ctx, `SELECT key, dims, vec FROM embeddings WHERE embedder = ? AND key IN (`+strings.Join(ph, ",")+`)`, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var key string
				var dims int
				var blob []byte
				if err := rows.Scan(&key, &dims, &blob); err != nil {
					rows.Close()
					return err
				}
				if dims > 0 && dims*4 == len(blob) {
					out[key] = DecodeVector(nil, blob)
				}
			}
			if err := rows.Close(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.wrap("reading vectors from", err)
	}
	return out, nil
}

// Meta reads a value the index keeps about the store ("" when unset).
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.readTx(ctx, func(c *sql.Conn) error {
		ok, err := hasSchema(ctx, c)
		if err != nil || !ok {
			return err
		}
		err = c.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return "", s.wrap("reading", err)
	}
	return v, nil
}

// SetMeta records a value about the store.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	if _, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)`, key, value); err != nil {
		return s.wrap("writing", err)
	}
	return nil
}

// EncodeStrings packs strings as uvarint-length-prefixed bytes: faster to
// load than JSON, and safe for any text.
func EncodeStrings(ss []string) []byte {
	n := 0
	for _, s := range ss {
		n += len(s) + binary.MaxVarintLen32
	}
	b := make([]byte, 0, n)
	for _, s := range ss {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

// DecodeStrings reverses EncodeStrings. The strings share one allocation.
func DecodeStrings(b []byte) ([]string, error) {
	all := string(b) // one copy; the parts are substrings of it
	var out []string
	for i := 0; i < len(all); {
		n, k := binary.Uvarint(b[i:])
		if k <= 0 || n > uint64(len(all)-i-k) {
			return nil, errors.New("malformed string list")
		}
		i += k
		out = append(out, all[i:i+int(n)])
		i += int(n)
	}
	return out, nil
}

func encodeVector(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// DecodeVector decodes a stored vector into dst (grown as needed).
func DecodeVector(dst []float32, b []byte) []float32 {
	n := len(b) / 4
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	dst = dst[:n]
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return dst
}

// MoveAside moves a damaged database found while reading (after Open
// succeeded) out of the way, keeping it, and returns what to tell the user.
func MoveAside(dir string, log *slog.Logger, cause error) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{dir: dir, path: filepath.Join(dir, FileName), log: log}
	return s.moveAside(cause)
}
