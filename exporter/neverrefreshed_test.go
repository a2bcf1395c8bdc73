package exporter

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestNeverRefreshedInstitutionGoesStale starts the exporter while
// ClickHouse is down (every query fails): no institution ever completes a
// refresh, yet each has a last-success series from the start, at the
// exporter's start time, so that the generated alert `time()
// - ccbench_exporter_last_refresh_success_timestamp_seconds > N` has a
// series to evaluate and fires N after the start. Failed refreshes leave
// it there; the first complete refresh moves it forward.
func TestNeverRefreshedInstitutionGoesStale(t *testing.T) {
	q := newFake()
	q.mu.Lock()
	q.err = errors.New("clickhouse is down")
	q.mu.Unlock()
	totals := newTotals()
	totals.err = errors.New("clickhouse is down")
	clock := &testClock{t: testNow}
	before := float64(time.Now().UnixNano()) / 1e9
	e := New(Options{Config: loadConfig(t), Reader: q, Totals: totals, Now: clock.Now})
	after := float64(time.Now().UnixNano()) / 1e9

	// The start time is wall time, as a refresh's is (Prometheus compares
	// it with time()), not the KPI windows' clock.
	const name = "ccbench_exporter_last_refresh_success_timestamp_seconds"
	var started float64
	check := func(when string) {
		t.Helper()
		for _, in := range []string{"sodra", "vmi", "ind"} {
			got, ok := sample(t, e.Gatherer(), name, map[string]string{"institution": in})
			if started == 0 && ok && got >= before && got <= after {
				started = got
			}
			if !ok || got != started {
				t.Errorf("%s: %s{institution=%q} = %v (present %v), want the start time, between %v and %v", when, name, in, got, ok, before, after)
			}
		}
	}
	check("before any refresh")
	for i := 1; i <= 3; i++ {
		clock.set(q, testNow.Add(time.Duration(i)*time.Minute))
		if err := e.Refresh(context.Background()); err == nil {
			t.Fatal("Refresh with ClickHouse down: no error")
		}
	}
	check("after three failed refreshes")
	if e.Ready() {
		t.Error("ready without a successful refresh")
	}

	// ClickHouse is back: the next refresh completes and replaces the start time.
	q.mu.Lock()
	q.err = nil
	q.mu.Unlock()
	totals.mu.Lock()
	totals.err = nil
	totals.mu.Unlock()
	if err := e.Refresh(context.Background()); err != nil {
		t.Fatalf("Refresh after ClickHouse came back: %v", err)
	}
	for _, in := range []string{"sodra", "vmi", "ind"} {
		if got, ok := sample(t, e.Gatherer(), name, map[string]string{"institution": in}); !ok || got <= started {
			t.Errorf("after a complete refresh: %s{institution=%q} = %v (present %v), want later than the start %v", name, in, got, ok, started)
		}
	}
}
