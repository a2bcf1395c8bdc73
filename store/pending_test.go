package store_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/store"
)

// TestPassRollupsEqualRawPath writes random batches through passes, which
// recount the rollups when they finish (and ahead, while they write, in
// one of them), and checks that the counts
// served through the rollups then equal the raw versions' exactly; and
// that a pass that dies between writing and recounting leaves rollups that
// differ from the raw path until the next RecoverPending, after which they
// are equal again and nothing is pending.
func TestPassRollupsEqualRawPath(t *testing.T) {
	s := servertest.NewStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	loc := vilnius(t)
	lt, err := kpi.NewCalendar("LT")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2024, 3, 29, 0, 0, 0, 0, loc)
	if err := s.LoadCalendar(ctx, lt.Days("LT", start.AddDate(0, 0, -7), start.AddDate(0, 2, 0))); err != nil {
		t.Fatal(err)
	}
	institutions := []string{"SODRA", `V'MI`}
	for _, in := range institutions {
		if err := s.RebuildRollups(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	r := rand.New(rand.NewPCG(3, 5))
	w := newWorld(r, start)
	pass := func(batches, ahead int) *store.Pass {
		p := s.BeginPass()
		if ahead > 0 {
			p.SetRecountAhead(ahead)
		}
		for range batches {
			cs, fs := w.batch(institutions)
			if err := p.InsertContacts(ctx, cs); err != nil {
				t.Fatal(err)
			}
			if err := p.InsertFeedback(ctx, fs); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}

	// Two finished passes, the second recounting ahead after every batch
	// the buckets it does not touch, which later batches touch again: the
	// rollups are exact.
	if err := pass(8, 0).Finish(ctx); err != nil {
		t.Fatal(err)
	}
	p := pass(8, 1)
	if p.RecountsAhead() == 0 {
		t.Fatal("the pass recounted nothing ahead: the test shows nothing of it")
	}
	if err := p.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if p.RecountingAhead() {
		t.Fatal("Finish returned without waiting for the recount ahead")
	}
	if diff := rollupVsRaw(ctx, t, s, institutions, loc, start); diff != "" {
		t.Fatalf("after finished passes:\n%s", diff)
	}

	// A pass dies after writing: its buckets are stale until recovered. A
	// pass still running on the store is left alone.
	pass(8, 0).Abandon()
	running := pass(1, 0)
	if diff := rollupVsRaw(ctx, t, s, institutions, loc, start); diff == "" {
		t.Fatal("the rollups equal the raw path before the dead pass was recounted: the test shows nothing")
	}
	if err := s.RecoverPending(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PendingNotes(ctx); err != nil || n == 0 {
		t.Fatalf("after recovery, pending notes = %d, %v; want the running pass's", n, err)
	}
	if err := running.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PendingNotes(ctx); err != nil || n != 0 {
		t.Fatalf("after recovery and finish, pending notes = %d, %v; want 0", n, err)
	}
	if diff := rollupVsRaw(ctx, t, s, institutions, loc, start); diff != "" {
		t.Fatalf("after recovery:\n%s", diff)
	}
}

// rollupVsRaw compares, per day over the world's days, the contact,
// feedback and written counts served through the rollups with the raw
// path's, and describes the differences.
func rollupVsRaw(ctx context.Context, t *testing.T, s *store.Store, institutions []string, loc *time.Location, start time.Time) string {
	t.Helper()
	from, to := start.AddDate(0, 0, -2), start.AddDate(0, 0, 8)
	var out string
	for _, in := range institutions {
		p := func(unit, channel string) kpi.Params { return kpi.DefaultParams(channel) }
		diff, contacts := rolledVsRaw(ctx, t, s,
			store.ContactQuery{Institution: in, Location: loc, From: from, To: to, By: store.ByDay, Params: p},
			store.FeedbackQuery{Institution: in, Location: loc, From: from, To: to, By: store.ByDay},
			store.WrittenQuery{Institution: in, Location: loc, Calendar: "LT", From: from, To: to, By: store.ByDay, AsOf: start.AddDate(0, 0, 5), Params: p})
		if contacts == 0 {
			t.Fatalf("%s: no contacts", in)
		}
		if diff != "" {
			out += in + " " + diff
		}
	}
	return out
}
