package retrieval

// The search snapshot (talkbot.snap) is a file derived from the store: the
// in-memory search structures of a loaded index (documents, passages, BM25
// postings, vectors in their scan blocks) laid out so that a fresh process
// maps it and points into it instead of reading, copying and decoding every
// row of talkbot.db. At 100k passages that is the difference between
// seconds and a fraction of one for every `talkbot ask`.
//
// SQLite stays the store of record. A snapshot names the store it came from
// (its store_id) and the change counter it reflects; a reader applies the
// store's changes since then (Reload), so a snapshot that is behind is still
// correct, only slower. One that is damaged, of another store or another
// embedder is ignored with a note, never trusted. Only writers write it
// (Checkpoint), under the writer lock, to a temporary name then renamed;
// readers never write.

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/talkbot/talkbot/retrieval/store"
)

const (
	snapFile    = "talkbot.snap"
	snapMagic   = "TBSNAP01"
	snapVersion = 1
	snapHeader  = 128
	snapDocRec  = 80 // 8 string refs, words, derived, first passage, passages
	snapPasRec  = 64 // 4 string refs, doc, index, sentences (first, n), terms (first, n), length, reserved
	snapPage    = 4096
	// snapChunk is the unit of the checksum: chunks are verified on all
	// cores at once, and an ingest verifies only those it reads.
	snapChunk = 16 << 20
	// snapMinPassages: a store smaller than this loads from SQLite in
	// well under a second, so no snapshot is written for it.
	snapMinPassages = 2000
	// snapMaxDelta is the share of a snapshot's passages that may have
	// changed before a writer rewrites it: readers read that many from
	// the store at start-up, and rewriting costs a writer about as much
	// as a reader loading the whole store.
	snapMaxDelta = 20 // 1/20 = 5%
)

// sref is a string in the snapshot's string area: offset and length.
type sref struct{ off, n uint32 }

// snapshot is a parsed, validated snapshot file. Its slices point into m.
type snapshot struct {
	m                    []byte
	seq                  int64
	dims                 int
	storeID, embedder    string
	nDocs, nPas, nTerms  int
	nVecs, nSents, nTF   int
	nPost                int
	totalLen             int
	docs, pas, sents, tf int // section offsets
	terms, df, postStart int
	post, vecPas, vecs   int
	blob                 int
	blobEnd              int // where the chunk checksums start
	docStrEnd            int // the documents' strings are blob[:docStrEnd]
}

// snapCheck is how much of a snapshot parseSnapshot verifies.
type snapCheck int

const (
	checkHeader snapCheck = iota // header and layout: a writer deciding whether to rewrite
	checkDocs                    // and the documents with their strings: what an ingest reads
	checkAll                     // and everything else: what search reads
)

// snapLayout computes section offsets from the counts, in file order; the
// caller checks the end against the file size.
func (s *snapshot) layout() (end int64) {
	off := int64(snapHeader)
	at := func(n int64, align int64) int {
		o := off
		off += n
		off = (off + align - 1) / align * align
		return int(o)
	}
	s.docs = at(int64(s.nDocs)*snapDocRec, 8)
	s.pas = at(int64(s.nPas)*snapPasRec, 8)
	s.sents = at(int64(s.nSents)*8, 8)
	s.tf = at(int64(s.nTF)*8, 8)
	s.terms = at(int64(s.nTerms)*8, 8)
	s.df = at(int64(s.nTerms)*4, 8)
	s.postStart = at(int64(s.nTerms+1)*4, 8)
	s.post = at(int64(s.nPost)*8, 8)
	s.vecPas = at(int64(s.nVecs)*4, snapPage)
	s.vecs = at(int64(vecBlocks(s.nVecs))*vecBlock*int64(s.dims)*4, 8)
	s.blob = int(off)
	return off
}

func vecBlocks(n int) int { return (n + vecBlock - 1) / vecBlock }

var errSnapshot = errors.New("not a usable search snapshot")

// hostFits reports whether the file's little-endian records can be used in
// place on this machine (they are read as Go values, not decoded).
func hostFits() bool {
	return binary.NativeEndian.Uint16([]byte{1, 0}) == 1 &&
		unsafe.Sizeof(posting{}) == 8 && unsafe.Offsetof(posting{}.tf) == 4 &&
		unsafe.Sizeof(termTF{}) == 8 && unsafe.Offsetof(termTF{}.tf) == 4
}

