package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// LockName is the writer lock file beside the database. The lock is an
// advisory flock: the kernel releases it when the process dies, kill -9
// included, so a crashed ingest never leaves the store locked.
const LockName = "talkbot.lock"

// ErrLocked: another writer held the store for longer than the wait.
var ErrLocked = errors.New("another talkbot ingest is writing to the store")

// LockWriter takes the store's single-writer lock for dir, waiting up to
// wait for another writer to finish; onWait (if set) is called once when
// it has to wait, so the user is told why nothing happens. The returned
// function releases the lock.
func LockWriter(ctx context.Context, dir string, wait time.Duration, onWait func()) (unlock func(), err error) {
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking the store: %w", err)
	}
	deadline := time.Now().Add(wait)
	waited := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking the store %s: %w", path, err)
		}
		if !waited && onWait != nil {
			onWait()
		}
		waited = true
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("%w (waited %s); try again when it has finished", ErrLocked, wait.Round(time.Second))
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for the store lock: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
