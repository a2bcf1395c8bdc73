package store_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/store"
)

// writtenCase builds a case of institution SODRA, source sodra-cc, version
// 1: answered at answeredAt, or open when answeredAt is nil.
func writtenCase(id, unit, channel string, arrived time.Time, answeredAt *time.Time, corrected *bool) records.Contact {
	c := records.Contact{
		Institution: "SODRA", Source: "sodra-cc", ID: id, Version: 1, UpdatedAt: arrived.Add(time.Minute),
		Unit: unit, Channel: channel, ArrivedAt: arrived, Outcome: records.OutcomeOpen, Corrected: corrected, Origin: "test",
	}
	if answeredAt != nil {
		c.Outcome = records.OutcomeAnswered
		c.AnsweredAt = answeredAt
		c.EndedAt = answeredAt
	}
	return c
}

// complexInquiry builds a phone call answered 10 s after arrival that needs
// a follow-up answer, given at resolvedAt (nil: not yet).
func complexInquiry(id string, arrived time.Time, resolvedAt *time.Time) records.Contact {
	c := answered(id, "cc", records.ChannelPhone, arrived, 10, 60, 0, 0)
	c.Complex = true
	c.ResolvedAt = resolvedAt
	return c
}

func ptr[T any](v T) *T { return &v }

func loadLT(t *testing.T, s *store.Store, from, to time.Time) {
	t.Helper()
	lt, err := kpi.NewCalendar("LT")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.LoadCalendar(testContext(t), lt.Days("LT", from, to)); err != nil {
		t.Fatalf("load calendar: %v", err)
	}
}

// writtenParams are the catalogue's defaults (5 working days for written
// cases, 3 for complex inquiries), except that unit north answers web forms
// within 2 working days.
func writtenParams(unit, channel string) kpi.Params {
	p := kpi.DefaultParams(channel)
	if unit == "north" && channel == records.ChannelWebForm {
		p.DeadlineDays = 2
	}
	return p
}

