package exporter

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccbench/ccbench/report"
	"github.com/ccbench/ccbench/store"
)

// testClock is a Now that tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// set moves the clock and the end of the windows q expects.
func (c *testClock) set(q *fakeReader, t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
	q.setNow(t)
}

func errorsOf(t *testing.T, e *Exporter, institution string) float64 {
	t.Helper()
	got, ok := sample(t, e.Gatherer(), "ccbench_exporter_refresh_errors_total", map[string]string{"institution": institution})
	if !ok {
		t.Fatalf("no ccbench_exporter_refresh_errors_total{institution=%q}", institution)
	}
	return got
}

// TestFailingInstitutionKeepsOldValuesForABoundedTime has VMI's queries
// fail (its working-day calendar does not cover a due day) while SODRA's
// succeed: SODRA's values are fresh, VMI's are the old ones for up to
// MaxStaleness and then disappear, and the errors are VMI's.
func TestFailingInstitutionKeepsOldValuesForABoundedTime(t *testing.T) {
	q := newFake()
	clock := &testClock{t: testNow}
	const maxStale = 5 * time.Minute
	e := New(Options{Config: loadConfig(t), Reader: q, Totals: newTotals(), Now: clock.Now, MaxStaleness: maxStale})
	if err := e.Refresh(context.Background()); err != nil {
		t.Fatalf("first Refresh: %v", err)
	}

	sodraSL := with(group("sodra", contactCentre, "phone", "1h"), "method", "negative")
	vmiFavourable := instrumented(group("vmi", taxInfo, "phone", "1d"), "post_contact")
	check := func(when string, wantSL, wantFavourable float64, favourablePresent bool) {
		t.Helper()
		if got, ok := sample(t, e.Gatherer(), "ccbench_service_level_ratio", sodraSL); !ok || got != wantSL {
			t.Errorf("%s: sodra service level = %v (present %v), want %v", when, got, ok, wantSL)
		}
		got, ok := sample(t, e.Gatherer(), "ccbench_favourable_share_ratio", vmiFavourable)
		if ok != favourablePresent || (ok && got != wantFavourable) {
			t.Errorf("%s: vmi favourable share = %v (present %v), want %v (present %v)", when, got, ok, wantFavourable, favourablePresent)
		}
	}
	check("first refresh", 80.0/105, 89.0/100, true)

	// New data for both; VMI's queries fail from now on.
	q.mu.Lock()
	q.windows["sodra"][time.Hour].contacts[0].Counts.AnsweredWithinT = 70
	q.windows["vmi"][24*time.Hour].feedback[0].Counts.Favourable = 50
	q.mu.Unlock()
	q.setFail("vmi", errors.New("working-day calendar LT does not cover 2025-03-11"))

	for i, step := range []time.Duration{time.Minute, maxStale} {
		clock.set(q, testNow.Add(step))
		err := e.Refresh(context.Background())
		if err == nil || !strings.Contains(err.Error(), "working-day calendar") || !strings.Contains(err.Error(), `"vmi"`) {
			t.Fatalf("Refresh %s after VMI began failing: error = %v, want VMI's calendar error", step, err)
		}
		// SODRA fresh (70 of 105), VMI still its old 89 of 100.
		check("failing for "+step.String(), 70.0/105, 89.0/100, true)
		// Each refresh fails VMI's 1h and 1d parts.
		if got, want := errorsOf(t, e, "vmi"), float64(2*(i+1)); got != want {
			t.Errorf("failing for %s: vmi errors = %v, want %v", step, got, want)
		}
		if got := errorsOf(t, e, "sodra"); got != 0 {
			t.Errorf("failing for %s: sodra errors = %v, want 0", step, got)
		}
	}
	vmiTS, _ := sample(t, e.Gatherer(), "ccbench_exporter_last_refresh_success_timestamp_seconds", map[string]string{"institution": "vmi"})
	sodraTS, _ := sample(t, e.Gatherer(), "ccbench_exporter_last_refresh_success_timestamp_seconds", map[string]string{"institution": "sodra"})
	if !(vmiTS > 0 && vmiTS < sodraTS) {
		t.Errorf("last success: vmi %v, sodra %v; want vmi's (the first refresh) before sodra's (the last)", vmiTS, sodraTS)
	}

	// Past the bound VMI's windowed series are gone; its contact totals,
	// which still succeed, and SODRA's series stay.
	clock.set(q, testNow.Add(maxStale+time.Second))
	if err := e.Refresh(context.Background()); err == nil {
		t.Fatal("Refresh with VMI failing: no error")
	}
	check("failing past the bound", 70.0/105, 0, false)
	for _, name := range []string{"ccbench_kpi_numerator", "ccbench_kpi_denominator", "ccbench_kpi_sample_size", "ccbench_recommend_share_ratio", "ccbench_useful_share_ratio"} {
		if n := count(t, e.Gatherer(), name, map[string]string{"institution": "vmi"}); n != 0 {
			t.Errorf("failing past the bound: %d %s series of vmi, want none", n, name)
		}
	}
	if n := count(t, e.Gatherer(), "ccbench_kpi_numerator", map[string]string{"institution": "ind"}); n == 0 {
		t.Error("failing past the bound: IND's series went too")
	}
	if got := errorsOf(t, e, "vmi"); got != 6 {
		t.Errorf("vmi errors after 3 failed refreshes = %v, want 6", got)
	}
	if !e.Ready() {
		t.Error("a refresh in which only VMI failed made the exporter unready")
	}
	// VMI's data age goes on rising from its parts' last success (the
	// first refresh), although their series are gone.
	age := func() float64 {
		got, ok := sample(t, e.Gatherer(), "ccbench_exporter_data_age_seconds", map[string]string{"institution": "vmi"})
		if !ok {
			t.Fatal("no data age of vmi once its failing parts were dropped")
		}
		return got
	}
	if got, want := age(), (maxStale + time.Second).Seconds(); got != want {
		t.Errorf("vmi data age past the bound = %v s, want %v s since the first refresh", got, want)
	}

	// VMI recovers with its new figures: 50 of 100.
	q.setFail("vmi", nil)
	clock.set(q, testNow.Add(maxStale+2*time.Second))
	if err := e.Refresh(context.Background()); err != nil {
		t.Fatalf("Refresh after VMI recovered: %v", err)
	}
	check("recovered", 70.0/105, 50.0/100, true)
	if got := age(); got != 0 {
		t.Errorf("vmi data age after it recovered = %v s, want 0", got)
	}
}