// parseSnapshot checks a snapshot's header and layout and, as far as
// check asks, the checksums and every reference in what will be used, so
// nothing built from it can point outside the file.
func parseSnapshot(m []byte, check snapCheck) (*snapshot, error) {
	if len(m) < snapHeader || string(m[:8]) != snapMagic {
		return nil, fmt.Errorf("%w: no snapshot header", errSnapshot)
	}
	le := binary.LittleEndian
	if v := le.Uint32(m[8:]); v != snapVersion {
		return nil, fmt.Errorf("%w: format %d, this talkbot reads %d", errSnapshot, v, snapVersion)
	}
	if crc32.Checksum(m[:snapHeader-8], castagnoli) != le.Uint32(m[snapHeader-8:]) {
		return nil, fmt.Errorf("%w: header checksum mismatch", errSnapshot)
	}
	s := &snapshot{m: m, dims: int(le.Uint32(m[12:])), seq: int64(le.Uint64(m[16:])),
		nDocs: int(le.Uint32(m[24:])), nPas: int(le.Uint32(m[28:])), nTerms: int(le.Uint32(m[32:])),
		nVecs: int(le.Uint32(m[36:])), nSents: int(le.Uint32(m[40:])), nTF: int(le.Uint32(m[44:])),
		nPost: int(le.Uint32(m[48:])), totalLen: int(le.Uint64(m[56:]))}
	if s.dims > 1<<16 || (s.nVecs > 0 && s.dims == 0) || s.seq < 0 || s.totalLen < 0 {
		return nil, fmt.Errorf("%w: implausible header", errSnapshot)
	}
	end := s.layout()
	blobEnd, docStrEnd := le.Uint64(m[96:]), le.Uint64(m[104:])
	chunks := (int64(blobEnd) - snapHeader + snapChunk - 1) / snapChunk
	if end > int64(len(m)) || int64(s.blob) != int64(le.Uint64(m[80:])) || int64(s.vecs) != int64(le.Uint64(m[88:])) ||
		blobEnd < uint64(end) || blobEnd > uint64(len(m)) || uint64(len(m)) != blobEnd+4*uint64(chunks) ||
		docStrEnd > blobEnd-uint64(s.blob) {
		return nil, fmt.Errorf("%w: truncated or inconsistent (%d bytes, layout needs %d)", errSnapshot, len(m), end)
	}
	s.blobEnd, s.docStrEnd = int(blobEnd), int(docStrEnd)
	table := m[s.blobEnd:]
	if crc32.Checksum(table, castagnoli) != le.Uint32(m[52:]) {
		return nil, fmt.Errorf("%w: checksum table mismatch", errSnapshot)
	}
	blobLen := uint64(s.blobEnd - s.blob)
	refWithin := func(at int, limit uint64) bool {
		r := s.ref(at)
		return uint64(r.off)+uint64(r.n) <= limit
	}
	okRef := func(at int) bool { return refWithin(at, blobLen) }
	if !okRef(64) || !okRef(72) {
		return nil, fmt.Errorf("%w: bad header string", errSnapshot)
	}
	if check == checkHeader {
		s.storeID, s.embedder = s.str(64), s.str(72)
		return s, nil
	}
	// The chunks holding what will be read: the header's strings and the
	// documents always, the rest for search.
	ranges := [][2]int{{snapHeader, s.pas}, {s.blob, s.blob + s.docStrEnd}}
	for _, at := range []int{64, 72} {
		r := s.ref(at)
		ranges = append(ranges, [2]int{s.blob + int(r.off), s.blob + int(r.off) + int(r.n)})
	}
	if check == checkAll {
		ranges = [][2]int{{snapHeader, s.blobEnd}}
	}
	if err := s.verifyChunks(table, ranges); err != nil {
		return nil, err
	}
	s.storeID, s.embedder = s.str(64), s.str(72)
	bad := func(what string, i int) error { return fmt.Errorf("%w: bad %s %d", errSnapshot, what, i) }
	for i := range s.nDocs {
		r := s.docs + i*snapDocRec
		for k := range 8 {
			if !refWithin(r+8*k, uint64(s.docStrEnd)) {
				return nil, bad("document", i)
			}
		}
		if first, n := s.u32(r+72), s.u32(r+76); first+n > s.nPas {
			return nil, bad("document", i)
		}
	}
	if check == checkDocs {
		return s, nil
	}
	for i := range s.nPas {
		r := s.pas + i*snapPasRec
		for k := range 4 {
			if !okRef(r + 8*k) {
				return nil, bad("passage", i)
			}
		}
		if s.u32(r+32) >= s.nDocs || s.u32(r+40)+s.u32(r+44) > s.nSents || s.u32(r+48)+s.u32(r+52) > s.nTF {
			return nil, bad("passage", i)
		}
	}
	for i := range s.nSents {
		if !okRef(s.sents + 8*i) {
			return nil, bad("sentence", i)
		}
	}
	for i := range s.nTerms {
		if !okRef(s.terms + 8*i) {
			return nil, bad("term", i)
		}
	}
	for _, t := range s.termTFs() {
		if t.id < 0 || int(t.id) >= s.nTerms {
			return nil, bad("term reference", int(t.id))
		}
	}
	prev := 0
	for i := range s.nTerms + 1 {
		p := s.u32(s.postStart + 4*i)
		if p < prev || p > s.nPost || (i == 0 && p != 0) || (i == s.nTerms && p != s.nPost) {
			return nil, bad("posting list", i)
		}
		prev = p
	}
	for _, p := range s.postings() {
		if p.slot < 0 || int(p.slot) >= s.nPas {
			return nil, bad("posting", int(p.slot))
		}
	}
	for i := range s.nVecs {
		if s.u32(s.vecPas+4*i) >= s.nPas {
			return nil, bad("vector", i)
		}
	}
	return s, nil
}

