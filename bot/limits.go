package bot

import (
	"context"
	"sync"
	"time"
)

// rateLimiter allows each user n questions per sliding window.
type rateLimiter struct {
	n      int
	window time.Duration

	mu       sync.Mutex
	users    map[string][]time.Time // recent question times, oldest first
	notified map[string]bool        // told "try again" since their last allowed question
	calls    int
}

func newRateLimiter(n int, window time.Duration) *rateLimiter {
	return &rateLimiter{n: n, window: window, users: map[string][]time.Time{}, notified: map[string]bool{}}
}

// allow records a question by user at now, or says how long until the user
// may ask again.
func (r *rateLimiter) allow(user string, now time.Time) (bool, time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.calls%1024 == 0 {
		r.sweepLocked(now)
	}
	ts := r.users[user]
	keep := ts[:0]
	for _, t := range ts {
		if now.Sub(t) < r.window {
			keep = append(keep, t)
		}
	}
	if len(keep) >= r.n {
		r.users[user] = keep
		return false, keep[0].Add(r.window).Sub(now)
	}
	r.users[user] = append(keep, now)
	delete(r.notified, user)
	return true, 0
}

// wouldAllow reports whether user could ask at now, without recording a
// question.
func (r *rateLimiter) wouldAllow(user string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, t := range r.users[user] {
		if now.Sub(t) < r.window {
			n++
		}
	}
	return n < r.n
}

// firstNotice reports whether a refused user has not yet been told publicly
// since their last allowed question, and marks them told.
func (r *rateLimiter) firstNotice(user string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	first := !r.notified[user]
	r.notified[user] = true
	return first
}

// sweepLocked forgets users with no recent questions, so the map stays
// the size of the active users.
func (r *rateLimiter) sweepLocked(now time.Time) {
	for u, ts := range r.users {
		if len(ts) == 0 || now.Sub(ts[len(ts)-1]) >= r.window {
			delete(r.users, u)
			delete(r.notified, u)
		}
	}
}

// gate caps answers in flight and bounds the queue of those waiting.
type gate struct {
	slots chan struct{}
	max   int // in flight plus waiting

	mu      sync.Mutex
	pending int
	closed  bool
}

func newGate(concurrent, queue int) *gate {
	return &gate{slots: make(chan struct{}, concurrent), max: concurrent + queue}
}

// admit takes a place in the queue, or reports why not (busy or closed).
func (g *gate) admit() (ok, closed bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false, true
	}
	if g.pending >= g.max {
		return false, false
	}
	g.pending++
	return true, false
}

// acquire waits for an answering slot; the caller holds a queue place.
func (g *gate) acquire(ctx context.Context) error {
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release frees a slot taken by acquire.
func (g *gate) release() { <-g.slots }

// leave gives back the queue place taken by admit.
func (g *gate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pending--
}

// close refuses new work from now on.
func (g *gate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
}

// load is the number of answers in flight or waiting.
func (g *gate) load() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pending
}

// tracker counts running handlers so shutdown can wait for them. Unlike a
// WaitGroup, adding while someone waits is fine (events keep arriving until
// the gateway closes).
type tracker struct {
	mu   sync.Mutex
	n    int
	zero chan struct{} // closed when n drops to 0
}

func (t *tracker) add() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == 0 {
		t.zero = make(chan struct{})
	}
	t.n++
}

func (t *tracker) done() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n--
	if t.n == 0 {
		close(t.zero)
	}
}

// wait returns when nothing runs or ctx ends.
func (t *tracker) wait(ctx context.Context) error {
	t.mu.Lock()
	if t.n == 0 {
		t.mu.Unlock()
		return nil
	}
	ch := t.zero
	t.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// hinter allows one hint per user per interval (e.g. how to reach the bot).
type hinter struct {
	every time.Duration

	mu   sync.Mutex
	last map[string]time.Time
}

func newHinter(every time.Duration) *hinter {
	return &hinter{every: every, last: map[string]time.Time{}}
}

// allow reports whether user may get a hint at now, and records it if so.
func (h *hinter) allow(user string, now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t, ok := h.last[user]; ok && now.Sub(t) < h.every {
		return false
	}
	if len(h.last) >= 1024 {
		// Forget users whose hour is over, so the map stays the size of
		// the users hinted recently.
		for u, t := range h.last {
			if now.Sub(t) >= h.every {
				delete(h.last, u)
			}
		}
	}
	h.last[user] = now
	return true
}
