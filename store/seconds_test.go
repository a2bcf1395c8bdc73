package store_test

import (
	"testing"
	"time"

	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/store"
)

// TestSecondsHorizon checks that a store told a horizon keeps the
// per-second rollup level only from the UTC day that far before its clock,
// counts older buckets straight into the 15-minute level, and reads a
// window whose end needs an older second from the raw versions.
func TestSecondsHorizon(t *testing.T) {
	s := servertest.NewStore(t)
	ctx := testContext(t)
	now := time.Date(2024, 4, 5, 12, 0, 0, 0, time.UTC)
	s.SetSecondsHorizon(57*time.Hour, func() time.Time { return now })
	cutoff := time.Date(2024, 4, 3, 0, 0, 0, 0, time.UTC) // the start of the UTC day 57 hours before now
	if err := s.RebuildRollups(ctx, "SODRA"); err != nil {
		t.Fatal(err)
	}
	at := func(day, h, m, sec int) time.Time { return time.Date(2024, 4, day, h, m, sec, 0, time.UTC) }
	c1 := answered("c1", "cc", "phone", at(2, 10, 7, 30), 10, 60, 0, 0)
	c2 := abandoned("c2", "cc", "phone", at(2, 10, 20, 0), 40)
	c3 := answered("c3", "cc", "phone", at(4, 8, 3, 10), 20, 60, 0, 0)
	c4 := answered("c4", "cc", "phone", at(4, 8, 10, 0), 30, 60, 0, 0)
	mustInsert(t, s, c1, c2, c3, c4)
	// c1 moves from an old bucket to a recent one, c3 the other way.
	c1b, c3b := withVersion(c1, 2), withVersion(c3, 2)
	c1b.ArrivedAt, c3b.ArrivedAt = at(4, 8, 1, 0), at(2, 10, 5, 0)
	mustInsert(t, s, c1b, c3b)

	// Seconds: none before the cutoff; after it, c1 and c4 (c3's second
	// counts nothing any more).
	for _, tc := range []struct {
		query string
		want  uint64
	}{
		{"SELECT count() FROM contact_rollup_1s WHERE institution = 'SODRA' AND bucket < ?", 0},
		{"SELECT count() FROM contact_rollup_1s FINAL WHERE institution = 'SODRA' AND bucket >= ? AND offered > 0", 2},
		{"SELECT count() FROM rollup_seconds_from WHERE institution = 'SODRA' AND seconds_from = ?", 1},
	} {
		if got, err := s.Count(ctx, tc.query, cutoff); err != nil || got != tc.want {
			t.Errorf("%s: %d (%v), want %d", tc.query, got, err, tc.want)
		}
	}

	to := at(4, 9, 0, 30)
	for _, tc := range []struct {
		name    string
		from    time.Time
		to      time.Time
		served  bool
		offered float64
	}{
		// c3 (10:05) and c2 (10:20) in the old buckets, from the 15-minute level.
		{"whole old buckets", at(2, 10, 0, 0), at(2, 10, 30, 0), true, 2},
		// The second at 10:04 is older than the cutoff: the raw versions
		// count c3, c2, c1 and c4; the missing seconds would have lost c3.
		{"old end", at(2, 10, 4, 0), to, false, 4},
		{"recent ends", at(4, 8, 0, 30), to, true, 2},
		{"old end, recent end", at(2, 10, 4, 30), to, false, 4},
		{"whole days", at(1, 0, 0, 0), at(5, 0, 0, 0), true, 4},
	} {
		served, err := s.RollupsServe(ctx, "SODRA", []time.Time{tc.from}, tc.to)
		if err != nil {
			t.Fatal(err)
		}
		if served != tc.served {
			t.Errorf("%s: served by the rollups: %v, want %v", tc.name, served, tc.served)
		}
		if got := totals(t, s, tc.from, tc.to)["cc/phone"].Offered; got != tc.offered {
			t.Errorf("%s: offered %v, want %v", tc.name, got, tc.offered)
		}
		w, err := s.ContactCountsWindows(ctx, store.ContactQuery{Institution: "SODRA", To: tc.to}, []time.Time{tc.from})
		if err != nil {
			t.Fatal(err)
		}
		var offered float64
		for _, r := range w[0] {
			offered += r.Counts.Offered
		}
		if offered != tc.offered {
			t.Errorf("%s: offered in the window read %v, want %v", tc.name, offered, tc.offered)
		}
	}

	// A longer horizon (a longer exporter window) reaches back to 1 April:
	// EnsureRollups writes the seconds of 1 and 2 April (c3's and c2's)
	// before it records the earlier start, and the window from 10:04 on
	// 2 April is served by the rollups again.
	s.SetSecondsHorizon(4*24*time.Hour, func() time.Time { return now })
	if got, err := s.EnsureRollups(ctx, []string{"SODRA"}); err != nil || len(got) != 1 {
		t.Fatalf("EnsureRollups with a longer horizon: %v (%v), want SODRA", got, err)
	}
	q := "SELECT count() FROM contact_rollup_1s FINAL WHERE institution = 'SODRA' AND bucket < ? AND offered > 0"
	if got, err := s.Count(ctx, q, cutoff); err != nil || got != 2 {
		t.Errorf("seconds before 3 April after the horizon grew: %d (%v), want 2", got, err)
	}
	from := at(2, 10, 4, 0)
	if served, err := s.RollupsServe(ctx, "SODRA", []time.Time{from}, to); err != nil || !served {
		t.Errorf("window from %s after the horizon grew: served by the rollups: %v (%v), want true", from, served, err)
	}
	if got := totals(t, s, from, to)["cc/phone"].Offered; got != 4 {
		t.Errorf("window from %s after the horizon grew: offered %v, want 4", from, got)
	}
	if got, err := s.EnsureRollups(ctx, []string{"SODRA"}); err != nil || len(got) != 0 {
		t.Errorf("EnsureRollups again: %v (%v), want nothing to do", got, err)
	}
}
