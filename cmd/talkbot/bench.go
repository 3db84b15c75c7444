package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/retrieval"
	"github.com/talkbot/talkbot/retrieval/store"
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
	RestartMS        float64 `json:"restart_ms"`          // in-process: open the store read-only and answer one search
	RestartEmbedded  int     `json:"restart_embedded"`    // passages embedded on restart (want 0)
	StartupMS        float64 `json:"startup_ms"`          // seeds only, in memory, to the first answer
	HeapMB           float64 `json:"heap_mb"`             // live heap with the index loaded
	StoreMB          float64 `json:"store_mb"`            // talkbot.db on disk

	// Fresh processes (the talkbot binary exec'd, --processes times):
	// `talkbot ask` on the built-in articles only, and on the store.
	Processes         int     `json:"processes"`
	AskBuiltinP50     float64 `json:"ask_builtin_process_p50_ms,omitempty"`
	AskStoreP50       float64 `json:"ask_store_process_p50_ms,omitempty"`
	AskStoreRSSMB     float64 `json:"ask_store_process_rss_mb,omitempty"` // peak RSS of that process
	RSSKiBPerPassage  float64 `json:"ask_store_process_rss_kib_per_passage,omitempty"`
	IngestOneFileMS   float64 `json:"ingest_one_file_ms"`          // one new article into the store (a fresh process when --processes > 0)
	ReloadOneMS       float64 `json:"serve_reload_one_ms"`         // a serving index applying that change
	ReloadRSSGrowthPc float64 `json:"serve_reload_rss_growth_pct"` // its RSS growth across the reload
	// LoadedRSSKiB is the resident memory the loaded store adds to this
	// process, per passage, after a GC has returned load-time garbage (as
	// serve does after loading).
	LoadedRSSKiB float64 `json:"loaded_rss_kib_per_passage"`

	TotalS float64 `json:"total_s"`
}

