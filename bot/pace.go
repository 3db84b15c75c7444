package bot

import (
	"context"
	"sync"
	"time"
)

// pacer keeps the bot's message writes in each channel (posts, edits and
// thread starts, from every answer in that channel) inside a budget of n per
// window, Discord's usual per-channel bucket being 5 per 5 s. Concurrent
// answers in one channel share it, so together they never draw 429s.
//
// Each of a channel's n slots is busy while its request runs and cools for
// a window after the request returns: a new write starts at least a window
// after the write whose slot it reuses has finished, so even with network
// delay Discord never sees more than n writes in any window.
//
// Interaction responses (slash commands) are not paced here: Discord
// limits them per interaction token, not per channel.
//
// Final answers wait for a slot (nothing is dropped); previews only take
// one when more than reserve are free, and are skipped otherwise, so
// previews never delay a final text.
type pacer struct {
	n       int
	window  time.Duration
	reserve int

	mu       sync.Mutex
	channels map[string]*channelSlots
}

// channelSlots are one channel's slots: when each is free again (zero:
// free now), and which are taken.
type channelSlots struct {
	freeAt []time.Time
	busy   []bool
	// changed is closed and replaced when a slot is released, waking waiters.
	changed chan struct{}
}

func newPacer(n int, window time.Duration) *pacer {
	reserve := 1
	if n <= 2 {
		reserve = 0
	}
	return &pacer{n: n, window: window, reserve: reserve, channels: map[string]*channelSlots{}}
}

// wait takes a slot in channel, waiting for one as long as ctx allows. The
// returned release must be called when the request has returned.
func (p *pacer) wait(ctx context.Context, channel string) (release func(), err error) {
	for {
		p.mu.Lock()
		cs := p.slotsLocked(channel)
		now := time.Now()
		if k, _ := cs.freeSlot(now); k >= 0 {
			cs.busy[k] = true
			p.mu.Unlock()
			return p.releaser(channel, cs, k), nil
		}
		// Wait for the soonest cooling slot, or for a release.
		var timer <-chan time.Time
		if at, ok := cs.soonest(); ok {
			timer = time.After(at.Sub(now))
		}
		changed := cs.changed
		p.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-changed:
		case <-timer:
		}
	}
}

// try takes a slot in channel only if more than the reserve are free now;
// ok is false otherwise (the caller skips its write).
func (p *pacer) try(channel string) (release func(), ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cs := p.slotsLocked(channel)
	k, free := cs.freeSlot(time.Now())
	if k < 0 || free <= p.reserve {
		return nil, false
	}
	cs.busy[k] = true
	return p.releaser(channel, cs, k), true
}

func (p *pacer) releaser(channel string, cs *channelSlots, k int) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			cs.busy[k] = false
			cs.freeAt[k] = time.Now().Add(p.window)
			close(cs.changed)
			cs.changed = make(chan struct{})
		})
	}
}

// slotsLocked returns channel's slots, creating them; it forgets channels
// whose slots have all cooled, so the map stays the size of the channels
// written to in the last window.
func (p *pacer) slotsLocked(channel string) *channelSlots {
	if cs, ok := p.channels[channel]; ok {
		return cs
	}
	if len(p.channels) >= 256 {
		now := time.Now()
		for id, cs := range p.channels {
			if cs.idle(now) {
				delete(p.channels, id)
			}
		}
	}
	cs := &channelSlots{freeAt: make([]time.Time, p.n), busy: make([]bool, p.n), changed: make(chan struct{})}
	p.channels[channel] = cs
	return cs
}

// freeSlot returns a slot usable now (or -1) and how many are.
func (cs *channelSlots) freeSlot(now time.Time) (int, int) {
	k, free := -1, 0
	for i := range cs.freeAt {
		if !cs.busy[i] && !cs.freeAt[i].After(now) {
			free++
			if k < 0 {
				k = i
			}
		}
	}
	return k, free
}

// soonest is when the next cooling slot becomes free.
func (cs *channelSlots) soonest() (time.Time, bool) {
	var at time.Time
	for i := range cs.freeAt {
		if !cs.busy[i] && (at.IsZero() || cs.freeAt[i].Before(at)) {
			at = cs.freeAt[i]
		}
	}
	return at, !at.IsZero()
}

// idle reports whether no slot is taken or cooling.
func (cs *channelSlots) idle(now time.Time) bool {
	k, free := cs.freeSlot(now)
	return k >= 0 && free == len(cs.freeAt)
}
