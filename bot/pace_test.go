package bot

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestPacerKeepsEveryWindowInBudget: however many writers wait at once,
// no window holds more than the budget of write starts in one channel,
// and other channels are not held up.
func TestPacerKeepsEveryWindowInBudget(t *testing.T) {
	t.Parallel()
	const n, window, writers = 3, 80 * time.Millisecond, 9
	p := newPacer(n, window)
	var mu sync.Mutex
	var starts []time.Time
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			release, err := p.wait(context.Background(), "c1")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			starts = append(starts, time.Now())
			mu.Unlock()
			release()
		})
	}
	other := time.Now()
	release, err := p.wait(context.Background(), "c2")
	if err != nil || time.Since(other) > window/2 {
		t.Errorf("another channel waited %v (%v)", time.Since(other), err)
	}
	release()
	wg.Wait()
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	for i := 0; i+n < len(starts); i++ {
		if gap := starts[i+n].Sub(starts[i]); gap < window {
			t.Errorf("writes %d and %d only %v apart: %d writes in one %v window", i, i+n, gap, n+1, window)
		}
	}
	// 9 writes at 3 per window need at least two further windows.
	if took := starts[len(starts)-1].Sub(starts[0]); took < 2*window {
		t.Errorf("9 writes in %v", took)
	}
}

func TestPacerPreviewsLeaveRoomForFinals(t *testing.T) {
	t.Parallel()
	p := newPacer(3, time.Hour)
	var got []bool
	for range 3 {
		_, ok := p.try("c")
		got = append(got, ok)
	}
	if !slices.Equal(got, []bool{true, true, false}) {
		t.Errorf("previews taken = %v, want the last slot kept", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := p.wait(ctx, "c"); err != nil {
		t.Errorf("a final could not take the kept slot: %v", err)
	}
	// Budget spent for the hour: a final waits, bounded by its context.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if _, err := p.wait(ctx2, "c"); err == nil {
		t.Errorf("a fourth write in the window was let through")
	}
}

func TestHinterOncePerUserPerInterval(t *testing.T) {
	t.Parallel()
	h := newHinter(time.Hour)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		user string
		at   time.Duration
		want bool
	}{
		{"a", 0, true},
		{"a", time.Minute, false},
		{"b", time.Minute, true},
		{"a", 59 * time.Minute, false},
		{"a", 61 * time.Minute, true},
		{"a", 62 * time.Minute, false},
	} {
		if got := h.allow(tc.user, t0.Add(tc.at)); got != tc.want {
			t.Errorf("allow(%s, +%v) = %v, want %v", tc.user, tc.at, got, tc.want)
		}
	}
}