func cmdBench(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("bench", "bench [--json] [--chunks N] [--queries Q] [--processes P] [--dir DIR]")
	asJSON := fs.Bool("json", false, "print one JSON object instead of a table")
	chunks := fs.Int("chunks", 100000, "passages in the synthetic corpus")
	queries := fs.Int("queries", 200, "timed queries per measurement")
	dir := fs.String("dir", "", "store directory (must not exist yet); default: a temporary one, removed after")
	procs := fs.Int("processes", 10, "fresh `talkbot ask` processes to time (0: skip; needs this binary to be talkbot)")
	if helped, err := parseNoArgs(fs, args, "bench takes no arguments"); helped || err != nil {
		return err
	}
	if *chunks < 1 || *chunks > 5_000_000 {
		return usagef("bench: --chunks must be between 1 and 5000000")
	}
	if *queries < 1 || *queries > 100_000 {
		return usagef("bench: --queries must be between 1 and 100000")
	}
	if *procs < 0 || *procs > 1000 {
		return usagef("bench: --processes must be between 0 and 1000")
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
	rep, err := runBench(ctx, storeDir, *chunks, *queries, *procs)
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

func runBench(ctx context.Context, dir string, chunks, nq, procs int) (benchReport, error) {
	began := time.Now()
	rep := benchReport{GOMAXPROCS: runtime.GOMAXPROCS(0), Processes: procs}
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
	w, err := retrieval.Open(ctx, opts)
	if err != nil {
		return rep, err
	}
	// In transactions of 2000 articles, as an ingest commits in batches.
	for i := 0; i < len(corpus); i += 2000 {
		if _, err := w.Add(ctx, corpus[i:min(i+2000, len(corpus))]...); err != nil {
			w.Close()
			return rep, fmt.Errorf("bench: ingest: %w", err)
		}
	}
	// As talkbot ingest ends: the search snapshot readers start from.
	if _, err := w.Checkpoint(ctx, false); err != nil {
		w.Close()
		return rep, fmt.Errorf("bench: checkpoint: %w", err)
	}
	ingest := time.Since(t0)
	rep.Chunks = w.Len()
	rep.IngestChunksPerS = float64(rep.Chunks) / ingest.Seconds()
	if err := w.Close(); err != nil {
		return rep, err
	}
	corpus, w = nil, nil
	runtime.GC()
	if fi, err := os.Stat(filepath.Join(dir, store.FileName)); err == nil {
		rep.StoreMB = round(float64(fi.Size())/(1<<20), 1)
	}
	if procs > 0 {
		if err := benchProcesses(ctx, &rep, dir, procs); err != nil {
			return rep, err
		}
	}
	opts.ReadOnly = true // as ask and serve open it

	qs, err := benchQueries(src, nq)
	if err != nil {
		return rep, err
	}
	embedded.Store(0)
	debug.FreeOSMemory()
	rssEmpty := currentRSS()
	t0 = time.Now()
	ix, err := retrieval.Open(ctx, opts)
	if err != nil {
		return rep, fmt.Errorf("bench: restart: %w", err)
	}
	defer ix.Close()
	rep.RestartEmbedded = int(embedded.Load())
	if _, err := ix.Search(ctx, qs[0], retrieval.SearchOptions{}); err != nil {
		return rep, fmt.Errorf("bench: first search after restart: %w", err)
	}
	rep.RestartMS = ms(time.Since(t0))
	debug.FreeOSMemory()
	if rssEmpty > 0 && rep.Chunks > 0 {
		rep.LoadedRSSKiB = round(float64(currentRSS()-rssEmpty)/1024/float64(rep.Chunks), 2)
	}
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
	// chromem-go's collection over the same vectors, built once, outside
	// the timings (the index builds it only on demand).
	col, err := ix.Collection(ctx)
	if err != nil {
		return rep, err
	}
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
			_, err := retrieval.ChromemQueryOn(ctx, col, qv[i], depth)
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

	col = nil // the baseline's collection is not part of the index's heap
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	rep.HeapMB = round(float64(m.HeapAlloc)/(1<<20), 1)

	// serve's pickup: one new article ingested (by another process when
	// possible), then the serving index applies the change.
	rssBefore := currentRSS()
	if err := benchIngestOne(ctx, &rep, dir, procs > 0, src); err != nil {
		return rep, err
	}
	t0 = time.Now()
	if err := ix.Reload(ctx); err != nil {
		return rep, fmt.Errorf("bench: reload: %w", err)
	}
	rep.ReloadOneMS = ms(time.Since(t0))
	if _, ok := ix.Document(benchNewID); !ok {
		return rep, errors.New("bench: the serving index did not pick up the new article")
	}
	if rssBefore > 0 {
		rep.ReloadRSSGrowthPc = round(100*float64(currentRSS()-rssBefore)/float64(rssBefore), 1)
	}
	runtime.KeepAlive(ix)
	rep.IngestChunksPerS = round(rep.IngestChunksPerS, 0)
	rep.TotalS = round(time.Since(began).Seconds(), 1)
	return rep, nil
}

// benchNewID is the article benchIngestOne adds.
const benchNewID = "bench-new-article"

// benchIngestOne ingests one new article file into the store, as `talkbot
// ingest FILE` in a fresh process when exec is set, else in this process.
func benchIngestOne(ctx context.Context, rep *benchReport, dir string, exec bool, src []retrieval.Document) error {
	tmp, err := os.MkdirTemp("", "talkbot-bench-article-")
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(tmp)
	file := filepath.Join(tmp, benchNewID+".txt")
	body := "Harbour authority opens a new berth\n\n" + src[0].Text
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	t0 := time.Now()
	if exec {
		if _, err := benchExec(ctx, dir, "ingest", file); err != nil {
			return err
		}
	} else {
		w, err := retrieval.Open(ctx, retrieval.Options{Dir: dir, DocumentsOnly: true})
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		_, err = w.Ingest(ctx, []string{file}, retrieval.IngestOptions{})
		w.Close()
		if err != nil {
			return fmt.Errorf("bench: ingest one file: %w", err)
		}
	}
	rep.IngestOneFileMS = ms(time.Since(t0))
	return nil
}

// benchProcesses times `talkbot ask` as fresh processes: on the built-in
// articles alone (an empty data dir), and on the store.
func benchProcesses(ctx context.Context, rep *benchReport, dir string, n int) error {
	empty, err := os.MkdirTemp("", "talkbot-bench-empty-")
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(empty)
	q := "How long did Witkoff meet Putin?"
	var builtin, stored []time.Duration
	var peak int64
	for range n {
		t0 := time.Now()
		if _, err := benchExec(ctx, empty, "ask", "--offline", q); err != nil {
			return err
		}
		builtin = append(builtin, time.Since(t0))
	}
	for range min(n, 5) { // each loads the whole store: seconds at 100k
		t0 := time.Now()
		rss, err := benchExec(ctx, dir, "ask", "--offline", q)
		if err != nil {
			return err
		}
		stored = append(stored, time.Since(t0))
		peak = max(peak, rss)
	}
	rep.AskBuiltinP50, rep.AskStoreP50 = pct(builtin, 50), pct(stored, 50)
	rep.AskStoreRSSMB = round(float64(peak)/(1<<20), 1)
	if rep.Chunks > 0 {
		rep.RSSKiBPerPassage = round(float64(peak)/1024/float64(rep.Chunks), 2)
	}
	return nil
}

// benchExec runs this binary as `talkbot args…` on dataDir, offline (no
// model or server from the caller's environment), and returns its peak RSS
// in bytes.
func benchExec(ctx context.Context, dataDir string, args ...string) (int64, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("bench: finding the talkbot binary: %w", err)
	}
	c := exec.CommandContext(ctx, exe, args...)
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "TALKBOT_DATA_DIR" || k == "TALKBOT_EMBED_MODEL" || k == "TALKBOT_CHAT_MODEL" || strings.HasPrefix(k, "OPENAI_") {
			continue
		}
		c.Env = append(c.Env, kv)
	}
	c.Env = append(c.Env, "TALKBOT_DATA_DIR="+dataDir)
	var out strings.Builder
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		return 0, fmt.Errorf("bench: talkbot %s: %w", strings.Join(args, " "), err)
	}
	// The child's own high-water mark, sampled until it exits: its rusage
	// peak is no good here, because Linux starts an exec'd child's peak at
	// its parent's (Go execs from the parent's memory), and this process
	// held the whole store while building it.
	done := make(chan struct{})
	var hwm atomic.Int64
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			if v := procHWM(c.Process.Pid); v > hwm.Load() {
				hwm.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	err = c.Wait()
	close(done)
	<-sampled
	if err != nil {
		return 0, fmt.Errorf("bench: talkbot %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	rss := hwm.Load()
	if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok && rss == 0 {
		rss = ru.Maxrss * 1024 // no /proc: an upper bound (see above)
	}
	return rss, nil
}

// procHWM is a process's peak resident set in bytes from /proc (0 when it
// cannot be read, e.g. once the process has exited).
func procHWM(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return kb * 1024
			}
		}
	}
	return 0
}

