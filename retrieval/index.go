package retrieval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	chromem "github.com/philippgille/chromem-go"
)

// Index owns the documents, their passages, the vector store (chromem-go)
// and the keyword index, and answers searches over both.
// It is safe for concurrent use.
type Index struct {
	emb   Embedder
	log   *slog.Logger
	dir   string // "" for in-memory
	chunk ChunkOptions

	mu       sync.RWMutex
	db       *chromem.DB
	col      *chromem.Collection
	docs     map[string]Document
	passages map[string]Passage
	byDoc    map[string][]string
	kw       *bm25
	vecs     *vectorSet // the collection's vectors, contiguous for search (vectors.go)
	// seen is the manifest version this index last loaded or wrote; Watch
	// starts from it, so a write between Open and Watch is not missed.
	seen stamp

	sigs sync.Map // sentence → sentenceSig: near-duplicate signatures, computed once (dedup.go)
}

// Options configure an Index.
type Options struct {
	// Dir persists the index; empty keeps it in memory.
	Dir      string
	Embedder Embedder // nil: the offline HashEmbedder
	Logger   *slog.Logger
	Chunk    ChunkOptions // zero: DefaultChunkOptions
}

// AddStats counts what an Add did.
type AddStats struct {
	Added, Updated, Unchanged int
	Embedded                  int // passages sent to the embedder
}

const (
	collectionName = "passages"
	manifestName   = "manifest.json"
	vectorsDir     = "vectors"
)

type manifest struct {
	Version   int        `json:"version"`
	Embedder  string     `json:"embedder"`
	Dims      int        `json:"dims"`
	Documents []Document `json:"documents"`
}

// Open returns an Index. With a Dir it loads the persisted documents and
// vectors; a corrupt store is moved aside and rebuilt from what can be read,
// with a warning, never a failure to start.
func Open(ctx context.Context, o Options) (*Index, error) {
	if o.Embedder == nil {
		o.Embedder = NewHashEmbedder(0)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Chunk.MaxWords == 0 {
		o.Chunk = DefaultChunkOptions()
	}
	ix := &Index{emb: o.Embedder, log: o.Logger, dir: o.Dir, chunk: o.Chunk,
		docs: map[string]Document{}, passages: map[string]Passage{}, byDoc: map[string][]string{}, kw: newBM25()}
	if o.Dir == "" {
		if err := ix.openVectorStore(false); err != nil {
			return nil, err
		}
		return ix, nil
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory %s (set TALKBOT_DATA_DIR to a writable directory): %w", o.Dir, err)
	}
	ix.seen = manifestStamp(filepath.Join(o.Dir, manifestName)) // before reading: a later write differs
	m, err := readManifest(filepath.Join(o.Dir, manifestName))
	if err != nil {
		ix.log.Warn("store manifest unreadable; starting a new one", "dir", o.Dir, "err", err)
		ix.moveAside(manifestName)
		m = manifest{}
	}
	if err := ix.openVectors(m); err != nil {
		return nil, err
	}
	// Rebuild passages and keyword index from the manifest; vectors whose
	// passage text is unchanged are reused, so a restart embeds nothing.
	if len(m.Documents) > 0 {
		st, err := ix.add(ctx, m.Documents, true)
		if err != nil {
			return nil, fmt.Errorf("loading stored documents: %w", err)
		}
		// Re-embedded for a new embedder: record it, or other processes
		// (and the next start) would trust vectors of the wrong model.
		// Anything embedded while loading (a rebuilt store) is saved too, so
		// the next start embeds nothing.
		if m.Embedder != ix.emb.Name() || st.Embedded > 0 {
			if err := ix.saveManifest(); err != nil {
				return nil, err
			}
		}
	}
	return ix, nil
}

// openVectors loads the vector file into an in-memory chromem-go
// collection (see vectors.go for why one file), discarding it when it is
// unreadable or was built by another embedder.
func (ix *Index) openVectors(m manifest) error {
	if _, err := os.Stat(filepath.Join(ix.dir, vectorsDir)); err == nil {
		// chromem-go's one-file-per-passage layout of earlier versions.
		ix.log.Info("vector store layout changed; re-embedding once", "old", filepath.Join(ix.dir, vectorsDir))
		_ = os.RemoveAll(filepath.Join(ix.dir, vectorsDir))
	}
	err := ix.openVectorStore(true)
	if err == nil && m.Embedder != ix.emb.Name() && ix.vecs.len() > 0 {
		// The manifest is the record of which embedder made the vectors.
		err = fmt.Errorf("%w (manifest says %q)", errOtherEmbedder, m.Embedder)
	}
	switch {
	case errors.Is(err, errOtherEmbedder):
		ix.log.Info("embedder changed; re-embedding the corpus", "was", m.Embedder, "now", ix.emb.Name())
		_ = os.Remove(filepath.Join(ix.dir, vectorsFile))
	case err != nil:
		ix.log.Warn("vector store unreadable; rebuilding it", "path", filepath.Join(ix.dir, vectorsFile), "err", err)
		ix.moveAside(vectorsFile)
	default:
		return nil
	}
	return ix.openVectorStore(false) // empty; saved with the manifest
}

// embedFunc is always ours: a nil EmbeddingFunc would make chromem-go call
// OpenAI with OPENAI_API_KEY behind our back.
func (ix *Index) embedFunc() chromem.EmbeddingFunc {
	return func(ctx context.Context, text string) ([]float32, error) {
		v, err := ix.emb.Embed(ctx, []string{text})
		if err != nil {
			return nil, err
		}
		return v[0], nil
	}
}

func (ix *Index) moveAside(name string) {
	from := filepath.Join(ix.dir, name)
	to := from + ".corrupt-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	if err := os.Rename(from, to); err != nil && !errors.Is(err, fs.ErrNotExist) {
		ix.log.Warn("could not move corrupt store aside; removing it", "path", from, "err", err)
		_ = os.RemoveAll(from)
	}
}

