package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The real bench command, small: every figure present and sane, the vector
// scan and the baselines measured on the same store, and a restart that
// embeds nothing.
// Not parallel: runCLI sets the environment (t.Setenv).
func TestBenchJSON(t *testing.T) {
	out, errOut, code := runCLI(t, nil, "bench", "--json", "--chunks", "1500", "--queries", "25", "--processes", "0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	for _, f := range []string{"chunks", "dims", "queries", "hybrid_p50_ms", "hybrid_p99_ms", "vector_p50_ms",
		"floor_p50_ms", "floor_1core_p50_ms", "bm25_p50_ms", "hybrid_vs_vector", "hybrid_vs_floor",
		"ingest_chunks_per_s", "restart_ms", "restart_embedded", "startup_ms", "heap_mb"} {
		if _, ok := raw[f]; !ok {
			t.Errorf("field %s missing", f)
		}
	}
	var r benchReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Chunks != 1500 || r.Dims <= 0 || r.Queries != 25 {
		t.Errorf("corpus %d × %d, %d queries; want 1500 passages, 25 queries", r.Chunks, r.Dims, r.Queries)
	}
	for name, v := range map[string]float64{"hybrid p50": r.HybridP50, "vector p50": r.VectorP50,
		"floor p50": r.FloorP50, "bm25 p50": r.BM25P50, "ingest": r.IngestChunksPerS, "restart": r.RestartMS,
		"startup": r.StartupMS, "heap": r.HeapMB, "hybrid/vector": r.HybridVsVector, "hybrid/floor": r.HybridVsFloor} {
		if !(v > 0) {
			t.Errorf("%s = %v, want > 0", name, v)
		}
	}
	if r.HybridP50 > r.HybridP99 {
		t.Errorf("p50 %.2f ms > p99 %.2f ms", r.HybridP50, r.HybridP99)
	}
	if r.RestartEmbedded != 0 {
		t.Errorf("restart embedded %d passages, want 0", r.RestartEmbedded)
	}
	if !(r.IngestOneFileMS > 0) || !(r.ReloadOneMS > 0) {
		t.Errorf("one-file ingest %.2f ms, reload %.2f ms: not measured", r.IngestOneFileMS, r.ReloadOneMS)
	}
}

func TestBenchRejectsBadFlags(t *testing.T) {
	existing := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "--chunks", "0"}, "--chunks"},
		{[]string{"bench", "--queries", "-3"}, "--queries"},
		{[]string{"bench", "--dir", existing}, "already exists"},
		{[]string{"bench", "extra"}, "no arguments"},
	} {
		_, errOut, code := runCLI(t, nil, tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want usage error naming %s", tc.args, code, errOut, tc.want)
		}
	}
	// A new --dir is used and kept, so the store can be inspected.
	dir := filepath.Join(t.TempDir(), "store")
	if _, errOut, code := runCLI(t, nil, "bench", "--chunks", "50", "--queries", "3", "--processes", "0", "--dir", dir); code != 0 {
		t.Fatalf("bench --dir: exit %d: %s", code, errOut)
	}
	for _, f := range []string{"talkbot.db"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("bench --dir left no %s: %v", f, err)
		}
	}
}
