package retrieval

import (
	"cmp"
	"math"
	"slices"
	"sync"
)

// bm25 is a small in-memory Okapi BM25 index (k1=1.2, b=0.75) over passages,
// using the same analyzer as the embedder. chromem-go has no keyword search.
//
// Terms are numbered and postings carry the term frequency, so a query
// touches only its terms' postings, accumulates into a slice indexed by slot
// and selects the top n with a heap: at 100k passages this is several times
// faster, and far smaller, than per-passage maps and a full sort.
type bm25 struct {
	k1, b    float64
	termIDs  map[string]int32
	postings [][]posting // by term ID; may hold dead slots until compaction
	// mapped are postings installed from the search snapshot, by term ID,
	// read in place: passages added later go to postings, so adding one
	// never copies a common term's whole list out of the mapping.
	mapped [][]posting
	df     []int32   // by term ID: live passages containing the term
	docs   []bm25Doc // slot per passage; removed ones are marked dead
	// lens is each slot's length in terms, -1 when dead: what scoring reads
	// per posting, packed so a query at 100k passages stays in cache
	// instead of visiting a 56-byte bm25Doc per posting.
	lens     []int32
	accs     sync.Pool // *[]float64 score accumulators, zeroed after use
	slots    map[string]int
	live     int
	totalLen int
	stems    map[string]string // word → Stem, for analyze
}

type posting struct {
	slot int32
	tf   uint16
}

type bm25Doc struct {
	id    string
	terms []termTF // distinct terms, sorted by ID
	len   int
	dead  bool
}

type termTF struct {
	id int32
	tf uint16
}

func newBM25() *bm25 {
	return &bm25{k1: 1.2, b: 0.75, termIDs: map[string]int32{}, slots: map[string]int{}, stems: map[string]string{}}
}

// analyze is Analyze with a stem cache kept across passages: indexing a
// large corpus (and every restart) would otherwise spend most of its time
// in the Snowball stemmer on words it has stemmed before. Callers hold the
// index's write lock.
func (x *bm25) analyze(text string) []string {
	return analyzeWords(Words(text), func(w string) string { return cachedStem(x.stems, w) })
}

func (x *bm25) termID(t string) int32 {
	id, ok := x.termIDs[t]
	if !ok {
		id = int32(len(x.postings))
		x.termIDs[t] = id
		x.postings = append(x.postings, nil)
		x.df = append(x.df, 0)
	}
	return id
}

func (x *bm25) add(id string, terms []string) {
	x.remove(id)
	ids := make([]int32, len(terms))
	for i, t := range terms {
		ids[i] = x.termID(t)
	}
	slices.Sort(ids)
	var tfs []termTF
	for i, t := range ids {
		if i > 0 && t == ids[i-1] {
			if last := &tfs[len(tfs)-1]; last.tf < math.MaxUint16 {
				last.tf++
			}
			continue
		}
		tfs = append(tfs, termTF{id: t, tf: 1})
	}
	slot := len(x.docs)
	x.docs = append(x.docs, bm25Doc{id: id, terms: slices.Clip(tfs), len: len(terms)})
	x.lens = append(x.lens, int32(len(terms)))
	x.slots[id] = slot
	for _, t := range tfs {
		x.postings[t.id] = append(x.postings[t.id], posting{slot: int32(slot), tf: t.tf})
		x.df[t.id]++
	}
	x.live++
	x.totalLen += len(terms)
}

func (x *bm25) remove(id string) {
	slot, ok := x.slots[id]
	if !ok {
		return
	}
	d := &x.docs[slot]
	for _, t := range d.terms {
		x.df[t.id]--
	}
	d.dead = true
	x.lens[slot] = -1
	x.live--
	x.totalLen -= d.len
	delete(x.slots, id)
	if dead := len(x.docs) - x.live; dead > 64 && dead > x.live {
		x.compact()
	}
}

// mappedOf is term tid's postings from the snapshot (none for a term
// first seen after it).
func (x *bm25) mappedOf(tid int32) []posting {
	if int(tid) < len(x.mapped) {
		return x.mapped[tid]
	}
	return nil
}

// compact drops dead slots once they outnumber live ones.
func (x *bm25) compact() {
	old := x.docs
	x.docs, x.slots, x.mapped, x.lens = nil, map[string]int{}, nil, nil
	for i := range x.postings {
		x.postings[i] = x.postings[i][:0]
	}
	for _, d := range old {
		if d.dead {
			continue
		}
		slot := len(x.docs)
		x.docs = append(x.docs, d)
		x.lens = append(x.lens, int32(d.len))
		x.slots[d.id] = slot
		for _, t := range d.terms {
			x.postings[t.id] = append(x.postings[t.id], posting{slot: int32(slot), tf: t.tf})
		}
	}
}

