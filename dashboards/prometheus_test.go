package dashboards

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ccbench/ccbench/servers"
	"github.com/ccbench/ccbench/servers/servertest"
)

// fixtureMetrics is what the exporter would publish for two institutions;
// the window, method and channel filters must pick the right series.
const fixtureMetrics = `
ccbench_service_level_ratio{institution="sodra",unit="",channel="phone",window="1d",method="ignore"} 0.8
ccbench_service_level_ratio{institution="sodra",unit="",channel="chat",window="1d",method="ignore"} 0.4
ccbench_kpi_numerator{kpi="service_level",method="ignore",institution="sodra",unit="",channel="phone",window="1d"} 80
ccbench_kpi_denominator{kpi="service_level",method="ignore",institution="sodra",unit="",channel="phone",window="1d"} 100
ccbench_kpi_numerator{kpi="service_level",method="ignore",institution="sodra",unit="",channel="chat",window="1d"} 10
ccbench_kpi_denominator{kpi="service_level",method="ignore",institution="sodra",unit="",channel="chat",window="1d"} 25
ccbench_kpi_numerator{kpi="service_level",method="negative",institution="sodra",unit="",channel="phone",window="1d"} 1
ccbench_kpi_denominator{kpi="service_level",method="negative",institution="sodra",unit="",channel="phone",window="1d"} 100
ccbench_kpi_numerator{kpi="service_level",method="ignore",institution="sodra",unit="",channel="phone",window="1h"} 1
ccbench_kpi_denominator{kpi="service_level",method="ignore",institution="sodra",unit="",channel="phone",window="1h"} 1
ccbench_kpi_numerator{kpi="service_level",method="ignore",institution="vmi",unit="",channel="phone",window="1d"} 40
ccbench_kpi_denominator{kpi="service_level",method="ignore",institution="vmi",unit="",channel="phone",window="1d"} 50
ccbench_kpi_numerator{kpi="service_level",method="ignore",institution="empty",unit="",channel="phone",window="1d"} 0
ccbench_kpi_denominator{kpi="service_level",method="ignore",institution="empty",unit="",channel="phone",window="1d"} 0
ccbench_kpi_numerator{kpi="asa_seconds",method="",institution="sodra",unit="",channel="phone",window="1d"} 1800
ccbench_kpi_denominator{kpi="asa_seconds",method="",institution="sodra",unit="",channel="phone",window="1d"} 90
ccbench_kpi_numerator{kpi="asa_seconds",method="",institution="sodra",unit="",channel="chat",window="1d"} 600
ccbench_kpi_denominator{kpi="asa_seconds",method="",institution="sodra",unit="",channel="chat",window="1d"} 10
ccbench_kpi_numerator{kpi="contacts_offered",method="",institution="sodra",unit="",channel="phone",window="1d"} 700
ccbench_kpi_denominator{kpi="contacts_offered",method="",institution="sodra",unit="",channel="phone",window="1d"} 2
ccbench_kpi_numerator{kpi="contacts_offered",method="",institution="sodra",unit="",channel="chat",window="1d"} 100
ccbench_kpi_denominator{kpi="contacts_offered",method="",institution="sodra",unit="",channel="chat",window="1d"} 2
ccbench_kpi_numerator{kpi="deadline_met_rate",method="",institution="sodra",unit="cc",channel="email",instrument="",window="1d"} 34
ccbench_kpi_denominator{kpi="deadline_met_rate",method="",institution="sodra",unit="cc",channel="email",instrument="",window="1d"} 40
ccbench_kpi_numerator{kpi="deadline_met_rate",method="",institution="sodra",unit="cc",channel="post",instrument="",window="1d"} 6
ccbench_kpi_denominator{kpi="deadline_met_rate",method="",institution="sodra",unit="cc",channel="post",instrument="",window="1d"} 10
ccbench_deadline_met_rate_target_ratio{institution="sodra",unit="",channel="email",instrument=""} 0.9
ccbench_favourable_share_ratio{institution="vmi",unit="a",channel="phone",window="1d",instrument="post_contact"} 0.8571428571428571
ccbench_favourable_share_ratio{institution="vmi",unit="b",channel="chat",window="1d",instrument="post_contact"} 0.9666666666666667
ccbench_kpi_numerator{kpi="favourable_share",method="",institution="vmi",unit="a",channel="phone",instrument="post_contact",window="1d"} 60
ccbench_kpi_denominator{kpi="favourable_share",method="",institution="vmi",unit="a",channel="phone",instrument="post_contact",window="1d"} 70
ccbench_kpi_numerator{kpi="favourable_share",method="",institution="vmi",unit="b",channel="chat",instrument="post_contact",window="1d"} 29
ccbench_kpi_denominator{kpi="favourable_share",method="",institution="vmi",unit="b",channel="chat",instrument="post_contact",window="1d"} 30
ccbench_kpi_sample_size{kpi="favourable_share",institution="vmi",unit="a",channel="phone",instrument="post_contact",window="1d"} 70
ccbench_kpi_sample_size{kpi="favourable_share",institution="vmi",unit="b",channel="chat",instrument="post_contact",window="1d"} 30
ccbench_kpi_ci_lower_ratio{kpi="favourable_share",institution="vmi",unit="a",channel="phone",instrument="post_contact",window="1d"} 0.76
ccbench_kpi_ci_upper_ratio{kpi="favourable_share",institution="vmi",unit="a",channel="phone",instrument="post_contact",window="1d"} 0.92
ccbench_kpi_ci_lower_ratio{kpi="favourable_share",institution="vmi",unit="b",channel="chat",instrument="post_contact",window="1d"} 0.83
ccbench_kpi_ci_upper_ratio{kpi="favourable_share",institution="vmi",unit="b",channel="chat",instrument="post_contact",window="1d"} 0.99
ccbench_kpi_numerator{kpi="decisions_on_time_rate",method="",institution="ind",unit="x",channel="",instrument="",window="1d"} 150
ccbench_kpi_denominator{kpi="decisions_on_time_rate",method="",institution="ind",unit="x",channel="",instrument="",window="1d"} 200
ccbench_kpi_numerator{kpi="penalty_eur",method="",institution="ind",unit="x",channel="",instrument="",window="1d"} 2300
ccbench_kpi_numerator{kpi="penalty_eur",method="",institution="ind",unit="y",channel="",instrument="",window="1d"} 1000
ccbench_service_level_target_ratio{institution="sodra",unit="",channel="",instrument=""} 0.95
ccbench_service_level_target_ratio{institution="sodra",unit="",channel="phone",instrument=""} 0.9
ccbench_abandon_rate_target_ratio{institution="sodra",unit="",channel="",instrument=""} 0.05
ccbench_abandon_rate_target_ratio{institution="sodra",unit="",channel="phone",instrument=""} 0.03
`