func TestWrittenCountsFixture(t *testing.T) {
	s := servertest.NewStore(t)
	loc := vilnius(t) // UTC+2 until 31 March 2024 03:00, then UTC+3
	at := func(mo time.Month, d, h, mi int) time.Time { return time.Date(2024, mo, d, h, mi, 0, 0, loc) }
	utcAt := func(mo time.Month, d, h, mi int) *time.Time {
		v := time.Date(2024, mo, d, h, mi, 0, 0, time.UTC)
		return &v
	}
	loadLT(t, s, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC))

	// Easter Monday, 1 April 2024, is a Lithuanian holiday. Working days
	// after Friday 29 March: Tue 2 (1), Wed 3 (2), Thu 4 (3), Fri 5 (4),
	// Mon 8 April (5). So a 5-day deadline of a case received on 29 or 30
	// March ends at 9 April 00:00 Vilnius = 8 April 21:00 UTC.
	newer := writtenCase("e8", "cc", "email", at(4, 2, 10, 0), ptr(at(4, 8, 10, 0)), ptr(false))
	newer.Version = 2
	mustInsert(t, s,
		// due Mon 8 April; answered 23:59 local: met.
		writtenCase("e1", "cc", "email", at(3, 29, 10, 0), utcAt(4, 8, 20, 59), ptr(true)),
		// answered at the deadline itself, 9 April 00:00 local: missed.
		writtenCase("e2", "cc", "email", at(3, 29, 10, 0), utcAt(4, 8, 21, 0), ptr(false)),
		// Saturday 23:30 local (21:30 UTC, still UTC+2): due Mon 8 April; met.
		writtenCase("e3", "cc", "email", at(3, 30, 23, 30), utcAt(4, 8, 20, 0), nil),
		// Tuesday 2 April 00:30 local is Monday 1 April 21:30 UTC; counted
		// from the local Tuesday: Wed 3 (1), 4, 5, 8, Tue 9 April (5). Answered
		// Tue 9 April 12:00 local: met (counted from the UTC date, the
		// holiday, the due day would be 8 April and the answer late).
		writtenCase("e4", "cc", "email", at(4, 2, 0, 30), ptr(at(4, 9, 12, 0)), nil),
		// Wednesday 3 April 23:30 local (20:30 UTC): Thu 4 (1), 5, 8, 9,
		// Wed 10 April (5); answered Wed 10 April 23:00 local: met.
		writtenCase("e5", "cc", "email", at(4, 3, 23, 30), ptr(at(4, 10, 23, 0)), nil),
		// Thursday 4 April: due Thu 11 April, deadline 12 April 00:00 local
		// = AsOf: open and due, missed.
		writtenCase("e6", "cc", "email", at(4, 4, 10, 0), nil, nil),
		// Friday 5 April: due Fri 12 April, not yet due at AsOf: left out.
		writtenCase("e7", "cc", "email", at(4, 5, 10, 0), nil, nil),
		// Received Tue 2 April, due Tue 9 April; version 1 is open (it
		// would be due and missed), version 2 answers on 8 April: met.
		writtenCase("e8", "cc", "email", at(4, 2, 10, 0), nil, nil), newer,
		// Complex phone inquiry of Friday 29 March, 3 working days: Tue 2,
		// Wed 3, Thu 4 April; resolved Thu 4 April 18:00 local: met. Its
		// corrected flag does not count: not a written answer.
		func() records.Contact {
			c := complexInquiry("c1", at(3, 29, 14, 0), ptr(at(4, 4, 18, 0)))
			c.Corrected = ptr(true)
			return c
		}(),
		// Complex inquiry of Monday 8 April: due Thu 11 April, unresolved at
		// AsOf: due, missed.
		complexInquiry("c2", at(4, 8, 10, 0), nil),
		// Ordinary calls and chats are no written cases.
		answered("c3", "cc", records.ChannelPhone, at(4, 3, 10, 0), 10, 60, 0, 0),
		answered("h1", "cc", records.ChannelChat, at(4, 3, 10, 0), 10, 60, 0, 0),
		// north web form, 2 working days: Tue 2, Wed 3 April; answered Thu 4
		// April 09:00 local: missed (met under the default 5 days).
		writtenCase("w1", "north", "web_form", at(3, 29, 10, 0), ptr(at(4, 4, 9, 0)), ptr(true)),
	)
	// Noise: before the window, withdrawn, another institution.
	withdrawn := writtenCase("x2", "cc", "email", at(4, 3, 10, 0), nil, nil)
	withdrawn.Version, withdrawn.Deleted = 2, true
	other := writtenCase("x3", "cc", "email", at(4, 3, 10, 0), nil, nil)
	other.Institution = "VMI"
	mustInsert(t, s,
		writtenCase("x1", "cc", "email", at(3, 28, 23, 59), nil, nil),
		writtenCase("x2", "cc", "email", at(4, 3, 10, 0), nil, nil), withdrawn,
		other,
	)

	// The written cases are counted from their newest versions, and then
	// again, with the same results, from the written rollup built in the
	// institution's zone.
	for _, rolled := range []bool{false, true} {
		if rolled {
			s.SetZones(func(string) *time.Location { return loc })
			if err := s.RebuildRollups(testContext(t), "SODRA"); err != nil {
				t.Fatal(err)
			}
		}
		counts := func(q store.WrittenQuery) []store.WrittenRow {
			t.Helper()
			served, err := s.WrittenRollupServes(testContext(t), q)
			if err != nil {
				t.Fatal(err)
			}
			if served != rolled {
				t.Errorf("[%s, %s) as of %s: served by the written rollup: %v, want %v", q.From, q.To, q.AsOf, served, rolled)
			}
			rows, err := s.WrittenCounts(testContext(t), q)
			if err != nil {
				t.Fatal(err)
			}
			return rows
		}
		rows := counts(store.WrittenQuery{
			Institution: "SODRA", Location: loc, Calendar: "LT",
			From: at(3, 29, 0, 0), To: at(4, 9, 0, 0),
			AsOf:   at(4, 12, 0, 0), // 11 April 21:00 UTC
			Params: writtenParams,
		})
		want := map[string]kpi.WrittenCounts{
			// due: e1 e2 e3 e4 e5 e6 e8; met: e1 e3 e4 e5 e8; corrected known:
			// e1 (yes) e2 (no) e8 (no).
			"cc/email":       {Due: 7, MetDeadline: 5, Answered: 3, Corrected: 1},
			"cc/phone":       {Due: 2, MetDeadline: 1}, // c1 met, c2 missed
			"north/web_form": {Due: 1, MetDeadline: 0, Answered: 1, Corrected: 1},
		}
		got := map[string]kpi.WrittenCounts{}
		for _, r := range rows {
			if r.Institution != "SODRA" || !r.PeriodStart.Equal(at(3, 29, 0, 0)) {
				t.Errorf("row %s/%s: institution %q period %s", r.Unit, r.Channel, r.Institution, r.PeriodStart)
			}
			got[r.Unit+"/"+r.Channel] = r.Counts
		}
		if len(got) != len(want) {
			t.Errorf("got groups %v, want %d", got, len(want))
		}
		for k, w := range want {
			if g := got[k]; g != w {
				t.Errorf("%s:\n got  %+v\n want %+v", k, g, w)
			}
		}
		if v := got["cc/email"].DeadlineMetRate(); !v.Valid || v.Value != 5.0/7 {
			t.Errorf("cc/email deadline_met_rate = %+v, want 5/7", v)
		}

		// One second before the deadline of e6, it is not yet due.
		rows = counts(store.WrittenQuery{
			Institution: "SODRA", Location: loc, Calendar: "LT", From: at(4, 4, 0, 0), To: at(4, 5, 0, 0),
			AsOf: at(4, 12, 0, 0).Add(-time.Second), Params: writtenParams,
		})
		if len(rows) != 1 || rows[0].Counts != (kpi.WrittenCounts{}) {
			t.Errorf("e6 just before its deadline: rows %+v, want one cc/email row with zero counts", rows)
		}

		// By day: e1 and e2 on Friday 29 March, e3 on Saturday 30 March.
		rows = counts(store.WrittenQuery{
			Institution: "SODRA", Location: loc, Calendar: "LT", From: at(3, 29, 0, 0), To: at(3, 31, 0, 0),
			By: store.ByDay, AsOf: at(4, 12, 0, 0), Params: writtenParams,
		})
		var byDay []string
		for _, r := range rows {
			byDay = append(byDay, fmt.Sprintf("%s %s/%s due %v met %v", r.PeriodStart.Format(time.DateOnly), r.Unit, r.Channel, r.Counts.Due, r.Counts.MetDeadline))
		}
		wantByDay := []string{
			"2024-03-29 cc/email due 2 met 1",
			"2024-03-29 cc/phone due 1 met 1",
			"2024-03-29 north/web_form due 1 met 0",
			"2024-03-30 cc/email due 1 met 1",
		}
		if strings.Join(byDay, "\n") != strings.Join(wantByDay, "\n") {
			t.Errorf("by day:\n got  %q\n want %q", byDay, wantByDay)
		}

		// As of Tuesday 9 April 12:00 local, the day of e2's answer (00:00,
		// before) and e4's (12:00, not before): due e1 e2 e3 e8, met e1 e3
		// e8; e4 and e5 are open and not yet due, and so are e6, e7, c2.
		rows = counts(store.WrittenQuery{
			Institution: "SODRA", Location: loc, Calendar: "LT", From: at(3, 29, 0, 0), To: at(4, 9, 0, 0),
			AsOf: at(4, 9, 12, 0), Params: writtenParams,
		})
		wantAsOf := map[string]kpi.WrittenCounts{
			"cc/email":       {Due: 4, MetDeadline: 3, Answered: 3, Corrected: 1},
			"cc/phone":       {Due: 1, MetDeadline: 1},
			"north/web_form": {Due: 1, MetDeadline: 0, Answered: 1, Corrected: 1},
		}
		gotAsOf := map[string]kpi.WrittenCounts{}
		for _, r := range rows {
			gotAsOf[r.Unit+"/"+r.Channel] = r.Counts
		}
		if !reflect.DeepEqual(gotAsOf, wantAsOf) {
			t.Errorf("as of 9 April 12:00:\n got  %+v\n want %+v", gotAsOf, wantAsOf)
		}
	}
}

