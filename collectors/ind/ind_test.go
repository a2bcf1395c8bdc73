package ind

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccbench/ccbench/collectors"
	"github.com/ccbench/ccbench/collectors/collectorstest"
	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/simulator"
	indsim "github.com/ccbench/ccbench/simulator/ind"
)

const token = "test-token"

var amsterdam = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		panic(err)
	}
	return loc
}()

// march10 is 2024-03-10 12:00 in Amsterdam.
var march10 = time.Date(2024, 3, 10, 12, 0, 0, 0, amsterdam)

// rowsPerPeriod is what one simulated period becomes: 5 procedures × 4
// decision metrics, 6 phone metrics, 2 appointment metrics, 5 pages × 2
// votes, 2 survey metrics.
const rowsPerPeriod = 5*4 + 6 + 2 + 5*2 + 2

// env is a server behind HTTP and a collector pointed at it.
type env struct {
	clock *simulator.Clock
	h     http.Handler // what the server serves, for the test's own reads
	srv   *httptest.Server
	col   collectors.Collector
	sink  *collectorstest.MemSink
}

func newEnv(t *testing.T, h http.Handler, clock *simulator.Clock, clientToken string) *env {
	t.Helper()
	e := &env{clock: clock, h: h, sink: collectorstest.NewMemSink()}
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	src := config.Source{Name: "ind-open-data", Style: config.StyleIND, Institution: "ind", BaseURL: e.srv.URL + "/"}
	f := &collectors.Fetcher{Source: src.Name, Token: clientToken, InitialInterval: time.Millisecond, MaxElapsed: 2 * time.Second}
	col, err := New(src, config.Institution{ID: "ind"}, nil, f)
	if err != nil {
		t.Fatal(err)
	}
	e.col = col
	return e
}

func simEnv(t *testing.T, opts indsim.Options) *env {
	t.Helper()
	clock := simulator.NewClock(march10)
	opts.Now, opts.Token = clock.Now, token
	return newEnv(t, indsim.New(opts).Handler(), clock, token)
}

func (e *env) collect(t *testing.T) collectors.Stats {
	t.Helper()
	st, err := e.col.Collect(context.Background(), e.sink)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	return st
}

// get reads a path straight from the server's handler.
func (e *env) get(t *testing.T, path string) []byte {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, w.Code, w.Body)
	}
	return w.Body.Bytes()
}

func (e *env) listing(t *testing.T) []string {
	t.Helper()
	var names []string
	if err := json.Unmarshal(e.get(t, "/v1/periods"), &names); err != nil {
		t.Fatal(err)
	}
	return names
}

type rowKey struct{ channel, instrument, item, metric string }

// doc is the test's own reading of a period document.
type doc struct {
	Revision  int64
	Raw       []byte
	Rows      map[rowKey]float64 // the rows the contract says it becomes
	OverCapAt int                // index of the first decision row over the cap, or -1
	OverCapOf string             // its procedure
}

