package retrieval

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	chromem "github.com/philippgille/chromem-go"

	"github.com/talkbot/talkbot/retrieval/store"
)

// Index owns the documents, their passages, the vector store (chromem-go)
// and the keyword index, and answers searches over both.
// It is safe for concurrent use.
//
// With a Dir, the store of record is SQLite (package store): Open loads
// passages, analysed terms and vectors from it without re-chunking or
// re-analysing; Add and Remove write through it when the index was opened
// for writing. The built-in articles are a separate, read-only layer
// (AddBuiltin) that lives in memory only.
type Index struct {
	emb      Embedder
	log      *slog.Logger
	dir      string // "" for in-memory
	chunk    ChunkOptions
	readOnly bool

	mu       sync.RWMutex
	st       *store.Store // nil: memory only (no Dir, or a reader before anything was ingested)
	unlock   func()       // the writer lock, held until Close
	seq      int64        // the store's change counter this index reflects
	docs     map[string]Document
	passages map[string]Passage
	byDoc    map[string][]string
	kw       *bm25
	vecs     *vectorSet // the collection's vectors, contiguous for search (vectors.go)
	builtin  map[string]bool
	// textHash and words describe stored documents held without their
	// text (fetched from the store on demand, see Document).
	textHash map[string]string
	words    map[string]int
	// legacy holds the vectors of a store in the old layout while it is
	// imported, so the import embeds nothing they cover.
	legacy *vectorSet

	// fromSnapshot: the index was loaded from the search snapshot
	// (snapshot.go) rather than from every row of the store.
	fromSnapshot bool

	sigs sync.Map // sentence → sentenceSig: near-duplicate signatures, computed once (dedup.go)
}

// Options configure an Index.
type Options struct {
	// Dir persists the index in Dir/talkbot.db; empty keeps it in memory.
	Dir      string
	Embedder Embedder // nil: the offline HashEmbedder
	Logger   *slog.Logger
	Chunk    ChunkOptions // zero: DefaultChunkOptions
	// ReadOnly opens the store for reading (ask, sources, serve): nothing
	// in Dir is created or written, Add indexes in memory only, and a
	// missing store is an empty corpus that Reload picks up once it exists.
	ReadOnly bool
	// LockWait bounds how long a writer waits for another writer (default
	// 2 minutes); OnLockWait is called once if it has to wait.
	LockWait   time.Duration
	OnLockWait func()
	// DocumentsOnly loads the stored documents but not their passages,
	// terms and vectors: enough for an ingest, which compares files with
	// documents and writes through, in a fraction of the time and memory.
	// Such an index does not search the stored passages.
	DocumentsOnly bool
}

// AddStats counts what an Add did.
type AddStats struct {
	Added, Updated, Unchanged int
	Embedded                  int // passages sent to the embedder
	// EmbedErr is set when AddBuiltin could not embed (an embedding server
	// that is down): the articles were indexed for keyword search only.
	EmbedErr error
}

// Open returns an Index. With a Dir it loads the store; a damaged store is
// moved aside (never deleted) with a warning that says how to recover, and
// the index starts empty rather than failing.
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
	if o.LockWait <= 0 {
		o.LockWait = 2 * time.Minute
	}
	ix := newIndex(o.Embedder, o.Logger, o.Chunk)
	ix.dir, ix.readOnly = o.Dir, o.ReadOnly
	if o.Dir == "" {
		return ix, nil
	}
	if !o.ReadOnly {
		if err := os.MkdirAll(o.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("creating data directory %s (set TALKBOT_DATA_DIR to a writable directory): %w", o.Dir, err)
		}
		unlock, err := store.LockWriter(ctx, o.Dir, o.LockWait, o.OnLockWait)
		if err != nil {
			return nil, err
		}
		ix.unlock = unlock
	}
	if err := ix.importLegacy(ctx, o); err != nil {
		ix.Close()
		return nil, err
	}
	st, err := openStore(ctx, o.Dir, o.ReadOnly, o.Logger)
	if err != nil {
		ix.Close()
		return nil, err
	}
	ix.st = st
	if st == nil {
		return ix, nil
	}
	if !o.ReadOnly {
		removeSnapshotTemps(o.Dir)
	}
	// From the search snapshot plus the store's changes since it, when
	// there is a usable one; else from the store itself.
	if ix.loadSnapshot(ctx, o.DocumentsOnly) {
		err = ix.Reload(ctx)
	} else {
		err = ix.load(ctx, o.DocumentsOnly)
	}
	if err != nil {
		ix.Close()
		return nil, err
	}
	return ix, nil
}

