package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/report"
	"github.com/ccbench/ccbench/store"
)

// fakeReader hands Build hand-made store rows and records the queries it
// was asked.
type fakeReader struct {
	contacts  []store.ContactRow
	written   []store.WrittenRow
	feedback  []store.FeedbackRow
	aggs      []records.Aggregate
	practices []records.Practice
	reported  []records.ReportedFigure

	mu        sync.Mutex // Build reads institutions concurrently
	contactQ  []store.ContactQuery
	writtenQ  []store.WrittenQuery
	feedbackQ []store.FeedbackQuery
}

func (f *fakeReader) ContactCounts(_ context.Context, q store.ContactQuery) ([]store.ContactRow, error) {
	f.mu.Lock()
	f.contactQ = append(f.contactQ, q)
	f.mu.Unlock()
	var out []store.ContactRow
	for _, r := range f.contacts {
		if r.Institution == q.Institution {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakeReader) WrittenCounts(_ context.Context, q store.WrittenQuery) ([]store.WrittenRow, error) {
	f.mu.Lock()
	f.writtenQ = append(f.writtenQ, q)
	f.mu.Unlock()
	var out []store.WrittenRow
	for _, r := range f.written {
		if r.Institution == q.Institution {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakeReader) FeedbackCounts(_ context.Context, q store.FeedbackQuery) ([]store.FeedbackRow, error) {
	f.mu.Lock()
	f.feedbackQ = append(f.feedbackQ, q)
	f.mu.Unlock()
	var out []store.FeedbackRow
	for _, r := range f.feedback {
		if r.Institution == q.Institution {
			out = append(out, r)
		}
	}
	return out, nil
}

// Aggregates returns every aggregate of the institution, in or out of the
// window: the report must place them in its periods itself.
func (f *fakeReader) Aggregates(_ context.Context, institution string, _, _ time.Time) ([]records.Aggregate, error) {
	var out []records.Aggregate
	for _, a := range f.aggs {
		if a.Institution == institution {
			out = append(out, a)
		}
	}
	return out, nil
}

func (f *fakeReader) Practices(context.Context) ([]records.Practice, error) { return f.practices, nil }

func (f *fakeReader) ReportedFigures(_ context.Context, institutions []string) ([]records.ReportedFigure, error) {
	var out []records.ReportedFigure
	for _, r := range f.reported {
		for _, in := range institutions {
			if r.Institution == in {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

const testConfig = `
institutions:
  - {id: sodra, name: SODRA, country: LT, timezone: Europe/Vilnius}
  - {id: ind, name: IND, country: NL, timezone: Europe/Amsterdam}
  - {id: vmi, name: VMI, country: LT, timezone: Europe/Vilnius}
targets:
  - {institution: sodra, kpi: service_level, value: 0.8}
  - {institution: sodra, channel: phone, kpi: service_level, value: 0.75}
  - {institution: sodra, unit: kaunas, channel: phone, kpi: service_level, value: 0.5}
  - {institution: sodra, kpi: max_wait_seconds, value: 600}
  - {institution: sodra, kpi: answer_rate, value: 0.85, direction: at_most}
  - {institution: sodra, kpi: abandon_rate, value: 0.05}
`

func testCfg(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(testConfig), "test.yaml")
	if err != nil {
		t.Fatalf("parse test configuration: %v", err)
	}
	return cfg
}

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func s(v string) *string { return &v }

// all marks a breakdown a row sums over (a null unit, channel or
// instrument).
var all *string

// sel picks rows: nil pointers must be nil in the row too.
type sel struct {
	inst                      string
	unit, channel, instrument *string
	kpi                       kpi.ID
}

func (q sel) String() string {
	f := func(p *string) string {
		if p == nil {
			return "(all)"
		}
		return fmt.Sprintf("%q", *p)
	}
	return fmt.Sprintf("%s unit=%s channel=%s instrument=%s %s", q.inst, f(q.unit), f(q.channel), f(q.instrument), q.kpi)
}

func eqPtr(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func find(rows []report.Row, q sel) []report.Row {
	var out []report.Row
	for _, r := range rows {
		if r.Institution == q.inst && r.KPI == string(q.kpi) && eqPtr(r.Unit, q.unit) && eqPtr(r.Channel, q.channel) && eqPtr(r.Instrument, q.instrument) {
			out = append(out, r)
		}
	}
	return out
}

func one(t *testing.T, rows []report.Row, q sel) report.Row {
	t.Helper()
	got := find(rows, q)
	if len(got) != 1 {
		t.Fatalf("%v: want exactly one row, got %d", q, len(got))
	}
	return got[0]
}

func none(t *testing.T, rows []report.Row, q sel) {
	t.Helper()
	if got := find(rows, q); len(got) != 0 {
		t.Errorf("%v: want no row, got %d (first value %v)", q, len(got), fv(got[0].Value))
	}
}

func fv(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

const eps = 1e-9

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// checkRatio checks a row's numerator, denominator and value.
func checkRatio(t *testing.T, r report.Row, num, den float64) {
	t.Helper()
	if r.Numerator == nil || r.Denominator == nil || r.Value == nil {
		t.Fatalf("%s %s: numerator %v denominator %v value %v; want %v/%v", r.Institution, r.KPI, fv(r.Numerator), fv(r.Denominator), fv(r.Value), num, den)
	}
	if !near(*r.Numerator, num, eps) || !near(*r.Denominator, den, eps) || !near(*r.Value, num/den, eps) {
		t.Errorf("%s %s: %v/%v = %v, want %v/%v = %v", r.Institution, r.KPI, *r.Numerator, *r.Denominator, *r.Value, num, den, num/den)
	}
}

func checkValue(t *testing.T, r report.Row, want float64) {
	t.Helper()
	if r.Value == nil || !near(*r.Value, want, eps) {
		t.Errorf("%s %s: value %v, want %v", r.Institution, r.KPI, fv(r.Value), want)
	}
}

func checkTarget(t *testing.T, r report.Row, target float64, met bool) {
	t.Helper()
	if r.Target == nil || r.Met == nil {
		t.Fatalf("%s %s unit %v channel %v: target %v met %v, want %v %v", r.Institution, r.KPI, r.Unit, r.Channel, fv(r.Target), r.Met, target, met)
	}
	if *r.Target != target || *r.Met != met {
		t.Errorf("%s %s unit %v channel %v: target %v met %v, want %v %v", r.Institution, r.KPI, str(r.Unit), str(r.Channel), *r.Target, *r.Met, target, met)
	}
}

func str(p *string) string {
	if p == nil {
		return "(all)"
	}
	return *p
}

// sodraFixture is SODRA's hand-made store rows for 2024-03-01 to 2024-03-08
// (7 days). The counts are chosen so that every roll-up differs from its
// parts.
func sodraFixture(from time.Time) *fakeReader {
	row := func(unit, channel string, c kpi.ContactCounts) store.ContactRow {
		c.Days = 7
		return store.ContactRow{Institution: "sodra", Unit: unit, Channel: channel, PeriodStart: from, Counts: c}
	}
	return &fakeReader{
		contacts: []store.ContactRow{
			row("vilnius", "phone", kpi.ContactCounts{Offered: 100, Answered: 90, Abandoned: 10, ShortAbandoned: 2, AnsweredWithinT: 80,
				AbandonedWithinT: 3, AbandonedNotShort: 8, LongWaits: 1, AnswerWaitSumS: 900, Handled: 90, HandleSumS: 18000, AcwCounted: 90, AcwSumS: 900, MaxWaitS: 400}),
			row("kaunas", "phone", kpi.ContactCounts{Offered: 50, Answered: 40, Abandoned: 10, ShortAbandoned: 4, AnsweredWithinT: 30,
				AbandonedWithinT: 2, AbandonedNotShort: 6, AnswerWaitSumS: 800, Handled: 40, HandleSumS: 8000, AcwCounted: 40, AcwSumS: 400, MaxWaitS: 700}),
			row("vilnius", "chat", kpi.ContactCounts{Offered: 20, Answered: 20, AnsweredWithinT: 15, AnswerWaitSumS: 600,
				Handled: 20, HandleSumS: 6000, AcwCounted: 20, AcwSumS: 200, MaxWaitS: 100}),
			// 60 answered and 10 open e-mails: they count as offered, but
			// would change every wait KPI if they were let in.
			row("vilnius", "email", kpi.ContactCounts{Offered: 70, Answered: 60, HandleSumS: 99999, MaxWaitS: 86400 * 3}),
		},
		written: []store.WrittenRow{
			{Institution: "sodra", Unit: "vilnius", Channel: "email", PeriodStart: from, Counts: kpi.WrittenCounts{Due: 50, MetDeadline: 45, Answered: 60, Corrected: 3}},
			{Institution: "sodra", Unit: "kaunas", Channel: "post", PeriodStart: from, Counts: kpi.WrittenCounts{Due: 10, MetDeadline: 5, Answered: 10}},
		},
		feedback: []store.FeedbackRow{
			{Institution: "sodra", Unit: "vilnius", Channel: "phone", Instrument: records.InstrumentPostContact, PeriodStart: from,
				Counts: kpi.FeedbackCounts{Responses: 100, Favourable: 89}},
			{Institution: "sodra", Unit: "kaunas", Channel: "phone", Instrument: records.InstrumentPostContact, PeriodStart: from,
				Counts: kpi.FeedbackCounts{Responses: 20, Favourable: 10}},
			{Institution: "sodra", Unit: "vilnius", Channel: records.ChannelWeb, Instrument: records.InstrumentFAQ, PeriodStart: from,
				Counts: kpi.FeedbackCounts{Responses: 40, Favourable: 30}},
			// A survey about a contact the store does not know: no unit,
			// no channel.
			{Institution: "sodra", Instrument: records.InstrumentSatisfactionSurvey, PeriodStart: from,
				Counts: kpi.FeedbackCounts{Responses: 7, Favourable: 7}},
		},
	}
}

func buildSODRA(t *testing.T, q report.Query) (*report.Report, *fakeReader) {
	t.Helper()
	vilnius := zone(t, "Europe/Vilnius")
	r := sodraFixture(time.Date(2024, 3, 1, 0, 0, 0, 0, vilnius))
	q.From, q.To = day(2024, 3, 1), day(2024, 3, 8)
	q.Institutions = []string{"sodra"}
	if q.AsOf.IsZero() {
		q.AsOf = time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	}
	rep, err := report.Build(context.Background(), testCfg(t), r, q)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return rep, r
}

func TestReportQueries(t *testing.T) {
	asOf := time.Date(2024, 4, 2, 10, 0, 0, 0, time.UTC)
	_, r := buildSODRA(t, report.Query{AsOf: asOf})
	vilnius := zone(t, "Europe/Vilnius")
	from, to := time.Date(2024, 3, 1, 0, 0, 0, 0, vilnius), time.Date(2024, 3, 8, 0, 0, 0, 0, vilnius)
	if len(r.contactQ) != 1 || !r.contactQ[0].From.Equal(from) || !r.contactQ[0].To.Equal(to) || r.contactQ[0].By != store.ByTotal {
		t.Fatalf("contact queries: %+v, want one for [%v, %v) by total", r.contactQ, from, to)
	}
	if r.contactQ[0].Location.String() != "Europe/Vilnius" {
		t.Errorf("contact query location %v, want Europe/Vilnius", r.contactQ[0].Location)
	}
	w := r.writtenQ[0]
	if !w.AsOf.Equal(asOf) || w.Calendar != "LT" || !w.From.Equal(from) || !w.To.Equal(to) {
		t.Errorf("written query: as of %v calendar %q window [%v, %v); want %v LT [%v, %v)", w.AsOf, w.Calendar, w.From, w.To, asOf, from, to)
	}
	if p := w.Params("vilnius", "email"); p.DeadlineDays != 5 {
		t.Errorf("written query params: deadline days %d, want the default 5", p.DeadlineDays)
	}
}

func TestReportRollUps(t *testing.T) {
	rep, _ := buildSODRA(t, report.Query{})
	rows := rep.Rows
	sl := func(unit, channel *string) report.Row {
		return one(t, rows, sel{"sodra", unit, channel, nil, kpi.ServiceLevel})
	}
	// negative: A ÷ (offered − short).
	checkRatio(t, sl(s("vilnius"), s("phone")), 80, 100-2)
	checkRatio(t, sl(s("kaunas"), s("phone")), 30, 50-4)
	checkRatio(t, sl(s("vilnius"), s("chat")), 15, 20)
	// Per channel over units: sums of numerators and denominators.
	checkRatio(t, sl(all, s("phone")), 80+30, 98+46)
	checkRatio(t, sl(all, s("chat")), 15, 20)
	// Over everything: phone + chat; the e-mails (70 offered, 10 open) are
	// not in it.
	checkRatio(t, sl(all, all), 80+30+15, 98+46+20)

	checkRatio(t, one(t, rows, sel{"sodra", all, all, nil, kpi.AbandonRate}), 8+6, 98+46+20)
	checkRatio(t, one(t, rows, sel{"sodra", all, s("phone"), nil, kpi.AnswerRate}), 90+40, 100+50)
	checkRatio(t, one(t, rows, sel{"sodra", all, all, nil, kpi.AnswerRate}), 90+40+20, 100+50+20)
	checkRatio(t, one(t, rows, sel{"sodra", all, all, nil, kpi.ASASeconds}), 900+800+600, 90+40+20)
	checkRatio(t, one(t, rows, sel{"sodra", all, all, nil, kpi.AHTSeconds}), 18000+8000+6000, 90+40+20)
	checkRatio(t, one(t, rows, sel{"sodra", all, all, nil, kpi.ACWSeconds}), 900+400+200, 90+40+20)
	checkRatio(t, one(t, rows, sel{"sodra", all, all, nil, kpi.LongWaitShare}), 1, 100+50+20)
	checkValue(t, one(t, rows, sel{"sodra", all, all, nil, kpi.MaxWaitSeconds}), 700) // the largest, not a sum
	checkValue(t, one(t, rows, sel{"sodra", all, s("phone"), nil, kpi.MaxWaitSeconds}), 700)

	// contacts_offered counts the written channel too: per day of 7.
	checkRatio(t, one(t, rows, sel{"sodra", all, all, nil, kpi.ContactsOffered}), 100+50+20+70, 7)
	checkRatio(t, one(t, rows, sel{"sodra", s("vilnius"), s("email"), nil, kpi.ContactsOffered}), 70, 7)
	checkRatio(t, one(t, rows, sel{"sodra", all, s("email"), nil, kpi.ContactsOffered}), 70, 7)
	// ... and nothing else of the contact KPIs.
	for _, id := range []kpi.ID{kpi.ServiceLevel, kpi.AbandonRate, kpi.AnswerRate, kpi.ASASeconds, kpi.AHTSeconds, kpi.ACWSeconds, kpi.LongWaitShare, kpi.MaxWaitSeconds} {
		none(t, rows, sel{"sodra", s("vilnius"), s("email"), nil, id})
		none(t, rows, sel{"sodra", all, s("email"), nil, id})
	}

	// Written cases roll up the same way.
	checkRatio(t, one(t, rows, sel{"sodra", s("vilnius"), s("email"), nil, kpi.DeadlineMetRate}), 45, 50)
	checkRatio(t, one(t, rows, sel{"sodra", all, all, nil, kpi.DeadlineMetRate}), 45+5, 50+10)
	checkRatio(t, one(t, rows, sel{"sodra", all, all, nil, kpi.CorrectionRate}), 3, 60+10)

	// Feedback: per unit and channel, per channel, and over both.
	checkRatio(t, one(t, rows, sel{"sodra", all, s("phone"), s(records.InstrumentPostContact), kpi.FavourableShare}), 89+10, 100+20)
	checkRatio(t, one(t, rows, sel{"sodra", all, all, s(records.InstrumentPostContact), kpi.FavourableShare}), 89+10, 100+20)
	// FAQ votes count under the pseudo-channel web.
	checkRatio(t, one(t, rows, sel{"sodra", s("vilnius"), s(records.ChannelWeb), s(records.InstrumentFAQ), kpi.UsefulShare}), 30, 40)
	checkRatio(t, one(t, rows, sel{"sodra", all, s(records.ChannelWeb), s(records.InstrumentFAQ), kpi.UsefulShare}), 30, 40)
	checkRatio(t, one(t, rows, sel{"sodra", all, all, s(records.InstrumentFAQ), kpi.UsefulShare}), 30, 40)
	none(t, rows, sel{"sodra", all, all, s(records.InstrumentFAQ), kpi.FavourableShare})
	// Responses without a known unit and channel count only where both are
	// summed over; no row has an empty dimension.
	checkRatio(t, one(t, rows, sel{"sodra", all, all, s(records.InstrumentSatisfactionSurvey), kpi.FavourableShare}), 7, 7)
	for _, r := range rows {
		for _, d := range []*string{r.Unit, r.Channel, r.Instrument} {
			if d != nil && *d == "" {
				t.Errorf("%s %s: a dimension is the empty string (unit %v channel %v instrument %v); want a value or null", r.Institution, r.KPI, r.Unit, r.Channel, r.Instrument)
			}
		}
	}

	for _, r := range rows {
		if r.Source != report.SourceMeasured {
			t.Errorf("%s %s: source %q, want measured", r.Institution, r.KPI, r.Source)
		}
		if r.PeriodStart == nil || r.PeriodEnd == nil || r.PeriodStart.Format(time.DateOnly) != "2024-03-01" || r.PeriodEnd.Format(time.DateOnly) != "2024-03-08" {
			t.Errorf("%s %s: period %v..%v, want 2024-03-01..2024-03-08", r.Institution, r.KPI, r.PeriodStart, r.PeriodEnd)
		}
	}
}

func TestReportServiceLevelMethods(t *testing.T) {
	// A = 80, B = 3, O = 100 − 2 for Vilnius phone.
	want := map[kpi.Method][2]float64{
		kpi.MethodNegative: {80, 98},
		kpi.MethodIgnore:   {80, 98 - 3},
		kpi.MethodPositive: {80 + 3, 98},
	}
	for _, m := range kpi.Methods {
		t.Run(string(m), func(t *testing.T) {
			rep, _ := buildSODRA(t, report.Query{Method: m})
			if rep.SLMethod != m {
				t.Errorf("sl_method %q, want %q", rep.SLMethod, m)
			}
			r := one(t, rep.Rows, sel{"sodra", s("vilnius"), s("phone"), nil, kpi.ServiceLevel})
			if r.Method != m {
				t.Errorf("row method %q, want %q", r.Method, m)
			}
			checkRatio(t, r, want[m][0], want[m][1])
		})
	}
	t.Run("default from configuration", func(t *testing.T) {
		rep, _ := buildSODRA(t, report.Query{})
		if rep.SLMethod != kpi.MethodNegative {
			t.Errorf("sl_method %q, want negative (exporter.sl_method default)", rep.SLMethod)
		}
	})
	t.Run("all methods", func(t *testing.T) {
		rep, _ := buildSODRA(t, report.Query{AllMethods: true})
		got := find(rep.Rows, sel{"sodra", s("vilnius"), s("phone"), nil, kpi.ServiceLevel})
		if len(got) != 3 {
			t.Fatalf("want 3 service_level rows, one per method, got %d", len(got))
		}
		for _, r := range got {
			w, ok := want[r.Method]
			if !ok {
				t.Fatalf("row of unexpected method %q", r.Method)
			}
			checkRatio(t, r, w[0], w[1])
			delete(want, r.Method)
		}
		// Only service_level is repeated.
		if n := len(find(rep.Rows, sel{"sodra", s("vilnius"), s("phone"), nil, kpi.AbandonRate})); n != 1 {
			t.Errorf("abandon_rate rows: %d, want 1", n)
		}
	})
}

func TestReportTargets(t *testing.T) {
	rep, _ := buildSODRA(t, report.Query{})
	rows := rep.Rows
	sl := func(unit, channel *string) report.Row {
		return one(t, rows, sel{"sodra", unit, channel, nil, kpi.ServiceLevel})
	}
	// Most specific target wins: unit+channel 0.5 > channel 0.75 > institution 0.8.
	checkTarget(t, sl(s("kaunas"), s("phone")), 0.5, true)   // 30/46 = 0.652
	checkTarget(t, sl(s("vilnius"), s("phone")), 0.75, true) // 80/98 = 0.816
	checkTarget(t, sl(all, s("phone")), 0.75, true)          // 110/144 = 0.764
	checkTarget(t, sl(s("vilnius"), s("chat")), 0.8, false)  // 15/20 = 0.75
	checkTarget(t, sl(all, all), 0.8, false)                 // 125/164 = 0.762
	mw := func(unit *string) report.Row {
		return one(t, rows, sel{"sodra", unit, s("phone"), nil, kpi.MaxWaitSeconds})
	}
	// at_most by the KPI's usual direction.
	checkTarget(t, mw(s("vilnius")), 600, true)                                             // 400
	checkTarget(t, mw(s("kaunas")), 600, false)                                             // 700
	checkTarget(t, one(t, rows, sel{"sodra", all, all, nil, kpi.AbandonRate}), 0.05, false) // 14/164 = 0.085
	// answer_rate is usually at_least; the target says at_most.
	ar := func(unit *string) report.Row {
		return one(t, rows, sel{"sodra", unit, s("phone"), nil, kpi.AnswerRate})
	}
	checkTarget(t, ar(s("vilnius")), 0.85, false) // 90/100
	checkTarget(t, ar(s("kaunas")), 0.85, true)   // 40/50
	// No target, no met.
	r := one(t, rows, sel{"sodra", all, all, nil, kpi.ASASeconds})
	if r.Target != nil || r.Met != nil {
		t.Errorf("asa_seconds: target %v met %v, want none", fv(r.Target), r.Met)
	}
}

func TestReportSampledShares(t *testing.T) {
	rep, _ := buildSODRA(t, report.Query{})
	r := one(t, rep.Rows, sel{"sodra", s("vilnius"), s("phone"), s(records.InstrumentPostContact), kpi.FavourableShare})
	checkRatio(t, r, 89, 100)
	if r.N == nil || *r.N != 100 {
		t.Errorf("n = %v, want 100", fv(r.N))
	}
	// Wilson 95 %, 89 of 100: 0.8137 .. 0.9375.
	if r.CILow == nil || r.CIHigh == nil || !near(*r.CILow, 0.8137, 1e-4) || !near(*r.CIHigh, 0.9375, 1e-4) {
		t.Errorf("CI %v..%v, want 0.8137..0.9375", fv(r.CILow), fv(r.CIHigh))
	}
	// Shares that are not samples carry neither.
	sl := one(t, rep.Rows, sel{"sodra", s("vilnius"), s("phone"), nil, kpi.ServiceLevel})
	if sl.N != nil || sl.CILow != nil || sl.CIHigh != nil {
		t.Errorf("service_level: n %v CI %v..%v, want none", fv(sl.N), fv(sl.CILow), fv(sl.CIHigh))
	}
}

// indAggregates are two IND-style months in the window and one after it,
// plus VMI-style seminars.
func indAggregates() []records.Aggregate {
	var out []records.Aggregate
	month := func(batch string, start time.Time) func(channel, instrument, item, metric string, v float64) {
		return func(channel, instrument, item, metric string, v float64) {
			out = append(out, records.Aggregate{Institution: "ind", Source: "ind-api", Batch: batch, Revision: 1,
				PeriodStart: start, PeriodEnd: start.AddDate(0, 1, 0), Unit: "ind",
				Channel: channel, Instrument: instrument, Item: item, Metric: metric, Value: v})
		}
	}
	jan := month("2024-01", day(2024, 1, 1))
	jan("", "", "asylum", records.AggDecided, 100)
	jan("", "", "asylum", records.AggWithinDeadline, 80)
	jan("", "", "asylum", records.AggPenaltiesPaid, 5)
	jan("", "", "asylum", records.AggPenaltiesEUR, 500)
	jan("", "", "family", records.AggDecided, 50)
	jan("", "", "family", records.AggWithinDeadline, 45)
	jan("", "", "family", records.AggPenaltiesPaid, 1)
	jan("", "", "family", records.AggPenaltiesEUR, 23)
	jan("", "", "appointments", "booked", 999)
	jan("", "", "appointments", "median_lead_days", 12)
	jan(records.ChannelPhone, "", "", records.AggOffered, 1000)
	jan(records.ChannelPhone, "", "", records.AggAnswered, 900)
	jan(records.ChannelPhone, "", "", records.AggAnsweredWithinThreshold, 700)
	jan(records.ChannelPhone, "", "", records.AggThresholdS, 60)
	jan(records.ChannelPhone, "", "", records.AggShortAbandoned, 20)
	jan(records.ChannelPhone, "", "", records.AggWaitSSum, 45000)
	jan("", records.InstrumentWebPage, "/a", records.AggYesVotes, 30)
	jan("", records.InstrumentWebPage, "/a", records.AggNoVotes, 10)
	jan("", records.InstrumentWebPage, "/b", records.AggYesVotes, 5)
	jan("", records.InstrumentWebPage, "/b", records.AggNoVotes, 5)
	jan("", records.InstrumentUsabilitySurvey, "", records.AggResponses, 200)
	jan("", records.InstrumentUsabilitySurvey, "", records.AggFavourable, 150)

	feb := month("2024-02", day(2024, 2, 1))
	feb("", "", "asylum", records.AggDecided, 60)
	feb("", "", "asylum", records.AggWithinDeadline, 30)
	feb("", "", "asylum", records.AggPenaltiesPaid, 10)
	feb("", "", "asylum", records.AggPenaltiesEUR, 2000)
	feb(records.ChannelPhone, "", "", records.AggOffered, 800)
	feb(records.ChannelPhone, "", "", records.AggAnswered, 760)
	feb(records.ChannelPhone, "", "", records.AggAnsweredWithinThreshold, 600)
	feb(records.ChannelPhone, "", "", records.AggThresholdS, 60)
	feb(records.ChannelPhone, "", "", records.AggShortAbandoned, 10)
	feb(records.ChannelPhone, "", "", records.AggWaitSSum, 30400)

	mar := month("2024-03", day(2024, 3, 1))
	mar("", "", "asylum", records.AggDecided, 7777)
	mar("", "", "asylum", records.AggWithinDeadline, 7)

	seminar := func(id string, held time.Time, responses, recommend float64) {
		for _, m := range []struct {
			metric string
			v      float64
		}{{"participants", responses + 5}, {records.AggResponses, responses}, {records.AggWouldRecommend, recommend}} {
			out = append(out, records.Aggregate{Institution: "vmi", Source: "vmi-files", Batch: "seminars.csv", Revision: 1,
				PeriodStart: held, PeriodEnd: held.AddDate(0, 0, 1), Unit: "tax-information", Instrument: records.InstrumentSeminar,
				Item: id, Metric: m.metric, Value: m.v})
		}
	}
	seminar("s1", day(2024, 1, 10), 40, 25)
	seminar("s2", day(2024, 2, 20), 10, 9)
	seminar("s3", day(2024, 3, 5), 10, 0) // after the window
	return out
}

func TestReportAggregates(t *testing.T) {
	r := &fakeReader{aggs: indAggregates()}
	build := func(t *testing.T, q report.Query) []report.Row {
		t.Helper()
		q.From, q.To = day(2024, 1, 1), day(2024, 3, 1)
		q.AsOf = day(2024, 4, 1)
		rep, err := report.Build(context.Background(), testCfg(t), r, q)
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		return rep.Rows
	}
	rows := build(t, report.Query{})
	unit := s("ind")

	// Decisions of January (asylum, family) and February (asylum); March is
	// outside the window.
	for _, u := range []*string{unit, all} {
		checkRatio(t, one(t, rows, sel{"ind", u, all, nil, kpi.DecisionsOnTimeRate}), 80+45+30, 100+50+60)
		checkValue(t, one(t, rows, sel{"ind", u, all, nil, kpi.PenaltyEUR}), 500+23+2000)
	}

	// Phone block: SL (negative) = within ÷ (offered − short); ASA =
	// wait_s_sum ÷ answered; abandoned = offered − answered.
	for _, lvl := range []struct{ unit, channel *string }{{unit, s("phone")}, {all, s("phone")}, {all, all}} {
		q := func(id kpi.ID) sel { return sel{"ind", lvl.unit, lvl.channel, nil, id} }
		sl := one(t, rows, q(kpi.ServiceLevel))
		checkRatio(t, sl, 700+600, (1000-20)+(800-10))
		if sl.Method != kpi.MethodNegative {
			t.Errorf("phone block service_level method %q, want negative", sl.Method)
		}
		checkRatio(t, one(t, rows, q(kpi.ASASeconds)), 45000+30400, 900+760)
		checkRatio(t, one(t, rows, q(kpi.AnswerRate)), 900+760, 1000+800)
		checkRatio(t, one(t, rows, q(kpi.AbandonRate)), (1000-900-20)+(800-760-10), (1000-20)+(800-10))
		// offered per day of the two months: 31 + 29 days.
		checkRatio(t, one(t, rows, q(kpi.ContactsOffered)), 1000+800, 31+29)
		// What the block cannot give is not shown.
		for _, id := range []kpi.ID{kpi.AHTSeconds, kpi.ACWSeconds, kpi.LongWaitShare, kpi.MaxWaitSeconds} {
			none(t, rows, q(id))
		}
	}

	// web_page: useful_yes ÷ (useful_yes + useful_no) over pages.
	for _, u := range []*string{unit, all} {
		wp := one(t, rows, sel{"ind", u, all, s(records.InstrumentWebPage), kpi.UsefulShare})
		checkRatio(t, wp, 30+5, 30+10+5+5)
		if wp.N == nil || *wp.N != 50 || wp.CILow == nil {
			t.Errorf("web_page useful_share: n %v CI %v, want 50 and an interval", fv(wp.N), fv(wp.CILow))
		}
		checkRatio(t, one(t, rows, sel{"ind", u, all, s(records.InstrumentUsabilitySurvey), kpi.FavourableShare}), 150, 200)
	}
	// VMI seminars: would_recommend ÷ responses, the March one left out.
	for _, u := range []*string{s("tax-information"), all} {
		checkRatio(t, one(t, rows, sel{"vmi", u, all, s(records.InstrumentSeminar), kpi.RecommendShare}), 25+9, 40+10)
	}
	none(t, rows, sel{"vmi", s("tax-information"), all, s(records.InstrumentSeminar), kpi.FavourableShare})

	t.Run("other method", func(t *testing.T) {
		// The block only has the negative service level (it lacks B).
		rows := build(t, report.Query{Method: kpi.MethodIgnore})
		none(t, rows, sel{"ind", unit, s("phone"), nil, kpi.ServiceLevel})
		none(t, rows, sel{"ind", all, all, nil, kpi.ServiceLevel})
		one(t, rows, sel{"ind", unit, s("phone"), nil, kpi.ASASeconds})
		rows = build(t, report.Query{Method: kpi.MethodIgnore, AllMethods: true})
		if sl := one(t, rows, sel{"ind", unit, s("phone"), nil, kpi.ServiceLevel}); sl.Method != kpi.MethodNegative {
			t.Errorf("all methods: block service_level method %q, want negative", sl.Method)
		}
	})
}

func TestReportAggregateMonthByDay(t *testing.T) {
	r := &fakeReader{aggs: indAggregates()}
	rep, err := report.Build(context.Background(), testCfg(t), r, report.Query{
		From: day(2024, 1, 30), To: day(2024, 2, 2), By: store.ByDay, AsOf: day(2024, 4, 1), Institutions: []string{"ind"},
		KPIs: []kpi.ID{kpi.DecisionsOnTimeRate},
	})
	if err != nil {
		t.Fatal(err)
	}
	rows := find(rep.Rows, sel{"ind", s("ind"), all, nil, kpi.DecisionsOnTimeRate})
	sort.Slice(rows, func(i, j int) bool { return rows[i].PeriodStart.Before(*rows[j].PeriodStart) })
	ams := zone(t, "Europe/Amsterdam")
	want := []struct {
		start    time.Time
		num, den float64
	}{
		// January belongs whole to each of its days in the window ...
		{time.Date(2024, 1, 30, 0, 0, 0, 0, ams), 80 + 45, 100 + 50},
		{time.Date(2024, 1, 31, 0, 0, 0, 0, ams), 80 + 45, 100 + 50},
		// ... and February to its first.
		{time.Date(2024, 2, 1, 0, 0, 0, 0, ams), 30, 60},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		if !rows[i].PeriodStart.Equal(w.start) || !rows[i].PeriodEnd.Equal(w.start.AddDate(0, 0, 1)) {
			t.Errorf("row %d: period %v..%v, want the day from %v", i, rows[i].PeriodStart, rows[i].PeriodEnd, w.start)
		}
		checkRatio(t, rows[i], w.num, w.den)
	}
}

func TestReportMonthStartsInWindow(t *testing.T) {
	// The store labels a month by its first day, even when the window starts
	// later in it; the report's period starts with the window.
	vilnius := zone(t, "Europe/Vilnius")
	r := &fakeReader{contacts: []store.ContactRow{
		{Institution: "sodra", Unit: "vilnius", Channel: "phone", PeriodStart: time.Date(2024, 3, 1, 0, 0, 0, 0, vilnius),
			Counts: kpi.ContactCounts{Offered: 34, Answered: 34, AnsweredWithinT: 34, Days: 17}},
		{Institution: "sodra", Unit: "vilnius", Channel: "phone", PeriodStart: time.Date(2024, 4, 1, 0, 0, 0, 0, vilnius),
			Counts: kpi.ContactCounts{Offered: 30, Answered: 30, AnsweredWithinT: 15, Days: 30}},
	}}
	rep, err := report.Build(context.Background(), testCfg(t), r, report.Query{
		From: day(2024, 3, 15), To: day(2024, 5, 1), By: store.ByMonth, AsOf: day(2024, 6, 1), Institutions: []string{"sodra"},
	})
	if err != nil {
		t.Fatal(err)
	}
	rows := find(rep.Rows, sel{"sodra", all, all, nil, kpi.ContactsOffered})
	if len(rows) != 2 {
		t.Fatalf("got %d contacts_offered rows, want 2", len(rows))
	}
	wantStart := []time.Time{time.Date(2024, 3, 15, 0, 0, 0, 0, vilnius), time.Date(2024, 4, 1, 0, 0, 0, 0, vilnius)}
	wantEnd := []time.Time{time.Date(2024, 4, 1, 0, 0, 0, 0, vilnius), time.Date(2024, 5, 1, 0, 0, 0, 0, vilnius)}
	for i, r := range rows {
		if !r.PeriodStart.Equal(wantStart[i]) || !r.PeriodEnd.Equal(wantEnd[i]) {
			t.Errorf("row %d: period %v..%v, want %v..%v", i, r.PeriodStart, r.PeriodEnd, wantStart[i], wantEnd[i])
		}
	}
	checkRatio(t, rows[0], 34, 17) // 15 to 31 March
	checkRatio(t, rows[1], 30, 30)
}

func TestReportPracticeScore(t *testing.T) {
	r := &fakeReader{practices: []records.Practice{{
		Institution: "ind", Country: "NL",
		Languages:          []string{"nl", "en"},                    // multilingual, english_available
		Channels:           []string{"phone", "email", "in_person"}, // 3
		FeedbackMechanisms: []string{"page_useful_survey"},          // 1
		Practices:          []string{"late_decision_compensation"},  // 1
	}, {Institution: "elsewhere", Country: "PL", Channels: []string{"phone"}}}}
	rep, err := report.Build(context.Background(), testCfg(t), r, report.Query{From: day(2024, 1, 1), To: day(2024, 2, 1), AsOf: day(2024, 3, 1)})
	if err != nil {
		t.Fatal(err)
	}
	row := one(t, rep.Rows, sel{"ind", all, all, nil, kpi.PracticeScore})
	// 2 languages + 3 channels + 1 feedback mechanism + 1 practice present.
	checkRatio(t, row, 2+3+1+1, float64(len(kpi.PracticeCatalogue())))
	if row.Source != report.SourceReported || row.PeriodStart != nil || row.PeriodEnd != nil {
		t.Errorf("practice_score: source %q period %v..%v, want reported with no period", row.Source, row.PeriodStart, row.PeriodEnd)
	}
	none(t, rep.Rows, sel{"sodra", all, all, nil, kpi.PracticeScore})
}

func TestReportReportedFigures(t *testing.T) {
	r := &fakeReader{reported: []records.ReportedFigure{
		{Institution: "sodra", Channel: "phone", KPI: "service_level", Period: "2024-03", Value: 0.9, Method: "unknown", Source: "annual report"},
		{Institution: "sodra", KPI: "abandon_rate", Period: "2023", Value: 0.04, Source: "annual report 2023"},
		{Institution: "sodra", Metric: "customer_service_staff", Label: "before", Value: 120, Source: "study"},
		{Institution: "sodra", KPI: "contacts_offered", Period: "2024-03-07", Value: 3500, Source: "press"},
		{Institution: "sodra", KPI: "contacts_offered", Period: "2024-03-08", Value: 9999, Source: "press"},
		{Institution: "vmi", KPI: "answer_rate", Period: "2024", Value: 0.8, Source: "vmi"},
	}}
	rep, err := report.Build(context.Background(), testCfg(t), r, report.Query{
		From: day(2024, 3, 1), To: day(2024, 3, 8), AsOf: day(2024, 4, 1), Institutions: []string{"sodra"},
	})
	if err != nil {
		t.Fatal(err)
	}
	vilnius := zone(t, "Europe/Vilnius")
	sl := one(t, rep.Rows, sel{"sodra", all, s("phone"), nil, kpi.ServiceLevel})
	if sl.Source != report.SourceReported || sl.Method != kpi.MethodUnknown || *sl.Value != 0.9 || sl.Numerator != nil || sl.Denominator != nil {
		t.Errorf("reported service_level: %+v", sl)
	}
	if !sl.PeriodStart.Equal(time.Date(2024, 3, 1, 0, 0, 0, 0, vilnius)) || !sl.PeriodEnd.Equal(time.Date(2024, 4, 1, 0, 0, 0, 0, vilnius)) {
		t.Errorf("reported service_level period %v..%v, want March 2024", sl.PeriodStart, sl.PeriodEnd)
	}
	checkTarget(t, sl, 0.75, true)
	none(t, rep.Rows, sel{"sodra", all, all, nil, kpi.AbandonRate}) // 2023: outside
	staff := one(t, rep.Rows, sel{"sodra", all, all, nil, "customer_service_staff"})
	if staff.PeriodStart != nil || staff.PeriodEnd != nil || *staff.Value != 120 {
		t.Errorf("label-only figure: period %v..%v value %v, want no period and 120", staff.PeriodStart, staff.PeriodEnd, fv(staff.Value))
	}
	co := one(t, rep.Rows, sel{"sodra", all, all, nil, kpi.ContactsOffered}) // 8 March is outside [1, 8)
	checkValue(t, co, 3500)
	none(t, rep.Rows, sel{"vmi", all, all, nil, kpi.AnswerRate}) // not asked for
}

func TestReportKPIFilter(t *testing.T) {
	rep, _ := buildSODRA(t, report.Query{KPIs: []kpi.ID{kpi.ServiceLevel, kpi.FavourableShare}})
	if len(rep.Rows) == 0 {
		t.Fatal("no rows")
	}
	seen := map[string]bool{}
	for _, r := range rep.Rows {
		seen[r.KPI] = true
	}
	if len(seen) != 2 || !seen["service_level"] || !seen["favourable_share"] {
		t.Errorf("KPIs in the report: %v, want service_level and favourable_share", seen)
	}
}

func TestReportErrors(t *testing.T) {
	cfg := testCfg(t)
	for _, tc := range []struct {
		name string
		q    report.Query
		want string
	}{
		{"empty window", report.Query{From: day(2024, 3, 8), To: day(2024, 3, 8)}, "not after"},
		{"unknown institution", report.Query{From: day(2024, 3, 1), To: day(2024, 3, 8), Institutions: []string{"nope"}}, `unknown institution "nope"`},
		{"unknown grouping", report.Query{From: day(2024, 3, 1), To: day(2024, 3, 8), By: "fortnight"}, `unknown period grouping "fortnight"`},
		{"unknown method", report.Query{From: day(2024, 3, 1), To: day(2024, 3, 8), Method: "best"}, `unknown service-level method "best"`},
		{"unknown KPI", report.Query{From: day(2024, 3, 1), To: day(2024, 3, 8), KPIs: []kpi.ID{"happiness"}}, `unknown KPI "happiness"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := report.Build(context.Background(), cfg, &fakeReader{}, tc.q)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestReportJSON(t *testing.T) {
	asOf := time.Date(2024, 4, 2, 12, 30, 0, 0, time.UTC)
	_, fake := buildSODRA(t, report.Query{})
	fake.practices = []records.Practice{{Institution: "sodra", Country: "LT", Channels: []string{"phone"}}}
	fake.reported = []records.ReportedFigure{{Institution: "sodra", Metric: "customer_service_staff", Label: "before", Value: 120, Source: "study"}}
	rep, err := report.Build(context.Background(), testCfg(t), fake, report.Query{
		From: day(2024, 3, 1), To: day(2024, 3, 8), AsOf: asOf, Institutions: []string{"sodra"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("decode: %v\n%s", err, buf.String())
	}
	if got := sortedKeys(doc); strings.Join(got, ",") != "as_of,by,comparisons,from,rows,sl_method,to" {
		t.Errorf("envelope keys %v", got)
	}
	for k, want := range map[string]string{"from": "2024-03-01", "to": "2024-03-08", "by": "total", "as_of": "2024-04-02T12:30:00Z", "sl_method": "negative"} {
		if doc[k] != want {
			t.Errorf("%s = %v, want %q", k, doc[k], want)
		}
	}
	rows, ok := doc["rows"].([]any)
	if !ok || len(rows) == 0 {
		t.Fatalf("rows: %T %v", doc["rows"], doc["rows"])
	}
	const rowKeys = "channel,ci_high,ci_low,denominator,institution,instrument,kpi,met,n,numerator,params,period_end,period_start,source,target,unit,value"
	find := func(match func(m map[string]any) bool) map[string]any {
		t.Helper()
		for _, r := range rows {
			if m := r.(map[string]any); match(m) {
				return m
			}
		}
		t.Fatal("no matching row")
		return nil
	}
	for _, r := range rows {
		m := r.(map[string]any)
		want := strings.Split(rowKeys, ",")
		if _, labelled := m["label"]; labelled && m["source"] == "reported" && m["period_start"] == nil {
			// a figure published without a period carries its label
			want = append(want, "label")
		}
		if _, hasMethod := m["method"]; hasMethod && (m["kpi"] == "service_level" || m["source"] == "reported") {
			// service levels and reported figures name their method
			want = append(want, "method")
		}
		sort.Strings(want)
		keys := strings.Join(want, ",")
		if got := strings.Join(sortedKeys(m), ","); got != keys {
			t.Fatalf("row keys %s, want %s", got, keys)
		}
	}
	// A roll-up of a measured ratio: null unit, channel and instrument; no
	// sample size or interval.
	sl := find(func(m map[string]any) bool {
		return m["kpi"] == "service_level" && m["unit"] == nil && m["channel"] == nil && m["source"] == "measured"
	})
	for _, k := range []string{"unit", "channel", "instrument", "n", "ci_low", "ci_high"} {
		if v, present := sl[k]; !present || v != nil {
			t.Errorf("service_level roll-up: %s = %v, want null", k, v)
		}
	}
	if sl["numerator"] != 125.0 || sl["denominator"] != 164.0 || sl["target"] != 0.8 || sl["met"] != false || sl["institution"] != "sodra" {
		t.Errorf("service_level roll-up: %v", sl)
	}
	if sl["period_start"] != "2024-03-01T00:00:00+02:00" || sl["period_end"] != "2024-03-08T00:00:00+02:00" {
		t.Errorf("service_level period %v..%v, want local midnights", sl["period_start"], sl["period_end"])
	}
	fav := find(func(m map[string]any) bool { return m["kpi"] == "favourable_share" && m["unit"] == "vilnius" })
	if fav["channel"] != "phone" || fav["instrument"] != "post_contact" || fav["n"] != 100.0 || fav["ci_low"] == nil || fav["ci_high"] == nil {
		t.Errorf("favourable_share row: %v", fav)
	}
	ps := find(func(m map[string]any) bool { return m["kpi"] == "practice_score" })
	if ps["source"] != "reported" || ps["period_start"] != nil || ps["period_end"] != nil || ps["target"] != nil || ps["met"] != nil {
		t.Errorf("practice_score row: %v", ps)
	}
	staff := find(func(m map[string]any) bool { return m["kpi"] == "customer_service_staff" })
	if staff["value"] != 120.0 || staff["numerator"] != nil || staff["denominator"] != nil || staff["period_start"] != nil {
		t.Errorf("reported figure row: %v", staff)
	}

	var table bytes.Buffer
	if err := report.WriteTable(&table, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "service level method negative") || !strings.Contains(table.String(), "89.0%") {
		t.Errorf("table:\n%s", table.String())
	}
}

func sortedKeys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestDecisionsWithoutUnit: decisions published with no unit give the
// institution's row once, not a second copy taken for a unit's.
func TestDecisionsWithoutUnit(t *testing.T) {
	jan := day(2024, 1, 1)
	var aggs []records.Aggregate
	for metric, v := range map[string]float64{records.AggDecided: 100, records.AggWithinDeadline: 80} {
		aggs = append(aggs, records.Aggregate{Institution: "ind", Source: "ind-api", Batch: "2024-01", Revision: 1,
			PeriodStart: jan, PeriodEnd: jan.AddDate(0, 1, 0), Item: "asylum", Metric: metric, Value: v})
	}
	rep, err := report.Build(context.Background(), testCfg(t), &fakeReader{aggs: aggs},
		report.Query{From: jan, To: day(2024, 2, 1), AsOf: day(2024, 4, 1)})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	checkRatio(t, one(t, rep.Rows, sel{"ind", all, all, nil, kpi.DecisionsOnTimeRate}), 80, 100)
}
