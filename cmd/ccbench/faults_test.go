package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccbench/ccbench/collectors"
	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/report"
	"github.com/ccbench/ccbench/servers"
	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/simulator"
	indsim "github.com/ccbench/ccbench/simulator/ind"
	sodrasim "github.com/ccbench/ccbench/simulator/sodra"
	vmisim "github.com/ccbench/ccbench/simulator/vmi"
	"github.com/ccbench/ccbench/store"
)

// Fault suite parameters: the simulators' seed and clock, and how they
// misbehave in the faulty run.
const (
	faultSeed      = 11
	faultDays      = 2
	faultBadEvery  = 9   // every 9th record breaks the contract, in both runs
	faultErrorRate = 0.1 // 10 % of requests answered 503 or 429
	faultLatency   = 2 * time.Millisecond
)

var faultNow = time.Date(2026, 3, 11, 15, 0, 0, 0, time.UTC) // a Wednesday

// statusCounter counts the answers of a handler by status code.
type statusCounter struct {
	next http.Handler
	mu   sync.Mutex
	seen map[int]int
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }

func (c *statusCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	c.next.ServeHTTP(rec, r)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen[rec.status]++
}

func (c *statusCounter) refused() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen[http.StatusServiceUnavailable] + c.seen[http.StatusTooManyRequests]
}

// killingSink passes writes to the store and calls kill (once) just before
// the killAt-th insert of the run, which then fails: ClickHouse dies in the
// middle of a pass. With killAt 0 it only counts.
type killingSink struct {
	collectors.Sink
	killAt  int64
	kill    func()
	inserts atomic.Int64
}

func (s *killingSink) hit() {
	if n := s.inserts.Add(1); n == s.killAt {
		s.kill()
	}
}

func (s *killingSink) InsertContacts(ctx context.Context, cs []records.Contact) error {
	s.hit()
	return s.Sink.InsertContacts(ctx, cs)
}

func (s *killingSink) InsertFeedback(ctx context.Context, fs []records.Feedback) error {
	s.hit()
	return s.Sink.InsertFeedback(ctx, fs)
}

func (s *killingSink) InsertAggregates(ctx context.Context, as []records.Aggregate) error {
	s.hit()
	return s.Sink.InsertAggregates(ctx, as)
}

// faultRun is one collection of the three simulated sources into its own
// database.
type faultRun struct {
	cfg      *config.Config
	st       *store.Store
	sodra    *sodrasim.Simulator
	counters []*statusCounter
}

// newFaultRun starts the three simulators (the same seed and clock in every
// run, so the same data), behind faults when faulty, and a configuration
// pointing at them.
func newFaultRun(t *testing.T, ctx context.Context, ch *servers.ClickHouse, db string, faulty bool) *faultRun {
	t.Helper()
	cfg, err := config.Load("../../deploy/ccbench.yaml")
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return faultNow }
	r := &faultRun{cfg: cfg}
	r.sodra = sodrasim.New(sodrasim.Options{Seed: faultSeed, Days: faultDays, Now: now, BadRecordEvery: faultBadEvery})
	handlers := map[string]http.Handler{
		config.StyleSODRA: r.sodra.Handler(),
		config.StyleVMI:   vmisim.New(vmisim.Options{Seed: faultSeed, Days: faultDays, Now: now, BadRecordEvery: faultBadEvery}).Handler(),
		config.StyleIND:   indsim.New(indsim.Options{Seed: faultSeed, Days: faultDays, Now: now, BadRecordEvery: faultBadEvery}).Handler(),
	}
	for i := range cfg.Sources {
		src := &cfg.Sources[i]
		h := handlers[src.Style]
		if faulty {
			h = simulator.Faults{ErrorRate: faultErrorRate, Latency: faultLatency, Seed: faultSeed + int64(i)}.Wrap(h)
		}
		counter := &statusCounter{next: h, seen: map[int]int{}}
		r.counters = append(r.counters, counter)
		srv := httptest.NewServer(counter)
		t.Cleanup(srv.Close)
		src.BaseURL, src.TokenEnv, src.TokenFile = srv.URL, "", ""
	}
	dsn := ch.DSN(db)
	if err := store.EnsureDatabase(ctx, dsn, ""); err != nil {
		t.Fatal(err)
	}
	if r.st, err = store.Open(ctx, dsn, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.st.Close() })
	if err := migrateAndLoadRegisters(ctx, r.st, cfg); err != nil {
		t.Fatal(err)
	}
	return r
}

