package collectors

import (
	"context"
	"sync"
	"time"
)

// fakeTime is a clock that moves only when something sleeps on it, and
// records every wait: tests use it instead of the wall clock.
type fakeTime struct {
	mu      sync.Mutex
	now     time.Time
	waits   []time.Duration
	onSleep func(n int) // called after the n-th wait (1-based)
}

func newFakeTime() *fakeTime { return &fakeTime{now: time.Date(2024, 1, 15, 12, 0, 0, 0, time.UTC)} }

// Now implements backoff.Clock.
func (f *fakeTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Sleep is a SleepFunc that advances the clock by d at once.
func (f *fakeTime) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.waits = append(f.waits, d)
	n := len(f.waits)
	f.mu.Unlock()
	if f.onSleep != nil {
		f.onSleep(n)
	}
	return ctx.Err()
}

// Waits returns the waits so far.
func (f *fakeTime) Waits() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.waits...)
}
