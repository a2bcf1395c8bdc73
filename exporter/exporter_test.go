package exporter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/version"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/report"
	"github.com/ccbench/ccbench/store"
)

const testConfig = `
exporter:
  windows: [1h, 1d]
  refresh_interval: 10ms
  refresh_timeout: 5s
institutions:
  - {id: sodra, name: SODRA, country: LT, timezone: Europe/Vilnius}
  - {id: vmi, name: VMI, country: LT, timezone: Europe/Vilnius}
  - {id: ind, name: IND, country: NL, timezone: Europe/Amsterdam}
targets:
  - {institution: sodra, kpi: service_level, value: 0.95, threshold: 30s}
  - {institution: sodra, kpi: abandon_rate, value: 0.05, direction: at_most}
  - {institution: vmi, channel: phone, kpi: aht_seconds, value: 180}
  - {institution: vmi, instrument: "1-5", kpi: favourable_share, value: 0.89}
`

func loadConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(testConfig), "test.yaml")
	if err != nil {
		t.Fatalf("parse test configuration: %v", err)
	}
	return cfg
}

// Units of the fixture.
const (
	contactCentre = "contact-centre"
	vilnius       = "vilnius"
	taxInfo       = "tax-information"
	immigration   = "immigration"
	seminars      = "seminars"
)

// phone are the counts of SODRA's phone line in the 1h window. With
// O = offered − short abandons = 110 − 5 = 105 (no open contacts):
//
//	service level negative = 80 / 105, ignore = 80 / (105 − 6) = 80 / 99,
//	positive = (80 + 6) / 105 = 86 / 105; abandon rate = 15 / 105;
//	answer rate = 90 / 110; ASA = 1800 / 90 = 20 s; AHT = 16200 / 90 = 180 s;
//	ACW = 1350 / 90 = 15 s; long-wait share = 2 / 110; max wait = 2000 s;
//	110 offered in 1/24 day = 2640 a day.
var phone = kpi.ContactCounts{
	Offered: 110, Answered: 90, Abandoned: 20, ShortAbandoned: 5,
	AnsweredWithinT: 80, AbandonedWithinT: 6, AbandonedNotShort: 15, LongWaits: 2,
	AnswerWaitSumS: 1800, Handled: 90, HandleSumS: 16200, AcwCounted: 90, AcwSumS: 1350, MaxWaitS: 2000, Days: 1.0 / 24,
}

// email are SODRA's e-mails in the 1h window: 12 offered (9 answered, 3
// still open), 288 a day. A written channel has no service level or wait
// KPIs.
var email = kpi.ContactCounts{Offered: 12, Answered: 9, AnsweredWithinT: 9, AnswerWaitSumS: 9 * 3600, Days: 1.0 / 24}

// windowData is what the fake store holds for one institution and window.
type windowData struct {
	contacts []store.ContactRow
	written  []store.WrittenRow
	feedback []store.FeedbackRow
}

// fakeReader is a report.Reader with fixed rows per institution and window
// length; it can be made to fail or to block.
type fakeReader struct {
	mu         sync.Mutex
	windows    map[string]map[time.Duration]windowData // institution → window → rows
	aggregates map[string][]records.Aggregate
	practices  []records.Practice
	reported   []records.ReportedFigure
	err        error
	fail       map[string]error      // errors of one institution's queries
	now        time.Time             // when windows end; zero: testNow
	block      chan struct{}         // when set, queries wait until it is closed
	entered    chan struct{}         // signalled when a query starts blocking
	params     map[string]kpi.Params // params seen for <unit>/phone, per institution
	asOf       []time.Time           // AsOf of the written queries
}

// setNow moves the end of the windows the fake expects.
func (f *fakeReader) setNow(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = t
}

func (f *fakeReader) setFail(institution string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail == nil {
		f.fail = map[string]error{}
	}
	f.fail[institution] = err
}

