package dashboards

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/exporter"
	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/servers"
	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/store"
)

// demoConfig is the test configuration with a target for every KPI of
// the catalogue, so that every target line has a series.
func demoConfig(t *testing.T) *config.Config {
	t.Helper()
	var b strings.Builder
	b.WriteString(testConfig)
	for _, d := range kpi.Catalogue() {
		v := 0.5
		if d.Unit != kpi.UnitRatio {
			v = 100
		}
		fmt.Fprintf(&b, "  - {institution: ind, kpi: %s, value: %g}\n", d.ID, v)
	}
	cfg, err := config.Parse([]byte(b.String()), "demo-test.yaml")
	if err != nil {
		t.Fatalf("parse configuration: %v", err)
	}
	return cfg
}

// demoRecords are demo-like records of three institutions in the last
// hour before now: calls and chats answered and abandoned, e-mails (one
// corrected), post-contact ratings, FAQ votes, and aggregate figures of
// decisions, seminars and web-page votes for the day.
func demoRecords(now time.Time) ([]records.Contact, []records.Feedback, []records.Aggregate) {
	var cs []records.Contact
	var fs []records.Feedback
	var as []records.Aggregate
	for i, inst := range fixtureInstitutions {
		unit := inst + "-cc"
		at := now.Add(-40 * time.Minute)
		for n := 0; n < 12+4*i; n++ {
			for _, ch := range []string{records.ChannelPhone, records.ChannelChat, records.ChannelEmail} {
				at = at.Add(time.Second)
				wait := time.Duration(5+n*7) * time.Second
				c := records.Contact{
					Institution: inst, Source: inst + "-demo", ID: fmt.Sprintf("%s-%d", ch, n), Version: 1,
					Unit: unit, Channel: ch, Queue: "general", ArrivedAt: at, Origin: "demo-like fixture",
				}
				answered := at.Add(wait)
				end := answered.Add(3 * time.Minute)
				c.UpdatedAt = end
				if n%5 == 4 && ch != records.ChannelEmail {
					c.Outcome, c.EndedAt = records.OutcomeAbandoned, &answered
				} else {
					c.Outcome, c.AnsweredAt, c.EndedAt = records.OutcomeAnswered, &answered, &end
					c.TalkS, c.HoldS, c.AcwS = 150, 10, 20
					c.Measures = records.MeasureTalk | records.MeasureHold | records.MeasureACW
				}
				if ch == records.ChannelEmail {
					corrected := n%4 == 0
					c.Corrected = &corrected
				}
				cs = append(cs, c)
			}
		}
		for n := 0; n < 20+5*i; n++ {
			sub := now.Add(-30*time.Minute + time.Duration(n)*time.Second)
			fs = append(fs, records.Feedback{
				Institution: inst, Source: inst + "-demo", ID: fmt.Sprintf("rating-%d", n), Version: 1, UpdatedAt: sub,
				Instrument: records.InstrumentPostContact, Subject: fmt.Sprintf("%s-%d", records.ChannelPhone, n),
				Unit: unit, Channel: records.ChannelPhone, SubmittedAt: sub, Scale: records.Scale1to5, Score: 1 + (n+i)%5,
				Origin: "demo-like fixture",
			}, records.Feedback{
				Institution: inst, Source: inst + "-demo", ID: fmt.Sprintf("faq-%d", n), Version: 1, UpdatedAt: sub,
				Instrument: records.InstrumentFAQ, Subject: "faq-1", Unit: unit, Channel: records.ChannelWeb,
				SubmittedAt: sub, Scale: records.ScaleYesNo, Score: n % 2, Origin: "demo-like fixture",
			})
		}
		day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		agg := func(instrument, item, metric string, v float64) records.Aggregate {
			return records.Aggregate{Institution: inst, Source: inst + "-agg", Batch: "today", Revision: 1,
				PeriodStart: day, PeriodEnd: day.AddDate(0, 0, 1), Unit: unit, Instrument: instrument, Item: item, Metric: metric, Value: v}
		}
		as = append(as,
			agg("", "pensions", records.AggDecided, 200),
			agg("", "pensions", records.AggWithinDeadline, float64(150+10*i)),
			agg("", "pensions", records.AggPenaltiesPaid, 3),
			agg("", "pensions", records.AggPenaltiesEUR, 450),
			agg(records.InstrumentSeminar, "seminar-1", records.AggResponses, 40),
			agg(records.InstrumentSeminar, "seminar-1", records.AggWouldRecommend, float64(30+i)),
			agg(records.InstrumentWebPage, "page-1", records.AggYesVotes, 70),
			agg(records.InstrumentWebPage, "page-1", records.AggNoVotes, 30),
		)
	}
	return cs, fs, as
}

