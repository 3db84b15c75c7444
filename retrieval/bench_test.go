package retrieval_test

import (
	"context"
	"testing"

	"github.com/talkbot/talkbot/retrieval"
	"github.com/talkbot/talkbot/seeds"
)

// The benchmarks measure the paths `talkbot bench` reports, on a synthetic
// corpus of benchPassages passages built once per benchmark:
//
//	go test ./retrieval/ -run '^$' -bench . -benchtime 50x
//
// `talkbot bench --chunks 100000` runs the same comparison at full size.
const benchPassages = 20000

var benchQueries = []string{
	"How long did Witkoff meet Putin?",
	"What did Putin threaten to do if Ukrainian troops do not leave the Donbas?",
	"Kirill Dmitriev Miami talks",
	"security guarantees for Ukraine",
	"Who won the Super Bowl?",
}

func benchIndex(b *testing.B) *retrieval.Index {
	b.Helper()
	src, err := seeds.Documents()
	if err != nil {
		b.Fatal(err)
	}
	ix, err := retrieval.Open(context.Background(), retrieval.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := ix.Add(context.Background(), retrieval.SyntheticCorpus(src, benchPassages, 1)...); err != nil {
		b.Fatal(err)
	}
	return ix
}

func queryVectors(b *testing.B) [][]float32 {
	b.Helper()
	vs, err := retrieval.NewHashEmbedder(0).Embed(context.Background(), benchQueries)
	if err != nil {
		b.Fatal(err)
	}
	return vs
}

// reportPerQuery adds ms/query, the unit of the README table.
func reportPerQuery(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/query")
}

func BenchmarkSearchHybrid(b *testing.B) {
	ix := benchIndex(b)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if _, err := ix.Search(ctx, benchQueries[i%len(benchQueries)], retrieval.SearchOptions{}); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportPerQuery(b)
}

func BenchmarkChromemQuery(b *testing.B) {
	ix := benchIndex(b)
	qv := queryVectors(b)
	ctx := context.Background()
	col, err := ix.Collection(ctx)
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		if _, err := retrieval.ChromemQueryOn(ctx, col, qv[i%len(qv)], 50); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportPerQuery(b)
}

func BenchmarkDotFloor(b *testing.B) {
	ix := benchIndex(b)
	qv := queryVectors(b)
	for _, bc := range []struct {
		name    string
		workers int
	}{{"all-cores", 0}, {"one-core", 1}} {
		b.Run(bc.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				ix.DotFloor(qv[i%len(qv)], bc.workers)
				i++
			}
			b.ReportMetric(float64(ix.Len()*ix.Dims()*4)/1e9/(b.Elapsed().Seconds()/float64(b.N)), "GB/s")
			reportPerQuery(b)
		})
	}
}

func BenchmarkBM25(b *testing.B) {
	ix := benchIndex(b)
	i := 0
	for b.Loop() {
		ix.KeywordSearch(benchQueries[i%len(benchQueries)], 50)
		i++
	}
	reportPerQuery(b)
}

func BenchmarkEmbed(b *testing.B) {
	src, err := seeds.Documents()
	if err != nil {
		b.Fatal(err)
	}
	corpus := retrieval.SyntheticCorpus(src, 1000, 1)
	texts := make([]string, len(corpus))
	for i, d := range corpus {
		texts[i] = d.Title + "\n" + d.Text
	}
	emb := retrieval.NewHashEmbedder(0)
	ctx := context.Background()
	for b.Loop() {
		if _, err := emb.Embed(ctx, texts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(texts)*b.N)/b.Elapsed().Seconds(), "passages/s")
}

// BenchmarkOpenStore is a reader's start-up on a stored corpus: documents,
// passages with their stored terms, and vectors loaded, nothing re-chunked
// or re-analysed (the path `talkbot ask` takes on a data dir).
func BenchmarkOpenStore(b *testing.B) {
	src, err := seeds.Documents()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	w, err := retrieval.Open(context.Background(), retrieval.Options{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	const n = 5000
	if _, err := w.Add(context.Background(), retrieval.SyntheticCorpus(src, n, 1)...); err != nil {
		b.Fatal(err)
	}
	w.Close()
	for b.Loop() {
		ix, err := retrieval.Open(context.Background(), retrieval.Options{Dir: dir, ReadOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		if ix.Len() != n {
			b.Fatalf("loaded %d passages, want %d", ix.Len(), n)
		}
		ix.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/n, "µs/passage")
}