// TestQueriesRunOnPrometheus runs every panel query of every dashboard
// against a real Prometheus that scraped fixtureMetrics, and checks the
// rollups against values worked out by hand.
func TestQueriesRunOnPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus (-short)")
	}
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		io.WriteString(w, strings.TrimLeft(fixtureMetrics, "\n"))
	}))
	defer target.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	prom := servertest.Prometheus(t, servers.PrometheusConfig(time.Second,
		map[string][]string{"fixture": {strings.TrimPrefix(target.URL, "http://")}}))
	servertest.WaitForPromSeries(ctx, t, prom.URL(), `ccbench_kpi_numerator`, time.Minute)

	ds, err := Generate(loadConfig(t))
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	results := map[string]map[string]float64{} // panel/refID → institution → value
	for _, d := range ds {
		qs, err := Queries(d)
		if err != nil {
			t.Fatalf("Queries(%s): %v", d.UID, err)
		}
		for _, q := range qs {
			res, err := servertest.PromQuery(ctx, prom.URL(), q.Expr)
			if err != nil {
				t.Errorf("%s: panel %q query %s does not run: %v\n%s", d.UID, q.Panel, q.RefID, err, q.Expr)
				continue
			}
			byInst := map[string]float64{}
			for _, s := range res {
				byInst[s.Metric["institution"]] = s.Value
			}
			results[q.Panel+"/"+q.RefID] = byInst
		}
	}

	for _, tc := range []struct {
		query       string
		institution string
		want        float64
		absent      bool
	}{
		// method ignore, window 1d, all channels: (80 + 10) ÷ (100 + 25).
		{"Service level by institution (now)/A", "sodra", 90.0 / 125, false},
		{"Service level by institution (now)/A", "vmi", 40.0 / 50, false},
		// A zero denominator drops out instead of dividing by zero.
		{"Service level by institution (now)/A", "empty", 0, true},
		{"KPIs vs targets/V1", "sodra", 90.0 / 125, false},
		// ASA: (1800 + 600) s ÷ (90 + 10) answered.
		{"Average speed of answer (ASA) vs target/A", "sodra", 24, false},
		// Per day: (700 + 100) contacts over the window's 2 days.
		{"Contacts offered per day vs target/A", "sodra", 400, false},
		// Strictest targets: max of 0.95, 0.9 (at least); min of 0.05, 0.03 (at most).
		{"Service level vs target/B", "sodra", 0.95, false},
		{"Abandon rate vs target/B", "sodra", 0.03, false},
		// Written answers: (34 + 6) ÷ (40 + 10) in time; target 0.9.
		{"Deadlines met vs target/A", "sodra", 40.0 / 50, false},
		{"Deadlines met vs target/B", "sodra", 0.9, false},
		// Favourable: (60 + 29) ÷ (70 + 30), and the Wilson 95 % interval
		// of 89 of 100 (not of the units' own intervals): [0.8137, 0.9375].
		{"Favourable responses by instrument vs target/A", "vmi", 0.89, false},
		{"Favourable responses by instrument vs target/C", "vmi", 0.8136870349691969, false},
		{"Favourable responses by instrument vs target/D", "vmi", 0.9374580364293543, false},
		// Decisions have no channel, and still show: 150 of 200 on time,
		// 2,300 + 1,000 EUR of penalties.
		{"Decisions on time vs target/A", "ind", 0.75, false},
		{"Penalties vs target/A", "ind", 3300, false},
	} {
		byInst, ok := results[tc.query]
		if !ok {
			t.Errorf("no query %s", tc.query)
			continue
		}
		got, present := byInst[tc.institution]
		if tc.absent {
			if present {
				t.Errorf("%s{institution=%q} = %v, want no sample", tc.query, tc.institution, got)
			}
			continue
		}
		if !present || got-tc.want > 1e-9 || tc.want-got > 1e-9 {
			t.Errorf("%s{institution=%q} = %v (present %v), want %v", tc.query, tc.institution, got, present, tc.want)
		}
	}
	if n := len(results["Service level vs target/A"]); n != 1 {
		t.Errorf("service level series by institution = %d, want sodra only (phone and chat, method ignore, 1d)", n)
	}
}
