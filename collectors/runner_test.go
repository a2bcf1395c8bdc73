package collectors

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccbench/ccbench/records"
)

// fakeCollector returns the next error of its script on each pass (nil
// when the script is exhausted) and counts its passes.
type fakeCollector struct {
	name   string
	errs   []error
	passes atomic.Int32
}

func (f *fakeCollector) Name() string { return f.name }

func (f *fakeCollector) Collect(ctx context.Context, _ Sink) (Stats, error) {
	n := int(f.passes.Add(1)) - 1
	if n < len(f.errs) && f.errs[n] != nil {
		return Stats{Fetched: 1}, f.errs[n]
	}
	return Stats{Fetched: 1, Records: 10}, nil
}

// nopSink is a Sink that accepts everything.
type nopSink struct{}

func (nopSink) InsertContacts(context.Context, []records.Contact) error     { return nil }
func (nopSink) InsertFeedback(context.Context, []records.Feedback) error    { return nil }
func (nopSink) InsertAggregates(context.Context, []records.Aggregate) error { return nil }
func (nopSink) Quarantine(context.Context, []records.Quarantined) error     { return nil }
func (nopSink) Checkpoint(context.Context, string, string) (records.Checkpoint, bool, error) {
	return records.Checkpoint{}, false, nil
}
func (nopSink) SaveCheckpoint(context.Context, records.Checkpoint) error { return nil }
func (nopSink) LiveIDs(context.Context, string, string, string) ([]string, error) {
	return nil, nil
}
func (nopSink) BatchAggregates(context.Context, string, string, string) ([]records.Aggregate, error) {
	return nil, nil
}

func TestRunOnceJoinsFailuresNamingSources(t *testing.T) {
	good := &fakeCollector{name: "good"}
	bad := &fakeCollector{name: "flaky-source", errs: []error{errors.New("boom")}}
	r := &Runner{Sink: nopSink{}, Collectors: []Collector{good, bad}}
	stats, err := r.RunOnce(context.Background())
	if err == nil || !strings.Contains(err.Error(), "flaky-source") || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("got %v, want an error naming flaky-source", err)
	}
	if strings.Contains(err.Error(), "good") {
		t.Errorf("error names the healthy source: %v", err)
	}
	if stats["good"].Records != 10 || stats["flaky-source"].Fetched != 1 {
		t.Errorf("stats %+v", stats)
	}
}

func TestRunRetriesFailingPasses(t *testing.T) {
	c := &fakeCollector{name: "s", errs: []error{errors.New("down"), errors.New("down"), nil}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ft := newFakeTime()
	ft.onSleep = func(n int) {
		if n == 4 {
			cancel()
		}
	}
	const interval = time.Minute
	r := &Runner{Sink: nopSink{}, Collectors: []Collector{c}, Interval: func(string) time.Duration { return interval }, Sleep: ft.Sleep}
	if err := r.Run(ctx); err != nil {
		t.Fatalf("Run returned %v after its context ended, want nil", err)
	}
	if n := c.passes.Load(); n != 4 {
		t.Errorf("%d passes, want the loop to go on after failures until cancelled (4)", n)
	}
	// Two failures back off from the interval (with jitter, at most 10
	// intervals); a success waits exactly one interval.
	waits := ft.Waits()
	if len(waits) != 4 || waits[0] < interval/2 || waits[1] > 10*interval || waits[2] != interval || waits[3] != interval {
		t.Errorf("waits %v, want two backoffs then the interval twice", waits)
	}
}

func TestRunStopsOnConfigError(t *testing.T) {
	other := &fakeCollector{name: "other"}
	c := &fakeCollector{name: "s", errs: []error{nil, &ConfigError{Source: "s", Status: 401, Msg: "check the token"}}}
	ft := newFakeTime()
	r := &Runner{Sink: nopSink{}, Collectors: []Collector{c, other}, Interval: func(string) time.Duration { return time.Millisecond }, Sleep: ft.Sleep}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := r.Run(ctx)
	if !IsConfigError(err) {
		t.Fatalf("got %v, want the ConfigError", err)
	}
	if ctx.Err() != nil {
		t.Fatal("Run only returned when its context ended")
	}
	if n := c.passes.Load(); n != 2 {
		t.Errorf("%d passes, want 2 (stop at the ConfigError)", n)
	}
}