// wait blocks while the fake is told to, then returns the error set for
// every query or for one of institutions.
func (f *fakeReader) wait(ctx context.Context, institutions ...string) error {
	f.mu.Lock()
	block, entered, err := f.block, f.entered, f.err
	for _, in := range institutions {
		if e := f.fail[in]; e != nil && err == nil {
			err = e
		}
	}
	f.mu.Unlock()
	if block != nil {
		select {
		case entered <- struct{}{}:
		default:
		}
		select {
		case <-block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return err
}

func (f *fakeReader) data(institution string, from, to time.Time) windowData {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.windows[institution][to.Sub(from)]
}

func (f *fakeReader) ContactCounts(ctx context.Context, q store.ContactQuery) ([]store.ContactRow, error) {
	if err := f.wait(ctx, q.Institution); err != nil {
		return nil, err
	}
	if q.Location == nil || q.Location.String() == "UTC" {
		return nil, errors.New("fake: no institution time zone")
	}
	f.mu.Lock()
	now := f.now
	if now.IsZero() {
		now = testNow
	}
	if f.params == nil {
		f.params = map[string]kpi.Params{}
	}
	f.params[q.Institution] = q.Params("", "phone")
	f.mu.Unlock()
	if !q.To.Equal(now) {
		return nil, fmt.Errorf("fake: window ends %v, want now %v", q.To, now)
	}
	return f.data(q.Institution, q.From, q.To).contacts, nil
}

func (f *fakeReader) WrittenCounts(ctx context.Context, q store.WrittenQuery) ([]store.WrittenRow, error) {
	if err := f.wait(ctx, q.Institution); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.asOf = append(f.asOf, q.AsOf)
	f.mu.Unlock()
	return f.data(q.Institution, q.From, q.To).written, nil
}

func (f *fakeReader) FeedbackCounts(ctx context.Context, q store.FeedbackQuery) ([]store.FeedbackRow, error) {
	if err := f.wait(ctx, q.Institution); err != nil {
		return nil, err
	}
	return f.data(q.Institution, q.From, q.To).feedback, nil
}

func (f *fakeReader) Aggregates(ctx context.Context, institution string, from, to time.Time) ([]records.Aggregate, error) {
	if err := f.wait(ctx, institution); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.aggregates[institution], nil
}

func (f *fakeReader) Practices(ctx context.Context) ([]records.Practice, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	return f.practices, nil
}

func (f *fakeReader) ReportedFigures(ctx context.Context, institutions []string) ([]records.ReportedFigure, error) {
	if err := f.wait(ctx, institutions...); err != nil {
		return nil, err
	}
	return f.reported, nil
}

// fakeTotals returns fixed cumulative counts per institution.
type fakeTotals struct {
	mu     sync.Mutex
	totals map[string][]GroupCounts
	err    error
}

func (f *fakeTotals) ContactTotals(ctx context.Context, institution string, upTo time.Time, params func(unit, channel string) kpi.Params) ([]GroupCounts, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	return f.totals[institution], nil
}

// indAggregate is one figure of the IND-style March block.
func indAggregate(unit, channel, instrument, metric string, v float64) records.Aggregate {
	return records.Aggregate{
		Institution: "ind", Source: "ind-test", Batch: "2025-03", Revision: 1,
		PeriodStart: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC),
		Unit: unit, Channel: channel, Instrument: instrument, Item: "residence-permit", Metric: metric, Value: v,
	}
}

func newFake() *fakeReader {
	return &fakeReader{
		windows: map[string]map[time.Duration]windowData{
			"sodra": {
				time.Hour: {contacts: []store.ContactRow{
					{Institution: "sodra", Unit: contactCentre, Channel: "phone", Counts: phone},
					{Institution: "sodra", Unit: contactCentre, Channel: "email", Counts: email},
				}},
				24 * time.Hour: {
					contacts: []store.ContactRow{
						// Two branches' visits: a roll-up over units must
						// not be exported next to them.
						{Institution: "sodra", Unit: vilnius, Channel: "visit", Counts: kpi.ContactCounts{Offered: 300, Answered: 300, AnsweredWithinT: 270, Days: 1}},
						{Institution: "sodra", Unit: "kaunas", Channel: "visit", Counts: kpi.ContactCounts{Offered: 400, Answered: 200, Abandoned: 200, AbandonedNotShort: 200, AnsweredWithinT: 100, Days: 1}},
					},
					// 34 of 40 due e-mails answered in time; 1 of 38 answers corrected.
					written: []store.WrittenRow{
						{Institution: "sodra", Unit: contactCentre, Channel: "email", Counts: kpi.WrittenCounts{Due: 40, MetDeadline: 34, Answered: 38, Corrected: 1}},
					},
				},
			},
			"vmi": {
				24 * time.Hour: {feedback: []store.FeedbackRow{
					// 89 of 100 callers favourable.
					{Institution: "vmi", Unit: taxInfo, Channel: "phone", Instrument: records.InstrumentPostContact, Counts: kpi.FeedbackCounts{Responses: 100, Favourable: 89}},
					// FAQ votes count under the pseudo-channel web: 30 of 40 useful.
					{Institution: "vmi", Unit: "tax-information", Channel: records.ChannelWeb, Instrument: records.InstrumentFAQ, Counts: kpi.FeedbackCounts{Responses: 40, Favourable: 30}},
				}},
			},
		},
		aggregates: map[string][]records.Aggregate{
			// 150 of 200 decisions on time, 2,300 EUR of penalties.
			"ind": {
				indAggregate(immigration, "", "", records.AggDecided, 200),
				indAggregate(immigration, "", "", records.AggWithinDeadline, 150),
				indAggregate(immigration, "", "", records.AggPenaltiesPaid, 10),
				indAggregate(immigration, "", "", records.AggPenaltiesEUR, 2300),
			},
			// 30 of 50 seminar respondents would recommend.
			"vmi": {
				{Institution: "vmi", Source: "vmi-test", Batch: "s1", Revision: 1,
					PeriodStart: time.Date(2025, 3, 9, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC),
					Unit: seminars, Instrument: records.InstrumentSeminar, Item: "vat", Metric: records.AggResponses, Value: 50},
				{Institution: "vmi", Source: "vmi-test", Batch: "s1", Revision: 1,
					PeriodStart: time.Date(2025, 3, 9, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC),
					Unit: seminars, Instrument: records.InstrumentSeminar, Item: "vat", Metric: records.AggWouldRecommend, Value: 30},
			},
		},
		// 3 of the catalogue's 22 practices (phone, e-mail, chat; one
		// language only).
		practices: []records.Practice{{Institution: "sodra", Country: "LT", Languages: []string{"lt"}, Channels: []string{"phone", "email", "chat"}}},
		// A published figure is not a time series: not exported.
		reported: []records.ReportedFigure{{Institution: "sodra", Unit: contactCentre, Channel: "phone", KPI: "service_level", Period: "2025", Value: 0.93, Method: "unknown"}},
	}
}

func newTotals() *fakeTotals {
	return &fakeTotals{totals: map[string][]GroupCounts{
		"sodra": {
			{Unit: contactCentre, Channel: "phone", Counts: phone},
			{Unit: contactCentre, Channel: "email", Counts: email},
		},
	}}
}

var testNow = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

func newTestExporter(t *testing.T, r report.Reader, totals TotalsQuerier) *Exporter {
	t.Helper()
	return New(Options{Config: loadConfig(t), Reader: r, Totals: totals, Now: func() time.Time { return testNow }, Version: "1.2.3", Revision: "abc"})
}

// sample returns the value of the sample of family name whose labels are
// exactly labels.
func sample(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	ms := matching(t, reg, name, func(got []*dto.LabelPair) bool { return labelsEqual(got, labels) })
	if len(ms) == 0 {
		return 0, false
	}
	return ms[0].value, true
}

// matched is a gathered gauge or counter sample.
type matched struct{ value float64 }

// matching gathers reg and returns the gauge and counter samples of family
// name whose labels match.
func matching(t *testing.T, reg prometheus.Gatherer, name string, match func([]*dto.LabelPair) bool) []matched {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var out []matched
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if !match(m.GetLabel()) {
				continue
			}
			switch {
			case m.GetGauge() != nil:
				out = append(out, matched{m.GetGauge().GetValue()})
			case m.GetCounter() != nil:
				out = append(out, matched{m.GetCounter().GetValue()})
			default:
				out = append(out, matched{})
			}
		}
	}
	return out
}

