package collectors

import (
	"context"
	"time"
)

// SleepFunc waits for d or until ctx is done, and returns ctx's error in
// the latter case. Fetcher and Runner take one so that tests can replace
// real waiting with a recording of the waits.
type SleepFunc func(ctx context.Context, d time.Duration) error

// sleep is the real SleepFunc: a timer.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// sleepOr returns f, or the real sleep when f is nil.
func sleepOr(f SleepFunc) SleepFunc {
	if f == nil {
		return sleep
	}
	return f
}