func newIndex(emb Embedder, log *slog.Logger, chunk ChunkOptions) *Index {
	ix := &Index{emb: emb, log: log, chunk: chunk, docs: map[string]Document{}, passages: map[string]Passage{},
		byDoc: map[string][]string{}, kw: newBM25(), builtin: map[string]bool{}, textHash: map[string]string{},
		words: map[string]int{}}
	ix.resetVectors()
	return ix
}

// resetVectors installs an empty vector set.
func (ix *Index) resetVectors() {
	ix.vecs = newVectorSet()
}

// collection builds a chromem-go collection over the index's vectors (the
// same memory, not a copy), for comparing Search's scan with chromem-go's
// own query. It is built on demand: holding one per index cost every
// start-up time and ~200 bytes per passage for a baseline only bench uses.
// Callers hold at least the read lock.
func (ix *Index) collection(ctx context.Context) (*chromem.Collection, error) {
	db := chromem.NewDB()
	col, err := db.CreateCollection(collectionName, map[string]string{"embedder": ix.emb.Name()}, ix.embedFunc())
	if err != nil {
		return nil, fmt.Errorf("creating vector collection: %w", err)
	}
	for id, slot := range ix.vecs.slots {
		// In memory, with our own embedding: no I/O and no embedding call.
		if err := col.AddDocument(ctx, chromem.Document{ID: id, Embedding: ix.vecs.vec(slot)}); err != nil {
			return nil, fmt.Errorf("filling vector collection: %w", err)
		}
	}
	return col, nil
}

// openStore opens the SQLite store. A damaged one has been moved aside by
// store.Open: say so loudly and carry on with a fresh store (writers) or
// none (readers). A reader finding no store gets nil.
func openStore(ctx context.Context, dir string, readOnly bool, log *slog.Logger) (*store.Store, error) {
	st, err := store.Open(ctx, dir, store.Options{ReadOnly: readOnly, Logger: log})
	switch {
	case errors.Is(err, store.ErrNoStore):
		return nil, nil
	case store.IsCorrupt(err):
		log.Warn("the article store was damaged and has been moved aside; starting with an empty store", "err", err)
		if readOnly {
			return nil, nil
		}
		st, err = store.Open(ctx, dir, store.Options{Logger: log})
	}
	if err != nil {
		return nil, fmt.Errorf("opening the article store in %s: %w", dir, err)
	}
	return st, nil
}