// labelsInclude reports whether got has every label of want.
func labelsInclude(got []*dto.LabelPair, want map[string]string) bool {
	have := map[string]string{}
	for _, lp := range got {
		have[lp.GetName()] = lp.GetValue()
	}
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

func labelsEqual(got []*dto.LabelPair, want map[string]string) bool {
	if len(got) != len(want) {
		return false
	}
	for _, lp := range got {
		if v, ok := want[lp.GetName()]; !ok || v != lp.GetValue() {
			return false
		}
	}
	return true
}

func group(institution, unit, channel, window string) map[string]string {
	return map[string]string{"institution": institution, "unit": unit, "channel": channel, "window": window}
}

func with(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for kk, vv := range m {
		out[kk] = vv
	}
	return out
}

func instrumented(m map[string]string, instrument string) map[string]string {
	return with(m, "instrument", instrument)
}

// parts returns the labels of a numerator, denominator, sample size or
// confidence bound series of KPI id for group g.
func parts(g map[string]string, id, method, instrument string) map[string]string {
	out := with(with(g, "kpi", id), "instrument", instrument)
	if method != "none" {
		out["method"] = method
	}
	return out
}

func TestRefreshComputesKPIs(t *testing.T) {
	e := newTestExporter(t, newFake(), newTotals())
	if err := e.Refresh(context.Background()); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	sodraPhone := group("sodra", contactCentre, "phone", "1h")
	sodraEmail := group("sodra", contactCentre, "email", "1h")
	sodraEmailDay := group("sodra", contactCentre, "email", "1d")
	vilniusVisit := group("sodra", vilnius, "visit", "1d")
	kaunasVisit := group("sodra", "kaunas", "visit", "1d")
	vmiPhone := group("vmi", taxInfo, "phone", "1d")
	vmiFAQ := group("vmi", "tax-information", records.ChannelWeb, "1d")
	vmiSeminars := group("vmi", seminars, "", "1d")
	indDecisions := group("ind", immigration, "", "1d")
	practice := group("sodra", "", "", "1d")
	const post = records.InstrumentPostContact
	for _, tc := range []struct {
		metric string
		labels map[string]string
		want   float64
	}{
		{"ccbench_service_level_ratio", with(sodraPhone, "method", "negative"), 80.0 / 105},
		{"ccbench_service_level_ratio", with(sodraPhone, "method", "ignore"), 80.0 / 99},
		{"ccbench_service_level_ratio", with(sodraPhone, "method", "positive"), 86.0 / 105},
		{"ccbench_abandon_rate_ratio", sodraPhone, 15.0 / 105},
		{"ccbench_answer_rate_ratio", sodraPhone, 90.0 / 110},
		{"ccbench_asa_seconds", sodraPhone, 20},
		{"ccbench_aht_seconds", sodraPhone, 180},
		{"ccbench_acw_seconds", sodraPhone, 15},
		{"ccbench_long_wait_share_ratio", sodraPhone, 2.0 / 110},
		{"ccbench_max_wait_seconds", sodraPhone, 2000},
		{"ccbench_contacts_offered_per_day", sodraPhone, 110 * 24},
		// A written channel has its contacts offered, 12 in 1/24 day.
		{"ccbench_contacts_offered_per_day", sodraEmail, 12 * 24},
		{"ccbench_kpi_numerator", parts(sodraEmail, "contacts_offered", "", ""), 12},
		// Each branch on its own: 300 and 400 visits in one day.
		{"ccbench_contacts_offered_per_day", vilniusVisit, 300},
		{"ccbench_contacts_offered_per_day", kaunasVisit, 400},
		{"ccbench_answer_rate_ratio", kaunasVisit, 200.0 / 400},
		{"ccbench_service_level_ratio", with(vilniusVisit, "method", "negative"), 270.0 / 300},
		{"ccbench_kpi_numerator", parts(sodraPhone, "service_level", "ignore", ""), 80},
		{"ccbench_kpi_denominator", parts(sodraPhone, "service_level", "ignore", ""), 99},
		{"ccbench_kpi_numerator", parts(sodraPhone, "asa_seconds", "", ""), 1800},
		{"ccbench_kpi_denominator", parts(sodraPhone, "asa_seconds", "", ""), 90},
		// Written answers: 34 of 40 due in time, 1 of 38 corrected.
		{"ccbench_deadline_met_rate_ratio", sodraEmailDay, 34.0 / 40},
		{"ccbench_kpi_numerator", parts(sodraEmailDay, "deadline_met_rate", "", ""), 34},
		{"ccbench_kpi_denominator", parts(sodraEmailDay, "deadline_met_rate", "", ""), 40},
		{"ccbench_correction_rate_ratio", sodraEmailDay, 1.0 / 38},
		// Feedback: 89 of 100, Wilson 95 % [0.8137, 0.9375].
		{"ccbench_favourable_share_ratio", instrumented(vmiPhone, post), 0.89},
		{"ccbench_kpi_numerator", parts(vmiPhone, "favourable_share", "", post), 89},
		{"ccbench_kpi_denominator", parts(vmiPhone, "favourable_share", "", post), 100},
		{"ccbench_kpi_sample_size", parts(vmiPhone, "favourable_share", "none", post), 100},
		{"ccbench_kpi_ci_lower_ratio", parts(vmiPhone, "favourable_share", "none", post), 0.8137},
		{"ccbench_kpi_ci_upper_ratio", parts(vmiPhone, "favourable_share", "none", post), 0.9375},
		// FAQ votes: 30 of 40 useful, Wilson [0.5981, 0.8581].
		{"ccbench_useful_share_ratio", instrumented(vmiFAQ, records.InstrumentFAQ), 0.75},
		{"ccbench_kpi_sample_size", parts(vmiFAQ, "useful_share", "none", records.InstrumentFAQ), 40},
		{"ccbench_kpi_ci_lower_ratio", parts(vmiFAQ, "useful_share", "none", records.InstrumentFAQ), 0.5981},
		{"ccbench_kpi_ci_upper_ratio", parts(vmiFAQ, "useful_share", "none", records.InstrumentFAQ), 0.8581},
		// Seminars: 30 of 50 would recommend, Wilson [0.4618, 0.7239].
		{"ccbench_recommend_share_ratio", instrumented(vmiSeminars, records.InstrumentSeminar), 0.6},
		{"ccbench_kpi_sample_size", parts(vmiSeminars, "recommend_share", "none", records.InstrumentSeminar), 50},
		{"ccbench_kpi_ci_lower_ratio", parts(vmiSeminars, "recommend_share", "none", records.InstrumentSeminar), 0.4618},
		// IND decisions of March, which overlaps both windows.
		{"ccbench_decisions_on_time_rate_ratio", indDecisions, 150.0 / 200},
		{"ccbench_decisions_on_time_rate_ratio", group("ind", immigration, "", "1h"), 150.0 / 200},
		{"ccbench_penalty_eur", indDecisions, 2300},
		{"ccbench_kpi_numerator", parts(indDecisions, "penalty_eur", "", ""), 2300},
		// practice_score: 3 of 22 practices, in every window.
		{"ccbench_practice_score_ratio", practice, 3.0 / 22},
		{"ccbench_practice_score_ratio", group("sodra", "", "", "1h"), 3.0 / 22},
		{"ccbench_kpi_denominator", parts(practice, "practice_score", "", ""), 22},
	} {
		got, ok := sample(t, e.Gatherer(), tc.metric, tc.labels)
		if !ok {
			t.Errorf("%s%v: no sample", tc.metric, tc.labels)
			continue
		}
		tol := 1e-12
		if strings.HasPrefix(tc.metric, "ccbench_kpi_ci_") {
			tol = 5e-5 // the bounds are given to four places
		}
		if diff := got - tc.want; diff > tol || diff < -tol {
			t.Errorf("%s%v = %v, want %v", tc.metric, tc.labels, got, tc.want)
		}
	}

	// A written channel has no service level and no wait KPIs.
	for _, name := range []string{"ccbench_service_level_ratio", "ccbench_abandon_rate_ratio", "ccbench_answer_rate_ratio",
		"ccbench_asa_seconds", "ccbench_max_wait_seconds", "ccbench_long_wait_share_ratio"} {
		if n := count(t, e.Gatherer(), name, map[string]string{"channel": "email"}); n != 0 {
			t.Errorf("%s for e-mail: %d series, want none", name, n)
		}
	}
	if n := count(t, e.Gatherer(), "ccbench_kpi_denominator", map[string]string{"channel": "email", "kpi": "service_level"}); n != 0 {
		t.Errorf("service_level denominator for e-mail: %d series, want none", n)
	}
	// Only the finest rows: one series per method for the two visit units
	// (no roll-up with an empty unit), and the published 0.93 is not served.
	if n := count(t, e.Gatherer(), "ccbench_service_level_ratio", map[string]string{"channel": "visit", "method": "negative"}); n != 2 {
		t.Errorf("negative visit service levels: %d series, want 2 (vilnius, kaunas)", n)
	}
	if n := count(t, e.Gatherer(), "ccbench_service_level_ratio", map[string]string{"institution": "sodra", "window": "1h", "method": "negative"}); n != 1 {
		t.Errorf("sodra 1h negative service levels: %d series, want 1 (phone)", n)
	}
	if n := count(t, e.Gatherer(), "ccbench_decisions_on_time_rate_ratio", map[string]string{"window": "1d"}); n != 1 {
		t.Errorf("1d decisions on time: %d series, want 1 (no roll-up over units)", n)
	}
	if n := count(t, e.Gatherer(), "ccbench_service_level_ratio", map[string]string{"institution": "sodra", "window": "1d", "method": "negative"}); n != 2 {
		t.Errorf("sodra 1d negative service levels: %d series, want 2", n)
	}
	// Seminars of 9 March are outside the 1h window of 10 March.
	if n := count(t, e.Gatherer(), "ccbench_recommend_share_ratio", map[string]string{"window": "1h"}); n != 0 {
		t.Errorf("1h recommend share: %d series, want none", n)
	}
}

// count returns the number of series of family name whose labels include
// labels.
func count(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) int {
	t.Helper()
	return len(matching(t, reg, name, func(got []*dto.LabelPair) bool { return labelsInclude(got, labels) }))
}

func TestRefreshPassesConfiguredParams(t *testing.T) {
	q := newFake()
	e := newTestExporter(t, q, newTotals())
	if err := e.Refresh(context.Background()); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	// SODRA's target sets a 30 s threshold.
	if len(q.params) != 3 {
		t.Fatalf("ContactCounts called for %d institutions, want 3", len(q.params))
	}
	if got := q.params["sodra"].Threshold; got != 30*time.Second {
		t.Errorf("sodra phone threshold = %v, want 30s", got)
	}
	if got := q.params["vmi"].Threshold; got != 20*time.Second {
		t.Errorf("vmi phone threshold = %v, want the 20s default", got)
	}
	for _, asOf := range q.asOf {
		if !asOf.Equal(testNow) {
			t.Errorf("written cases judged as of %v, want now %v", asOf, testNow)
		}
	}
}

func TestCountersAndTargets(t *testing.T) {
	e := newTestExporter(t, newFake(), newTotals())
	if err := e.Refresh(context.Background()); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	g := map[string]string{"institution": "sodra", "unit": contactCentre, "channel": "phone"}
	target := func(inst, unit, channel, instrument string) map[string]string {
		return map[string]string{"institution": inst, "unit": unit, "channel": channel, "instrument": instrument}
	}
	for _, tc := range []struct {
		metric string
		labels map[string]string
		want   float64
	}{
		{"ccbench_contacts_offered_total", g, 110},
		{"ccbench_contacts_answered_total", g, 90},
		{"ccbench_contacts_answered_within_threshold_total", g, 80},
		{"ccbench_contacts_abandoned_within_threshold_total", g, 6},
		{"ccbench_contacts_short_abandoned_total", g, 5},
		{"ccbench_contacts_abandoned_not_short_total", g, 15},
		// E-mails are offered too, but have no threshold counters.
		{"ccbench_contacts_offered_total", map[string]string{"institution": "sodra", "unit": contactCentre, "channel": "email"}, 12},
		{"ccbench_service_level_target_ratio", target("sodra", "", "", ""), 0.95},
		{"ccbench_abandon_rate_target_ratio", target("sodra", "", "", ""), 0.05},
		{"ccbench_aht_target_seconds", target("vmi", "", "phone", ""), 180},
		{"ccbench_favourable_share_target_ratio", target("vmi", "", "", "1-5"), 0.89},
		{"ccbench_kpi_target_info", map[string]string{"kpi": "abandon_rate", "institution": "sodra", "unit": "", "channel": "", "instrument": "", "direction": "at_most", "method": ""}, 1},
		{"ccbench_kpi_target_info", map[string]string{"kpi": "service_level", "institution": "sodra", "unit": "", "channel": "", "instrument": "", "direction": "at_least", "method": "negative"}, 1},
		{"ccbench_build_info", map[string]string{"version": "1.2.3", "revision": "abc", "branch": version.Branch, "goversion": runtime.Version(), "goos": runtime.GOOS, "goarch": runtime.GOARCH, "tags": version.GetTags()}, 1},
		{"ccbench_exporter_refreshes_total", nil, 1},
		{"ccbench_exporter_refresh_errors_total", map[string]string{"institution": "sodra"}, 0},
		{"ccbench_exporter_refresh_errors_total", map[string]string{"institution": "ind"}, 0},
	} {
		got, ok := sample(t, e.Gatherer(), tc.metric, tc.labels)
		if !ok {
			t.Errorf("%s%v: no sample", tc.metric, tc.labels)
			continue
		}
		if got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.metric, tc.labels, got, tc.want)
		}
	}
	for _, name := range []string{"ccbench_contacts_answered_within_threshold_total", "ccbench_contacts_short_abandoned_total", "ccbench_contacts_answered_total"} {
		if n := count(t, e.Gatherer(), name, map[string]string{"channel": "email"}); n != 0 {
			t.Errorf("%s for e-mail: %d series, want none", name, n)
		}
	}
	for _, in := range []string{"sodra", "vmi", "ind"} {
		if got, ok := sample(t, e.Gatherer(), "ccbench_exporter_last_refresh_success_timestamp_seconds", map[string]string{"institution": in}); !ok || got < float64(time.Now().Add(-time.Minute).Unix()) {
			t.Errorf("last refresh success timestamp of %s = %v (present %v), want about now", in, got, ok)
		}
	}
}

