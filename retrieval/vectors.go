package retrieval

import (
	"bufio"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"runtime"
	"slices"
	"sync"
)

// vectorSet holds every passage vector in fixed-size blocks of contiguous
// memory, so a query streams through memory instead of chasing one heap
// object per passage. chromem-go's collection holds the same vectors: the
// slices it is given point into these blocks, so nothing is stored twice.
//
// Why not chromem-go's own query: at 100k passages it spends more time
// sending every document through a channel (its filter pass, even with no
// filter) and taking a mutex per document for its top-n heap than on the dot
// products; see README's Performance section.
type vectorSet struct {
	dims   int
	blocks [][]float32 // each vecBlock*dims long; never reallocated
	ids    []string    // slot → passage ID; "" marks a free slot
	slots  map[string]int
	texts  map[string]string // passage ID → what the vector was made from (its embed key, or text in a legacy file)
	free   []int
}

// vecBlock vectors per block: 4096 × 1024 dims × 4 bytes = 16 MiB.
const vecBlock = 4096

func newVectorSet() *vectorSet {
	return &vectorSet{slots: map[string]int{}, texts: map[string]string{}}
}

// holds reports whether id's vector was made from text (an embed key, or
// the text itself in a legacy file), without copying the vector.
func (s *vectorSet) holds(id, text string) bool {
	t, ok := s.texts[id]
	return ok && t == text
}

func (s *vectorSet) vec(slot int) []float32 {
	b := s.blocks[slot/vecBlock]
	o := (slot % vecBlock) * s.dims
	return b[o : o+s.dims : o+s.dims]
}

// put stores v for id (normalised, as chromem-go would) and returns the
// stored slice, which callers hand to chromem-go so memory is shared.
func (s *vectorSet) put(id, text string, v []float32) ([]float32, error) {
	if s.dims == 0 {
		if len(v) == 0 {
			return nil, errors.New("empty vector")
		}
		s.dims = len(v)
	}
	if len(v) != s.dims {
		return nil, fmt.Errorf("vector of %d dimensions in a store of %d", len(v), s.dims)
	}
	s.texts[id] = text
	dst := s.vec(s.slot(id))
	copy(dst, v)
	if mag := magnitude(dst); math.Abs(mag-1) >= 1e-6 && mag > 0 {
		for i := range dst {
			dst[i] = float32(float64(dst[i]) / mag)
		}
	}
	return dst, nil
}

// putRaw stores a vector given as little-endian float32 bytes, decoding it
// straight into its slot.
func (s *vectorSet) putRaw(id, text string, raw []byte) error {
	n := len(raw) / 4
	if s.dims == 0 {
		if n == 0 {
			return errors.New("empty vector")
		}
		s.dims = n
	}
	if n != s.dims || len(raw)%4 != 0 {
		return fmt.Errorf("vector of %d dimensions in a store of %d", n, s.dims)
	}
	dst := s.vec(s.slot(id))
	s.texts[id] = text
	// Stored vectors were normalised before they were written (Add), so
	// this is a plain decode: start-up reads every vector once.
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return nil
}

// slot is id's slot, allocating one if it has none.
func (s *vectorSet) slot(id string) int {
	slot, ok := s.slots[id]
	if ok {
		return slot
	}
	if n := len(s.free); n > 0 {
		slot, s.free = s.free[n-1], s.free[:n-1]
	} else {
		slot = len(s.ids)
		s.ids = append(s.ids, "")
		if slot/vecBlock == len(s.blocks) {
			s.blocks = append(s.blocks, make([]float32, vecBlock*s.dims))
		}
	}
	s.ids[slot] = id
	s.slots[id] = slot
	return slot
}

func (s *vectorSet) remove(id string) {
	slot, ok := s.slots[id]
	if !ok {
		return
	}
	delete(s.slots, id)
	delete(s.texts, id)
	s.ids[slot] = ""
	clear(s.vec(slot))
	s.free = append(s.free, slot)
}

func (s *vectorSet) len() int { return len(s.slots) }

// normalized is v scaled to unit length, as put would store it (v itself
// when it already is, or is zero).
func normalized(v []float32) []float32 {
	mag := magnitude(v)
	if math.Abs(mag-1) < 1e-6 || mag == 0 {
		return v
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) / mag)
	}
	return out
}

// magnitude is computed as chromem-go does, so a vector we call normalised
// it does too, and it keeps our slice instead of copying it.
func magnitude(v []float32) float64 {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	return math.Sqrt(sum)
}