// currentRSS is this process's resident set in bytes (0 where /proc is
// not available).
func currentRSS() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
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
	fmt.Fprintf(tw, "restart to first search (in-process)\t%.0f ms\t%d passages embedded\n", r.RestartMS, r.RestartEmbedded)
	fmt.Fprintf(tw, "seeds-only start-up to first answer (in-process)\t%.1f ms\n", r.StartupMS)
	if r.Processes > 0 {
		fmt.Fprintf(tw, "talkbot ask, built-in articles (fresh process)\tp50 %.0f ms\n", r.AskBuiltinP50)
		fmt.Fprintf(tw, "talkbot ask, on the store (fresh process)\tp50 %.0f ms\tpeak RSS %.0f MB = %.2f KiB/passage\n",
			r.AskStoreP50, r.AskStoreRSSMB, r.RSSKiBPerPassage)
	}
	how := "in-process"
	if r.Processes > 0 {
		how = "fresh process"
	}
	fmt.Fprintf(tw, "ingest one new file into the store (%s)\t%.0f ms\n", how, r.IngestOneFileMS)
	fmt.Fprintf(tw, "serving index picks it up (reload)\t%.0f ms\tRSS %+.1f%%\n", r.ReloadOneMS, r.ReloadRSSGrowthPc)
	fmt.Fprintf(tw, "heap\t%.0f MB\tstore %.0f MB on disk\n", r.HeapMB, r.StoreMB)
	fmt.Fprintf(tw, "RSS of the loaded store (in-process, after GC)\t%.2f KiB/passage\n", r.LoadedRSSKiB)
	tw.Flush()
}