func readManifest(path string) (manifest, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return manifest{}, nil
	}
	if err != nil {
		return manifest{}, err
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return manifest{}, fmt.Errorf("parsing %s: %w", path, err)
	}
	return m, nil
}

// Add indexes documents, replacing any with the same ID. A document whose
// hash and text are unchanged costs nothing; passages whose text is already
// embedded are not embedded again.
func (ix *Index) Add(ctx context.Context, docs ...Document) (AddStats, error) {
	return ix.add(ctx, docs, false)
}

func (ix *Index) add(ctx context.Context, docs []Document, loading bool) (AddStats, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var st AddStats
	type pending struct {
		p    Passage
		text string
	}
	var todo []pending
	var reuse []chromem.Document
	var changed []Document
	var chunked [][]Passage // changed[i]'s passages: chunking is a third of a restart
	for _, d := range docs {
		if d.ID == "" {
			return st, errors.New("document without ID")
		}
		old, exists := ix.docs[d.ID]
		if exists && !loading && old.Hash == d.Hash && old.Text == d.Text && old.Title == d.Title {
			st.Unchanged++
			continue
		}
		if exists && !loading {
			st.Updated++
		} else if !loading {
			st.Added++
		}
		changed = append(changed, d)
		chunked = append(chunked, Chunk(d, ix.chunk))
		for _, p := range chunked[len(chunked)-1] {
			text := p.EmbedText()
			if loading && ix.vecs.holds(p.ID, text) { // already stored; checked without copying the vector
				continue
			}
			if cd, err := ix.col.GetByID(ctx, p.ID); err == nil && cd.Content == text && len(cd.Embedding) > 0 {
				reuse = append(reuse, cd)
				continue
			}
			todo = append(todo, pending{p: p, text: text})
		}
	}
	if len(changed) == 0 {
		return st, nil
	}
	texts := make([]string, len(todo))
	for i, t := range todo {
		texts[i] = t.text
	}
	var vecs [][]float32
	if len(texts) > 0 {
		var err error
		if vecs, err = ix.emb.Embed(ctx, texts); err != nil {
			return st, fmt.Errorf("embedding %d passages: %w", len(texts), err)
		}
		if len(vecs) != len(texts) {
			return st, fmt.Errorf("embedder returned %d vectors for %d passages", len(vecs), len(texts))
		}
	}
	st.Embedded = len(texts)

	// Drop the old passages of changed documents, then store the new ones.
	for _, d := range changed {
		for _, pid := range ix.byDoc[d.ID] {
			delete(ix.passages, pid)
			ix.kw.remove(pid)
		}
	}
	if !loading {
		var stale []string
		for _, d := range changed {
			stale = append(stale, ix.byDoc[d.ID]...)
		}
		if len(stale) > 0 {
			if err := ix.deleteVectors(ctx, stale...); err != nil {
				return st, fmt.Errorf("removing old passages: %w", err)
			}
		}
	}
	cdocs := make([]chromem.Document, 0, len(todo))
	for i, t := range todo {
		cdocs = append(cdocs, chromem.Document{ID: t.p.ID, Content: t.text, Embedding: vecs[i],
			Metadata: map[string]string{"doc": t.p.DocID, "index": strconv.Itoa(t.p.Index)}})
	}
	if !loading {
		cdocs = append(cdocs, reuse...)
	}
	if len(cdocs) > 0 {
		if err := ix.storeVectors(ctx, cdocs); err != nil {
			return st, fmt.Errorf("storing vectors: %w", err)
		}
	}
	for i, d := range changed {
		ix.docs[d.ID] = d
		ix.byDoc[d.ID] = nil
		for _, p := range chunked[i] {
			ix.passages[p.ID] = p
			ix.byDoc[d.ID] = append(ix.byDoc[d.ID], p.ID)
			ix.kw.add(p.ID, ix.kw.analyze(p.EmbedText())) // Analyze, with a stem cache
		}
	}
	if !loading {
		if err := ix.saveManifest(); err != nil {
			return st, err
		}
	}
	return st, nil
}