// verifyChunks checks the checksum of every chunk overlapping ranges, on
// all cores: at 100k passages the file is 600 MB, and one core checks it
// at under 3 GB/s.
func (s *snapshot) verifyChunks(table []byte, ranges [][2]int) error {
	want := map[int]bool{}
	for _, r := range ranges {
		if r[1] <= r[0] {
			continue
		}
		for c := (r[0] - snapHeader) / snapChunk; c <= (r[1]-1-snapHeader)/snapChunk; c++ {
			want[c] = true
		}
	}
	todo := make(chan int, len(want))
	for c := range want {
		todo <- c
	}
	close(todo)
	var failed atomic.Int64
	failed.Store(-1)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(want)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range todo {
				lo := snapHeader + c*snapChunk
				hi := min(lo+snapChunk, s.blobEnd)
				if crc32.Checksum(s.m[lo:hi], castagnoli) != binary.LittleEndian.Uint32(table[4*c:]) {
					failed.Store(int64(c))
				}
			}
		}()
	}
	wg.Wait()
	if c := failed.Load(); c >= 0 {
		return fmt.Errorf("%w: checksum mismatch in bytes %d–%d", errSnapshot, snapHeader+c*snapChunk, min(snapHeader+(c+1)*snapChunk, int64(s.blobEnd)))
	}
	return nil
}

func (s *snapshot) u32(at int) int { return int(binary.LittleEndian.Uint32(s.m[at:])) }

func (s *snapshot) ref(at int) sref {
	return sref{binary.LittleEndian.Uint32(s.m[at:]), binary.LittleEndian.Uint32(s.m[at+4:])}
}

// str is the string a reference at at names, pointing into the mapping.
func (s *snapshot) str(at int) string {
	r := s.ref(at)
	if r.n == 0 {
		return ""
	}
	return unsafe.String(&s.m[s.blob+int(r.off)], int(r.n))
}

func (s *snapshot) termTFs() []termTF {
	if s.nTF == 0 {
		return nil
	}
	return unsafe.Slice((*termTF)(unsafe.Pointer(&s.m[s.tf])), s.nTF)
}

func (s *snapshot) postings() []posting {
	if s.nPost == 0 {
		return nil
	}
	return unsafe.Slice((*posting)(unsafe.Pointer(&s.m[s.post])), s.nPost)
}

