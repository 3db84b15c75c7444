package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/retrieval"
	"github.com/talkbot/talkbot/seeds"
)

// benchReport is `talkbot bench --json`: one object, times in milliseconds.
type benchReport struct {
	Chunks     int `json:"chunks"`
	Dims       int `json:"dims"`
	Queries    int `json:"queries"`
	GOMAXPROCS int `json:"gomaxprocs"`

	HybridP50 float64 `json:"hybrid_p50_ms"` // Index.Search: embed query, vector + BM25, fuse, dedup, coverage
	HybridP99 float64 `json:"hybrid_p99_ms"`
	VectorP50 float64 `json:"vector_p50_ms"` // chromem-go's Collection.QueryEmbedding alone, same vectors
	// FloorP50 is one plain pass of dot products over the same vectors on
	// all cores (GOMAXPROCS), as chromem-go and our scan both use them;
	// Floor1P50 is the same pass on one core.
	FloorP50  float64 `json:"floor_p50_ms"`
	Floor1P50 float64 `json:"floor_1core_p50_ms"`
	BM25P50   float64 `json:"bm25_p50_ms"`

	HybridVsVector float64 `json:"hybrid_vs_vector"` // hybrid p50 / vector p50
	HybridVsFloor  float64 `json:"hybrid_vs_floor"`  // hybrid p50 / floor p50

	IngestChunksPerS float64 `json:"ingest_chunks_per_s"` // chunk, embed, index, persist
	RestartMS        float64 `json:"restart_ms"`          // reopen the store and answer one search
	RestartEmbedded  int     `json:"restart_embedded"`    // passages embedded on restart (want 0)
	StartupMS        float64 `json:"startup_ms"`          // seeds only, in memory, to the first answer
	HeapMB           float64 `json:"heap_mb"`             // live heap with the index loaded
	TotalS           float64 `json:"total_s"`
}

func cmdBench(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("bench", "bench [--json] [--chunks N] [--queries Q] [--dir DIR]")
	asJSON := fs.Bool("json", false, "print one JSON object instead of a table")
	chunks := fs.Int("chunks", 100000, "passages in the synthetic corpus")
	queries := fs.Int("queries", 200, "timed queries per measurement")
	dir := fs.String("dir", "", "store directory (must not exist yet); default: a temporary one, removed after")
	if helped, err := parseNoArgs(fs, args, "bench takes no arguments"); helped || err != nil {
		return err
	}
	if *chunks < 1 || *chunks > 5_000_000 {
		return usagef("bench: --chunks must be between 1 and 5000000")
	}
	if *queries < 1 || *queries > 100_000 {
		return usagef("bench: --queries must be between 1 and 100000")
	}
	storeDir := *dir
	if storeDir == "" {
		var err error
		if storeDir, err = os.MkdirTemp("", "talkbot-bench-"); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer os.RemoveAll(storeDir)
	} else if _, err := os.Stat(storeDir); err == nil {
		// Measuring on top of someone's store would mix their corpus in.
		return usagef("bench: --dir %s already exists; give a new directory", storeDir)
	}
	rep, err := runBench(ctx, storeDir, *chunks, *queries)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, rep)
	}
	printBench(e, rep)
	return nil
}

// countingEmbedder counts the texts it embeds, to prove a restart embeds none.
type countingEmbedder struct {
	retrieval.Embedder
	n *atomic.Int64
}

func (c countingEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	c.n.Add(int64(len(texts)))
	return c.Embedder.Embed(ctx, texts)
}

