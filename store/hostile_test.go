package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/store"
)

// hostileNames are names that reach SQL from configuration (institution,
// unit, calendar) and from source records (unit, channel): quotes,
// backslashes, backticks, a question mark, comment and statement
// separators, and non-ASCII letters.
var hostileNames = []string{
	`o'brien`,
	`back\slash\'`,
	"tick`s` -- ; DROP TABLE contacts",
	`"double" ? quoted`,
	`Šiaulių filialas ž`,
}

// TestKPIQueriesWithHostileNames runs every KPI query with hostile names
// and checks the counts, not just the absence of an error: each name gets
// its own contacts, written cases, feedback and aggregates, and each query
// must see exactly those.
func TestKPIQueriesWithHostileNames(t *testing.T) {
	s := servertest.NewStore(t)
	ctx := testContext(t)
	loc := vilnius(t)
	day := time.Date(2024, 3, 4, 0, 0, 0, 0, loc) // a Monday
	at := day.Add(10 * time.Hour)
	next := day.AddDate(0, 0, 1)

	for i, name := range hostileNames {
		calendar := "LT " + name
		lt, err := kpi.NewCalendar("LT")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.LoadCalendar(ctx, lt.Days(calendar, day.AddDate(0, 0, -7), day.AddDate(0, 1, 0))); err != nil {
			t.Fatalf("%q: load calendar: %v", name, err)
		}
		inst, unit, channel := name, "unit "+name, "channel "+name
		c := func(id, ch string, wait int) records.Contact {
			x := answered(id, unit, ch, at, wait, 60, 0, 5)
			x.Institution, x.Source = inst, "src "+name
			return x
		}
		email := c("e1", records.ChannelEmail, 3600)
		var cs []records.Contact
		for n := 0; n <= i; n++ { // i+1 phone calls within T, so counts differ per name
			cs = append(cs, c("p"+string(rune('a'+n)), records.ChannelPhone, 10))
		}
		cs = append(cs, c("odd", channel, 10), email)
		mustInsert(t, s, cs...)
		fb := response("f1", "", "", records.InstrumentSatisfactionSurvey, "1-5", 5, at)
		fb.Institution, fb.Source, fb.ContactID = inst, "src "+name, "pa"
		if err := s.InsertFeedback(ctx, []records.Feedback{fb}); err != nil {
			t.Fatal(err)
		}
		agg := records.Aggregate{Institution: inst, Source: "src " + name, Batch: name, Revision: 1,
			PeriodStart: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC),
			Unit: unit, Metric: records.AggDecided, Value: float64(10 + i)}
		if err := s.InsertAggregates(ctx, []records.Aggregate{agg}); err != nil {
			t.Fatal(err)
		}
		params := func(u, ch string) kpi.Params {
			p := kpi.DefaultParams(ch)
			if u != unit {
				t.Errorf("%q: params asked for unit %q", name, u)
			}
			return p
		}

		contacts, err := s.ContactCounts(ctx, store.ContactQuery{Institution: inst, Location: loc, From: day, To: next, Params: params})
		if err != nil {
			t.Fatalf("%q: contact counts: %v", name, err)
		}
		got := map[string]kpi.ContactCounts{}
		for _, r := range contacts {
			got[r.Unit+"|"+r.Channel] = r.Counts
		}
		phone := got[unit+"|"+records.ChannelPhone]
		if phone.Offered != float64(i+1) || phone.AnsweredWithinT != float64(i+1) || got[unit+"|"+channel].Offered != 1 || len(got) != 3 {
			t.Errorf("%q: contact counts %v; want %d phone calls within T, 1 on the odd channel, 1 e-mail", name, got, i+1)
		}

		written, err := s.WrittenCounts(ctx, store.WrittenQuery{Institution: inst, Location: loc, Calendar: calendar,
			From: day, To: next, AsOf: day.AddDate(0, 0, 20), Params: params})
		if err != nil {
			t.Fatalf("%q: written counts: %v", name, err)
		}
		if len(written) != 1 || written[0].Unit != unit || written[0].Counts.Due != 1 || written[0].Counts.MetDeadline != 1 {
			t.Errorf("%q: written counts %+v; want the e-mail due and met", name, written)
		}

		feedback, err := s.FeedbackCounts(ctx, store.FeedbackQuery{Institution: inst, Location: loc, From: day, To: next})
		if err != nil {
			t.Fatalf("%q: feedback counts: %v", name, err)
		}
		if len(feedback) != 1 || feedback[0].Unit != unit || feedback[0].Channel != records.ChannelPhone || feedback[0].Counts.Favourable != 1 {
			t.Errorf("%q: feedback counts %+v; want 1 favourable under its call's unit and phone", name, feedback)
		}

		aggs, err := s.Aggregates(ctx, inst, day, next)
		if err != nil {
			t.Fatalf("%q: aggregates: %v", name, err)
		}
		if len(aggs) != 1 || aggs[0].Value != float64(10+i) || aggs[0].Batch != name {
			t.Errorf("%q: aggregates %+v; want the one row of value %d", name, aggs, 10+i)
		}

		loaded, err := s.CalendarLoaded(ctx, calendar, day, next)
		if err != nil || !loaded {
			t.Errorf("%q: calendar loaded = %v, %v", name, loaded, err)
		}
		if n, err := s.QuarantineCount(ctx, "src "+name); err != nil || n != 0 {
			t.Errorf("%q: quarantine count = %d, %v", name, n, err)
		}
		figures, err := s.ReportedFigures(ctx, []string{inst})
		if err != nil || len(figures) != 0 {
			t.Errorf("%q: reported figures = %v, %v", name, figures, err)
		}
	}
}

// TestHostileTimeZoneIsAnError checks that a time-zone name ClickHouse does
// not know is refused with an error, not run as SQL.
func TestHostileTimeZoneIsAnError(t *testing.T) {
	s := servertest.NewStore(t)
	ctx := testContext(t)
	at := time.Date(2024, 3, 4, 10, 0, 0, 0, time.UTC)
	mustInsert(t, s, answered("p1", "cc", records.ChannelPhone, at, 10, 60, 0, 5))
	for _, name := range []string{`Europe/Vil'nius`, "Europe/Vilnius') --", `Europe\Vilnius`} {
		loc := time.FixedZone(name, 7200)
		_, err := s.ContactCounts(ctx, store.ContactQuery{Institution: "SODRA", Location: loc, From: at.Add(-time.Hour), To: at.Add(time.Hour), By: store.ByDay})
		if err == nil {
			t.Errorf("%q: no error", name)
			continue
		}
		if strings.Contains(err.Error(), "Syntax error") {
			t.Errorf("%q: the name reached SQL unquoted: %v", name, err)
		}
	}
}