// install fills an empty index from the snapshot. With docsOnly, only the
// documents (what an ingest compares files with). Callers hold the lock.
func (s *snapshot) install(ix *Index, docsOnly bool) {
	ix.docs = make(map[string]Document, s.nDocs)
	ix.textHash, ix.words = make(map[string]string, s.nDocs), make(map[string]int, s.nDocs)
	ix.byDoc = make(map[string][]string, s.nDocs)
	docIDs := make([]string, s.nDocs)
	for i := range s.nDocs {
		r := s.docs + i*snapDocRec
		d := Document{ID: s.str(r), Title: s.str(r + 8), Site: s.str(r + 16), URL: s.str(r + 24), Path: s.str(r + 32),
			Hash: s.str(r + 40), TitleDerived: s.u32(r+68) != 0}
		if pub := s.str(r + 56); pub != "" {
			d.Published, _ = time.Parse(time.RFC3339Nano, pub)
		}
		docIDs[i] = d.ID
		ix.docs[d.ID] = d
		ix.textHash[d.ID], ix.words[d.ID] = s.str(r+48), s.u32(r+64)
	}
	if docsOnly {
		return
	}
	pids := make([]string, s.nPas)
	sents := make([]string, s.nSents)
	for i := range sents {
		sents[i] = s.str(s.sents + 8*i)
	}
	ix.passages = make(map[string]Passage, s.nPas)
	kw := newBM25()
	kw.docs = make([]bm25Doc, s.nPas)
	kw.lens = make([]int32, s.nPas)
	kw.slots = make(map[string]int, s.nPas)
	tfs := s.termTFs()
	for i := range s.nPas {
		r := s.pas + i*snapPasRec
		p := Passage{ID: s.str(r), Title: s.str(r + 8), Heading: s.str(r + 16), DocID: docIDs[s.u32(r+32)], Index: s.u32(r + 36)}
		f, n := s.u32(r+40), s.u32(r+44)
		p.Sentences = sents[f : f+n : f+n]
		pids[i] = p.ID
		ix.passages[p.ID] = p
		tf, tn := s.u32(r+48), s.u32(r+52)
		kw.docs[i] = bm25Doc{id: p.ID, terms: tfs[tf : tf+tn : tf+tn], len: s.u32(r + 56)}
		kw.lens[i] = int32(kw.docs[i].len)
		kw.slots[p.ID] = i
	}
	for i := range s.nDocs {
		r := s.docs + i*snapDocRec
		f, n := s.u32(r+72), s.u32(r+76)
		ix.byDoc[docIDs[i]] = pids[f : f+n : f+n]
	}
	kw.termIDs = make(map[string]int32, s.nTerms)
	kw.postings = make([][]posting, s.nTerms)
	kw.mapped = make([][]posting, s.nTerms)
	post := s.postings()
	for t := range s.nTerms {
		kw.termIDs[s.str(s.terms+8*t)] = int32(t)
		a, b := s.u32(s.postStart+4*t), s.u32(s.postStart+4*t+4)
		kw.mapped[t] = post[a:b:b]
	}
	if s.nTerms > 0 {
		kw.df = unsafe.Slice((*int32)(unsafe.Pointer(&s.m[s.df])), s.nTerms)
		kw.df = kw.df[:s.nTerms:s.nTerms]
	}
	kw.live, kw.totalLen = s.nPas, s.totalLen
	ix.kw = kw

	vs := newVectorSet()
	vs.dims = s.dims
	vs.ids = make([]string, s.nVecs)
	vs.slots = make(map[string]int, s.nVecs)
	vs.texts = make(map[string]string, s.nVecs)
	for b := range vecBlocks(s.nVecs) {
		at := s.vecs + b*vecBlock*s.dims*4
		vs.blocks = append(vs.blocks, unsafe.Slice((*float32)(unsafe.Pointer(&s.m[at])), vecBlock*s.dims))
	}
	for i := range s.nVecs {
		pi := s.u32(s.vecPas + 4*i)
		id := pids[pi]
		vs.ids[i] = id
		vs.slots[id] = i
		vs.texts[id] = s.str(s.pas + pi*snapPasRec + 24)
	}
	ix.vecs = vs
}