func TestMaxStalenessDefaultsToFiveIntervals(t *testing.T) {
	e := newTestExporter(t, newFake(), newTotals())
	// testConfig's refresh_interval is 10ms.
	if want := 5 * 10 * time.Millisecond; e.maxStale != want {
		t.Errorf("default max staleness = %v, want %v", e.maxStale, want)
	}
}

func TestReadiness(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fail      []string // institutions whose reader queries fail
		totalsErr error
		wantReady bool
	}{
		{name: "everything succeeds", wantReady: true},
		{name: "one institution fails", fail: []string{"vmi"}, wantReady: true},
		{name: "every KPI part fails, totals succeed", fail: []string{"sodra", "vmi", "ind"}, wantReady: true},
		{name: "every part fails", fail: []string{"sodra", "vmi", "ind"}, totalsErr: errors.New("totals down"), wantReady: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := newFake()
			for _, in := range tc.fail {
				q.setFail(in, errors.New("clickhouse timeout"))
			}
			totals := newTotals()
			totals.err = tc.totalsErr
			e := newTestExporter(t, q, totals)
			err := e.Refresh(context.Background())
			if (err != nil) != (len(tc.fail) > 0 || tc.totalsErr != nil) {
				t.Errorf("Refresh error = %v", err)
			}
			if e.Ready() != tc.wantReady {
				t.Errorf("Ready = %v, want %v", e.Ready(), tc.wantReady)
			}
		})
	}
}

// inflightReader counts the ContactCounts queries running at once. Each
// query waits until `want` queries are running together (a
// synchronisation point, not a time), so the refresh must reach its bound
// of concurrent parts and the largest number seen at once is exact. A
// refresh that ran fewer at once would never reach the point; the guard
// then fails the test instead of hanging it.
type inflightReader struct {
	report.Reader
	want  int
	guard time.Duration // deadlock guard only: a passing run never waits on it

	mu       sync.Mutex
	cond     *sync.Cond
	inflight int
	max      int
	calls    int
	reached  bool // want queries ran together at least once
}

func newInflightReader(want int) *inflightReader {
	r := &inflightReader{Reader: newFake(), want: want, guard: 30 * time.Second}
	r.cond = sync.NewCond(&r.mu)
	return r
}

func (r *inflightReader) ContactCounts(ctx context.Context, q store.ContactQuery) ([]store.ContactRow, error) {
	r.mu.Lock()
	r.inflight++
	r.calls++
	r.max = max(r.max, r.inflight)
	if r.inflight >= r.want {
		r.reached = true
		r.cond.Broadcast()
	}
	stop := time.AfterFunc(r.guard, func() { r.mu.Lock(); r.reached = true; r.cond.Broadcast(); r.mu.Unlock() })
	for !r.reached && r.calls <= r.want {
		r.cond.Wait()
	}
	stop.Stop()
	r.inflight--
	r.mu.Unlock()
	return r.Reader.ContactCounts(ctx, q)
}

func TestRefreshBoundsConcurrency(t *testing.T) {
	for _, tc := range []struct {
		concurrency int
		want        int
	}{
		{concurrency: 0, want: DefaultConcurrency}, // DefaultConcurrency is 2
		{concurrency: 1, want: 1},
		{concurrency: 2, want: 2},
	} {
		r := newInflightReader(tc.want)
		e := New(Options{Config: loadConfig(t), Reader: r, Totals: newTotals(), Now: func() time.Time { return testNow }, Concurrency: tc.concurrency})
		if err := e.Refresh(context.Background()); err != nil {
			t.Fatalf("concurrency %d: Refresh: %v", tc.concurrency, err)
		}
		// 3 institutions × 2 windows.
		if r.calls != 6 {
			t.Errorf("concurrency %d: %d ContactCounts queries, want 6", tc.concurrency, r.calls)
		}
		if r.max != tc.want {
			t.Errorf("concurrency %d: at most %d queries at once, want %d", tc.concurrency, r.max, tc.want)
		}
	}
}

// TestCancelledRefreshFailsEveryPart checks that a refresh whose
// context has ended (a timeout) fails every part it had not begun, each
// counted against its institution.
func TestCancelledRefreshFailsEveryPart(t *testing.T) {
	q := newFake()
	e := newTestExporter(t, q, newTotals())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := e.Refresh(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Refresh with a cancelled context = %v, want context.Canceled", err)
	}
	// 2 windows and the contact totals of each institution.
	for _, in := range []string{"sodra", "vmi", "ind"} {
		if got := errorsOf(t, e, in); got != 3 {
			t.Errorf("errors of %s = %v, want 3", in, got)
		}
	}
	if e.Ready() {
		t.Error("ready after a refresh in which nothing succeeded")
	}
}
