package store_test

import (
	"math"
	"testing"
	"time"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/store"
)

// params are the catalogue's defaults, except that unit north answers the
// phone within 30 s instead of 20 s.
func params(unit, channel string) kpi.Params {
	p := kpi.DefaultParams(channel)
	if unit == "north" && channel == records.ChannelPhone {
		p.Threshold = 30 * time.Second
	}
	return p
}

func TestContactCountsFixture(t *testing.T) {
	s := servertest.NewStore(t)
	loc := vilnius(t)
	from := time.Date(2024, 3, 4, 0, 0, 0, 0, loc)
	to := from.AddDate(0, 0, 1)
	at := from.Add(10 * time.Hour)

	mustInsert(t, s,
		// cc/phone: T = 20 s, S = 5 s, L = 30 min.
		answered("p1", "cc", "phone", at, 10, 100, 20, 15), // within T
		answered("p2", "cc", "phone", at, 20, 200, 0, 30),  // exactly T: within
		answered("p3", "cc", "phone", at, 21, 50, 10, 5),   // just over T
		abandoned("p4", "cc", "phone", at, 4),              // short abandon
		abandoned("p5", "cc", "phone", at, 5),              // exactly S: not short, within T
		abandoned("p6", "cc", "phone", at, 25),             // not short, over T
		answered("p7", "cc", "phone", at, 1800, 60, 0, 0),  // exactly L: not long
		abandoned("p8", "cc", "phone", at, 1801),           // long
		// cc/chat: T = 60 s.
		answered("c1", "cc", "chat", at, 60, 300, 0, 10), // exactly T: within
		answered("c2", "cc", "chat", at, 61, 100, 0, 0),  // over T
		abandoned("c3", "cc", "chat", at, 3),             // short
		// north/phone: T = 30 s.
		answered("n1", "north", "phone", at, 25, 40, 0, 0), // within 30 s (not within the default 20 s)
		abandoned("n2", "north", "phone", at, 30),          // exactly T: within, not short
		// north/email: an open written case.
		openCase("e1", "north", "email", at),
	)
	// Noise that must not count: before the window, at its end (half-open),
	// another institution, a withdrawn contact.
	other := answered("x1", "cc", "phone", at, 1, 1, 1, 1)
	other.Institution = "VMI"
	withdrawn := withVersion(answered("w1", "cc", "phone", at, 1, 1, 1, 1), 2)
	withdrawn.Deleted = true
	mustInsert(t, s,
		answered("b1", "cc", "phone", from.Add(-time.Second), 1, 1, 1, 1),
		answered("b2", "cc", "phone", to, 1, 1, 1, 1),
		other,
		answered("w1", "cc", "phone", at, 1, 1, 1, 1), withdrawn,
	)

	want := map[string]kpi.ContactCounts{
		"cc/phone": {
			Offered:           8,
			Answered:          4,                   // p1 p2 p3 p7
			Abandoned:         4,                   // p4 p5 p6 p8
			ShortAbandoned:    1,                   // p4
			AnsweredWithinT:   2,                   // p1 p2
			AbandonedWithinT:  1,                   // p5
			AbandonedNotShort: 3,                   // p5 p6 p8
			LongWaits:         1,                   // p8
			AnswerWaitSumS:    10 + 20 + 21 + 1800, // answered waits
			Handled:           4,
			HandleSumS:        (100 + 20 + 15) + (200 + 0 + 30) + (50 + 10 + 5) + (60 + 0 + 0),
			AcwCounted:        4,
			AcwSumS:           15 + 30 + 5 + 0,
			MaxWaitS:          1801,
			Days:              1,
		},
		"cc/chat": {
			Offered: 3, Answered: 2, Abandoned: 1, ShortAbandoned: 1,
			AnsweredWithinT: 1, AbandonedWithinT: 0, AbandonedNotShort: 0, LongWaits: 0,
			AnswerWaitSumS: 60 + 61, Handled: 2, HandleSumS: (300 + 10) + 100, AcwCounted: 2, AcwSumS: 10, MaxWaitS: 61, Days: 1,
		},
		"north/phone": {
			Offered: 2, Answered: 1, Abandoned: 1, ShortAbandoned: 0,
			AnsweredWithinT: 1, AbandonedWithinT: 1, AbandonedNotShort: 1, LongWaits: 0,
			AnswerWaitSumS: 25, Handled: 1, HandleSumS: 40, AcwCounted: 1, AcwSumS: 0, MaxWaitS: 30, Days: 1,
		},
		"north/email": {Offered: 1, Days: 1},
	}

	rows, err := s.ContactCounts(testContext(t), store.ContactQuery{
		Institution: "SODRA", Location: loc, From: from, To: to, By: store.ByTotal, Params: params,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]kpi.ContactCounts{}
	for _, r := range rows {
		if r.Institution != "SODRA" || !r.PeriodStart.Equal(from) {
			t.Errorf("row %s/%s: institution %q period %s, want SODRA and %s", r.Unit, r.Channel, r.Institution, r.PeriodStart, from)
		}
		got[r.Unit+"/"+r.Channel] = r.Counts
	}
	if len(got) != len(want) {
		t.Errorf("got groups %v, want %d groups", keys(got), len(want))
	}
	for k, w := range want {
		if g := got[k]; g != w {
			t.Errorf("%s:\n got  %+v\n want %+v", k, g, w)
		}
	}

	// Service levels of cc/phone: O = offered − short abandons = 8 − 1 = 7,
	// A = 2, B = 1.
	p := got["cc/phone"]
	for _, tc := range []struct {
		method kpi.Method
		want   float64
	}{
		{kpi.MethodNegative, 2.0 / 7}, // A ÷ O
		{kpi.MethodIgnore, 2.0 / 6},   // A ÷ (O − B)
		{kpi.MethodPositive, 3.0 / 7}, // (A + B) ÷ O
	} {
		v := p.ServiceLevel(tc.method)
		if !v.Valid || math.Abs(v.Value-tc.want) > 1e-12 {
			t.Errorf("cc/phone service level (%s) = %v (valid %v), want %v", tc.method, v.Value, v.Valid, tc.want)
		}
	}
	// north/phone: O = 2, A = 1, B = 1.
	n := got["north/phone"]
	for _, tc := range []struct {
		method kpi.Method
		want   float64
		valid  bool
	}{
		{kpi.MethodNegative, 1.0 / 2, true},
		{kpi.MethodIgnore, 1.0 / 1, true},
		{kpi.MethodPositive, 2.0 / 2, true},
	} {
		v := n.ServiceLevel(tc.method)
		if v.Valid != tc.valid || math.Abs(v.Value-tc.want) > 1e-12 {
			t.Errorf("north/phone service level (%s) = %v (valid %v), want %v", tc.method, v.Value, v.Valid, tc.want)
		}
	}
	// The open e-mail case is offered but has no service level.
	if v := got["north/email"].ServiceLevel(kpi.MethodNegative); v.Valid {
		t.Errorf("north/email service level = %v, want none (only an open case)", v.Value)
	}
}

func keys(m map[string]kpi.ContactCounts) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestContactCountsByDayAcrossLocalMidnight(t *testing.T) {
	s := servertest.NewStore(t)
	loc := vilnius(t) // UTC+2 in early March
	day1 := time.Date(2024, 3, 4, 0, 0, 0, 0, loc)
	day2 := day1.AddDate(0, 0, 1)
	mustInsert(t, s,
		// 23:30 local on day 1 is 21:30 UTC: day 1.
		answered("late", "cc", "phone", time.Date(2024, 3, 4, 23, 30, 0, 0, loc), 10, 60, 0, 0),
		// 00:30 local on day 2 is still 22:30 UTC on day 1: day 2 all the same.
		answered("early1", "cc", "phone", time.Date(2024, 3, 5, 0, 30, 0, 0, loc), 30, 60, 0, 0),
		abandoned("early2", "cc", "phone", time.Date(2024, 3, 5, 1, 0, 0, 0, loc), 8),
	)
	rows, err := s.ContactCounts(testContext(t), store.ContactQuery{
		Institution: "SODRA", Location: loc, From: day1, To: day1.AddDate(0, 0, 2), By: store.ByDay, Params: params,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("got %d rows, want 2 (one per local day): %+v", len(rows), rows)
	}
	for i, w := range []struct {
		start            time.Time
		offered, withinT float64
	}{
		{day1, 1, 1},
		{day2, 2, 0},
	} {
		r := rows[i]
		if !r.PeriodStart.Equal(w.start) || r.Counts.Offered != w.offered || r.Counts.AnsweredWithinT != w.withinT || r.Counts.Days != 1 {
			t.Errorf("row %d: period %s offered %v within T %v days %v; want period %s offered %v within T %v days 1",
				i, r.PeriodStart, r.Counts.Offered, r.Counts.AnsweredWithinT, r.Counts.Days, w.start, w.offered, w.withinT)
		}
	}
}

func TestContactCountsByMonthClipsDays(t *testing.T) {
	s := servertest.NewStore(t)
	loc := vilnius(t)
	from := time.Date(2024, 3, 15, 0, 0, 0, 0, loc)
	to := time.Date(2024, 4, 10, 0, 0, 0, 0, loc) // crosses the switch to summer time on 31 March
	mustInsert(t, s,
		answered("m1", "cc", "phone", time.Date(2024, 3, 20, 9, 0, 0, 0, loc), 10, 60, 0, 0),
		answered("m2", "cc", "phone", time.Date(2024, 3, 31, 23, 59, 0, 0, loc), 10, 60, 0, 0),
		answered("a1", "cc", "phone", time.Date(2024, 4, 1, 0, 0, 0, 0, loc), 10, 60, 0, 0),
		answered("a2", "cc", "phone", time.Date(2024, 4, 12, 0, 0, 0, 0, loc), 10, 60, 0, 0), // after the window
	)
	rows, err := s.ContactCounts(testContext(t), store.ContactQuery{
		Institution: "SODRA", Location: loc, From: from, To: to, By: store.ByMonth, Params: params,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		start         time.Time
		offered, days float64
	}{
		{time.Date(2024, 3, 1, 0, 0, 0, 0, loc), 2, 31 - 15 + 1}, // 15..31 March
		{time.Date(2024, 4, 1, 0, 0, 0, 0, loc), 1, 9},           // 1..9 April
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows, want %d: %+v", len(rows), len(want), rows)
	}
	for i, w := range want {
		r := rows[i]
		if !r.PeriodStart.Equal(w.start) || r.Counts.Offered != w.offered || r.Counts.Days != w.days {
			t.Errorf("row %d: period %s offered %v days %v; want period %s offered %v days %v",
				i, r.PeriodStart, r.Counts.Offered, r.Counts.Days, w.start, w.offered, w.days)
		}
	}

	// A total over the same window counts 26 calendar days, DST or not.
	total, err := s.ContactCounts(testContext(t), store.ContactQuery{Institution: "SODRA", Location: loc, From: from, To: to, Params: params})
	if err != nil {
		t.Fatal(err)
	}
	if len(total) != 1 || total[0].Counts.Offered != 3 || total[0].Counts.Days != 17+9 {
		t.Errorf("total = %+v, want one row with offered 3 and 26 days", total)
	}
}

func TestContactTotals(t *testing.T) {
	s := servertest.NewStore(t)
	base := time.Date(2024, 3, 4, 9, 0, 0, 0, time.UTC)
	mustInsert(t, s,
		answered("t1", "cc", "phone", base.AddDate(0, -2, 0), 10, 60, 0, 0),
		answered("t2", "cc", "phone", base, 25, 60, 0, 0),
		abandoned("t3", "cc", "phone", base.Add(time.Hour), 40), // after upTo
	)
	rows, err := s.ContactTotals(testContext(t), "SODRA", base.Add(time.Minute), params)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("got %d rows, want 1: %+v", len(rows), rows)
	}
	c := rows[0].Counts
	if c.Offered != 2 || c.Answered != 2 || c.AnsweredWithinT != 1 || c.AnswerWaitSumS != 35 {
		t.Errorf("totals = %+v, want offered 2, answered 2, within T 1, wait sum 35", c)
	}
}

func TestContactCountsRejectsBadQueries(t *testing.T) {
	s := servertest.NewStore(t)
	ctx := testContext(t)
	from := time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)
	for name, q := range map[string]store.ContactQuery{
		"no institution": {From: from, To: from.Add(time.Hour)},
		"empty window":   {Institution: "SODRA", From: from, To: from},
		"bad grouping":   {Institution: "SODRA", From: from, To: from.Add(time.Hour), By: "fortnight"},
	} {
		if _, err := s.ContactCounts(ctx, q); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
	// Names with quotes are data, not SQL.
	rows, err := s.ContactCounts(ctx, store.ContactQuery{Institution: `O'Brien\`, From: from, To: from.Add(time.Hour)})
	if err != nil || len(rows) != 0 {
		t.Errorf("institution with a quote: rows %v err %v, want no rows and no error", rows, err)
	}
}

// waited returns c arriving at arrived and answered (or abandoned) wait
// later, with fractions of a second in both times, as RFC3339 sources send
// them.
func waited(c records.Contact, arrived time.Time, wait time.Duration) records.Contact {
	c.ArrivedAt = arrived
	end := arrived.Add(wait)
	switch c.Outcome {
	case records.OutcomeAnswered:
		c.AnsweredAt = &end
		done := end.Add(time.Duration(c.TalkS+c.HoldS) * time.Second)
		c.EndedAt = &done
	case records.OutcomeAbandoned:
		c.EndedAt = &end
	}
	return c
}

// TestContactCountsFractionalWaits puts waits a few milliseconds on either
// side of T = 20 s, S = 5 s and L = 30 min, with arrivals at fractions of a
// second. Whole-second times would judge several of them wrongly: f1
// (arrived at second 0.9, answered 20.05 s later at second 20.95, stored as
// 0 and 20: a wait of 20 s, within T), f4 (0.9 → 5.85: 5 s, not short) and
// f7 (0.9 → 1800.95: 1800 s, not long).
func TestContactCountsFractionalWaits(t *testing.T) {
	s := servertest.NewStore(t)
	loc := vilnius(t)
	from := time.Date(2024, 3, 4, 0, 0, 0, 0, loc)
	to := from.AddDate(0, 0, 1)
	at := func(ms int) time.Time { return from.Add(10*time.Hour + time.Duration(ms)*time.Millisecond) }
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	ans := func(id string) records.Contact { return answered(id, "cc", "phone", from, 0, 60, 0, 0) }
	abd := func(id string) records.Contact { return abandoned(id, "cc", "phone", from, 0) }
	mustInsert(t, s,
		waited(ans("f1"), at(900), ms(20050)),     // 20.050 s > T: not within T
		waited(ans("f2"), at(500), ms(20000)),     // exactly T across a second: within
		waited(ans("f3"), at(0), ms(19999)),       // within T
		waited(abd("f4"), at(900), ms(4950)),      // 4.950 s < S: short
		waited(abd("f5"), at(250), ms(5000)),      // exactly S: not short, within T
		waited(abd("f6"), at(900), ms(5050)),      // not short, within T
		waited(abd("f7"), at(900), ms(1800050)),   // 1800.050 s > L: long, over T
		waited(ans("f8"), at(0), ms(1800000)),     // exactly L: not long, over T
		waited(ans("f9"), at(999), ms(20000)+999), // 20.000999 s: truncated to 20000 ms, within T
	)
	want := kpi.ContactCounts{
		Offered:           9,
		Answered:          5, // f1 f2 f3 f8 f9
		Abandoned:         4, // f4 f5 f6 f7
		ShortAbandoned:    1, // f4
		AnsweredWithinT:   3, // f2 f3 f9
		AbandonedWithinT:  2, // f5 f6
		AbandonedNotShort: 3, // f5 f6 f7
		LongWaits:         1, // f7
		AnswerWaitSumS:    (20050 + 20000 + 19999 + 1800000 + 20000) / 1000.0,
		Handled:           5,
		HandleSumS:        5 * 60,
		AcwCounted:        5,
		AcwSumS:           0,
		MaxWaitS:          1800.05,
		Days:              1,
	}
	got := totalsIn(t, s, loc, from, to)["cc/phone"]
	if math.Abs(got.AnswerWaitSumS-want.AnswerWaitSumS) > 1e-9 || math.Abs(got.MaxWaitS-want.MaxWaitS) > 1e-9 {
		t.Errorf("wait sum %v max %v, want %v and %v", got.AnswerWaitSumS, got.MaxWaitS, want.AnswerWaitSumS, want.MaxWaitS)
	}
	got.AnswerWaitSumS, got.MaxWaitS = want.AnswerWaitSumS, want.MaxWaitS
	if got != want {
		t.Errorf("cc/phone:\n got  %+v\n want %+v", got, want)
	}
	// service_level (negative) = A ÷ (offered − short) = 3 ÷ 8.
	if v := got.ServiceLevel(kpi.MethodNegative); !v.Valid || math.Abs(v.Value-3.0/8) > 1e-12 {
		t.Errorf("service level = %+v, want 3/8", v)
	}
}

// totalsIn is totals with the default parameters in loc.
func totalsIn(t *testing.T, s *store.Store, loc *time.Location, from, to time.Time) map[string]kpi.ContactCounts {
	t.Helper()
	rows, err := s.ContactCounts(testContext(t), store.ContactQuery{Institution: "SODRA", Location: loc, From: from, To: to})
	if err != nil {
		t.Fatalf("contact counts: %v", err)
	}
	out := map[string]kpi.ContactCounts{}
	for _, r := range rows {
		out[r.Unit+"/"+r.Channel] = r.Counts
	}
	return out
}

// TestContactCountsAbsentMeasures checks that handling times count only for
// contacts whose source carries them: a VMI-style call has talk and acw but
// no hold, a VMI-style chat and a facebook message carry none. Absent is
// not zero, so neither the chat nor the message enters AHT or ACW, and a
// contact whose acw_s was null has no handling time (talk + hold + acw)
// either (records.HandlingMeasures).
func TestContactCountsAbsentMeasures(t *testing.T) {
	s := servertest.NewStore(t)
	call := answered("call", "cc", "phone", nineAM, 10, 100, 0, 20)
	call.Measures = records.MeasureTalk | records.MeasureACW
	chat := answered("chat", "cc", "chat", nineAM, 10, 0, 0, 0)
	chat.Measures = records.NoMeasures
	fb := answered("fb", "cc", "facebook", nineAM, 10, 0, 0, 0)
	fb.Measures = records.NoMeasures
	talkOnly := answered("talk-only", "cc", "chat", nineAM, 10, 50, 0, 0)
	talkOnly.Measures = records.MeasureTalk
	mustInsert(t, s, call, chat, fb, talkOnly)

	got := totals(t, s, day, dayAfter)
	for _, tc := range []struct {
		group                      string
		handled, handle, acwN, acw float64
	}{
		{"cc/phone", 1, 120, 1, 20},
		{"cc/chat", 0, 0, 0, 0},
		{"cc/facebook", 0, 0, 0, 0},
	} {
		g := got[tc.group]
		if g.Answered == 0 || g.Handled != tc.handled || g.HandleSumS != tc.handle || g.AcwCounted != tc.acwN || g.AcwSumS != tc.acw {
			t.Errorf("%s: answered %v, handled %v (sum %v), acw counted %v (sum %v); want handled %v (sum %v), acw %v (sum %v)",
				tc.group, g.Answered, g.Handled, g.HandleSumS, g.AcwCounted, g.AcwSumS, tc.handled, tc.handle, tc.acwN, tc.acw)
		}
	}
	var all kpi.ContactCounts
	for _, g := range got {
		all = all.Add(g)
	}
	for _, v := range all.Values() {
		switch v.KPI {
		case kpi.AHTSeconds:
			if !v.Valid || v.Value != 120 {
				t.Errorf("rolled-up AHT = %+v, want 120 s: only the call carries its whole handling time", v)
			}
		case kpi.ACWSeconds:
			if !v.Valid || v.Value != 20 {
				t.Errorf("rolled-up ACW = %+v, want 20 s: only the call carries after-contact work", v)
			}
		}
	}
}

// TestContactCountsByWeek checks that weeks run from Monday to Sunday in
// the institution's zone, and that a week cut by the window counts only
// its days.
func TestContactCountsByWeek(t *testing.T) {
	s := servertest.NewStore(t)
	loc := vilnius(t)
	sunday := time.Date(2024, 3, 10, 23, 30, 0, 0, loc) // 21:30 UTC: still Sunday in Vilnius
	monday := time.Date(2024, 3, 11, 0, 30, 0, 0, loc)  // Sunday 22:30 UTC, Monday in Vilnius
	mustInsert(t, s, answered("a", "cc", "phone", sunday, 10, 60, 0, 5), answered("b", "cc", "phone", monday, 10, 60, 0, 5),
		answered("c", "cc", "phone", monday.AddDate(0, 0, 6), 10, 60, 0, 5))
	from := time.Date(2024, 3, 6, 0, 0, 0, 0, loc) // a Wednesday
	to := time.Date(2024, 3, 18, 0, 0, 0, 0, loc)  // a Monday
	rows, err := s.ContactCounts(testContext(t), store.ContactQuery{Institution: "SODRA", Location: loc, From: from, To: to, By: store.ByWeek})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		start   string
		offered float64
		days    float64
	}{
		{"2024-03-04", 1, 5}, // the week of Monday 4 March, from Wednesday 6: 5 days
		{"2024-03-11", 2, 7}, // Monday 11 to Sunday 17
	}
	if len(rows) != len(want) {
		t.Fatalf("rows %+v, want %d weeks", rows, len(want))
	}
	for i, w := range want {
		r := rows[i]
		if r.PeriodStart.Format(time.DateOnly) != w.start || r.Counts.Offered != w.offered || r.Counts.Days != w.days {
			t.Errorf("week %d: start %s offered %v days %v; want %s, %v, %v", i, r.PeriodStart.Format(time.DateOnly), r.Counts.Offered, r.Counts.Days, w.start, w.offered, w.days)
		}
	}
}
