package store_test

import (
	"testing"
	"time"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/store"
)

// TestWrittenRollupFollowsZone checks that the written rollup serves only
// queries in the zone it was built in, that EnsureRollups rebuilds it when
// the institution's zone changes, and that a rebuild leaves no day counted
// from before: a case that moved to another day while the rollup was
// counted in UTC is gone from its old Vilnius day when the zone changes
// back, and so is a day whose cases' versions are no longer stored.
func TestWrittenRollupFollowsZone(t *testing.T) {
	s := servertest.NewStore(t)
	ctx := testContext(t)
	loc := vilnius(t)
	loadLT(t, s, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC))
	zone := loc
	s.SetZones(func(string) *time.Location { return zone })
	if err := s.RebuildRollups(ctx, "SODRA"); err != nil {
		t.Fatal(err)
	}
	// Wednesday 3 April 2024 00:30 in Vilnius is Tuesday 2 April 21:30 UTC;
	// answered on Thursday 4 April, within any deadline.
	arrived := time.Date(2024, 4, 3, 0, 30, 0, 0, loc)
	answer := time.Date(2024, 4, 4, 10, 0, 0, 0, loc)
	c := writtenCase("e1", "cc", "email", arrived, &answer, nil)
	mustInsert(t, s, c)

	asOf := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	check := func(step string, in *time.Location, day int, served bool, want kpi.WrittenCounts) {
		t.Helper()
		from := time.Date(2024, 4, day, 0, 0, 0, 0, in)
		q := store.WrittenQuery{Institution: "SODRA", Location: in, Calendar: "LT", From: from, To: from.AddDate(0, 0, 1), AsOf: asOf, Params: writtenParams}
		got, err := s.WrittenRollupServes(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if got != served {
			t.Errorf("%s: 2024-04-%02d in %s served by the written rollup: %v, want %v", step, day, in, got, served)
		}
		rows, err := s.WrittenCounts(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var counts kpi.WrittenCounts
		for _, r := range rows {
			counts.Due += r.Counts.Due
			counts.MetDeadline += r.Counts.MetDeadline
		}
		if counts != want {
			t.Errorf("%s: 2024-04-%02d in %s: counts %+v, want %+v", step, day, in, counts, want)
		}
	}
	met := kpi.WrittenCounts{Due: 1, MetDeadline: 1}
	check("built in Vilnius", loc, 3, true, met)
	check("built in Vilnius", loc, 2, true, kpi.WrittenCounts{})
	check("built in Vilnius", time.UTC, 2, false, met)

	zone = time.UTC
	rebuilt, err := s.EnsureRollups(ctx, []string{"SODRA"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rebuilt) != 1 {
		t.Errorf("after the zone changed, EnsureRollups rebuilt %v, want SODRA", rebuilt)
	}
	check("rebuilt in UTC", time.UTC, 2, true, met)
	check("rebuilt in UTC", time.UTC, 3, true, kpi.WrittenCounts{})
	check("rebuilt in UTC", loc, 3, false, met)

	// The case moves to Wednesday 10 April.
	moved := c
	moved.Version = 2
	moved.ArrivedAt = arrived.AddDate(0, 0, 7)
	later := answer.AddDate(0, 0, 7)
	moved.AnsweredAt, moved.EndedAt = &later, &later
	mustInsert(t, s, moved)
	check("moved in UTC", time.UTC, 2, true, kpi.WrittenCounts{})
	check("moved in UTC", time.UTC, 9, true, met)
	// A Vilnius row of 20 April, a day no version of any case is on any
	// more, as an earlier build would have left it once ClickHouse had
	// merged the versions it counted away.
	if err := s.Exec(ctx, `INSERT INTO written_rollup (institution, zone, arrival_day, unit, channel, is_written, complex, has_answer, answer_day, corrected, version, cases)
		SELECT 'SODRA', 'Europe/Vilnius', toDate('2024-04-20'), 'cc', 'email', 1, 0, 1, toDate('2024-04-22'), -1, 1, 1`); err != nil {
		t.Fatal(err)
	}

	zone = loc
	if rebuilt, err := s.EnsureRollups(ctx, []string{"SODRA"}); err != nil || len(rebuilt) != 1 {
		t.Fatalf("after the zone changed back, EnsureRollups rebuilt %v (%v), want SODRA", rebuilt, err)
	}
	check("rebuilt in Vilnius again", loc, 3, true, kpi.WrittenCounts{})
	check("rebuilt in Vilnius again", loc, 10, true, met)
	check("rebuilt in Vilnius again", loc, 20, true, kpi.WrittenCounts{})
	if rebuilt, err := s.EnsureRollups(ctx, []string{"SODRA"}); err != nil || len(rebuilt) != 0 {
		t.Errorf("EnsureRollups with nothing changed rebuilt %v (%v), want none", rebuilt, err)
	}
}

// TestPassRecountsTheWrittenDaysOfItsCases: a pass recounts the written
// rollup of the days its written cases arrive on and of the days their
// stored versions arrived on (a case moved to another day leaves the old
// one), and of no other day.
func TestPassRecountsTheWrittenDaysOfItsCases(t *testing.T) {
	s := servertest.NewStore(t)
	ctx := testContext(t)
	loadLT(t, s, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC))
	if err := s.RebuildRollups(ctx, "SODRA"); err != nil {
		t.Fatal(err)
	}
	pass := func(cs ...records.Contact) {
		t.Helper()
		p := s.BeginPass()
		if err := p.InsertContacts(ctx, cs); err != nil {
			t.Fatal(err)
		}
		if err := p.Finish(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Tuesday 2 April 2024, answered the next day; a phone call on Friday.
	arrived := time.Date(2024, 4, 2, 10, 0, 0, 0, time.UTC)
	answer := arrived.AddDate(0, 0, 1)
	c := writtenCase("e1", "cc", "email", arrived, &answer, nil)
	pass(c, answered("p1", "cc", records.ChannelPhone, arrived.AddDate(0, 0, 3), 5, 60, 0, 0))
	// A later pass moves the case to Tuesday 9 April.
	moved := c
	moved.Version = 2
	moved.ArrivedAt = arrived.AddDate(0, 0, 7)
	later := answer.AddDate(0, 0, 7)
	moved.AnsweredAt, moved.EndedAt = &later, &later
	pass(moved)

	asOf := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	for day, want := range map[int]float64{2: 0, 9: 1} {
		from := time.Date(2024, 4, day, 0, 0, 0, 0, time.UTC)
		q := store.WrittenQuery{Institution: "SODRA", Location: time.UTC, Calendar: "LT", From: from, To: from.AddDate(0, 0, 1), AsOf: asOf, Params: writtenParams}
		if served, err := s.WrittenRollupServes(ctx, q); err != nil || !served {
			t.Fatalf("2024-04-%02d served by the written rollup: %v (%v), want true", day, served, err)
		}
		rows, err := s.WrittenCounts(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var due float64
		for _, r := range rows {
			due += r.Counts.Due
		}
		if due != want {
			t.Errorf("2024-04-%02d: %v cases due through the written rollup, want %v", day, due, want)
		}
	}
}