// Remove deletes documents and their passages.
func (ix *Index) Remove(ctx context.Context, ids ...string) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var pids []string
	for _, id := range ids {
		for _, pid := range ix.byDoc[id] {
			delete(ix.passages, pid)
			ix.kw.remove(pid)
			pids = append(pids, pid)
		}
		delete(ix.byDoc, id)
		delete(ix.docs, id)
	}
	if len(pids) > 0 {
		if err := ix.deleteVectors(ctx, pids...); err != nil {
			return fmt.Errorf("removing passages: %w", err)
		}
	}
	return ix.saveManifest()
}

func (ix *Index) saveManifest() error {
	if ix.dir == "" {
		return nil
	}
	// Vectors first: a manifest never names passages whose vectors were
	// not written (missing ones would be re-embedded, but cost money).
	if err := ix.saveVectors(); err != nil {
		return err
	}
	m := manifest{Version: 1, Embedder: ix.emb.Name()}
	for _, d := range ix.docs {
		m.Documents = append(m.Documents, d)
	}
	sort.Slice(m.Documents, func(i, j int) bool { return m.Documents[i].ID < m.Documents[j].ID })
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encoding manifest: %w", err)
	}
	path := filepath.Join(ix.dir, manifestName)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("writing manifest: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing manifest: %w", err)
	}
	ix.seen = manifestStamp(path) // our own write is no news to Watch
	return nil
}

// Source describes one indexed article.
type Source struct {
	ID           string    `json:"id"`
	Title        string    `json:"title"`
	TitleDerived bool      `json:"title_derived,omitempty"`
	Published    time.Time `json:"published,omitzero"`
	Site         string    `json:"site,omitempty"`
	URL          string    `json:"url,omitempty"`
	Words        int       `json:"words"`
	Passages     int       `json:"passages"`
}

// Sources lists the indexed articles by ID.
func (ix *Index) Sources() []Source {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := make([]Source, 0, len(ix.docs))
	for _, d := range ix.docs {
		out = append(out, Source{ID: d.ID, Title: d.Title, TitleDerived: d.TitleDerived, Published: d.Published,
			Site: d.Site, URL: d.URL, Words: len(strings.Fields(d.Text)), Passages: len(ix.byDoc[d.ID])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Document returns one indexed article.
func (ix *Index) Document(id string) (Document, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	d, ok := ix.docs[id]
	return d, ok
}

// Passages returns a document's passages in order.
func (ix *Index) Passages(docID string) []Passage {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := make([]Passage, 0, len(ix.byDoc[docID]))
	for _, pid := range ix.byDoc[docID] {
		out = append(out, ix.passages[pid])
	}
	return out
}

// Len is the number of passages indexed.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.passages)
}

// EmbedderName is the identity of the embedder the vectors came from.
func (ix *Index) EmbedderName() string { return ix.emb.Name() }