// TestQueriesOnRealExporter runs every Prometheus query of every dashboard
// against a real Prometheus that scraped the real exporter, fed through
// ClickHouse with demo-like records of three institutions, and a collector
// fixture (the collector's metrics need a running collection).
func TestQueriesOnRealExporter(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ClickHouse and Prometheus (-short)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	now := time.Now().UTC().Truncate(time.Second)
	cfg := demoConfig(t)

	dsn := servertest.DSN(t)
	st, err := store.Open(ctx, dsn, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cs, fs, as := demoRecords(now)
	if err := st.InsertContacts(ctx, cs); err != nil {
		t.Fatal(err)
	}
	if err := st.InsertFeedback(ctx, fs); err != nil {
		t.Fatal(err)
	}
	if err := st.InsertAggregates(ctx, as); err != nil {
		t.Fatal(err)
	}
	loadClickHouseFixture(ctx, t, st)
	for _, country := range []string{"LT", "NL"} {
		c, err := kpi.NewCalendar(country)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.LoadCalendar(ctx, c.Days(country, now.AddDate(0, -2, 0), now.AddDate(0, 2, 0))); err != nil {
			t.Fatal(err)
		}
	}

	exp := exporter.New(exporter.Options{Config: cfg, Reader: st, Totals: exporter.StoreTotals(st), Now: func() time.Time { return now }})
	if err := exp.Refresh(ctx); err != nil {
		t.Fatalf("exporter refresh: %v", err)
	}
	exporterSrv := httptest.NewServer(exp.Handler())
	defer exporterSrv.Close()
	collector := collectorFixture()
	collectorSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprint(w, collector)
	}))
	defer collectorSrv.Close()

	prom := servertest.Prometheus(t, servers.PrometheusConfig(time.Second, map[string][]string{
		"ccbench":         {strings.TrimPrefix(exporterSrv.URL, "http://")},
		"ccbench-collect": {strings.TrimPrefix(collectorSrv.URL, "http://")},
	}))
	servertest.WaitForPromSeries(ctx, t, prom.URL(), `count_over_time(ccbench_collector_records_total[5m]) >= 3`, time.Minute)
	servertest.WaitForPromSeries(ctx, t, prom.URL(), `count_over_time(ccbench_exporter_refreshes_total[5m]) >= 3`, time.Minute)

	queries, empty := 0, 0
	for _, d := range generateFor(t, cfg) {
		qs, err := Queries(d)
		if err != nil {
			t.Fatalf("Queries(%s): %v", d.UID, err)
		}
		for _, q := range qs {
			queries++
			res, err := servertest.PromQuery(ctx, prom.URL(), q.Expr)
			if err != nil {
				t.Errorf("%s: panel %q query %s does not run: %v\n%s", d.UID, q.Panel, q.RefID, err, q.Expr)
				continue
			}
			if len(res) == 0 {
				empty++
				t.Errorf("%s: panel %q query %s returns nothing from the real exporter\n%s", d.UID, q.Panel, q.RefID, q.Expr)
			}
		}
	}
	t.Logf("real exporter: %d queries run, %d empty", queries, empty)
}

// generateFor generates the dashboards of cfg.
func generateFor(t *testing.T, cfg *config.Config) []Dashboard {
	t.Helper()
	ds, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// collectorFixture is what `ccbench collect` serves after a few passes.
func collectorFixture() string {
	var lines []string
	for _, l := range strings.Split(fixtureMetrics(), "\n") {
		if strings.HasPrefix(l, "ccbench_collector_") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n") + "\n"
}