// TestDuplicateRowsAreServedOnce checks that two report rows with the same
// labels (a unit's phone contacts and an aggregate phone block of the same
// unit) do not break the scrape.
func TestDuplicateRowsAreServedOnce(t *testing.T) {
	q := newFake()
	q.windows["ind"] = map[time.Duration]windowData{time.Hour: {contacts: []store.ContactRow{
		{Institution: "ind", Unit: immigration, Channel: "phone", Counts: kpi.ContactCounts{Offered: 10, Answered: 10, AnsweredWithinT: 5, Days: 1.0 / 24}},
	}}}
	q.aggregates["ind"] = append(q.aggregates["ind"],
		indAggregate(immigration, "phone", "", records.AggOffered, 100),
		indAggregate(immigration, "phone", "", records.AggAnswered, 90),
		indAggregate(immigration, "phone", "", records.AggAnsweredWithinThreshold, 60),
	)
	e := newTestExporter(t, q, newTotals())
	if err := e.Refresh(context.Background()); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if _, err := e.Gatherer().Gather(); err != nil {
		t.Fatalf("gather with duplicate rows: %v", err)
	}
	if n := count(t, e.Gatherer(), "ccbench_service_level_ratio", map[string]string{"institution": "ind", "window": "1h", "method": "negative"}); n != 1 {
		t.Errorf("ind 1h negative service levels: %d series, want 1", n)
	}
}