func (e *env) doc(t *testing.T, name string) doc {
	t.Helper()
	raw := e.get(t, "/v1/periods/"+name)
	var p struct {
		Revision        int64              `json:"revision"`
		Decisions       []map[string]any   `json:"decisions"`
		Phone           map[string]float64 `json:"phone"`
		Appointments    map[string]float64 `json:"appointments"`
		WebFeedback     []map[string]any   `json:"web_feedback"`
		UsabilitySurvey map[string]float64 `json:"usability_survey"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	d := doc{Revision: p.Revision, Raw: raw, Rows: map[rowKey]float64{}, OverCapAt: -1}
	for i, dec := range p.Decisions {
		proc := dec["procedure"].(string)
		for _, m := range []string{"decided", "within_deadline", "penalties_paid", "penalties_eur"} {
			d.Rows[rowKey{"", "", proc, m}] = dec[m].(float64)
		}
		if dec["penalties_eur"].(float64) > dec["penalties_paid"].(float64)*1442 && d.OverCapAt < 0 {
			d.OverCapAt, d.OverCapOf = i, proc
		}
	}
	for m, v := range p.Phone {
		d.Rows[rowKey{"phone", "", "", m}] = v
	}
	for m, v := range p.Appointments {
		d.Rows[rowKey{"", "", "appointments", m}] = v
	}
	for _, w := range p.WebFeedback {
		page := w["page"].(string)
		d.Rows[rowKey{"", "web_page", page, "useful_yes"}] = w["useful_yes"].(float64)
		d.Rows[rowKey{"", "web_page", page, "useful_no"}] = w["useful_no"].(float64)
	}
	for m, v := range p.UsabilitySurvey {
		d.Rows[rowKey{"", "usability_survey", "", m}] = v
	}
	return d
}

// live returns the sink's live rows of a batch and the revisions they carry.
func (e *env) live(t *testing.T, batch string) (map[rowKey]float64, map[int64]bool) {
	t.Helper()
	rows, revs := map[rowKey]float64{}, map[int64]bool{}
	for _, a := range e.sink.Aggregates() {
		if a.Batch != batch {
			continue
		}
		k := rowKey{a.Channel, a.Instrument, a.Item, a.Metric}
		if _, dup := rows[k]; dup {
			t.Errorf("batch %s: row %+v twice", batch, k)
		}
		rows[k] = a.Value
		revs[a.Revision] = true
		start := time.Date(atoi(t, batch[:4]), time.Month(atoi(t, batch[5:])), 1, 0, 0, 0, 0, time.UTC)
		if a.Institution != "ind" || a.Source != "ind-open-data" || a.Unit != "ind" ||
			!a.PeriodStart.Equal(start) || !a.PeriodEnd.Equal(start.AddDate(0, 1, 0)) {
			t.Errorf("batch %s: row %+v", batch, a)
		}
	}
	return rows, revs
}

func atoi(t *testing.T, s string) int {
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// checkBatch asserts that the sink's live rows of batch are exactly the
// rows of d, at d's revision.
func (e *env) checkBatch(t *testing.T, batch string, d doc) {
	t.Helper()
	rows, revs := e.live(t, batch)
	if len(revs) != 1 || !revs[d.Revision] {
		t.Errorf("batch %s: live revisions %v, want only %d", batch, revs, d.Revision)
	}
	if len(rows) != len(d.Rows) {
		t.Errorf("batch %s: %d live rows, want %d", batch, len(rows), len(d.Rows))
	}
	for k, v := range d.Rows {
		if got, ok := rows[k]; !ok || got != v {
			t.Errorf("batch %s: %+v = %v (present %v), want %v", batch, k, got, ok, v)
		}
	}
}

func (e *env) ingested(t *testing.T) map[string]int64 {
	t.Helper()
	cp, ok := e.sink.SavedCheckpoint("ind-open-data", StreamPeriods)
	if !ok {
		return nil
	}
	var m map[string]int64
	if err := json.Unmarshal([]byte(cp.Position), &m); err != nil {
		t.Fatalf("checkpoint %q: %v", cp.Position, err)
	}
	return m
}

func TestCollectAllThenNothingNew(t *testing.T) {
	e := simEnv(t, indsim.Options{Seed: 1, Days: 100})
	names := e.listing(t)
	if len(names) != 4 {
		t.Fatalf("simulator lists %v, want 4 months", names)
	}
	st := e.collect(t)
	want := collectors.Stats{Fetched: 1 + 4, Records: 4 * rowsPerPeriod}
	if st != want {
		t.Errorf("first pass: %+v, want %+v", st, want)
	}
	revs := e.ingested(t)
	for _, name := range names {
		d := e.doc(t, name)
		e.checkBatch(t, name, d)
		if revs[name] != d.Revision {
			t.Errorf("checkpoint has %s at revision %d, want %d", name, revs[name], d.Revision)
		}
	}
	if len(revs) != 4 {
		t.Errorf("checkpoint %v, want 4 periods", revs)
	}

	written := e.sink.Written()
	st = e.collect(t)
	// The listing and all 4 periods are fetched again; nothing is new.
	if want := (collectors.Stats{Fetched: 1 + 4}); st != want {
		t.Errorf("second pass: %+v, want %+v", st, want)
	}
	if e.sink.Written() != written || len(e.sink.Quarantined()) != 0 {
		t.Errorf("second pass wrote %d rows, quarantined %d", e.sink.Written()-written, len(e.sink.Quarantined()))
	}
}

func TestNewRevisionReplaces(t *testing.T) {
	e := simEnv(t, indsim.Options{Seed: 2, Days: 0})
	e.collect(t)
	before := e.doc(t, "2024-03")
	e.checkBatch(t, "2024-03", before)

	e.clock.Advance(time.Hour)
	after := e.doc(t, "2024-03")
	if after.Revision != before.Revision+1 || after.Rows[rowKey{"phone", "", "", "offered"}] == before.Rows[rowKey{"phone", "", "", "offered"}] {
		t.Fatalf("the simulator did not publish a new revision: %d → %d", before.Revision, after.Revision)
	}
	st := e.collect(t)
	if st.Records != rowsPerPeriod {
		t.Errorf("pass after an hour wrote %d rows, want the %d of 2024-03", st.Records, rowsPerPeriod)
	}
	e.checkBatch(t, "2024-03", after)
	if got := e.ingested(t)["2024-03"]; got != after.Revision {
		t.Errorf("checkpoint has 2024-03 at revision %d, want %d", got, after.Revision)
	}

	// A closed month's correction replaces its final revision.
	e2 := simEnv(t, indsim.Options{Seed: 2, Days: 0})
	e2.clock.Set(time.Date(2024, 3, 2, 12, 0, 0, 0, amsterdam))
	e2.collect(t)
	final := e2.doc(t, "2024-02")
	e2.checkBatch(t, "2024-02", final)
	e2.clock.Set(time.Date(2024, 3, 3, 12, 0, 0, 0, amsterdam))
	corrected := e2.doc(t, "2024-02")
	if corrected.Revision != final.Revision+1 {
		t.Fatalf("no correction: %d → %d", final.Revision, corrected.Revision)
	}
	e2.collect(t)
	e2.checkBatch(t, "2024-02", corrected)
}

func TestPenaltyCapQuarantined(t *testing.T) {
	e := simEnv(t, indsim.Options{Seed: 3, Days: 0, BadRecordEvery: 5})
	// Find an hour at which 2024-03 breaks the cap while it did not the
	// hour before.
	var good, bad doc
	for i := 0; ; i++ {
		if i > 48 {
			t.Fatal("2024-03 never broke the penalty cap")
		}
		d := e.doc(t, "2024-03")
		if d.OverCapAt >= 0 && good.Raw != nil {
			bad = d
			break
		}
		if d.OverCapAt < 0 {
			good = d
		} else {
			good = doc{}
		}
		e.clock.Advance(time.Hour)
	}
	e.clock.Advance(-time.Hour)
	e.collect(t)
	e.checkBatch(t, "2024-03", good)
	quarantinedBefore := len(e.sink.Quarantined())

	e.clock.Advance(time.Hour)
	st := e.collect(t)
	if st.Quarantined != 1 || st.Records != 0 {
		t.Errorf("pass over a bad revision: %+v, want 1 quarantined and nothing written", st)
	}
	qs := e.sink.Quarantined()[quarantinedBefore:]
	if len(qs) != 1 {
		t.Fatalf("quarantined %+v, want one record", qs)
	}
	q := qs[0]
	wantID := fmt.Sprintf("2024-03@r%d", bad.Revision)
	wantField := fmt.Sprintf("decisions[%d].penalties_eur", bad.OverCapAt)
	if q.RecordID != wantID || q.Field != wantField || q.Stream != "periods" || q.Source != "ind-open-data" || q.Institution != "ind" {
		t.Errorf("quarantined %s field %s stream %s, want %s field %s stream periods", q.RecordID, q.Field, q.Stream, wantID, wantField)
	}
	if q.Raw != string(bad.Raw) || !strings.Contains(q.Reason, bad.OverCapOf) || !strings.Contains(q.Reason, "1442") || !strings.HasSuffix(q.Origin, "/v1/periods/2024-03") {
		t.Errorf("quarantined reason %q origin %q raw %.80s…", q.Reason, q.Origin, q.Raw)
	}
	// The earlier revision stays in force.
	e.checkBatch(t, "2024-03", good)
	if got := e.ingested(t)["2024-03"]; got != good.Revision {
		t.Errorf("checkpoint has 2024-03 at revision %d, want %d", got, good.Revision)
	}

	// Fetched again, the same bad document is not quarantined twice.
	if st := e.collect(t); st.Quarantined != 0 || len(e.sink.Quarantined()) != quarantinedBefore+1 {
		t.Errorf("second pass over the same bad revision: %+v", st)
	}

	// The next good revision replaces the old one.
	e.clock.Advance(time.Hour)
	next := e.doc(t, "2024-03")
	if next.OverCapAt >= 0 {
		t.Fatalf("2024-03@r%d is bad too", next.Revision)
	}
	e.collect(t)
	e.checkBatch(t, "2024-03", next)
}

func TestUnauthorized(t *testing.T) {
	for _, tok := range []string{"wrong-token", ""} {
		clock := simulator.NewClock(march10)
		e := newEnv(t, indsim.New(indsim.Options{Seed: 1, Now: clock.Now, Token: token}).Handler(), clock, tok)
		_, err := e.col.Collect(context.Background(), e.sink)
		if !collectors.IsConfigError(err) {
			t.Errorf("token %q: want a ConfigError, got %v", tok, err)
		}
		if e.sink.Written() != 0 || e.sink.Calls(collectorstest.OpSaveCheckpoint) != 0 {
			t.Errorf("token %q: wrote %d rows, %d checkpoints", tok, e.sink.Written(), e.sink.Calls(collectorstest.OpSaveCheckpoint))
		}
	}
}

// fakeSource serves a listing and documents that the test sets.
type fakeSource struct {
	mu      sync.Mutex
	listing string
	docs    map[string]string
}

func (f *fakeSource) set(name, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.docs[name] = body
}

func (f *fakeSource) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path == "/v1/periods" {
		io.WriteString(w, f.listing)
		return
	}
	body, ok := f.docs[strings.TrimPrefix(r.URL.Path, "/v1/periods/")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	io.WriteString(w, body)
}

func periodDoc(revision int, decided int) string {
	return fmt.Sprintf(`{"period": "2024-01", "revision": %d, "decisions": [{"procedure": "family", "decided": %d, "within_deadline": 1, "penalties_paid": 0, "penalties_eur": 0}]}`, revision, decided)
}

func TestLowerRevisionIgnored(t *testing.T) {
	src := &fakeSource{listing: `["2024-01"]`, docs: map[string]string{"2024-01": periodDoc(3, 100)}}
	e := newEnv(t, src, simulator.NewClock(march10), token)
	e.collect(t)
	decided := func() (float64, map[int64]bool) {
		rows, revs := e.live(t, "2024-01")
		return rows[rowKey{"", "", "family", "decided"}], revs
	}
	if v, revs := decided(); v != 100 || !revs[3] {
		t.Fatalf("after revision 3: decided %v, revisions %v", v, revs)
	}
	for _, body := range []string{
		periodDoc(2, 200), // older
		periodDoc(3, 300), // same revision, other content
		strings.Replace(periodDoc(2, 200), `"penalties_eur": 0`, `"penalties_eur": 5000`, 1), // older and broken
	} {
		src.set("2024-01", body)
		st := e.collect(t)
		if st.Records != 0 || st.Quarantined != 0 {
			t.Errorf("%s: %+v, want it ignored", body, st)
		}
		if v, revs := decided(); v != 100 || len(revs) != 1 || !revs[3] {
			t.Errorf("%s: decided %v, revisions %v; want revision 3's 100", body, v, revs)
		}
	}
	src.set("2024-01", periodDoc(4, 400))
	e.collect(t)
	if v, revs := decided(); v != 400 || len(revs) != 1 || !revs[4] {
		t.Errorf("after revision 4: decided %v, revisions %v", v, revs)
	}
}

func TestSinkFailureResumes(t *testing.T) {
	e := simEnv(t, indsim.Options{Seed: 4, Days: 60})
	names := e.listing(t) // 2024-01, 2024-02, 2024-03
	e.sink.Fail = collectorstest.FailOnce(collectorstest.OpInsertAggregates, 2)
	if _, err := e.col.Collect(context.Background(), e.sink); err == nil || !strings.Contains(err.Error(), names[1]) {
		t.Fatalf("want the injected failure on %s, got %v", names[1], err)
	}
	if got := e.ingested(t); len(got) != 1 || got[names[0]] == 0 {
		t.Errorf("checkpoint after the failure: %v, want only %s", got, names[0])
	}
	st := e.collect(t)
	if st.Records != 2*rowsPerPeriod {
		t.Errorf("resumed pass wrote %d rows, want the %d of the two periods left", st.Records, 2*rowsPerPeriod)
	}
	for _, name := range names {
		e.checkBatch(t, name, e.doc(t, name))
	}
}

func TestUnfetchablePeriodDoesNotStopOthers(t *testing.T) {
	clock := simulator.NewClock(march10)
	sim := indsim.New(indsim.Options{Seed: 5, Days: 60, Now: clock.Now, Token: token}).Handler()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/periods/2024-01" {
			http.Error(w, "gone", http.StatusNotFound)
			return
		}
		sim.ServeHTTP(w, r)
	})
	e := newEnv(t, h, clock, token)
	st, err := e.col.Collect(context.Background(), e.sink)
	if err == nil || !strings.Contains(err.Error(), "2024-01") || collectors.IsConfigError(err) {
		t.Errorf("want an error naming 2024-01, got %v", err)
	}
	if st.Records != 2*rowsPerPeriod {
		t.Errorf("wrote %d rows, want the %d of 2024-02 and 2024-03", st.Records, 2*rowsPerPeriod)
	}
	for _, name := range []string{"2024-02", "2024-03"} {
		e.checkBatch(t, name, e.doc(t, name))
	}
}

func TestBadListingEntries(t *testing.T) {
	src := &fakeSource{listing: `["2024-01", "Jan 2024", 5, "2024-01"]`, docs: map[string]string{"2024-01": periodDoc(1, 10)}}
	e := newEnv(t, src, simulator.NewClock(march10), token)
	st := e.collect(t)
	if st.Quarantined != 2 || st.Records != 4 || st.Fetched != 2 {
		t.Errorf("stats %+v, want 2 quarantined, 4 rows, 2 fetches", st)
	}
	qs := e.sink.Quarantined()
	if len(qs) != 2 || qs[0].Field != "periods[1]" || qs[0].RecordID != "Jan 2024" || qs[1].Field != "periods[2]" || qs[1].Raw != "5" {
		t.Errorf("quarantined %+v", qs)
	}
	if st := e.collect(t); st.Quarantined != 0 {
		t.Errorf("second pass quarantined the entries again: %+v", st)
	}
	if _, err := e.col.Collect(context.Background(), e.sink); err != nil {
		t.Fatal(err)
	}

	src.mu.Lock()
	src.listing = `{"periods": []}`
	src.mu.Unlock()
	if _, err := e.col.Collect(context.Background(), e.sink); err == nil || !strings.Contains(err.Error(), "listing") {
		t.Errorf("want an error about the listing, got %v", err)
	}
}

func TestNewRejectsBadBaseURL(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "localhost:8080", "http://"} {
		_, err := New(config.Source{Name: "x", BaseURL: u}, config.Institution{}, nil, nil)
		if !collectors.IsConfigError(err) {
			t.Errorf("base_url %q: want a ConfigError, got %v", u, err)
		}
	}
}

// monthDoc is a minimal valid document of period with one procedure's
// decisions.
func monthDoc(period string, revision int, procedure string, decided int) string {
	return fmt.Sprintf(`{"period": %q, "revision": %d, "decisions": [{"procedure": %q, "decided": %d, "within_deadline": 1, "penalties_paid": 0, "penalties_eur": 0}]}`,
		period, revision, procedure, decided)
}

// TestOldPeriodRevised revises the oldest of five listed periods, far from
// the newest ones, and checks that the next pass replaces its rows, that the
// checkpoint moves only once the sink accepted them, and that a broken later
// revision of it is quarantined once.
func TestOldPeriodRevised(t *testing.T) {
	months := []string{"2024-01", "2024-02", "2024-03", "2024-04", "2024-05"}
	src := &fakeSource{listing: `["2024-01", "2024-02", "2024-03", "2024-04", "2024-05"]`, docs: map[string]string{}}
	for i, m := range months {
		src.set(m, monthDoc(m, 1, "family", 100*(i+1)))
	}
	e := newEnv(t, src, simulator.NewClock(march10), token)
	// Each document becomes 4 rows: decided, within_deadline,
	// penalties_paid and penalties_eur of its one procedure.
	if st, want := e.collect(t), (collectors.Stats{Fetched: 1 + 5, Records: 5 * 4}); st != want {
		t.Fatalf("first pass: %+v, want %+v", st, want)
	}

	// Only the rows of revision 2 may be live: "asylum" replaces "family".
	wantRev2 := map[rowKey]float64{
		{"", "", "asylum", "decided"}:         777,
		{"", "", "asylum", "within_deadline"}: 1,
		{"", "", "asylum", "penalties_paid"}:  0,
		{"", "", "asylum", "penalties_eur"}:   0,
	}
	check := func(when string) {
		t.Helper()
		rows, revs := e.live(t, "2024-01")
		if len(revs) != 1 || !revs[2] {
			t.Errorf("%s: 2024-01 live revisions %v, want only 2", when, revs)
		}
		if len(rows) != len(wantRev2) {
			t.Errorf("%s: 2024-01 has %d live rows %v, want %d", when, len(rows), rows, len(wantRev2))
		}
		for k, v := range wantRev2 {
			if got, ok := rows[k]; !ok || got != v {
				t.Errorf("%s: 2024-01 %+v = %v (present %v), want %v", when, k, got, ok, v)
			}
		}
		for i, m := range months[1:] {
			rows, revs := e.live(t, m)
			if got := rows[rowKey{"", "", "family", "decided"}]; got != float64(100*(i+2)) || len(revs) != 1 || !revs[1] {
				t.Errorf("%s: %s decided %v at revisions %v, want %d at 1", when, m, got, revs, 100*(i+2))
			}
		}
	}

	src.set("2024-01", monthDoc("2024-01", 2, "asylum", 777))
	// The sink refuses the first write of revision 2: the checkpoint stays.
	e.sink.Fail = collectorstest.FailOnce(collectorstest.OpInsertAggregates, e.sink.Calls(collectorstest.OpInsertAggregates)+1)
	if _, err := e.col.Collect(context.Background(), e.sink); err == nil || !strings.Contains(err.Error(), "2024-01") {
		t.Fatalf("want the injected failure on 2024-01, got %v", err)
	}
	if got := e.ingested(t)["2024-01"]; got != 1 {
		t.Errorf("checkpoint after the refused write has 2024-01 at revision %d, want 1", got)
	}

	if st, want := e.collect(t), (collectors.Stats{Fetched: 1 + 5, Records: 4}); st != want {
		t.Errorf("pass over revision 2: %+v, want %+v", st, want)
	}
	check("after revision 2")
	if got := e.ingested(t); got["2024-01"] != 2 || len(got) != 5 {
		t.Errorf("checkpoint %v, want 2024-01 at 2 and 5 periods", got)
	}

	// A broken revision 3 (penalties over 0 × 1,442) is quarantined once;
	// revision 2 stays in force.
	broken := strings.Replace(monthDoc("2024-01", 3, "asylum", 888), `"penalties_eur": 0`, `"penalties_eur": 5000`, 1)
	src.set("2024-01", broken)
	for pass, wantQ := range []int{1, 0} {
		st := e.collect(t)
		if st.Quarantined != wantQ || st.Records != 0 {
			t.Errorf("pass %d over broken revision 3: %+v, want %d quarantined and nothing written", pass, st, wantQ)
		}
	}
	if qs := e.sink.Quarantined(); len(qs) != 1 || qs[0].RecordID != "2024-01@r3" || qs[0].Raw != broken {
		t.Errorf("quarantined %+v, want 2024-01@r3 once", qs)
	}
	check("after broken revision 3")
	if got := e.ingested(t)["2024-01"]; got != 2 {
		t.Errorf("checkpoint has 2024-01 at revision %d, want 2", got)
	}
}