func runBench(ctx context.Context, dir string, chunks, nq int) (benchReport, error) {
	began := time.Now()
	rep := benchReport{GOMAXPROCS: runtime.GOMAXPROCS(0)}
	src, err := seeds.Documents()
	if err != nil {
		return rep, err
	}

	// Seeds-only start-up, as `ask` does it without a data directory.
	t0 := time.Now()
	{
		ix, err := retrieval.Open(ctx, retrieval.Options{})
		if err != nil {
			return rep, err
		}
		if _, err := ix.Add(ctx, src...); err != nil {
			return rep, err
		}
		a, err := (&answer.Engine{Index: ix}).Ask(ctx, answer.Request{Question: "How long did Witkoff meet Putin?"})
		if err != nil {
			return rep, fmt.Errorf("bench: first answer: %w", err)
		}
		if !a.Found {
			return rep, errors.New("bench: the seeds did not answer the start-up question")
		}
	}
	rep.StartupMS = ms(time.Since(t0))

	corpus := retrieval.SyntheticCorpus(src, chunks, 1)
	var embedded atomic.Int64
	emb := countingEmbedder{retrieval.NewHashEmbedder(0), &embedded}
	opts := retrieval.Options{Dir: dir, Embedder: emb}

	t0 = time.Now()
	ix, err := retrieval.Open(ctx, opts)
	if err != nil {
		return rep, err
	}
	if _, err := ix.Add(ctx, corpus...); err != nil {
		return rep, fmt.Errorf("bench: ingest: %w", err)
	}
	ingest := time.Since(t0)
	rep.Chunks = ix.Len()
	rep.IngestChunksPerS = float64(rep.Chunks) / ingest.Seconds()
	corpus = nil
	ix = nil
	runtime.GC()

	qs, err := benchQueries(src, nq)
	if err != nil {
		return rep, err
	}
	embedded.Store(0)
	t0 = time.Now()
	ix, err = retrieval.Open(ctx, opts)
	if err != nil {
		return rep, fmt.Errorf("bench: restart: %w", err)
	}
	rep.RestartEmbedded = int(embedded.Load())
	if _, err := ix.Search(ctx, qs[0], retrieval.SearchOptions{}); err != nil {
		return rep, fmt.Errorf("bench: first search after restart: %w", err)
	}
	rep.RestartMS = ms(time.Since(t0))
	if ix.Len() != rep.Chunks {
		return rep, fmt.Errorf("bench: restart loaded %d passages, ingest stored %d", ix.Len(), rep.Chunks)
	}
	rep.Dims = ix.Dims()

	// Query vectors are made once: the baselines get them for free, while
	// hybrid pays for embedding its query, as a user's search does.
	plain := retrieval.NewHashEmbedder(0)
	qv, err := plain.Embed(ctx, qs)
	if err != nil {
		return rep, err
	}
	const depth = 50 // what Search asks each retriever for at the default k
	var hybrid, vector, floor, floor1, bm25 []time.Duration
	timeIt := func(into *[]time.Duration, f func() error) error {
		t := time.Now()
		err := f()
		*into = append(*into, time.Since(t))
		return err
	}
	for i, q := range qs {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("bench interrupted: %w", err)
		}
		// Interleaved, so every measurement sees the same machine state.
		if err := timeIt(&hybrid, func() error {
			_, err := ix.Search(ctx, q, retrieval.SearchOptions{})
			return err
		}); err != nil {
			return rep, fmt.Errorf("bench: search %q: %w", q, err)
		}
		if err := timeIt(&vector, func() error {
			_, err := ix.ChromemQuery(ctx, qv[i], depth)
			return err
		}); err != nil {
			return rep, err
		}
		_ = timeIt(&floor, func() error { ix.DotFloor(qv[i], 0); return nil })
		_ = timeIt(&floor1, func() error { ix.DotFloor(qv[i], 1); return nil })
		_ = timeIt(&bm25, func() error { ix.KeywordSearch(q, depth); return nil })
	}
	rep.Queries = len(qs)
	rep.HybridP50, rep.HybridP99 = pct(hybrid, 50), pct(hybrid, 99)
	rep.VectorP50, rep.FloorP50, rep.Floor1P50 = pct(vector, 50), pct(floor, 50), pct(floor1, 50)
	rep.BM25P50 = pct(bm25, 50)
	rep.HybridVsVector = round(rep.HybridP50/rep.VectorP50, 2)
	rep.HybridVsFloor = round(rep.HybridP50/rep.FloorP50, 2)

	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	rep.HeapMB = round(float64(m.HeapAlloc)/(1<<20), 1)
	runtime.KeepAlive(ix)
	rep.IngestChunksPerS = round(rep.IngestChunksPerS, 0)
	rep.TotalS = round(time.Since(began).Seconds(), 1)
	return rep, nil
}

// benchQueries are n questions: the built-in eval questions first, then
// openings of seed sentences (6–12 words), chosen by a fixed seed.
func benchQueries(src []retrieval.Document, n int) ([]string, error) {
	set, err := loadEvalSet("")
	if err != nil {
		return nil, err
	}
	var qs []string
	for _, q := range set {
		qs = append(qs, q.Question)
	}
	var sents []string
	for _, d := range src {
		for _, para := range strings.Split(d.Text, "\n\n") {
			sents = append(sents, retrieval.SplitSentences(para)...)
		}
	}
	r := rand.New(rand.NewPCG(2, 0xbe7c4))
	for len(qs) < n && len(sents) > 0 {
		w := strings.Fields(sents[r.IntN(len(sents))])
		if q := strings.Join(w[:min(len(w), 6+r.IntN(7))], " "); len(retrieval.Words(q)) > 0 {
			qs = append(qs, q)
		}
	}
	return qs[:min(n, len(qs))], nil
}

func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 2) }

func round(x float64, places int) float64 {
	p := 1.0
	for range places {
		p *= 10
	}
	return float64(int64(x*p+0.5)) / p
}

// pct is the p-th percentile (nearest rank) in milliseconds.
func pct(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100 // nearest rank, 1-based
	return ms(s[max(0, i-1)])
}

func printBench(e *env, r benchReport) {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "corpus\t%d passages × %d dims, %d queries, %d cores\n", r.Chunks, r.Dims, r.Queries, r.GOMAXPROCS)
	fmt.Fprintf(tw, "hybrid search (ours)\tp50 %.2f ms\tp99 %.2f ms\n", r.HybridP50, r.HybridP99)
	fmt.Fprintf(tw, "chromem-go vector query\tp50 %.2f ms\thybrid is %.2f×\n", r.VectorP50, r.HybridVsVector)
	fmt.Fprintf(tw, "dot-product floor, all cores\tp50 %.2f ms\thybrid is %.2f×\n", r.FloorP50, r.HybridVsFloor)
	fmt.Fprintf(tw, "dot-product floor, one core\tp50 %.2f ms\n", r.Floor1P50)
	fmt.Fprintf(tw, "BM25 alone\tp50 %.2f ms\n", r.BM25P50)
	fmt.Fprintf(tw, "ingest\t%.0f passages/s\n", r.IngestChunksPerS)
	fmt.Fprintf(tw, "restart to first search\t%.0f ms\t%d passages embedded\n", r.RestartMS, r.RestartEmbedded)
	fmt.Fprintf(tw, "seeds-only start-up to first answer\t%.1f ms\n", r.StartupMS)
	fmt.Fprintf(tw, "heap\t%.0f MB\n", r.HeapMB)
	tw.Flush()
}
