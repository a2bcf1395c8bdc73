package sodra

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccbench/ccbench/collectors"
	"github.com/ccbench/ccbench/collectors/collectorstest"
	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/simulator"
	sodrasim "github.com/ccbench/ccbench/simulator/sodra"
)

const token = "test-token"

var monday = time.Date(2024, 1, 15, 12, 0, 0, 0, time.FixedZone("EET", 2*3600))

// env is a simulator behind an HTTP server and a collector pointed at it.
type env struct {
	clock *simulator.Clock
	srv   *httptest.Server
	sim   http.Handler // the simulator without any wrapper, for the test's own reads
	col   collectors.Collector
	sink  *collectorstest.MemSink
}

func newEnv(t *testing.T, opts sodrasim.Options, wrap func(http.Handler) http.Handler, clientToken string) *env {
	t.Helper()
	e := &env{clock: simulator.NewClock(monday), sink: collectorstest.NewMemSink()}
	opts.Now, opts.Token = e.clock.Now, token
	e.sim = sodrasim.New(opts).Handler()
	h := e.sim
	if wrap != nil {
		h = wrap(h)
	}
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	src := config.Source{Name: "sodra-api", Style: config.StyleSODRA, Institution: "sodra", BaseURL: e.srv.URL, PageSize: 500, Unit: "contact-centre"}
	f := &collectors.Fetcher{Source: src.Name, Token: clientToken, InitialInterval: time.Millisecond, MaxElapsed: 10 * time.Second}
	col, err := New(src, config.Institution{ID: "sodra"}, nil, f)
	if err != nil {
		t.Fatal(err)
	}
	e.col = col
	return e
}

// served is what the test reads of a listed item.
type served struct {
	ID        string `json:"id"`
	UpdatedAt string `json:"updated_at"`
	Outcome   string `json:"outcome"`
}

