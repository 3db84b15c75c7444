package qlog

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// BenchmarkRecord is what logging costs the answer path: one Record call.
func BenchmarkRecord(b *testing.B) {
	l, err := Open(context.Background(), b.TempDir(), Options{Queue: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	e := entry("a", "How long did Witkoff meet Putin?", true, "extractive", 10, time.Now())
	b.ResetTimer()
	for b.Loop() {
		l.Record(e)
	}
	b.StopTimer()
	start := time.Now()
	if err := l.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	// The writer's pace, queue drained at Close: entries written per second.
	if d := time.Since(start); d > 0 && b.N > 1000 {
		b.ReportMetric(float64(b.N)/d.Seconds(), "writes/s")
	}
}

// BenchmarkReport reads and groups a large log: 90 days of a busy bot.
func BenchmarkReport(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			dir := b.TempDir()
			fill(b, dir, n)
			r, err := OpenReader(context.Background(), dir)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			b.ResetTimer()
			for b.Loop() {
				rep, err := r.Report(context.Background(), time.Time{}, 10)
				if err != nil || rep.Questions != n {
					b.Fatalf("report of %d: %v", rep.Questions, err)
				}
			}
		})
	}
}

// fill writes n synthetic questions (half not found) in one transaction,
// with words drawn like language: Zipf-distributed over 20,000 words.
func fill(b *testing.B, dir string, n int) {
	b.Helper()
	l, err := Open(context.Background(), dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(rng, 1.1, 1, 19_999)
	tx, err := l.db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for i := range n {
		words := make([]string, 3+rng.IntN(4))
		for k := range words {
			words[k] = fmt.Sprintf("word%d", zipf.Uint64())
		}
		if _, err := tx.Exec(`INSERT INTO qlog_questions (answer_id, at_ms, surface, guild_id, channel_id, user_hash, question, answer, found, mode, latency_ms, error)
			VALUES (?, ?, 'slash', 'g', 'c', 'u', ?, 'a', ?, 'extractive', ?, '')`,
			fmt.Sprint(i), now.Add(-time.Duration(i)*time.Minute).UnixMilli(), "what about "+strings.Join(words, " ")+"?", i%2 == 0, rng.IntN(2000)); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if err := l.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
}