func TestRefreshErrorKeepsSnapshot(t *testing.T) {
	q := newFake()
	e := newTestExporter(t, q, newTotals())
	if err := e.Refresh(context.Background()); err != nil {
		t.Fatalf("first Refresh: %v", err)
	}
	q.mu.Lock()
	q.err = errors.New("clickhouse is down")
	q.mu.Unlock()
	err := e.Refresh(context.Background())
	if err == nil || !strings.Contains(err.Error(), "clickhouse is down") {
		t.Fatalf("second Refresh error = %v, want the reader's error", err)
	}
	labels := with(group("sodra", contactCentre, "phone", "1h"), "method", "negative")
	if got, ok := sample(t, e.Gatherer(), "ccbench_service_level_ratio", labels); !ok || got != 80.0/105 {
		t.Errorf("after a failed refresh service level = %v (present %v), want the old 80/105", got, ok)
	}
	// Every KPI part fails: 2 windows of each institution; the contact
	// totals, which are not read through the report reader, do not.
	for _, in := range []string{"sodra", "vmi", "ind"} {
		if got, _ := sample(t, e.Gatherer(), "ccbench_exporter_refresh_errors_total", map[string]string{"institution": in}); got != 2 {
			t.Errorf("refresh errors of %s = %v, want 2", in, got)
		}
	}
	if got, _ := sample(t, e.Gatherer(), "ccbench_exporter_refreshes_total", nil); got != 2 {
		t.Errorf("refreshes = %v, want 2", got)
	}
	if !e.Ready() {
		t.Error("a failed refresh after a successful one made the exporter unready")
	}
}