// dotProduct is the similarity of two normalised vectors. Four accumulators break
// the dependency chain of a single running sum (about 2× on amd64).
func dotProduct(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

type slotScore struct {
	slot  int
	score float32
}

// search returns the n most similar vectors, best first, ties by ID. The
// scan is split across cores; each worker keeps its own top-n, so there is
// no lock on the hot path.
func (s *vectorSet) search(ctx context.Context, q []float32, n int) ([]scored, error) {
	total := len(s.ids)
	if n <= 0 || total == 0 {
		return nil, nil
	}
	if len(q) != s.dims {
		return nil, fmt.Errorf("query vector of %d dimensions, store has %d", len(q), s.dims)
	}
	workers := min(runtime.GOMAXPROCS(0), max(1, total/2048))
	parts := make([][]slotScore, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := total*w/workers, total*(w+1)/workers
		wg.Go(func() {
			parts[w], errs[w] = s.scan(ctx, q, lo, hi, n)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	all := slices.Concat(parts...)
	out := make([]scored, len(all))
	for i, c := range all {
		out[i] = scored{id: s.ids[c.slot], score: float64(c.score)}
	}
	slices.SortFunc(out, func(a, b scored) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	return out[:min(n, len(out))], nil
}

// scan keeps the top n of slots [lo, hi) in a min-heap on score.
func (s *vectorSet) scan(ctx context.Context, q []float32, lo, hi, n int) ([]slotScore, error) {
	h := make([]slotScore, 0, n)
	for slot := lo; slot < hi; slot++ {
		if slot%vecBlock == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("vector search: %w", ctx.Err())
		}
		if s.ids[slot] == "" {
			continue
		}
		sc := dotProduct(q, s.vec(slot))
		switch {
		case len(h) < n:
			h = append(h, slotScore{slot, sc})
			siftUp(h, len(h)-1)
		case sc > h[0].score:
			h[0] = slotScore{slot, sc}
			siftDown(h, 0)
		}
	}
	return h, nil
}

func siftUp(h []slotScore, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h[p].score <= h[i].score {
			return
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

func siftDown(h []slotScore, i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r].score < h[l].score {
			m = r
		}
		if h[i].score <= h[m].score {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// The vector file of the old store layout (before SQLite), read once to
// import it (legacy.go):
//
//	"TBVEC01\n" dims:u32 count:u32 len:u32 embedder
//	count × { len:u32 id  len:u32 content  len:u32 doc  index:u32  dims × f32 }
//	crc32c:u32 of everything before it
const (
	vectorsFile  = "vectors.bin"
	vectorsMagic = "TBVEC01\n"
	// maxVecField bounds one length field, so a corrupt file fails with an
	// error instead of a huge allocation.
	maxVecField = 64 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errOtherEmbedder marks a vector file written with another embedder.
var errOtherEmbedder = errors.New("vectors were made by another embedder")

// readVectors reads a legacy vector file into vs (nothing when it does not
// exist); the whole file is checked before it counts.
func readVectors(path, embedder string, vs *vectorSet) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var sum uint32 // CRC of the bytes consumed so far
	read := func(b []byte) error {
		_, err := io.ReadFull(r, b)
		sum = crc32.Update(sum, castagnoli, b)
		return err
	}
	fail := func(err error) error { return fmt.Errorf("reading %s: %w", path, err) }
	magic := make([]byte, len(vectorsMagic))
	if err := read(magic); err != nil || string(magic) != vectorsMagic {
		return fail(errors.New("not a talkbot vector file"))
	}
	u32 := func() (uint32, error) {
		var b [4]byte
		err := read(b[:])
		return binary.LittleEndian.Uint32(b[:]), err
	}
	str := func() (string, error) {
		n, err := u32()
		if err != nil {
			return "", err
		}
		if n > maxVecField {
			return "", fmt.Errorf("field of %d bytes", n)
		}
		b := make([]byte, n)
		err = read(b)
		return string(b), err
	}
	dims, err := u32()
	if err != nil {
		return fail(err)
	}
	count, err := u32()
	if err != nil {
		return fail(err)
	}
	name, err := str()
	if err != nil {
		return fail(err)
	}
	if name != embedder {
		return fmt.Errorf("%s: %w (%q, now %q)", path, errOtherEmbedder, name, embedder)
	}
	if dims == 0 || dims > 1<<16 {
		return fail(fmt.Errorf("implausible dimensions %d", dims))
	}
	raw := make([]byte, 4*dims)
	v := make([]float32, dims)
	for range count {
		var id, content, doc string
		var index uint32
		for _, p := range []*string{&id, &content, &doc} {
			if *p, err = str(); err != nil {
				return fail(err)
			}
		}
		if index, err = u32(); err != nil {
			return fail(err)
		}
		if err := read(raw); err != nil {
			return fail(err)
		}
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		_, _ = doc, index // the manifest says which document a passage is of
		if _, err := vs.put(id, content, v); err != nil {
			return fail(err)
		}
	}
	var tail [4]byte
	if _, err := io.ReadFull(r, tail[:]); err != nil {
		return fail(err)
	}
	want := binary.LittleEndian.Uint32(tail[:])
	if want != sum {
		return fail(errors.New("checksum mismatch"))
	}
	if _, err := r.ReadByte(); err != io.EOF {
		return fail(errors.New("trailing bytes"))
	}
	return nil
}
