package sodra

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/ccbench/ccbench/collectors"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/servers/servertest"
	sodrasim "github.com/ccbench/ccbench/simulator/sodra"
)

// crashingSink fails the n-th SaveCheckpoint, as if the collector died
// between an insert and its checkpoint.
type crashingSink struct {
	collectors.Sink
	n, calls int
}

func (s *crashingSink) SaveCheckpoint(ctx context.Context, cp records.Checkpoint) error {
	s.calls++
	if s.calls == s.n {
		return context.DeadlineExceeded
	}
	return s.Sink.SaveCheckpoint(ctx, cp)
}

type group struct{ unit, channel string }

// expectedCounts reads the whole contacts listing in the test's own way and
// counts, per unit and channel, the newest versions and the answered ones.
func (e *env) expectedCounts(t *testing.T) (offered, answered map[group]float64) {
	t.Helper()
	type item struct{ ID, Unit, Channel, Outcome string }
	newest := map[string]item{}
	tok := ""
	for {
		q := url.Values{"page_size": {"5000"}}
		if tok != "" {
			q.Set("page_token", tok)
		}
		req := httptest.NewRequest(http.MethodGet, "/v1/contacts?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		e.sim.ServeHTTP(w, req)
		var p struct {
			Items []item
			Next  string `json:"next_page_token"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			newest[it.ID] = it // later in the listing = newer
		}
		if p.Next == "" {
			break
		}
		tok = p.Next
	}
	offered, answered = map[group]float64{}, map[group]float64{}
	for _, it := range newest {
		g := group{it.Unit, it.Channel}
		offered[g]++
		if it.Outcome == "answered" {
			answered[g]++
		}
	}
	return offered, answered
}

// TestCollectIntoClickHouse runs the collector against the simulator into a
// real ClickHouse store, through a crash between insert and checkpoint and
// a clock that moves on, and checks the store's counts.
func TestCollectIntoClickHouse(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test with a real ClickHouse; skipped under -short")
	}
	ctx := context.Background()
	st := servertest.NewStore(t)
	e := newEnv(t, sodrasim.Options{Seed: 6, Days: 1}, nil, token)
	sink := &crashingSink{Sink: st, n: 2}
	if _, err := e.col.Collect(ctx, sink); err == nil {
		t.Fatal("want the injected checkpoint failure")
	}
	for range 2 {
		if _, err := e.col.Collect(ctx, sink); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(3 * time.Hour)
	}
	e.clock.Advance(-3 * time.Hour) // the listing is read at the last pass's instant

	wantOffered, wantAnswered := e.expectedCounts(t)
	rows, err := st.ContactTotals(ctx, "sodra", monday.AddDate(0, 0, 7), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[group]bool{}
	for _, r := range rows {
		g := group{r.Unit, r.Channel}
		got[g] = true
		if r.Counts.Offered != wantOffered[g] || r.Counts.Answered != wantAnswered[g] {
			t.Errorf("%s/%s: store has %v offered, %v answered; the simulator served %v and %v",
				g.unit, g.channel, r.Counts.Offered, r.Counts.Answered, wantOffered[g], wantAnswered[g])
		}
	}
	for g := range wantOffered {
		if !got[g] {
			t.Errorf("%s/%s: missing from the store", g.unit, g.channel)
		}
	}
	cp, ok, err := st.Checkpoint(ctx, "sodra-api", StreamContacts)
	if err != nil || !ok {
		t.Fatalf("checkpoint: %v, %v", ok, err)
	}
	if pos, err := parseCheckpoint(cp.Position); err != nil || pos.ID == "" || pos.UpdatedAt.After(monday.Add(6*time.Hour)) {
		t.Errorf("checkpoint %q: %v", cp.Position, err)
	}
}