func TestScrapeDoesNotWaitForRefresh(t *testing.T) {
	q := newFake()
	e := newTestExporter(t, q, newTotals())
	if err := e.Refresh(context.Background()); err != nil {
		t.Fatalf("first Refresh: %v", err)
	}
	block := make(chan struct{})
	q.mu.Lock()
	q.block, q.entered = block, make(chan struct{}, 1)
	q.windows["sodra"][time.Hour].contacts[0].Counts.AnsweredWithinT = 0 // the new snapshot would differ
	q.mu.Unlock()

	done := make(chan error, 1)
	go func() { done <- e.Refresh(context.Background()) }()
	select {
	case <-q.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the refresh never reached the reader")
	}

	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(srv.URL + "/metrics")
	if err != nil {
		close(block)
		t.Fatalf("scrape while a refresh blocks: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := `ccbench_service_level_ratio{channel="phone",institution="sodra",method="negative",unit="contact-centre",window="1h"} 0.7619047619047619`
	if !strings.Contains(string(body), want) {
		t.Errorf("scrape during a blocked refresh lacks the old value %s", want)
	}

	close(block)
	if err := <-done; err != nil {
		t.Fatalf("blocked Refresh: %v", err)
	}
	labels := with(group("sodra", contactCentre, "phone", "1h"), "method", "negative")
	if got, _ := sample(t, e.Gatherer(), "ccbench_service_level_ratio", labels); got != 0 {
		t.Errorf("after the refresh finished service level = %v, want the new 0", got)
	}
}

func TestHTTPEndpoints(t *testing.T) {
	e := newTestExporter(t, newFake(), newTotals())
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/-/ready"); code != http.StatusServiceUnavailable {
		t.Errorf("/-/ready before any refresh = %d, want 503", code)
	}
	if code, _ := get("/-/healthy"); code != http.StatusOK {
		t.Errorf("/-/healthy = %d, want 200", code)
	}
	if code, body := get("/"); code != http.StatusOK || !strings.Contains(body, `href="/metrics"`) || !strings.Contains(body, "1.2.3") {
		t.Errorf("/ = %d %q, want 200 with a link to metrics and the version", code, body)
	}
	if code, _ := get("/nope"); code != http.StatusNotFound {
		t.Errorf("/nope = %d, want 404", code)
	}
	if err := e.Refresh(context.Background()); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if code, _ := get("/-/ready"); code != http.StatusOK {
		t.Errorf("/-/ready after a refresh = %d, want 200", code)
	}
	code, body := get("/metrics")
	if code != http.StatusOK || !strings.Contains(body, "ccbench_service_level_ratio{") || !strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics = %d, want 200 with KPI and Go metrics", code)
	}
}

func TestRunRefreshesUntilCancelled(t *testing.T) {
	q := newFake()
	e := newTestExporter(t, q, newTotals())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if got, _ := sample(t, e.Gatherer(), "ccbench_exporter_refreshes_total", nil); got >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not refresh 3 times in 5 s with a 10ms interval")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if !e.Ready() {
		t.Error("not ready after successful refreshes")
	}
}

// TestPromtoolCheckMetrics lints the whole /metrics output with promtool.
func TestPromtoolCheckMetrics(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if testing.Short() {
			t.Skip("promtool not installed (-short)")
		}
		t.Fatalf("promtool not found on PATH: install it with `apt-get install -y prometheus` (%v)", err)
	}
	e := newTestExporter(t, newFake(), newTotals())
	if err := e.Refresh(context.Background()); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
