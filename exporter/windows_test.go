package exporter

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/store"
)

// multiFake gives the fake reader the multi-window reads of the store and
// counts them.
type multiFake struct {
	*fakeReader
	contactCalls, feedbackCalls, writtenCalls atomic.Int32
}

func (m *multiFake) ContactCountsWindowsAll(ctx context.Context, qs []store.ContactQuery, froms []time.Time) ([][][]store.ContactRow, error) {
	m.contactCalls.Add(1)
	return windowsOf(ctx, qs, froms, func(q *store.ContactQuery, from time.Time) { q.From = from }, m.fakeReader.ContactCounts)
}

func (m *multiFake) FeedbackCountsWindowsAll(ctx context.Context, qs []store.FeedbackQuery, froms []time.Time) ([][][]store.FeedbackRow, error) {
	m.feedbackCalls.Add(1)
	return windowsOf(ctx, qs, froms, func(q *store.FeedbackQuery, from time.Time) { q.From = from }, m.fakeReader.FeedbackCounts)
}

// windowsOf reads every window of every query one by one.
func windowsOf[Q, R any](ctx context.Context, qs []Q, froms []time.Time, setFrom func(*Q, time.Time), read func(context.Context, Q) ([]R, error)) ([][][]R, error) {
	out := make([][][]R, len(qs))
	for n, q := range qs {
		out[n] = make([][]R, len(froms))
		for i, from := range froms {
			w := q
			setFrom(&w, from)
			rows, err := read(ctx, w)
			if err != nil {
				return nil, err
			}
			out[n][i] = rows
		}
	}
	return out, nil
}

func (m *multiFake) WrittenCountsWindowsAll(ctx context.Context, qs []store.WrittenQuery, froms []time.Time) ([][][]store.WrittenRow, error) {
	m.writtenCalls.Add(1)
	return windowsOf(ctx, qs, froms, func(q *store.WrittenQuery, from time.Time) { q.From = from }, m.fakeReader.WrittenCounts)
}

// TestRefreshReadsWindowsTogether checks that a refresh reads the contact,
// feedback and written counts of all windows of all institutions in one
// multi-window read each, and serves the same values as window by window.
func TestRefreshReadsWindowsTogether(t *testing.T) {
	m := &multiFake{fakeReader: newFake()}
	e := newTestExporter(t, m, newTotals())
	if err := e.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	// 3 institutions, whatever the number of windows.
	if c, f, w := m.contactCalls.Load(), m.feedbackCalls.Load(), m.writtenCalls.Load(); c != 1 || f != 1 || w != 1 {
		t.Errorf("%d contact, %d feedback and %d written multi-window reads, want 1 of each", c, f, w)
	}
	plain := newTestExporter(t, newFake(), newTotals())
	if err := plain.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, want := e.collector.current.Load(), plain.collector.current.Load()
	if len(got.rows) != len(want.rows) || len(got.rows) == 0 {
		t.Fatalf("%d rows through multi-window reads, %d window by window", len(got.rows), len(want.rows))
	}
	for i := range want.rows {
		g, w := got.rows[i], want.rows[i]
		if g.window != w.window || g.row.KPI != w.row.KPI || *g.row.Value != *w.row.Value {
			t.Errorf("row %d: %s %s %v, want %s %s %v", i, g.window, g.row.KPI, *g.row.Value, w.window, w.row.KPI, *w.row.Value)
		}
	}
}