// runner builds the collectors with fast retries (the fault suite must not
// wait half a second per refused request) writing to sink.
func (r *faultRun) runner(t *testing.T, sink collectors.Sink) *collectors.Runner {
	t.Helper()
	var cs []collectors.Collector
	for _, src := range r.cfg.Sources {
		inst, _ := r.cfg.Institution(src.Institution)
		f := &collectors.Fetcher{Source: src.Name, InitialInterval: time.Millisecond, MaxElapsed: time.Minute}
		c, err := styles[src.Style](src, inst, r.cfg, f)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	return &collectors.Runner{Sink: sink, Collectors: cs}
}

// kpis computes every KPI of every institution over the simulated history
// the way the exporter does, as JSON.
func (r *faultRun) kpis(t *testing.T, ctx context.Context) (string, int) {
	t.Helper()
	rep, err := report.Build(ctx, r.cfg, r.st, report.Query{
		From: faultNow.AddDate(0, -3, 0), To: faultNow, Exact: true, AsOf: faultNow, AllMethods: true,
	})
	if err != nil {
		t.Fatalf("KPIs: %v", err)
	}
	valued := 0
	for _, row := range rep.Rows {
		if row.Value != nil {
			valued++
		}
	}
	b, err := json.MarshalIndent(rep.Rows, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b), valued
}

// quarantine lists (source, stream, record id, field, reason) of every
// quarantined record, sorted.
func (r *faultRun) quarantine(t *testing.T, ctx context.Context) []string {
	t.Helper()
	qs, err := r.st.ListQuarantine(ctx, "", 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, q := range qs {
		if q.Reason == "" {
			t.Errorf("quarantined %s %s %s has no reason", q.Source, q.Stream, q.RecordID)
		}
		out = append(out, fmt.Sprintf("%s %s %s %s: %s", q.Source, q.Stream, q.RecordID, q.Field, q.Reason))
	}
	sort.Strings(out)
	return out
}

// TestFaultSuite collects the three simulated sources twice on the same
// seed and clock: once cleanly, once with 10 % of requests refused (503 or
// 429), added latency, and ClickHouse SIGKILLed halfway through the pass
// and restarted, the collection then resumed from its checkpoints. The KPIs
// must be exactly the clean run's, and every record the SODRA simulator
// broke on purpose must be in quarantine, once, with the field it breaks
// and a reason.
func TestFaultSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own ClickHouse server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ch, logf := servertest.OwnClickHouse(t, ctx)

	// The clean run, counting its inserts.
	clean := newFaultRun(t, ctx, ch, "clean", false)
	counting := &killingSink{Sink: clean.st}
	if _, err := clean.runner(t, counting).RunOnce(ctx); err != nil {
		t.Fatalf("clean run: %v", err)
	}
	inserts := counting.inserts.Load()
	if inserts < 4 {
		t.Fatalf("the clean run made %d inserts: too few to kill ClickHouse in the middle", inserts)
	}
	wantKPIs, valued := clean.kpis(t, ctx)
	if valued < 20 {
		t.Fatalf("the clean run has %d KPI values: too few for the comparison to mean anything", valued)
	}
	wantQuarantine := clean.quarantine(t, ctx)

	// The faulty run: ClickHouse dies before the middle insert.
	faulty := newFaultRun(t, ctx, ch, "faulty", true)
	killed := false
	sink := &killingSink{Sink: faulty.st, killAt: inserts / 2, kill: func() {
		if err := ch.Kill(); err != nil {
			t.Errorf("kill ClickHouse: %v", err)
		}
		killed = true
	}}
	r := faulty.runner(t, sink)
	if _, err := r.RunOnce(ctx); err == nil {
		t.Fatalf("the pass during which ClickHouse was killed succeeded (killed: %v)", killed)
	}
	if !killed {
		t.Fatal("ClickHouse was not killed")
	}
	if err := ch.Restart(ctx, logf); err != nil {
		t.Fatal(err)
	}
	passes := 1
	for ; ; passes++ {
		_, err := r.RunOnce(ctx)
		if err == nil {
			break
		}
		if passes > 5 {
			t.Fatalf("collection does not resume after ClickHouse returned: %v", err)
		}
		t.Logf("pass %d after the restart failed: %v", passes, err)
	}
	refused := 0
	for _, c := range faulty.counters {
		refused += c.refused()
	}
	t.Logf("clean run: %d inserts, %d KPI values, %d quarantined; faulty run: %d requests refused, ClickHouse killed before insert %d, %d passes to resume",
		inserts, valued, len(wantQuarantine), refused, inserts/2, passes)
	if refused == 0 {
		t.Error("the faulty simulators refused no request")
	}

	if got, _ := faulty.kpis(t, ctx); got != wantKPIs {
		t.Errorf("KPIs after the faults differ from the clean run's:\n%s", diffLines(wantKPIs, got))
	}
	gotQuarantine := faulty.quarantine(t, ctx)
	if fmt.Sprint(gotQuarantine) != fmt.Sprint(wantQuarantine) {
		t.Errorf("quarantine after the faults differs from the clean run's:\n%s", diffLines(join(wantQuarantine), join(gotQuarantine)))
	}

	// Every record the SODRA simulator broke is quarantined, with the
	// field it breaks.
	quarantined := map[string]string{}
	qs, err := faulty.st.ListQuarantine(ctx, "sodra-contact-centre", 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		quarantined[q.Stream+" "+q.RecordID] = q.Field
	}
	bad := faulty.sodra.BadRecords(faultNow)
	if len(bad) < 10 {
		t.Fatalf("the SODRA simulator broke %d records: too few", len(bad))
	}
	for _, b := range bad {
		field, ok := quarantined[b.Stream+" "+b.ID]
		switch {
		case !ok:
			t.Errorf("bad %s record %s (%s) is not in quarantine", b.Stream, b.ID, b.Field)
		case field != b.Field:
			t.Errorf("bad %s record %s is quarantined for %q, want %q", b.Stream, b.ID, field, b.Field)
		}
	}
	if len(quarantined) != len(bad) {
		t.Errorf("%d SODRA records quarantined, the simulator broke %d", len(quarantined), len(bad))
	}
}

func join(lines []string) string {
	b, _ := json.MarshalIndent(lines, "", " ")
	return string(b)
}

// diffLines shows the first lines where a and b differ.
func diffLines(a, b string) string {
	as, bs := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for i := 0; i < max(len(as), len(bs)) && len(out) < 20; i++ {
		var x, y string
		if i < len(as) {
			x = as[i]
		}
		if i < len(bs) {
			y = bs[i]
		}
		if x != y {
			out = append(out, fmt.Sprintf("line %d:\n  want %s\n  got  %s", i+1, x, y))
		}
	}
	return fmt.Sprintf("%d vs %d lines\n%s", len(as), len(bs), strings.Join(out, "\n"))
}
