package dashboards

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/servers"
	"github.com/ccbench/ccbench/servers/servertest"
)

// fixtureInstitutions are the institutions of the fixture, in index order.
var fixtureInstitutions = []string{"sodra", "vmi", "ind"}

// fixtureChannels are the channels a KPI of each scope has in the fixture.
func fixtureChannels(d kpi.Definition) []string {
	switch d.Scope {
	case kpi.ScopeRealTime:
		return []string{"phone", "chat"}
	case kpi.ScopeWritten:
		return []string{"email", "post"}
	case kpi.ScopeAllChannels:
		return []string{"phone", "email"}
	case kpi.ScopeFeedback:
		if d.ID == kpi.UsefulShare {
			return []string{"web"}
		}
		return []string{"phone", "chat"}
	}
	return []string{""}
}

// fixtureMetrics renders what the exporter and the collector would
// publish for three institutions, shaped like their /metrics: every KPI of
// the catalogue with its parts, sample sizes and intervals, a target per
// KPI and institution, the contact and pipeline counters. In window 1d,
// institution i, channel c (0 or 1 in fixtureChannels), method index m
// (0 for KPIs without a method):
//
//	numerator = 3 + i + 2c + m, denominator = 10 + 2i + 5c.
//
// Window 7d has ten times both, so a wrong window filter shows.
func fixtureMetrics() string {
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	for _, d := range kpi.Catalogue() {
		instrument := ""
		if d.PerInstrument {
			instrument = "post_contact"
			if len(d.Instruments) > 0 {
				instrument = d.Instruments[0]
			}
		}
		methods := []string{""}
		if d.PerMethod {
			methods = []string{"negative", "ignore", "positive"}
		}
		for i, inst := range fixtureInstitutions {
			add(`%s{institution=%q,unit="",channel="",instrument=""} 0.5`, d.TargetMetric, inst)
			for c, ch := range fixtureChannels(d) {
				for m, method := range methods {
					for _, w := range []struct {
						label string
						scale float64
					}{{"1d", 1}, {"7d", 10}} {
						num := float64(3+i+2*c+m) * w.scale
						den := float64(10+2*i+5*c) * w.scale
						labels := fmt.Sprintf(`institution=%q,unit="u1",channel=%q,window=%q`, inst, ch, w.label)
						value := labels
						if d.PerMethod {
							value += fmt.Sprintf(`,method=%q`, method)
						}
						if d.PerInstrument {
							value += fmt.Sprintf(`,instrument=%q`, instrument)
						}
						add(`%s{%s} %g`, d.Metric, value, num/den)
						parts := fmt.Sprintf(`kpi=%q,method=%q,%s,instrument=%q`, d.ID, method, labels, instrument)
						add(`%s{%s} %g`, kpi.NumeratorMetric, parts, num)
						add(`%s{%s} %g`, kpi.DenominatorMetric, parts, den)
						if d.Sampled {
							sample := fmt.Sprintf(`kpi=%q,%s,instrument=%q`, d.ID, labels, instrument)
							iv := kpi.Wilson(num, den, kpi.Z95)
							add(`%s{%s} %g`, kpi.SampleSizeMetric, sample, den)
							add(`%s{%s} %g`, kpi.CILowerMetric, sample, iv.Low)
							add(`%s{%s} %g`, kpi.CIUpperMetric, sample, iv.High)
						}
					}
				}
			}
		}
	}
	for i, source := range []string{"sodra-api", "vmi-files", "ind-aggregates"} {
		add(`ccbench_collector_passes_total{source=%q,result="success"} %d`, source, 10+i)
		add(`ccbench_collector_passes_total{source=%q,result="failure"} %d`, source, i)
		add(`ccbench_collector_records_total{source=%q} %d`, source, 1000*(i+1))
		add(`ccbench_collector_quarantined_total{source=%q} %d`, source, i)
		add(`ccbench_collector_last_success_timestamp_seconds{source=%q} %d`, source, 1790000000+i)
	}
	for _, le := range []string{"0.1", "1", "10", "+Inf"} {
		add(`ccbench_exporter_refresh_duration_seconds_bucket{le=%q} 5`, le)
	}
	add(`ccbench_exporter_refresh_duration_seconds_sum 1.5`)
	add(`ccbench_exporter_refresh_duration_seconds_count 5`)
	for _, inst := range append([]string{""}, fixtureInstitutions...) {
		add(`ccbench_exporter_refresh_errors_total{institution=%q} 1`, inst)
		add(`ccbench_exporter_last_refresh_success_timestamp_seconds{institution=%q} 1790000000`, inst)
	}
	sort.Strings(lines) // keeps the lines of one family together
	return strings.Join(lines, "\n") + "\n"
}