// load fills the in-memory structures from the store: the passages' terms
// and vectors are stored, so nothing is chunked, analysed or embedded.
func (ix *Index) load(ctx context.Context, docsOnly bool) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	// Two stages on two cores: the reader (SQLite, decoding, vectors into
	// their slots) and the indexer (passage maps and BM25), in batches.
	type loaded struct {
		p     Passage
		terms []string
	}
	batches := make(chan []loaded, 8)
	indexed := make(chan struct{})
	go func() {
		defer close(indexed)
		for b := range batches {
			for _, l := range b {
				ix.passages[l.p.ID] = l.p
				ix.byDoc[l.p.DocID] = append(ix.byDoc[l.p.DocID], l.p.ID)
				ix.kw.add(l.p.ID, l.terms)
			}
		}
	}()
	var batch []loaded
	var bad []string
	// Vectors come after the passages, by embed key; usually one passage
	// per key, a few when articles repeat a passage word for word.
	byKey := map[string]string{}
	dupKeys := map[string][]string{}
	onPassage := func(p store.Passage) {
		if _, dup := byKey[p.EmbedKey]; dup {
			dupKeys[p.EmbedKey] = append(dupKeys[p.EmbedKey], p.ID)
		} else {
			byKey[p.EmbedKey] = p.ID
		}
		batch = append(batch, loaded{fromStorePassage(p), p.Terms})
		if len(batch) == 512 {
			batches <- batch
			batch = make([]loaded, 0, 512)
		}
	}
	var title string // passages repeat their document's title: share one string
	var passageFn func(store.Passage)
	if !docsOnly {
		passageFn = func(p store.Passage) {
			if p.Title == title {
				p.Title = title
			} else {
				title = p.Title
			}
			onPassage(p)
		}
	}
	onVector := func(key string, raw []byte) {
		id, ok := byKey[key]
		if !ok {
			return // no passage uses it (yet)
		}
		for _, pid := range append([]string{id}, dupKeys[key]...) {
			if err := ix.vecs.putRaw(pid, key, raw); err != nil && len(bad) < 3 {
				bad = append(bad, pid+": "+err.Error())
			}
		}
	}
	// Maps sized once and the collector held back while loading: growing
	// maps and marking a heap that only grows were a third of start-up.
	defer debug.SetGCPercent(debug.SetGCPercent(200))
	sizes := func(docs, passages int) {
		ix.docs = make(map[string]Document, docs)
		ix.byDoc = make(map[string][]string, docs)
		ix.textHash, ix.words = make(map[string]string, docs), make(map[string]int, docs)
		if docsOnly {
			return
		}
		ix.passages = make(map[string]Passage, passages)
		ix.kw.slots = make(map[string]int, passages)
		ix.kw.docs = make([]bm25Doc, 0, passages)
		ix.kw.lens = make([]int32, 0, passages)
		ix.vecs.slots = make(map[string]int, passages)
		ix.vecs.texts = make(map[string]string, passages)
		ix.vecs.ids = make([]string, 0, passages)
		byKey = make(map[string]string, passages)
	}
	info, err := ix.st.Load(ctx, ix.emb.Name(), sizes, func(d store.Document) {
		ix.docs[d.ID] = fromStoreDoc(d)
		ix.textHash[d.ID], ix.words[d.ID] = d.TextHash, d.Words
	}, passageFn, onVector)
	if len(batch) > 0 {
		batches <- batch
	}
	close(batches)
	<-indexed
	if len(bad) > 0 {
		ix.log.Warn("stored vectors not usable; keyword search only for those passages", "first", bad[0])
	}
	if store.IsCorrupt(err) {
		// Found damage while reading: keep the file for inspection, serve
		// nothing from it, and say how to rebuild.
		_ = ix.st.Close()
		ix.st = nil
		aerr := store.MoveAside(ix.dir, ix.log, err)
		ix.log.Warn("the article store is damaged; answering from the built-in articles", "err", aerr)
		ix.docs, ix.passages, ix.byDoc, ix.kw = map[string]Document{}, map[string]Passage{}, map[string][]string{}, newBM25()
		ix.resetVectors()
		if !ix.readOnly {
			st, oerr := openStore(ctx, ix.dir, false, ix.log)
			if oerr != nil {
				return oerr
			}
			ix.st = st
		}
		return nil
	}
	if err != nil {
		return err
	}
	ix.seq = info.Seq
	if !docsOnly {
		ix.reportLoad(info, len(ix.passages))
	}
	return nil
}

// reportLoad warns about skipped rows and vectors of another embedder.
func (ix *Index) reportLoad(info store.LoadInfo, passages int) {
	if n := len(info.Skipped); n > 0 {
		ix.log.Warn("skipped unreadable rows of the article store; re-ingest the affected articles to repair them",
			"rows", n, "first", info.Skipped[0])
	}
	if info.Vectors < passages && len(info.OtherEmbedders) > 0 {
		var names []string
		for n := range info.OtherEmbedders {
			names = append(names, n)
		}
		sort.Strings(names)
		ix.log.Warn("the stored vectors were made by another embedder; answering by keywords for the passages without vectors "+
			"(set TALKBOT_EMBED_MODEL to the store's model, or run talkbot reindex to embed them with this one)",
			"store_embedders", strings.Join(names, ","), "this_embedder", ix.emb.Name(),
			"passages_without_vectors", passages-info.Vectors)
	}
}

// sameDocument reports whether d is what is indexed as old: same file
// content, title and text (compared by hash when the index was loaded
// without texts).
func (ix *Index) sameDocument(old, d Document) bool {
	if old.Hash != d.Hash || old.Title != d.Title {
		return false
	}
	if th, ok := ix.textHash[old.ID]; ok && old.Text == "" {
		return th == store.TextHash(d.Text)
	}
	return old.Text == d.Text
}

