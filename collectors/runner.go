package collectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// DefaultInterval is the poll interval when the runner is given none.
const DefaultInterval = time.Minute

// Runner polls every collector and writes to one sink.
type Runner struct {
	Sink       Sink
	Collectors []Collector
	// Interval returns a source's poll interval; nil or a non-positive
	// answer means DefaultInterval.
	Interval func(name string) time.Duration
	Logger   *slog.Logger // default: discard
	Metrics  *Metrics     // optional
	// Sleep waits between passes; default a timer (tests inject one).
	Sleep SleepFunc
	// BeginPass, when set, gives the sink of one pass of one collector
	// (for *store.Store, a store.Pass, which recounts the rollups once at
	// the end of the pass instead of after every batch); the runner
	// finishes it when the collector's pass ends, also after a failure, so
	// that what was written is counted. Without it, every pass writes to
	// Sink.
	BeginPass func(ctx context.Context) (PassSink, error)
}

// PassSink is the sink of one collection pass: it may defer work to
// Finish, which the runner calls once when the pass ends.
type PassSink interface {
	Sink
	Finish(ctx context.Context) error
}

// RunOnce runs one full pass of every collector, concurrently. It returns
// each source's stats and an error joining the failures, each naming its
// source.
func (r *Runner) RunOnce(ctx context.Context) (map[string]Stats, error) {
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		stats = make(map[string]Stats, len(r.Collectors))
		errs  []error
	)
	for _, c := range r.Collectors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := r.pass(ctx, c)
			mu.Lock()
			defer mu.Unlock()
			stats[c.Name()] = st
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	return stats, errors.Join(errs...)
}

// Run polls each collector on its own interval until ctx is done. A failing
// pass is logged and tried again later, backing off up to ten intervals; a
// ConfigError stops every collector and is returned, since polling cannot
// fix it. Run returns nil when ctx is cancelled.
func (r *Runner) Run(parent context.Context) error {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	var wg sync.WaitGroup
	for _, c := range r.Collectors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.loop(ctx, c); err != nil {
				cancel(err)
			}
		}()
	}
	wg.Wait()
	if parent.Err() != nil {
		return nil
	}
	return context.Cause(ctx)
}

// loop polls one collector; it returns a ConfigError, or nil when ctx is done.
func (r *Runner) loop(ctx context.Context, c Collector) error {
	interval := DefaultInterval
	if r.Interval != nil {
		if d := r.Interval(c.Name()); d > 0 {
			interval = d
		}
	}
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = interval
	b.MaxInterval = 10 * interval
	b.MaxElapsedTime = 0 // never give up
	b.Reset()
	for {
		wait := interval
		if _, err := r.pass(ctx, c); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if IsConfigError(err) {
				return err
			}
			wait = b.NextBackOff()
			r.logger().Error("collection pass failed", "source", c.Name(), "retry_in", wait, "err", err)
		} else {
			b.Reset()
		}
		if err := sleepOr(r.Sleep)(ctx, wait); err != nil {
			return nil
		}
	}
}

// pass runs one pass of one collector, logging and measuring it.
func (r *Runner) pass(ctx context.Context, c Collector) (Stats, error) {
	start := time.Now()
	st, err := r.collect(ctx, c)
	end := time.Now()
	r.Metrics.observe(c.Name(), st, err, start, end)
	if err != nil {
		return st, fmt.Errorf("source %s: %w", c.Name(), err)
	}
	r.logger().Info("collection pass done", "source", c.Name(), "fetched", st.Fetched,
		"records", st.Records, "quarantined", st.Quarantined, "duration", end.Sub(start))
	return st, nil
}

// collect runs the collector's pass on the sink of the pass.
func (r *Runner) collect(ctx context.Context, c Collector) (Stats, error) {
	if r.BeginPass == nil {
		return c.Collect(ctx, r.Sink)
	}
	sink, err := r.BeginPass(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("begin pass: %w", err)
	}
	st, err := c.Collect(ctx, sink)
	if ferr := sink.Finish(ctx); ferr != nil {
		err = errors.Join(err, fmt.Errorf("finish pass: %w", ferr))
	}
	return st, err
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}