// TestScrapeServesTheCurrentSnapshot checks the cached encoding: a scrape
// after a refresh serves the new values, in text and in OpenMetrics (with
// one end marker, after every series), next to the exporter's own series.
func TestScrapeServesTheCurrentSnapshot(t *testing.T) {
	q := newFake()
	e := newTestExporter(t, q, newTotals())
	if err := e.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	get := func(accept string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	const series = `ccbench_service_level_ratio{channel="phone",institution="sodra",method="negative",unit="contact-centre",window="1h"}`
	body := get("text/plain")
	if !strings.Contains(body, series+" 0.7619047619047619") || !strings.Contains(body, "ccbench_exporter_refreshes_total") {
		t.Fatalf("first scrape lacks the KPI or the exporter's own series:\n%.2000s", body)
	}
	q.mu.Lock()
	q.windows["sodra"][time.Hour].contacts[0].Counts.AnsweredWithinT = 70
	q.mu.Unlock()
	if err := e.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if body := get("text/plain"); !strings.Contains(body, series+" 0.6666666666666666") {
		t.Errorf("scrape after a refresh still serves the old snapshot")
	}
	om := get("application/openmetrics-text;version=1.0.0")
	if strings.Count(om, "# EOF") != 1 || !strings.HasSuffix(om, "# EOF\n") || !strings.Contains(om, "ccbench_service_level_ratio{") {
		t.Errorf("OpenMetrics scrape: want the series and one end marker at the end, got ...%s", om[max(0, len(om)-300):])
	}
}

// allTotals gives the fake totals the store's read of every institution at
// once and counts the reads of each kind.
type allTotals struct {
	*fakeTotals
	all, one atomic.Int32
}

func (a *allTotals) ContactTotals(ctx context.Context, institution string, upTo time.Time, params func(unit, channel string) kpi.Params) ([]GroupCounts, error) {
	a.one.Add(1)
	return a.fakeTotals.ContactTotals(ctx, institution, upTo, params)
}

func (a *allTotals) ContactTotalsAll(ctx context.Context, institutions []string, upTo time.Time, params func(institution, unit, channel string) kpi.Params) ([][]GroupCounts, error) {
	a.all.Add(1)
	out := make([][]GroupCounts, len(institutions))
	for i, in := range institutions {
		rows, err := a.fakeTotals.ContactTotals(ctx, in, upTo, func(unit, channel string) kpi.Params { return params(in, unit, channel) })
		if err != nil {
			return nil, err
		}
		out[i] = rows
	}
	return out, nil
}

// TestRefreshReadsTotalsTogether checks that a refresh reads every
// institution's cumulative counters in one read when the querier can, and
// serves the same counters as institution by institution.
func TestRefreshReadsTotalsTogether(t *testing.T) {
	totals := &allTotals{fakeTotals: newTotals()}
	e := newTestExporter(t, newFake(), totals)
	if err := e.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if all, one := totals.all.Load(), totals.one.Load(); all != 1 || one != 0 {
		t.Errorf("%d reads of all institutions' totals and %d of one, want 1 and 0", all, one)
	}
	plain := newTestExporter(t, newFake(), newTotals())
	if err := plain.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, want := e.collector.current.Load().totals, plain.collector.current.Load().totals
	if len(want) == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("totals read together:\n%+v\nwant, institution by institution:\n%+v", got, want)
	}
}

// TestRefreshReaderReportedFigures checks that a refresh reads the
// reported figures once and gives each report only its institutions'.
func TestRefreshReaderReportedFigures(t *testing.T) {
	f := newFake()
	f.reported = []records.ReportedFigure{{Institution: "sodra", KPI: "service_level", Value: 0.93}, {Institution: "vmi", KPI: "service_level", Value: 0.8}}
	calls := &countingFigures{fakeReader: f}
	r := newRefreshReader(calls, loadConfig(t), testNow, []time.Duration{time.Hour})
	for _, want := range []string{"vmi", "sodra", "vmi"} {
		got, err := r.ReportedFigures(context.Background(), []string{want})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Institution != want {
			t.Errorf("figures of %s: %+v", want, got)
		}
	}
	if n := calls.n.Load(); n != 1 {
		t.Errorf("%d reads of the reported figures, want 1", n)
	}
}

// countingFigures counts the reads of the reported figures.
type countingFigures struct {
	*fakeReader
	n atomic.Int32
}

func (c *countingFigures) ReportedFigures(ctx context.Context, institutions []string) ([]records.ReportedFigure, error) {
	c.n.Add(1)
	return c.fakeReader.ReportedFigures(ctx, institutions)
}

// TestRefreshReadsTogetherFailsOneInstitutionOnly checks that when a read
// of every institution together fails because of one institution, the
// others are still read, one by one, and served.
func TestRefreshReadsTogetherFailsOneInstitutionOnly(t *testing.T) {
	m := &multiFake{fakeReader: newFake()}
	m.fail = map[string]error{"ind": errors.New("ind's queries fail")}
	e := newTestExporter(t, m, newTotals())
	if err := e.Refresh(context.Background()); err == nil || !strings.Contains(err.Error(), "ind's queries fail") {
		t.Fatalf("refresh error = %v, want ind's", err)
	}
	served := map[string]bool{}
	for _, r := range e.collector.current.Load().rows {
		served[r.row.Institution] = true
	}
	if !served["sodra"] || served["ind"] {
		t.Errorf("institutions served = %v, want sodra and not ind", served)
	}
}