// vectorsPartial reports whether some passages have no vector for this
// embedder (the store was embedded by another model, or the embedding
// server was down): fusing a vector ranking that cannot see them would
// bury them, so hybrid search falls back to keywords until talkbot reindex.
func (ix *Index) vectorsPartial() bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.vecs.len() < len(ix.passages)
}

// Close releases the store and the writer lock.
func (ix *Index) Close() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var err error
	if ix.st != nil {
		err = ix.st.Close()
		ix.st = nil
	}
	if ix.unlock != nil {
		ix.unlock()
		ix.unlock = nil
	}
	return err
}

func fromStoreDoc(d store.Document) Document {
	return Document{ID: d.ID, Title: d.Title, TitleDerived: d.TitleDerived, Published: d.Published, Site: d.Site,
		URL: d.URL, Path: d.Path, Text: d.Text, Hash: d.Hash}
}

func toStoreDoc(d Document) store.Document {
	return store.Document{ID: d.ID, Title: d.Title, TitleDerived: d.TitleDerived, Published: d.Published, Site: d.Site,
		URL: d.URL, Path: d.Path, Text: d.Text, Hash: d.Hash}
}

func fromStorePassage(p store.Passage) Passage {
	return Passage{ID: p.ID, DocID: p.DocID, Title: p.Title, Index: p.Index, Heading: p.Heading, Sentences: p.Sentences}
}

// embedKey names the text a vector was made from.
func embedKey(text string) string { return HashBytes([]byte(text))[:32] }

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

// Add indexes documents, replacing any with the same ID. A document whose
// hash and text are unchanged costs nothing; passages whose text is already
// embedded are not embedded again. An index opened for writing stores them
// (one transaction per call); otherwise they are indexed in memory only.
func (ix *Index) Add(ctx context.Context, docs ...Document) (AddStats, error) {
	return ix.add(ctx, docs, false)
}

// AddBuiltin indexes the built-in articles: in memory only, never stored,
// whatever the index. If the embedder fails (a server that is down), they
// are indexed for keyword search and AddStats.EmbedErr says why.
func (ix *Index) AddBuiltin(ctx context.Context, docs ...Document) (AddStats, error) {
	return ix.add(ctx, docs, true)
}

// prepared is one changed document, chunked and analysed.
type prepared struct {
	doc      Document
	passages []Passage
	terms    [][]string
	keys     []string
	vecs     [][]float32
}