func TestWrittenCountsNeedsTheCalendar(t *testing.T) {
	s := servertest.NewStore(t)
	loc := vilnius(t)
	mustInsert(t, s, writtenCase("e1", "cc", "email", time.Date(2024, 3, 29, 10, 0, 0, 0, loc), nil, nil))
	q := store.WrittenQuery{
		Institution: "SODRA", Location: loc, Calendar: "LT",
		From: time.Date(2024, 3, 1, 0, 0, 0, 0, loc), To: time.Date(2024, 4, 1, 0, 0, 0, 0, loc),
		AsOf: time.Date(2024, 5, 1, 0, 0, 0, 0, loc),
	}
	_, err := s.WrittenCounts(testContext(t), q)
	if err == nil || !strings.Contains(err.Error(), "calendar LT not loaded for 2024-03-29") || !strings.Contains(err.Error(), "ccbench register load") {
		t.Errorf("no calendar: err %v, want one naming calendar LT, 2024-03-29 and the command", err)
	}
	// The calendar ends before the due day (8 April).
	loadLT(t, s, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 4, 5, 0, 0, 0, 0, time.UTC))
	_, err = s.WrittenCounts(testContext(t), q)
	if err == nil || !strings.Contains(err.Error(), "calendar LT not loaded far enough") || !strings.Contains(err.Error(), "2024-03-29") {
		t.Errorf("short calendar: err %v, want one saying calendar LT does not reach the due day of the case of 2024-03-29", err)
	}
	loadLT(t, s, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 4, 9, 0, 0, 0, 0, time.UTC))
	rows, err := s.WrittenCounts(testContext(t), q)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Counts != (kpi.WrittenCounts{Due: 1}) {
		t.Errorf("calendar loaded: rows %+v, want one with Due 1 (open past its deadline)", rows)
	}
	for name, bad := range map[string]store.WrittenQuery{
		"no institution": {Calendar: "LT", From: q.From, To: q.To},
		"no calendar":    {Institution: "SODRA", From: q.From, To: q.To},
		"empty window":   {Institution: "SODRA", Calendar: "LT", From: q.From, To: q.From},
		"bad grouping":   {Institution: "SODRA", Calendar: "LT", From: q.From, To: q.To, By: "fortnight"},
	} {
		if _, err := s.WrittenCounts(testContext(t), bad); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

// TestWrittenDueDaysMatchCalendar checks the SQL's due days against
// kpi.Calendar.Deadline over most of a year (Easter, both daylight-saving
// changes, the Christmas holidays): every day gets cases at 00:30 and 23:30
// local, each answered one second before its deadline (met) and at the
// deadline (missed), as an e-mail (5 working days) and as a complex
// inquiry (3 working days).
func TestWrittenDueDaysMatchCalendar(t *testing.T) {
	s := servertest.NewStore(t)
	loc := vilnius(t)
	lt, err := kpi.NewCalendar("LT")
	if err != nil {
		t.Fatal(err)
	}
	loadLT(t, s, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC))
	from := time.Date(2024, 3, 20, 0, 0, 0, 0, loc)
	to := time.Date(2025, 1, 10, 0, 0, 0, 0, loc)
	var cs []records.Contact
	days := 0
	for day := from; day.Before(to); day = day.AddDate(0, 0, 1) {
		days++
		for _, hm := range [][2]int{{0, 30}, {23, 30}} {
			arrived := time.Date(day.Year(), day.Month(), day.Day(), hm[0], hm[1], 0, 0, loc)
			email, complexN := lt.Deadline(arrived, loc, 5), lt.Deadline(arrived, loc, 3)
			id := arrived.Format("20060102T1504")
			cs = append(cs,
				writtenCase("met-"+id, "cc", "email", arrived, ptr(email.Add(-time.Second)), nil),
				writtenCase("late-"+id, "cc", "email", arrived, ptr(email), nil),
				complexInquiry("cmet-"+id, arrived, ptr(complexN.Add(-time.Second))),
				complexInquiry("clate-"+id, arrived, ptr(complexN)),
			)
		}
	}
	mustInsert(t, s, cs...)
	rows, err := s.WrittenCounts(testContext(t), store.WrittenQuery{
		// AsOf after every answer (the last deadline is in late January):
		// answers at or after AsOf would count as open.
		Institution: "SODRA", Location: loc, Calendar: "LT", From: from, To: to, By: store.ByDay,
		AsOf: time.Date(2025, 2, 1, 0, 0, 0, 0, loc),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2*days {
		t.Fatalf("got %d rows, want %d (email and phone for each of %d days)", len(rows), 2*days, days)
	}
	for _, r := range rows {
		if r.Counts.Due != 4 || r.Counts.MetDeadline != 2 {
			t.Errorf("%s %s: due %v met %v, want due 4 met 2 (the SQL due day differs from kpi.Calendar.DueDay)",
				r.PeriodStart.Format(time.DateOnly), r.Channel, r.Counts.Due, r.Counts.MetDeadline)
		}
	}
}

// writtenTotals runs a total WrittenCounts of SODRA over [from, to) as of
// asOf with the default parameters, keyed by "unit/channel".
func writtenTotals(t *testing.T, s *store.Store, loc *time.Location, from, to, asOf time.Time) map[string]kpi.WrittenCounts {
	t.Helper()
	rows, err := s.WrittenCounts(testContext(t), store.WrittenQuery{
		Institution: "SODRA", Location: loc, Calendar: "LT", From: from, To: to, AsOf: asOf,
	})
	if err != nil {
		t.Fatalf("written counts as of %s: %v", asOf, err)
	}
	got := map[string]kpi.WrittenCounts{}
	for _, r := range rows {
		got[r.Unit+"/"+r.Channel] = r.Counts
	}
	return got
}

// TestWrittenCountsAsOf checks that counts as of a moment ignore answers
// given at or after it, so compare --as-of gives the same figures whenever
// it runs. All cases arrive on Monday 8 April 2024 (no Lithuanian holiday
// until 1 May): e-mails are due Monday 15 April (Tue 9, Wed 10, Thu 11, Fri
// 12, Mon 15), deadline Tuesday 16 April 00:00 local; complex phone
// inquiries are due Thursday 11 April (Tue 9, Wed 10, Thu 11), deadline
// Friday 12 April 00:00 local.
func TestWrittenCountsAsOf(t *testing.T) {
	s := servertest.NewStore(t)
	loc := vilnius(t)
	at := func(d, h, mi, sec int) time.Time { return time.Date(2024, 4, d, h, mi, sec, 0, loc) }
	loadLT(t, s, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC))
	received := at(8, 10, 0, 0)
	mustInsert(t, s,
		writtenCase("a", "cc", "email", received, ptr(at(12, 10, 0, 0)), ptr(false)), // met
		writtenCase("b", "cc", "email", received, ptr(at(17, 10, 0, 0)), ptr(true)),  // late
		writtenCase("c", "cc", "email", received, ptr(at(15, 12, 0, 0)), ptr(true)),  // met, on the due day
		complexInquiry("p1", received, ptr(at(11, 18, 0, 0))),                        // met
		complexInquiry("p2", received, ptr(at(15, 9, 0, 0))),                         // late
	)
	from, to := at(8, 0, 0, 0), at(9, 0, 0, 0)
	for _, tc := range []struct {
		name        string
		asOf        time.Time
		email, call kpi.WrittenCounts
	}{
		{
			// Nothing answered yet, no deadline reached: all left out (the
			// answers given later must not count as met).
			name: "Thu 11 April 12:00", asOf: at(11, 12, 0, 0),
		},
		{
			// a answered and met; b and c open, not yet due. p1 met; p2
			// open past its deadline: due and missed.
			name: "Sat 13 April 00:00", asOf: at(13, 0, 0, 0),
			email: kpi.WrittenCounts{Due: 1, MetDeadline: 1, Answered: 1, Corrected: 0},
			call:  kpi.WrittenCounts{Due: 2, MetDeadline: 1},
		},
		{
			// c is answered exactly at AsOf: not yet (answers before AsOf
			// only). p2 answered late at 09:00.
			name: "Mon 15 April 12:00:00", asOf: at(15, 12, 0, 0),
			email: kpi.WrittenCounts{Due: 1, MetDeadline: 1, Answered: 1, Corrected: 0},
			call:  kpi.WrittenCounts{Due: 2, MetDeadline: 1},
		},
		{
			// One second later c counts: met, and corrected.
			name: "Mon 15 April 12:00:01", asOf: at(15, 12, 0, 1),
			email: kpi.WrittenCounts{Due: 2, MetDeadline: 2, Answered: 2, Corrected: 1},
			call:  kpi.WrittenCounts{Due: 2, MetDeadline: 1},
		},
		{
			// The e-mail deadline: b is open and due, missed; its later
			// answer and correction do not count yet.
			name: "Tue 16 April 00:00", asOf: at(16, 0, 0, 0),
			email: kpi.WrittenCounts{Due: 3, MetDeadline: 2, Answered: 2, Corrected: 1},
			call:  kpi.WrittenCounts{Due: 2, MetDeadline: 1},
		},
		{
			// Everything answered: b late and corrected.
			name: "Thu 18 April 00:00", asOf: at(18, 0, 0, 0),
			email: kpi.WrittenCounts{Due: 3, MetDeadline: 2, Answered: 3, Corrected: 2},
			call:  kpi.WrittenCounts{Due: 2, MetDeadline: 1},
		},
	} {
		got := writtenTotals(t, s, loc, from, to, tc.asOf)
		if g := got["cc/email"]; g != tc.email {
			t.Errorf("as of %s: cc/email\n got  %+v\n want %+v", tc.name, g, tc.email)
		}
		if g := got["cc/phone"]; g != tc.call {
			t.Errorf("as of %s: cc/phone\n got  %+v\n want %+v", tc.name, g, tc.call)
		}
	}
}

// TestWrittenCountsLeavesOutComplexWrittenCases checks that complex cases
// of written channels are not judged against the simple-answer deadline
// (nor need the calendar), while they remain written answers for
// correction_rate, and complex phone inquiries keep their own deadline.
func TestWrittenCountsLeavesOutComplexWrittenCases(t *testing.T) {
	s := servertest.NewStore(t)
	loc := vilnius(t)
	at := func(mo time.Month, d, h int) time.Time { return time.Date(2024, mo, d, h, 0, 0, 0, loc) }
	loadLT(t, s, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC))
	complexCase := func(id string, answeredAt *time.Time, corrected *bool) records.Contact {
		c := writtenCase(id, "cc", "email", at(4, 8, 10), answeredAt, corrected)
		c.Complex = true
		return c
	}
	mustInsert(t, s,
		// Simple e-mail of Mon 8 April, due Mon 15 April; answered Fri 12: met.
		writtenCase("s1", "cc", "email", at(4, 8, 10), ptr(at(4, 12, 10)), ptr(false)),
		// Complex e-mails: answered after three weeks (corrected), and still
		// open at AsOf. Under the 5-day deadline both would be due and
		// missed.
		complexCase("x1", ptr(at(4, 30, 10)), ptr(true)),
		complexCase("x2", nil, nil),
		// Complex phone inquiry of Mon 8 April, due Thu 11 April, resolved
		// Mon 15 April: due, missed.
		complexInquiry("p1", at(4, 8, 10), ptr(at(4, 15, 9))),
	)
	got := writtenTotals(t, s, loc, at(4, 8, 0), at(4, 9, 0), at(5, 20, 0))
	want := map[string]kpi.WrittenCounts{
		"cc/email": {Due: 1, MetDeadline: 1, Answered: 2, Corrected: 1}, // due/met: s1; answered: s1 x1; corrected: x1
		"cc/phone": {Due: 1, MetDeadline: 0},                            // p1
	}
	if len(got) != len(want) {
		t.Errorf("got groups %v, want %d", got, len(want))
	}
	for k, w := range want {
		if g := got[k]; g != w {
			t.Errorf("%s:\n got  %+v\n want %+v", k, g, w)
		}
	}

	// A complex e-mail received where the calendar is not loaded needs no
	// calendar: no error, nothing due.
	old := complexCase("x3", nil, nil)
	old.ArrivedAt = time.Date(2023, 6, 1, 10, 0, 0, 0, loc)
	mustInsert(t, s, old)
	got = writtenTotals(t, s, loc, time.Date(2023, 6, 1, 0, 0, 0, 0, loc), time.Date(2023, 6, 2, 0, 0, 0, 0, loc), at(5, 20, 0))
	if g := got["cc/email"]; g != (kpi.WrittenCounts{}) {
		t.Errorf("complex e-mail outside the calendar: %+v, want zero counts", g)
	}
}