// loadSnapshot fills the index from the store's snapshot when there is a
// usable one, returning whether it did; the caller then applies the
// store's changes since it (Reload). Anything short of a matching, intact
// snapshot means loading from the store instead.
func (ix *Index) loadSnapshot(ctx context.Context, docsOnly bool) bool {
	if !hostFits() {
		return false
	}
	check := checkAll
	if docsOnly {
		check = checkDocs
	}
	s, err := openSnapshot(filepath.Join(ix.dir, snapFile), check)
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if err != nil {
		ix.log.Warn("ignoring the search snapshot; loading from the store instead (slower start-up; the next talkbot ingest rewrites it)",
			"path", filepath.Join(ix.dir, snapFile), "err", err)
		return false
	}
	if ok, why := ix.snapshotMatches(ctx, s); !ok {
		ix.log.Debug("search snapshot not used", "why", why)
		return false
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	s.install(ix, docsOnly)
	ix.seq, ix.fromSnapshot = s.seq, true
	return true
}

// snapshotMatches reports whether s was taken of this store, for this
// index's embedder, at a change counter the store has reached.
func (ix *Index) snapshotMatches(ctx context.Context, s *snapshot) (bool, string) {
	if s.embedder != ix.emb.Name() {
		return false, "made for embedder " + s.embedder
	}
	id, err := ix.st.ID(ctx)
	if err != nil || id == "" || id != s.storeID {
		return false, "taken of another store"
	}
	seq, err := ix.st.Seq(ctx)
	if err != nil || s.seq > seq {
		return false, "ahead of the store"
	}
	return true, ""
}

// openSnapshot maps and parses a snapshot file.
func openSnapshot(path string, check snapCheck) (*snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: not a regular file", errSnapshot)
	}
	m, err := mapFile(f, fi.Size())
	if err != nil {
		return nil, err
	}
	s, err := parseSnapshot(m, check)
	if err != nil {
		unmapFile(m)
		return nil, err
	}
	return s, nil
}

// Checkpoint rewrites the search snapshot readers start from when the
// store has changed enough since the last one that applying the changes
// would slow their start-up, or always with force. It reports whether it
// wrote one. Only an index opened for writing checkpoints: it holds the
// writer lock, so the store cannot change meanwhile.
func (ix *Index) Checkpoint(ctx context.Context, force bool) (bool, error) {
	ix.mu.RLock()
	st, writing := ix.st, ix.st != nil && !ix.readOnly
	ix.mu.RUnlock()
	if !writing {
		return false, errors.New("checkpoint needs the store opened for writing")
	}
	path := filepath.Join(ix.dir, snapFile)
	seq, err := st.Seq(ctx)
	if err != nil {
		return false, err
	}
	id, err := st.ID(ctx)
	if err != nil {
		return false, err
	}
	old, oerr := openSnapshot(path, checkHeader)
	usable := oerr == nil && old.storeID == id && old.embedder == ix.emb.Name() && old.seq <= seq
	if !force {
		if usable {
			delta, err := st.ChangedPassages(ctx, old.seq)
			if err != nil {
				return false, err
			}
			if old.seq == seq || delta <= max(snapMinPassages, old.nPas/snapMaxDelta) {
				return false, nil
			}
		} else {
			n, err := st.PassageCount(ctx)
			if err != nil {
				return false, err
			}
			if n < snapMinPassages {
				if oerr == nil && (old.storeID != id || old.seq > seq) {
					// Of a store that is gone: no reader can use it.
					_ = os.Remove(path)
				}
				return false, nil
			}
		}
	}
	// The full index, loaded as a reader would (from the old snapshot and
	// the changes since, or from the store), on a read-only connection.
	rst, err := store.Open(ctx, ix.dir, store.Options{ReadOnly: true, Logger: ix.log})
	if err != nil {
		return false, fmt.Errorf("checkpoint: %w", err)
	}
	defer rst.Close()
	full := newIndex(ix.emb, ix.log, ix.chunk)
	full.dir, full.readOnly, full.st = ix.dir, true, rst
	if !full.loadSnapshot(ctx, false) {
		if err := full.load(ctx, false); err != nil {
			return false, fmt.Errorf("checkpoint: %w", err)
		}
	}
	if err := full.Reload(ctx); err != nil {
		return false, fmt.Errorf("checkpoint: %w", err)
	}
	full.mu.Lock() // keeps Close from racing the write; nothing else holds it
	defer full.mu.Unlock()
	if full.st == nil || full.seq != seq {
		return false, fmt.Errorf("checkpoint: the store changed while it was read (at %d, expected %d)", full.seq, seq)
	}
	if err := full.writeSnapshot(ctx, path, id, seq); err != nil {
		return false, fmt.Errorf("checkpoint: writing %s: %w", path, err)
	}
	ix.log.Info("search snapshot written", "path", path, "passages", len(full.passages), "seq", seq)
	return true, nil
}

