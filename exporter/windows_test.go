package exporter

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccbench/ccbench/store"
)

// multiFake gives the fake reader the multi-window reads of the store and
// counts them.
type multiFake struct {
	*fakeReader
	contactCalls, feedbackCalls, writtenCalls atomic.Int32
}

func (m *multiFake) ContactCountsWindows(ctx context.Context, q store.ContactQuery, froms []time.Time) ([][]store.ContactRow, error) {
	m.contactCalls.Add(1)
	out := make([][]store.ContactRow, len(froms))
	for i, from := range froms {
		w := q
		w.From = from
		rows, err := m.fakeReader.ContactCounts(ctx, w)
		if err != nil {
			return nil, err
		}
		out[i] = rows
	}
	return out, nil
}

func (m *multiFake) FeedbackCountsWindows(ctx context.Context, q store.FeedbackQuery, froms []time.Time) ([][]store.FeedbackRow, error) {
	m.feedbackCalls.Add(1)
	out := make([][]store.FeedbackRow, len(froms))
	for i, from := range froms {
		w := q
		w.From = from
		rows, err := m.fakeReader.FeedbackCounts(ctx, w)
		if err != nil {
			return nil, err
		}
		out[i] = rows
	}
	return out, nil
}

func (m *multiFake) WrittenCountsWindows(ctx context.Context, q store.WrittenQuery, froms []time.Time) ([][]store.WrittenRow, error) {
	m.writtenCalls.Add(1)
	out := make([][]store.WrittenRow, len(froms))
	for i, from := range froms {
		w := q
		w.From = from
		rows, err := m.fakeReader.WrittenCounts(ctx, w)
		if err != nil {
			return nil, err
		}
		out[i] = rows
	}
	return out, nil
}

// TestRefreshReadsEachInstitutionsWindowsOnce checks that a refresh reads
// the contact, feedback and written counts of all windows of an institution in one
// multi-window read, and serves the same values as window by window.
func TestRefreshReadsEachInstitutionsWindowsOnce(t *testing.T) {
	m := &multiFake{fakeReader: newFake()}
	e := newTestExporter(t, m, newTotals())
	if err := e.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	// 3 institutions, each read once, whatever the number of windows.
	if c, f, w := m.contactCalls.Load(), m.feedbackCalls.Load(), m.writtenCalls.Load(); c != 3 || f != 3 || w != 3 {
		t.Errorf("%d contact, %d feedback and %d written multi-window reads, want 3 of each", c, f, w)
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
