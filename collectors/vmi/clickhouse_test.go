package vmi

import (
	"context"
	"testing"
	"time"

	"github.com/ccbench/ccbench/servers/servertest"
	vmisim "github.com/ccbench/ccbench/simulator/vmi"
	"github.com/ccbench/ccbench/store"
)

// TestRepublishIntoClickHouse ingests every file and then a corrected
// republication into one real store, only the corrected file into another,
// and compares the phone KPI counts of the corrected day, and of the hours
// around noon where the tombstones sit, between the two databases.
func TestRepublishIntoClickHouse(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test with a real ClickHouse; skipped under -short")
	}
	ctx := context.Background()
	opts := vmisim.Options{Seed: 3, Days: 4, CorrectionAfter: 5 * time.Minute}
	full, only := servertest.NewStore(t), servertest.NewStore(t)

	e := newEnv(t, opts, nil, token)
	if _, err := e.col.Collect(ctx, full); err != nil {
		t.Fatal(err)
	}
	day, at := e.sim.Correction()
	name := "calls-" + day.Format("2006-01-02") + ".csv"
	e.clock.Set(at)
	if _, err := e.col.Collect(ctx, full); err != nil {
		t.Fatal(err)
	}
	body, _ := e.sim.File(name)
	fresh := rows(t, body)
	answered := 0
	for _, r := range fresh {
		if r["answered_at"] != "" {
			answered++
		}
	}

	o := newEnv(t, opts, onlyFile(name), token)
	o.clock.Set(at)
	if _, err := o.col.Collect(ctx, only); err != nil {
		t.Fatal(err)
	}

	loc := testInstitution(t).Location()
	noon := time.Date(day.Year(), day.Month(), day.Day(), 12, 0, 0, 0, loc)
	for _, w := range []struct {
		name     string
		from, to time.Time
	}{
		{"the corrected day", day, day.AddDate(0, 0, 1)},
		{"the two hours around noon", noon.Add(-time.Hour), noon.Add(time.Hour)},
	} {
		phone := func(s *store.Store) (offered, answered, handle float64) {
			rs, err := s.ContactCounts(ctx, store.ContactQuery{Institution: "vmi", Location: loc, From: w.from, To: w.to})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				if r.Channel == "phone" {
					offered += r.Counts.Offered
					answered += r.Counts.Answered
					handle += r.Counts.HandleSumS
				}
			}
			return offered, answered, handle
		}
		fo, fa, fh := phone(full)
		oo, oa, oh := phone(only)
		if fo != oo || fa != oa || fh != oh {
			t.Errorf("%s: all files + republish give %v offered, %v answered, %v s handling; the new file alone %v, %v, %v",
				w.name, fo, fa, fh, oo, oa, oh)
		}
		if w.name == "the corrected day" && (fo != float64(len(fresh)) || fa != float64(answered)) {
			t.Errorf("%s: %v offered, %v answered; the corrected file has %d calls, %d answered", w.name, fo, fa, len(fresh), answered)
		}
	}
}