// TestQueriesRunOnPrometheus runs every Prometheus query of every dashboard
// against a real Prometheus that scraped fixtureMetrics: every query must
// parse, run and return data, and the rollups must match values worked
// out by hand from the fixture's formula.
func TestQueriesRunOnPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus (-short)")
	}
	body := fixtureMetrics()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		io.WriteString(w, body)
	}))
	defer target.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	prom := servertest.Prometheus(t, servers.PrometheusConfig(time.Second,
		map[string][]string{"ccbench": {strings.TrimPrefix(target.URL, "http://")}}))
	// Counters need two scrapes inside the rate interval to have an
	// increase.
	servertest.WaitForPromSeries(ctx, t, prom.URL(), `count_over_time(ccbench_collector_records_total[5m]) >= 3`, time.Minute)

	results := map[string]map[string]float64{} // uid/panel/refID → institution → value
	queries, empty := 0, 0
	for _, d := range generateAll(t) {
		qs, err := Queries(d)
		if err != nil {
			t.Fatalf("Queries(%s): %v", d.UID, err)
		}
		for _, q := range qs {
			queries++
			if _, err := promqlParser.ParseExpr(q.Expr); err != nil {
				t.Errorf("%s: panel %q query %s does not parse: %v\n%s", d.UID, q.Panel, q.RefID, err, q.Expr)
				continue
			}
			res, err := servertest.PromQuery(ctx, prom.URL(), q.Expr)
			if err != nil {
				t.Errorf("%s: panel %q query %s does not run: %v\n%s", d.UID, q.Panel, q.RefID, err, q.Expr)
				continue
			}
			if len(res) == 0 {
				empty++
				t.Errorf("%s: panel %q query %s returns nothing\n%s", d.UID, q.Panel, q.RefID, q.Expr)
			}
			byInst := map[string]float64{}
			for _, s := range res {
				byInst[s.Metric["institution"]+s.Metric["channel"]+s.Metric["method"]] = s.Value
			}
			results[d.UID+"/"+q.Panel+"/"+q.RefID] = byInst
		}
	}
	t.Logf("Prometheus: %d queries run, %d empty", queries, empty)

	for _, tc := range []struct {
		query, key string
		want       float64
	}{
		// Service level, method ignore (m = 1), window 1d, all channels:
		// SODRA phone 4/10 + chat 6/15 = 10/25; VMI 5/12 + 7/17 = 12/29.
		{"ccbench-overview/Service level (method $method) by institution/A", "sodra", 10.0 / 25},
		{"ccbench-overview/Service level (method $method) by institution/A", "vmi", 12.0 / 29},
		// Abandon rate (no method): SODRA 3/10 + 5/15 = 8/25.
		{"ccbench-overview/Abandon rate by institution/A", "sodra", 8.0 / 25},
		// Longest wait is the largest value: IND chat 7/19 over phone 5/14.
		{"ccbench-overview/Longest wait by institution/A", "ind", 7.0 / 19},
		// Per day: (3 + 5) contacts over the window's max(10, 15) days.
		{"ccbench-overview/Contacts offered per day by institution/A", "sodra", 8.0 / 15},
		// Penalties are summed: IND 5.
		{"ccbench-overview/Penalties by institution/A", "ind", 5},
		// Ranks: service level (at_least) SODRA 10/25 = 0.4, VMI 12/29 ≈
		// 0.414, IND 14/33 ≈ 0.424; abandon rate (at_most) SODRA 8/25, VMI
		// 10/29, IND 12/33.
		{"ccbench-overview/Rank per KPI/R1", "ind", 1},
		{"ccbench-overview/Rank per KPI/R1", "vmi", 2},
		{"ccbench-overview/Rank per KPI/R1", "sodra", 3},
		{"ccbench-overview/Rank per KPI/R2", "sodra", 1},
		{"ccbench-overview/Rank per KPI/R2", "ind", 3},
		// Per institution and channel.
		{"ccbench-service-levels/Service level (method $method) vs target/A", "vmichat", 7.0 / 17},
		// The fixture's targets are institution-wide (channel "").
		{"ccbench-service-levels/Service level (method $method) vs target/B", "vmi", 0.5},
		// Written: SODRA e-mail 3/10 + post 5/15 due, missed 25 − 8.
		{"ccbench-written/Cases due and deadlines missed/A", "sodra", 25},
		{"ccbench-written/Cases due and deadlines missed/B", "sodra", 17},
		// Favourable: per institution, instrument and channel; SODRA phone
		// 3 of 10 with its Wilson interval.
		{"ccbench-satisfaction/Favourable responses by instrument with 95 % interval/A", "sodraphone", 0.3},
		{"ccbench-satisfaction/Favourable responses by instrument with 95 % interval/C", "sodraphone", wilsonLow(3, 10)},
		{"ccbench-satisfaction/Favourable responses by instrument with 95 % interval/D", "sodraphone", wilsonHigh(3, 10)},
		// Before and after: the service level under every method, side by
		// side: negative (m = 0) 8/25, positive (m = 2) 12/25.
		{"ccbench-before-after/Measured now/M1", "sodranegative", 8.0 / 25},
		{"ccbench-before-after/Measured now/M1", "sodrapositive", 12.0 / 25},
		// Pipeline: errors counted but not increasing.
		{"ccbench-pipeline/KPI refresh errors/A", "sodra", 0},
	} {
		got, ok := results[tc.query][tc.key]
		if !ok || math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s[%s] = %v (present %v), want %v; have %v", tc.query, tc.key, got, ok, tc.want, results[tc.query])
		}
	}
}

// wilsonLow and wilsonHigh are the 95 % Wilson score interval of x of n,
// written out here rather than taken from kpi.Wilson.
func wilsonLow(x, n float64) float64  { return wilson(x, n, -1) }
func wilsonHigh(x, n float64) float64 { return wilson(x, n, +1) }

func wilson(x, n, sign float64) float64 {
	const z = 1.959963984540054
	p := x / n
	return (p + z*z/(2*n) + sign*z*math.Sqrt(p*(1-p)/n+z*z/(4*n*n))) / (1 + z*z/n)
}