// docFreq is the number of live passages containing term.
func (x *bm25) docFreq(term string) int {
	if id, ok := x.termIDs[term]; ok {
		return int(x.df[id])
	}
	return 0
}

// idf is BM25's smoothed inverse document frequency; a term seen nowhere
// gets the highest value.
func (x *bm25) idf(term string) float64 {
	n := float64(x.live)
	df := float64(x.docFreq(term))
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// has reports whether passage id contains term; ok is false for an unknown
// passage.
func (x *bm25) has(id, term string) (has, ok bool) {
	slot, ok := x.slots[id]
	if !ok {
		return false, false
	}
	tid, known := x.termIDs[term]
	if !known {
		return false, true
	}
	_, found := slices.BinarySearchFunc(x.docs[slot].terms, tid, func(t termTF, id int32) int { return cmp.Compare(t.id, id) })
	return found, true
}

// coverage is Coverage for a passage; when it is as indexed (unchanged),
// from the terms analysed then instead of analysing its text again.
func (x *bm25) coverage(p Passage, terms []Term, unchanged bool) float64 {
	if _, ok := x.slots[p.ID]; !ok || !unchanged {
		return coverage(terms, Analyze(p.EmbedText()))
	}
	var all, got float64
	for _, t := range terms {
		all += t.IDF
		if h, _ := x.has(p.ID, t.Stem); h {
			got += t.IDF
		}
	}
	if all == 0 {
		return 0
	}
	return got / all
}

type scored struct {
	id    string
	score float64
}

// better orders search results: higher score first, then ID.
func better(a, b scored) int {
	if c := cmp.Compare(b.score, a.score); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// acc returns a zeroed accumulator with a slot per passage.
func (x *bm25) acc() []float64 {
	if p, ok := x.accs.Get().(*[]float64); ok && len(*p) == len(x.docs) {
		return *p
	}
	return make([]float64, len(x.docs))
}

// search returns up to n passages by BM25 score, best first.
func (x *bm25) search(terms []string, n int) []scored {
	if x.live == 0 || len(terms) == 0 || n <= 0 {
		return nil
	}
	avg := float64(x.totalLen) / float64(x.live)
	// score = idf·f·(k1+1) / (f + k1·(1−b) + k1·b·len/avg)
	base, perTerm := x.k1*(1-x.b), x.k1*x.b/avg
	acc := x.acc()
	var touched []int32
	defer func() {
		for _, slot := range touched {
			acc[slot] = 0
		}
		x.accs.Put(&acc)
	}()
	seen := make(map[int32]bool, len(terms))
	for _, t := range terms {
		tid, ok := x.termIDs[t]
		if !ok || seen[tid] { // a repeated query word counts once
			continue
		}
		seen[tid] = true
		idf := x.idf(t)
		for _, list := range [2][]posting{x.mappedOf(tid), x.postings[tid]} {
			for _, p := range list {
				l := x.lens[p.slot]
				if l < 0 {
					continue
				}
				if acc[p.slot] == 0 {
					touched = append(touched, p.slot)
				}
				f := float64(p.tf)
				acc[p.slot] += idf * f * (x.k1 + 1) / (f + base + perTerm*float64(l))
			}
		}
	}
	// Keep the best n in a min-heap whose root is the worst kept.
	h := make([]scored, 0, min(n, len(touched)))
	worse := func(i, j int) bool { return better(h[i], h[j]) > 0 }
	for _, slot := range touched {
		s := scored{id: x.docs[slot].id, score: acc[slot]}
		if len(h) < n {
			h = append(h, s)
			for i := len(h) - 1; i > 0 && worse(i, (i-1)/2); i = (i - 1) / 2 {
				h[i], h[(i-1)/2] = h[(i-1)/2], h[i]
			}
			continue
		}
		if better(s, h[0]) >= 0 {
			continue
		}
		h[0] = s
		for i := 0; ; {
			l, m := 2*i+1, i
			if l < len(h) && worse(l, m) {
				m = l
			}
			if r := l + 1; r < len(h) && worse(r, m) {
				m = r
			}
			if m == i {
				break
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
	}
	slices.SortFunc(h, better)
	return h
}