// dropSnapshot removes the snapshot before a change the change counter
// does not record (reindex writes vectors, not documents).
func (ix *Index) dropSnapshot() error {
	err := os.Remove(filepath.Join(ix.dir, snapFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// removeSnapshotTemps removes temporary files of a checkpoint that was
// killed; callers hold the writer lock.
func removeSnapshotTemps(dir string) {
	tmps, _ := filepath.Glob(filepath.Join(dir, snapFile+".tmp-*"))
	for _, t := range tmps {
		_ = os.Remove(t)
	}
}

// snapWriter writes sections while keeping the offset and the checksum
// of each chunk. Small values are gathered in pend first: millions of
// 4-byte checksum updates cost more than the rest of the write.
type snapWriter struct {
	w      *bufio.Writer
	n      int64
	cur    uint32   // checksum of the chunk being written
	chunks []uint32 // of the chunks written
	pend   []byte
}

func (w *snapWriter) write(b []byte) {
	w.flush()
	w.put(b)
}

// flush writes the gathered small values.
func (w *snapWriter) flush() {
	if len(w.pend) > 0 {
		w.put(w.pend)
		w.pend = w.pend[:0]
	}
}

func (w *snapWriter) put(b []byte) {
	w.w.Write(b) // errors surface at Flush
	for len(b) > 0 {
		room := snapChunk - (w.n-snapHeader)%snapChunk
		k := min(int64(len(b)), room)
		w.cur = crc32.Update(w.cur, castagnoli, b[:k])
		w.n += k
		b = b[k:]
		if k == room {
			w.chunks = append(w.chunks, w.cur)
			w.cur = 0
		}
	}
}

// table closes the last chunk and returns the chunk checksums.
func (w *snapWriter) table() []byte {
	w.flush()
	if (w.n-snapHeader)%snapChunk != 0 {
		w.chunks = append(w.chunks, w.cur)
	}
	out := make([]byte, 4*len(w.chunks))
	for i, c := range w.chunks {
		binary.LittleEndian.PutUint32(out[4*i:], c)
	}
	return out
}

func (w *snapWriter) u32(v int) {
	w.pend = binary.LittleEndian.AppendUint32(w.pend, uint32(v))
	if len(w.pend) >= 64<<10 {
		w.flush()
	}
}

func (w *snapWriter) ref(r sref) {
	w.u32(int(r.off))
	w.u32(int(r.n))
}

// pad writes zeros up to the next multiple of align.
func (w *snapWriter) pad(align int64) {
	w.flush()
	zero := make([]byte, 4096)
	for w.n%align != 0 {
		k := min(int64(len(zero)), align-w.n%align)
		w.write(zero[:k])
	}
}

// strings is the string area being built; titles repeat and are shared.
type snapStrings struct {
	b    []byte
	seen map[string]sref
}

func (s *snapStrings) add(v string, share bool) sref {
	if share {
		if r, ok := s.seen[v]; ok {
			return r
		}
	}
	r := sref{uint32(len(s.b)), uint32(len(v))}
	s.b = append(s.b, v...)
	if share {
		s.seen[v] = r
	}
	return r
}

// writeSnapshot writes the index's stored documents (not the built-in
// ones) as a snapshot at seq of store id. Callers hold the lock.
func (ix *Index) writeSnapshot(ctx context.Context, path, id string, seq int64) error {
	var docIDs []string
	for d := range ix.docs {
		if !ix.builtin[d] {
			docIDs = append(docIDs, d)
		}
	}
	sort.Strings(docIDs)
	// The string area sized once: grown by appending, it was copied a
	// dozen times over (a third of a checkpoint at 100k passages).
	size, nPas, nTF := 0, 0, 0
	for _, did := range docIDs {
		d := ix.docs[did]
		size += len(d.ID) + len(d.Title) + len(d.Site) + len(d.URL) + len(d.Path) + len(d.Hash) + 64 + 40
		for _, pid := range ix.byDoc[did] {
			p := ix.passages[pid]
			size += len(p.ID) + len(p.Heading) + len(ix.vecs.texts[pid])
			for _, sent := range p.Sentences {
				size += len(sent)
			}
			if slot, ok := ix.kw.slots[pid]; ok {
				nPas++
				nTF += len(ix.kw.docs[slot].terms)
			}
		}
	}
	for t := range ix.kw.termIDs {
		size += len(t)
	}
	strs := &snapStrings{b: make([]byte, 0, size+256), seen: map[string]sref{}}
	termName := make([]string, len(ix.kw.postings))
	for t, i := range ix.kw.termIDs {
		termName[i] = t
	}
	// Passages in document order; terms renumbered densely over them.
	type pasOut struct {
		p          Passage
		doc        int // index in docIDs
		slot       int // in kw
		vslot      int // in vecs, -1 without a vector
		tfFirst, n int
	}
	pas := make([]pasOut, 0, nPas)
	newTerm := map[int32]int32{}
	var terms []string
	fwd := make([]termTF, 0, nTF)
	docRecs := make([]byte, 0, len(docIDs)*snapDocRec)
	le := binary.LittleEndian
	rec := make([]byte, snapDocRec)
	put := func(at int, r sref) { le.PutUint32(rec[at:], r.off); le.PutUint32(rec[at+4:], r.n) }
	for _, did := range docIDs {
		if err := ctx.Err(); err != nil {
			return err
		}
		d := ix.docs[did]
		pub := ""
		if !d.Published.IsZero() {
			pub = d.Published.Format(time.RFC3339Nano)
		}
		for k, v := range []string{d.ID, d.Title, d.Site, d.URL, d.Path, d.Hash, ix.textHash[did], pub} {
			put(8*k, strs.add(v, k == 1 || k == 2))
		}
		words, ok := ix.words[did]
		if !ok {
			words = len(strings.Fields(d.Text))
		}
		derived := 0
		if d.TitleDerived {
			derived = 1
		}
		le.PutUint32(rec[64:], uint32(words))
		le.PutUint32(rec[68:], uint32(derived))
		le.PutUint32(rec[72:], uint32(len(pas)))
		n := 0
		for _, pid := range ix.byDoc[did] {
			p, ok := ix.passages[pid]
			slot, ok2 := ix.kw.slots[pid]
			if !ok || !ok2 {
				continue
			}
			o := pasOut{p: p, doc: len(docRecs) / snapDocRec, slot: slot, vslot: -1, tfFirst: len(fwd)}
			if vs, ok := ix.vecs.slots[pid]; ok {
				o.vslot = vs
			}
			start := len(fwd)
			for _, t := range ix.kw.docs[slot].terms {
				nt, ok := newTerm[t.id]
				if !ok {
					nt = int32(len(terms))
					newTerm[t.id] = nt
					terms = append(terms, termName[t.id])
				}
				fwd = append(fwd, termTF{id: nt, tf: t.tf})
			}
			// bm25.has binary-searches a passage's terms by ID.
			slices.SortFunc(fwd[start:], func(a, b termTF) int { return int(a.id) - int(b.id) })
			o.n = len(fwd) - start
			pas = append(pas, o)
			n++
		}
		le.PutUint32(rec[76:], uint32(n))
		docRecs = append(docRecs, rec...)
	}
	docStrEnd := len(strs.b) // an ingest verifies and reads only these strings
	// Postings by new term, in passage order; lengths and vectors.
	// Counted first, then filled: one allocation instead of a growing
	// slice per term.
	df := make([]int, len(terms))
	for _, t := range fwd {
		df[t.id]++
	}
	all := make([]posting, len(fwd))
	post := make([][]posting, len(terms))
	at := 0
	for t, n := range df {
		post[t] = all[at : at : at+n]
		at += n
	}
	totalLen := 0
	vecPas := make([]int, 0, ix.vecs.len())
	for i, o := range pas {
		for _, t := range fwd[o.tfFirst : o.tfFirst+o.n] {
			post[t.id] = append(post[t.id], posting{slot: int32(i), tf: t.tf})
		}
		totalLen += ix.kw.docs[o.slot].len
		if o.vslot >= 0 {
			vecPas = append(vecPas, i)
		}
	}
	nPost := 0
	for _, p := range post {
		nPost += len(p)
	}
	nSents := 0
	for _, o := range pas {
		nSents += len(o.p.Sentences)
	}
	s := &snapshot{dims: ix.vecs.dims, nDocs: len(docIDs), nPas: len(pas), nTerms: len(terms), nVecs: len(vecPas),
		nSents: nSents, nTF: len(fwd), nPost: nPost}
	if s.nVecs == 0 {
		s.dims = 0
	}
	s.layout()

	tmp := path + ".tmp-" + strconv.Itoa(os.Getpid())
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	w := &snapWriter{w: bufio.NewWriterSize(f, 1<<20)}
	w.w.Write(make([]byte, snapHeader)) // written last, with the checksum
	w.n = snapHeader
	w.write(docRecs)
	w.pad(8)
	sentFirst := 0
	for _, o := range pas {
		for _, v := range []string{o.p.ID, o.p.Title, o.p.Heading, ix.vecs.texts[o.p.ID]} {
			w.ref(strs.add(v, v == o.p.Title))
		}
		w.u32(o.doc)
		w.u32(o.p.Index)
		w.u32(sentFirst)
		w.u32(len(o.p.Sentences))
		w.u32(o.tfFirst)
		w.u32(o.n)
		w.u32(ix.kw.docs[o.slot].len)
		w.u32(0)
		sentFirst += len(o.p.Sentences)
	}
	w.pad(8)
	for _, o := range pas {
		for _, sent := range o.p.Sentences {
			w.ref(strs.add(sent, false))
		}
	}
	w.pad(8)
	for _, t := range fwd {
		w.u32(int(t.id))
		w.u32(int(t.tf))
	}
	w.pad(8)
	for _, t := range terms {
		w.ref(strs.add(t, false))
	}
	w.pad(8)
	for _, p := range post {
		w.u32(len(p))
	}
	w.pad(8)
	at = 0
	for _, p := range post {
		w.u32(at)
		at += len(p)
	}
	w.u32(at)
	w.pad(8)
	for _, p := range post {
		for _, e := range p {
			w.u32(int(e.slot))
			w.u32(int(e.tf))
		}
	}
	w.pad(8)
	for _, i := range vecPas {
		w.u32(i)
	}
	w.pad(snapPage)
	if int64(s.vecs) != w.n {
		return fmt.Errorf("snapshot layout: vectors at %d, expected %d", w.n, s.vecs)
	}
	raw := make([]byte, 4*s.dims)
	for _, i := range vecPas {
		if err := ctx.Err(); err != nil {
			return err
		}
		for k, x := range ix.vecs.vec(pas[i].vslot) {
			le.PutUint32(raw[4*k:], math.Float32bits(x))
		}
		w.write(raw)
	}
	// Whole blocks: the scan reads a block as one slice.
	w.write(make([]byte, (int64(vecBlocks(s.nVecs))*vecBlock-int64(s.nVecs))*int64(s.dims)*4))
	w.pad(8)
	if int64(s.blob) != w.n {
		return fmt.Errorf("snapshot layout: strings at %d, expected %d", w.n, s.blob)
	}
	hdr := make([]byte, snapHeader)
	copy(hdr, snapMagic)
	le.PutUint32(hdr[8:], snapVersion)
	le.PutUint32(hdr[12:], uint32(s.dims))
	le.PutUint64(hdr[16:], uint64(seq))
	for k, v := range []int{s.nDocs, s.nPas, s.nTerms, s.nVecs, s.nSents, s.nTF, s.nPost} {
		le.PutUint32(hdr[24+4*k:], uint32(v))
	}
	le.PutUint64(hdr[56:], uint64(totalLen))
	for k, v := range []string{id, ix.emb.Name()} {
		r := strs.add(v, false)
		le.PutUint32(hdr[64+8*k:], r.off)
		le.PutUint32(hdr[68+8*k:], r.n)
	}
	le.PutUint64(hdr[80:], uint64(s.blob))
	le.PutUint64(hdr[88:], uint64(s.vecs))
	if len(strs.b) > math.MaxUint32 {
		return errors.New("snapshot strings exceed 4 GiB")
	}
	w.write(strs.b)
	blobEnd := w.n
	table := w.table()
	w.w.Write(table)
	le.PutUint32(hdr[52:], crc32.Checksum(table, castagnoli))
	le.PutUint64(hdr[96:], uint64(blobEnd))
	le.PutUint64(hdr[104:], uint64(docStrEnd))
	le.PutUint32(hdr[snapHeader-8:], crc32.Checksum(hdr[:snapHeader-8], castagnoli))
	if err := w.w.Flush(); err != nil {
		return err
	}
	if _, err := f.WriteAt(hdr, 0); err != nil {
		return err
	}
	// No fsync: the snapshot is derived. One torn by a power cut fails its
	// checksum and readers load from the store until the next checkpoint.
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	return nil
}