// listing fetches a whole listing straight from the simulator, in the
// test's own way: the newest updated_at of every id, and the number of
// versions that share the greatest updated_at.
func (e *env) listing(t *testing.T, stream string) (newest map[string]time.Time, atLast int) {
	t.Helper()
	newest = map[string]time.Time{}
	var last time.Time
	tok := ""
	for {
		q := url.Values{"page_size": {"5000"}}
		if tok != "" {
			q.Set("page_token", tok)
		}
		req := httptest.NewRequest(http.MethodGet, "/v1/"+stream+"?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		e.sim.ServeHTTP(w, req)
		var p struct {
			Items []served
			Next  string `json:"next_page_token"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			t.Fatalf("listing %s: %d %v", stream, w.Code, err)
		}
		for _, it := range p.Items {
			u, err := time.Parse(time.RFC3339, it.UpdatedAt)
			if err != nil {
				t.Fatalf("simulator served %+v: %v", it, err)
			}
			newest[it.ID] = u
			switch {
			case u.After(last):
				last, atLast = u, 1
			case u.Equal(last):
				atLast++
			}
		}
		if p.Next == "" {
			return newest, atLast
		}
		tok = p.Next
	}
}

// checkSinkMatches asserts that the sink holds exactly the newest version
// of every record the simulator serves.
func (e *env) checkSinkMatches(t *testing.T) {
	t.Helper()
	contacts, _ := e.listing(t, StreamContacts)
	feedback, _ := e.listing(t, StreamFeedback)
	got := e.sink.Contacts()
	if len(got) != len(contacts) || len(contacts) == 0 {
		t.Fatalf("sink holds %d contacts, the simulator serves %d", len(got), len(contacts))
	}
	for _, c := range got {
		if want, ok := contacts[c.ID]; !ok || !c.UpdatedAt.Equal(want) || c.Version != want.UnixMilli() {
			t.Fatalf("contact %s: sink has version %v, simulator's newest is %v", c.ID, c.UpdatedAt, want)
		}
		if c.Institution != "sodra" || c.Source != "sodra-api" {
			t.Fatalf("contact %s: institution %q source %q", c.ID, c.Institution, c.Source)
		}
	}
	gotF := e.sink.Feedback()
	if len(gotF) != len(feedback) {
		t.Fatalf("sink holds %d feedback responses, the simulator serves %d", len(gotF), len(feedback))
	}
	for _, f := range gotF {
		if want := feedback[f.ID]; !f.UpdatedAt.Equal(want) {
			t.Fatalf("feedback %s: sink has %v, simulator's newest is %v", f.ID, f.UpdatedAt, want)
		}
	}
}

func TestCollectPullsEverythingOnce(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, sodrasim.Options{Seed: 1, Days: 1}, nil, token)
	st, err := e.col.Collect(ctx, e.sink)
	if err != nil {
		t.Fatal(err)
	}
	e.checkSinkMatches(t)
	if st.Quarantined != 0 || len(e.sink.Quarantined()) != 0 {
		t.Errorf("%d records quarantined from a clean simulator", st.Quarantined)
	}
	if st.Records != e.sink.Written() {
		t.Errorf("stats say %d records, the sink accepted %d", st.Records, e.sink.Written())
	}

	// A second pass at the same instant re-reads the versions that share
	// the checkpoint's updated_at (updated_since is inclusive) but skips
	// them: they are at or before the checkpoint's (updated_at, id).
	_, lastC := e.listing(t, StreamContacts)
	if lastC == 0 {
		t.Fatal("the simulator serves no contacts")
	}
	before := e.sink.Contacts()
	written := e.sink.Written()
	st, err = e.col.Collect(ctx, e.sink)
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 0 || e.sink.Written() != written {
		t.Errorf("second pass with nothing new wrote %d records (sink: %d more), want 0", st.Records, e.sink.Written()-written)
	}
	if st.Fetched != 2 {
		t.Errorf("second pass fetched %d pages, want one per stream", st.Fetched)
	}
	if after := e.sink.Contacts(); len(after) != len(before) {
		t.Errorf("second pass changed the number of contacts from %d to %d", len(before), len(after))
	}
	e.checkSinkMatches(t)
}

func TestCollectSeesNewAndUpdatedRecords(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, sodrasim.Options{Seed: 2, Days: 1}, nil, token)
	if _, err := e.col.Collect(ctx, e.sink); err != nil {
		t.Fatal(err)
	}
	n0 := len(e.sink.Contacts())
	openBefore := map[string]bool{}
	for _, c := range e.sink.Contacts() {
		if c.Outcome == "open" {
			openBefore[c.ID] = true
		}
	}
	e.clock.Advance(6 * time.Hour)
	if _, err := e.col.Collect(ctx, e.sink); err != nil {
		t.Fatal(err)
	}
	e.checkSinkMatches(t)
	answeredLater := 0
	for _, c := range e.sink.Contacts() {
		if openBefore[c.ID] && c.Outcome == "answered" {
			answeredLater++
		}
	}
	if n := len(e.sink.Contacts()); n <= n0 || answeredLater == 0 {
		t.Errorf("after 6 hours: %d contacts (was %d), %d open e-mails answered; want more of both", n, n0, answeredLater)
	}
}

func TestCrashBetweenInsertAndCheckpoint(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, sodrasim.Options{Seed: 3, Days: 1}, nil, token)
	e.col.(*Collector).batchRows = 1 // a write per page
	// The second page is inserted, then saving its checkpoint fails.
	e.sink.Fail = collectorstest.FailOnce(collectorstest.OpSaveCheckpoint, 2)
	if _, err := e.col.Collect(ctx, e.sink); err == nil {
		t.Fatal("want the injected checkpoint failure")
	}
	cp, ok := e.sink.SavedCheckpoint("sodra-api", StreamContacts)
	if !ok {
		t.Fatal("the first page's checkpoint is missing")
	}
	var pos checkpoint
	if err := json.Unmarshal([]byte(cp.Position), &pos); err != nil || pos.ID == "" {
		t.Fatalf("checkpoint %q: %v", cp.Position, err)
	}
	written := e.sink.Written()
	if written != 1000 {
		t.Fatalf("%d records written before the crash, want two pages of 500", written)
	}
	if _, err := e.col.Collect(ctx, e.sink); err != nil {
		t.Fatal(err)
	}
	e.checkSinkMatches(t) // each record once, newest version
	contacts, _ := e.listing(t, StreamContacts)
	feedback, _ := e.listing(t, StreamFeedback)
	if e.sink.Written() <= len(contacts)+len(feedback) {
		t.Errorf("the page after the checkpoint was not fetched again (%d written in all)", e.sink.Written())
	}
}

func TestFailedInsertKeepsCheckpoint(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, sodrasim.Options{Seed: 3, Days: 1}, nil, token)
	e.col.(*Collector).batchRows = 1 // a write per page
	e.sink.Fail = collectorstest.FailOnce(collectorstest.OpInsertContacts, 3)
	if _, err := e.col.Collect(ctx, e.sink); err == nil {
		t.Fatal("want the injected insert failure")
	}
	if n := e.sink.Calls(collectorstest.OpSaveCheckpoint); n != 2 {
		t.Fatalf("%d checkpoints saved, want 2 (pages before the failed insert)", n)
	}
	if _, err := e.col.Collect(ctx, e.sink); err != nil {
		t.Fatal(err)
	}
	e.checkSinkMatches(t)
}

// flaky fails every third request with 503 and every fifth with 429.
func flaky(calls *atomic.Int32) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch n := calls.Add(1); {
			case n%3 == 0:
				http.Error(w, "upstream down", http.StatusServiceUnavailable)
			case n%5 == 0:
				w.Header().Set("Retry-After", "0")
				http.Error(w, "slow down", http.StatusTooManyRequests)
			default:
				next.ServeHTTP(w, r)
			}
		})
	}
}

func TestCollectRetriesTransientFailures(t *testing.T) {
	var calls atomic.Int32
	e := newEnv(t, sodrasim.Options{Seed: 4, Days: 1}, flaky(&calls), token)
	st, err := e.col.Collect(context.Background(), e.sink)
	if err != nil {
		t.Fatal(err)
	}
	if int(calls.Load()) <= st.Fetched {
		t.Fatalf("%d requests for %d pages: nothing was retried", calls.Load(), st.Fetched)
	}
	e.checkSinkMatches(t)
}

func TestCollectWrongTokenIsConfigError(t *testing.T) {
	e := newEnv(t, sodrasim.Options{Seed: 1}, nil, "wrong-token")
	_, err := e.col.Collect(context.Background(), e.sink)
	var ce *collectors.ConfigError
	if !errors.As(err, &ce) || ce.Status != http.StatusUnauthorized {
		t.Fatalf("got %v, want a 401 ConfigError", err)
	}
	if e.sink.Written() != 0 || e.sink.Calls(collectorstest.OpSaveCheckpoint) != 0 {
		t.Error("a refused pass wrote records or checkpoints")
	}
}

func TestCollectQuarantinesBadRecords(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, sodrasim.Options{Seed: 5, Days: 1, BadRecordEvery: 7}, nil, token)
	st, err := e.col.Collect(ctx, e.sink)
	if err != nil {
		t.Fatal(err)
	}
	contacts, _ := e.listing(t, StreamContacts)
	feedback, _ := e.listing(t, StreamFeedback)
	badIDs := map[string]bool{}
	fields := map[string]int{}
	for _, q := range e.sink.Quarantined() {
		badIDs[q.RecordID] = true
		fields[q.Field]++
		if q.Source != "sodra-api" || q.Reason == "" || q.Raw == "" || q.Origin == "" {
			t.Fatalf("quarantine record lacks context: %+v", q)
		}
	}
	for _, f := range []string{"channel", "talk_s", "answered_at", "arrived_at", "score", "instrument"} {
		if fields[f] == 0 {
			t.Errorf("no record quarantined for field %s (got %v)", f, fields)
		}
	}
	// Every served record is either stored or quarantined, never both.
	stored := 0
	for _, c := range e.sink.Contacts() {
		if badIDs[c.ID] {
			t.Fatalf("contact %s is both stored and quarantined", c.ID)
		}
		stored++
	}
	for _, f := range e.sink.Feedback() {
		if badIDs[f.ID] {
			t.Fatalf("feedback %s is both stored and quarantined", f.ID)
		}
		stored++
	}
	if stored+len(badIDs) != len(contacts)+len(feedback) {
		t.Errorf("%d stored + %d quarantined ids, the simulator serves %d", stored, len(badIDs), len(contacts)+len(feedback))
	}
	// Every 7th record is bad: about 1/7 of the ids.
	if share := float64(len(badIDs)) / float64(len(contacts)+len(feedback)); share < 0.12 || share > 0.17 {
		t.Errorf("quarantined share %.3f, want about 1/7", share)
	}
	if st.Quarantined != len(e.sink.Quarantined()) {
		t.Errorf("stats say %d quarantined, the sink holds %d", st.Quarantined, len(e.sink.Quarantined()))
	}
}

// TestPagesAreWrittenInBatches checks that consecutive pages are written
// together, with one checkpoint per write, and that the result is the same.
func TestPagesAreWrittenInBatches(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, sodrasim.Options{Seed: 3, Days: 1}, nil, token)
	e.col.(*Collector).batchRows = 1200 // pages of 500: a write every third page
	st, err := e.col.Collect(ctx, e.sink)
	if err != nil {
		t.Fatal(err)
	}
	e.checkSinkMatches(t)
	inserts := e.sink.Calls(collectorstest.OpInsertContacts) + e.sink.Calls(collectorstest.OpInsertFeedback)
	if want := (st.Fetched + 2) / 3; inserts > want+2 || inserts >= st.Fetched {
		t.Errorf("%d inserts for %d pages, want about one per three pages", inserts, st.Fetched)
	}
}

// blockingSink holds its first write of contacts until release is closed.
type blockingSink struct {
	*collectorstest.MemSink
	writing chan struct{} // closed when the first write starts
	release chan struct{}
	calls   atomic.Int32
}

func (s *blockingSink) InsertContacts(ctx context.Context, cs []records.Contact) error {
	if s.calls.Add(1) == 1 {
		close(s.writing)
		<-s.release
	}
	return s.MemSink.InsertContacts(ctx, cs)
}

// TestNextBatchIsFetchedDuringAWrite checks that while a batch is written,
// the pages of the next batch are fetched and parsed, so that the sink does
// not wait for them when the write returns.
func TestNextBatchIsFetchedDuringAWrite(t *testing.T) {
	ctx := context.Background()
	var contactPages atomic.Int32
	tenth := make(chan struct{})
	count := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			if r.URL.Path == "/v1/contacts" && contactPages.Add(1) == 10 {
				close(tenth)
			}
		})
	}
	e := newEnv(t, sodrasim.Options{Seed: 3, Days: 1}, count, token)
	e.col.(*Collector).batchRows = 2500 // pages of 500: five pages a batch
	sink := &blockingSink{MemSink: e.sink, writing: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := e.col.Collect(ctx, sink)
		done <- err
	}()
	<-sink.writing
	select {
	case <-tenth: // the first batch's five pages and the next batch's five
	case err := <-done:
		t.Fatalf("the pass ended during its first write: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatalf("while the first batch was written, %d pages of contacts were fetched, want 10 (the next batch's too)", contactPages.Load())
	}
	close(sink.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	e.checkSinkMatches(t)
}

// settleSink records what its MemSink held when the contacts were settled.
type settleSink struct {
	*collectorstest.MemSink
	settled            int
	contacts, feedback int // written when the contacts were settled
}

func (s *settleSink) SettleContacts(context.Context) {
	s.settled++
	s.contacts, s.feedback = len(s.Contacts()), len(s.Feedback())
}

// TestContactsAreSettledBeforeTheFeedback: a pass tells a sink that cares
// (collectors.ContactsSettler) once that its contacts are all written,
// before it writes any feedback.
func TestContactsAreSettledBeforeTheFeedback(t *testing.T) {
	e := newEnv(t, sodrasim.Options{Seed: 3, Days: 1}, nil, token)
	e.col.(*Collector).batchRows = 1200
	sink := &settleSink{MemSink: e.sink}
	if _, err := e.col.Collect(context.Background(), sink); err != nil {
		t.Fatal(err)
	}
	e.checkSinkMatches(t)
	if sink.settled != 1 || sink.contacts != len(e.sink.Contacts()) || sink.feedback != 0 || sink.contacts == 0 {
		t.Errorf("settled %d times, with %d contacts and %d responses written; want once, with all %d contacts and no response",
			sink.settled, sink.contacts, sink.feedback, len(e.sink.Contacts()))
	}
}
