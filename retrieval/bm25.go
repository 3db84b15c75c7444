package retrieval

import (
	"math"
	"sort"
)

// bm25 is a small in-memory Okapi BM25 index (k1=1.2, b=0.75) over passages,
// using the same analyzer as the embedder. chromem-go has no keyword search.
type bm25 struct {
	k1, b    float64
	docs     []bm25Doc // slot per passage; removed ones are marked dead
	slots    map[string]int
	postings map[string][]int
	df       map[string]int
	live     int
	totalLen int
}

type bm25Doc struct {
	id   string
	tf   map[string]int
	len  int
	dead bool
}

func newBM25() *bm25 {
	return &bm25{k1: 1.2, b: 0.75, slots: map[string]int{}, postings: map[string][]int{}, df: map[string]int{}}
}

func (x *bm25) add(id string, terms []string) {
	x.remove(id)
	tf := make(map[string]int, len(terms))
	for _, t := range terms {
		tf[t]++
	}
	slot := len(x.docs)
	x.docs = append(x.docs, bm25Doc{id: id, tf: tf, len: len(terms)})
	x.slots[id] = slot
	for t := range tf {
		x.postings[t] = append(x.postings[t], slot)
		x.df[t]++
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
	for t := range d.tf {
		x.df[t]--
		if x.df[t] == 0 {
			delete(x.df, t)
		}
	}
	d.dead = true
	x.live--
	x.totalLen -= d.len
	delete(x.slots, id)
	if dead := len(x.docs) - x.live; dead > 64 && dead > x.live {
		x.compact()
	}
}

// compact drops dead slots once they outnumber live ones.
func (x *bm25) compact() {
	old := x.docs
	x.docs, x.slots, x.postings = nil, map[string]int{}, map[string][]int{}
	for _, d := range old {
		if d.dead {
			continue
		}
		slot := len(x.docs)
		x.docs = append(x.docs, d)
		x.slots[d.id] = slot
		for t := range d.tf {
			x.postings[t] = append(x.postings[t], slot)
		}
	}
}

// idf is BM25's smoothed inverse document frequency; a term seen nowhere
// gets the highest value.
func (x *bm25) idf(term string) float64 {
	n := float64(x.live)
	df := float64(x.df[term])
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

type scored struct {
	id    string
	score float64
}

// search returns up to n passages by BM25 score, best first.
func (x *bm25) search(terms []string, n int) []scored {
	if x.live == 0 || len(terms) == 0 {
		return nil
	}
	avg := float64(x.totalLen) / float64(x.live)
	acc := map[int]float64{}
	seen := map[string]bool{}
	for _, t := range terms {
		if seen[t] { // a repeated query word counts once
			continue
		}
		seen[t] = true
		idf := x.idf(t)
		for _, slot := range x.postings[t] {
			d := &x.docs[slot]
			if d.dead {
				continue
			}
			f := float64(d.tf[t])
			acc[slot] += idf * f * (x.k1 + 1) / (f + x.k1*(1-x.b+x.b*float64(d.len)/avg))
		}
	}
	out := make([]scored, 0, len(acc))
	for slot, s := range acc {
		out = append(out, scored{id: x.docs[slot].id, score: s})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].score != out[j].score {
			return out[i].score > out[j].score
		}
		return out[i].id < out[j].id
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}