func (ix *Index) add(ctx context.Context, docs []Document, builtin bool) (AddStats, error) {
	var st AddStats
	ix.mu.RLock()
	writing := ix.st != nil && !ix.readOnly && !builtin
	var todo []*prepared
	stems := map[string]string{} // a corpus repeats its words; the stemmer is slow
	for _, d := range docs {
		if d.ID == "" {
			ix.mu.RUnlock()
			return st, errors.New("document without ID")
		}
		old, exists := ix.docs[d.ID]
		if exists && ix.sameDocument(old, d) && old.Path == d.Path {
			st.Unchanged++
			continue
		}
		if exists {
			st.Updated++
		} else {
			st.Added++
		}
		pr := &prepared{doc: d, passages: Chunk(d, ix.chunk)}
		for _, p := range pr.passages {
			text := p.EmbedText()
			pr.terms = append(pr.terms, analyzeWords(Words(text), func(w string) string { return cachedStem(stems, w) }))
			pr.keys = append(pr.keys, embedKey(text))
			var v []float32
			if slot, ok := ix.vecs.slots[p.ID]; ok && ix.vecs.holds(p.ID, pr.keys[len(pr.keys)-1]) {
				v = slices.Clone(ix.vecs.vec(slot))
			} else if ix.legacy != nil && ix.legacy.holds(p.ID, text) {
				v = slices.Clone(ix.legacy.vec(ix.legacy.slots[p.ID]))
			}
			pr.vecs = append(pr.vecs, v)
		}
		todo = append(todo, pr)
	}
	ix.mu.RUnlock()
	if len(todo) == 0 {
		return st, nil
	}
	// Vectors already stored (by this or another embedding of the same
	// text) are reused; only the rest is embedded.
	var missing []string
	for _, pr := range todo {
		for i, v := range pr.vecs {
			if v == nil {
				missing = append(missing, pr.keys[i])
			}
		}
	}
	if writing && len(missing) > 0 {
		have, err := ix.st.Vectors(ctx, ix.emb.Name(), missing)
		if err != nil {
			return AddStats{}, err
		}
		for _, pr := range todo {
			for i := range pr.vecs {
				if pr.vecs[i] == nil {
					pr.vecs[i] = have[pr.keys[i]]
				}
			}
		}
	}
	fresh := map[string][]float32{}
	var texts []string
	var where [][2]int
	for j, pr := range todo {
		for i, v := range pr.vecs {
			if v == nil {
				texts = append(texts, pr.passages[i].EmbedText())
				where = append(where, [2]int{j, i})
			}
		}
	}
	if len(texts) > 0 {
		vecs, err := ix.emb.Embed(ctx, texts)
		if err == nil && len(vecs) != len(texts) {
			err = fmt.Errorf("embedder returned %d vectors for %d passages", len(vecs), len(texts))
		}
		switch {
		case err != nil && builtin && ctx.Err() == nil:
			// The built-in articles still answer by keywords.
			st.EmbedErr = err
		case err != nil:
			return AddStats{}, fmt.Errorf("embedding %d passages: %w", len(texts), err)
		default:
			st.Embedded = len(texts)
			for k, w := range where {
				v := normalized(vecs[k]) // stored as searched: start-up need not check
				todo[w[0]].vecs[w[1]] = v
				fresh[todo[w[0]].keys[w[1]]] = v
			}
		}
	}
	if writing {
		b := store.Batch{Vectors: fresh, Embedder: ix.emb.Name()}
		for _, pr := range todo {
			b.Docs = append(b.Docs, toStoreDoc(pr.doc))
			for i, p := range pr.passages {
				b.Passages = append(b.Passages, store.Passage{ID: p.ID, DocID: p.DocID, Index: p.Index, Title: p.Title,
					Heading: p.Heading, Sentences: p.Sentences, Terms: pr.terms[i], EmbedKey: pr.keys[i]})
			}
		}
		if err := ix.st.Apply(ctx, b); err != nil {
			return AddStats{}, err
		}
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, pr := range todo {
		ix.installDoc(ctx, pr.doc, pr.passages, pr.terms, pr.keys, pr.vecs)
		if builtin {
			ix.builtin[pr.doc.ID] = true
		} else {
			delete(ix.builtin, pr.doc.ID)
		}
	}
	return st, nil
}

// installDoc replaces a document and its passages in memory. Callers hold
// the write lock.
func (ix *Index) installDoc(ctx context.Context, d Document, ps []Passage, terms [][]string, keys []string, vecs [][]float32) {
	ix.uninstallDoc(ctx, d.ID)
	ix.docs[d.ID] = d
	for i, p := range ps {
		ix.installPassage(ctx, p, terms[i], keys[i], vecs[i])
	}
}

// installPassage adds one passage of an installed document.
func (ix *Index) installPassage(ctx context.Context, p Passage, terms []string, key string, vec []float32) {
	ix.passages[p.ID] = p
	ix.byDoc[p.DocID] = append(ix.byDoc[p.DocID], p.ID)
	ix.kw.add(p.ID, terms)
	if len(vec) == 0 {
		return // keyword search only: no vector for this embedder
	}
	if _, err := ix.vecs.put(p.ID, key, vec); err != nil {
		ix.log.Warn("passage vector not usable; keyword search only for it", "passage", p.ID, "err", err)
	}
}

// uninstallDoc drops a document and its passages from memory.
func (ix *Index) uninstallDoc(ctx context.Context, id string) {
	pids := ix.byDoc[id]
	for _, pid := range pids {
		delete(ix.passages, pid)
		ix.kw.remove(pid)
		ix.vecs.remove(pid)
	}
	delete(ix.byDoc, id)
	delete(ix.docs, id)
	delete(ix.builtin, id)
	delete(ix.textHash, id)
	delete(ix.words, id)
}

// Reindex embeds, with this index's embedder, every stored passage that
// has no vector from it (the store was built with another model, or an
// embedding failed), in batches of batch passages, each committed. It is
// the only way besides ingesting changed text that vectors are computed
// for a whole store, because with a remote model that costs money.
// progress, if set, gets the running count.
func (ix *Index) Reindex(ctx context.Context, batch int, progress func(done, total int)) (int, error) {
	if batch <= 0 {
		batch = 256
	}
	ix.mu.RLock()
	writing := ix.st != nil && !ix.readOnly
	var todo []Passage
	for id, p := range ix.passages {
		if _, ok := ix.vecs.slots[id]; !ok && !ix.builtin[p.DocID] {
			todo = append(todo, p)
		}
	}
	ix.mu.RUnlock()
	if !writing {
		return 0, errors.New("reindex needs the store opened for writing")
	}
	sort.Slice(todo, func(i, j int) bool { return todo[i].ID < todo[j].ID })
	if len(todo) > 0 {
		// New vectors change no document, so the change counter cannot
		// tell readers a snapshot lacks them: drop it, write it again after.
		if err := ix.dropSnapshot(); err != nil {
			return 0, fmt.Errorf("removing the search snapshot before reindexing: %w", err)
		}
		defer func() {
			if _, err := ix.Checkpoint(ctx, false); err != nil {
				ix.log.Warn("search snapshot not written; readers load from the store until the next ingest", "err", err)
			}
		}()
	}
	done := 0
	for len(todo) > 0 {
		part := todo[:min(batch, len(todo))]
		todo = todo[len(part):]
		texts := make([]string, len(part))
		for i, p := range part {
			texts[i] = p.EmbedText()
		}
		vecs, err := ix.emb.Embed(ctx, texts)
		if err == nil && len(vecs) != len(texts) {
			err = fmt.Errorf("embedder returned %d vectors for %d passages", len(vecs), len(texts))
		}
		if err != nil {
			return done, fmt.Errorf("embedding passages (%d of %d done, kept): %w", done, done+len(part)+len(todo), err)
		}
		b := store.Batch{Vectors: map[string][]float32{}, Embedder: ix.emb.Name()}
		for i := range part {
			b.Vectors[embedKey(texts[i])] = normalized(vecs[i])
		}
		if err := ix.st.Apply(ctx, b); err != nil {
			return done, err
		}
		ix.mu.Lock()
		for i, p := range part {
			if _, ok := ix.passages[p.ID]; ok {
				if _, err := ix.vecs.put(p.ID, embedKey(texts[i]), vecs[i]); err != nil {
					ix.log.Warn("passage vector not usable; keyword search only for it", "passage", p.ID, "err", err)
				}
			}
		}
		ix.mu.Unlock()
		done += len(part)
		if progress != nil {
			progress(done, done+len(todo))
		}
	}
	return done, nil
}

// Remove deletes documents and their passages (from the store too, when
// the index was opened for writing).
func (ix *Index) Remove(ctx context.Context, ids ...string) error {
	ix.mu.RLock()
	writing := ix.st != nil && !ix.readOnly
	ix.mu.RUnlock()
	if writing {
		if err := ix.st.Apply(ctx, store.Batch{Removed: ids}); err != nil {
			return fmt.Errorf("removing %d articles: %w", len(ids), err)
		}
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, id := range ids {
		ix.uninstallDoc(ctx, id)
	}
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
		words, ok := ix.words[d.ID]
		if !ok {
			words = len(strings.Fields(d.Text))
		}
		out = append(out, Source{ID: d.ID, Title: d.Title, TitleDerived: d.TitleDerived, Published: d.Published,
			Site: d.Site, URL: d.URL, Words: words, Passages: len(ix.byDoc[d.ID])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Document returns one indexed article, with its text.
func (ix *Index) Document(id string) (Document, bool) {
	// The bot's interface has no context; the read is one indexed row.
	return ix.DocumentContext(context.Background(), id)
}

// DocumentContext is Document with a context for the store read: a
// stored article's text is not kept in memory, it is read when asked for.
func (ix *Index) DocumentContext(ctx context.Context, id string) (Document, bool) {
	ix.mu.RLock()
	d, ok := ix.docs[id]
	_, lazy := ix.textHash[id]
	st := ix.st
	ix.mu.RUnlock()
	if !ok || !lazy || d.Text != "" || st == nil {
		return d, ok
	}
	text, found, err := st.Text(ctx, id)
	if err != nil {
		ix.log.Warn("reading an article's text from the store", "id", id, "err", err)
	}
	if found {
		d.Text = text
	}
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
