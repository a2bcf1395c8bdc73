package exporter

import (
	"bytes"
	"context"
	"errors"
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

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
)

const testConfig = `
exporter:
  windows: [1h, 1d]
  refresh_interval: 10ms
  refresh_timeout: 5s
institutions:
  - {id: sodra, name: SODRA, country: LT, timezone: Europe/Vilnius}
  - {id: vmi, name: VMI, country: LT, timezone: Europe/Vilnius}
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

// phone are the counts of SODRA's phone line in the 1h window. With
// O = offered − short abandons = 110 − 5 = 105 (no open contacts):
//
//	service level negative = 80 / 105, ignore = 80 / (105 − 6) = 80 / 99,
//	positive = (80 + 6) / 105 = 86 / 105; abandon rate = 15 / 105;
//	answer rate = 90 / 110; ASA = 1800 / 90 = 20 s; AHT = 16200 / 90 = 180 s;
//	ACW = 1350 / 90 = 15 s; long-wait share = 2 / 110; max wait = 2000 s.
var phone = kpi.ContactCounts{
	Offered: 110, Answered: 90, Abandoned: 20, ShortAbandoned: 5,
	AnsweredWithinT: 80, AbandonedWithinT: 6, AbandonedNotShort: 15, LongWaits: 2,
	AnswerWaitSumS: 1800, HandleSumS: 16200, AcwSumS: 1350, MaxWaitS: 2000, Days: 1,
}

// fakeQuerier returns fixed counts per institution and window length, and
// can be made to fail or to block.
type fakeQuerier struct {
	mu      sync.Mutex
	rows    map[string]map[time.Duration][]GroupCounts // institution → window → rows
	totals  map[string][]GroupCounts
	err     error
	block   chan struct{} // when set, queries wait until it is closed
	entered chan struct{} // signalled when a query starts blocking
	params  []kpi.Params  // params seen for sodra/phone
}

func (f *fakeQuerier) wait(ctx context.Context) error {
	f.mu.Lock()
	block, entered, err := f.block, f.entered, f.err
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

func (f *fakeQuerier) Contacts(ctx context.Context, institution string, loc *time.Location, from, to time.Time, params func(unit, channel string) kpi.Params) ([]GroupCounts, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	if loc == nil || loc.String() != "Europe/Vilnius" {
		return nil, errors.New("fake: wrong location")
	}
	f.mu.Lock()
	f.params = append(f.params, params("", "phone"))
	f.mu.Unlock()
	return f.rows[institution][to.Sub(from)], nil
}

func (f *fakeQuerier) ContactTotals(ctx context.Context, institution string, upTo time.Time, params func(unit, channel string) kpi.Params) ([]GroupCounts, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	return f.totals[institution], nil
}

func newFake() *fakeQuerier {
	day := phone
	day.Offered, day.Days = 700, 2 // 350 contacts a day
	return &fakeQuerier{
		rows: map[string]map[time.Duration][]GroupCounts{
			"sodra": {
				time.Hour: {
					{Unit: "", Channel: "phone", Counts: phone},
					{Unit: "", Channel: "chat"}, // nothing offered: no KPI values
				},
				24 * time.Hour: {
					// Two rows of the same group are added up: 300 + 400 offered.
					{Unit: "vilnius", Channel: "visit", Counts: kpi.ContactCounts{Offered: 300, Answered: 300, Days: 2}},
					{Unit: "vilnius", Channel: "visit", Counts: kpi.ContactCounts{Offered: 400, Answered: 200, Abandoned: 200, AbandonedNotShort: 200, Days: 2}},
				},
			},
			"vmi": {
				time.Hour: {{Unit: "", Channel: "phone", Counts: kpi.ContactCounts{Offered: 10, Answered: 8, Abandoned: 2, AbandonedNotShort: 2, AnsweredWithinT: 4}}},
			},
		},
		totals: map[string][]GroupCounts{
			"sodra": {{Unit: "", Channel: "phone", Counts: phone}},
		},
	}
}

var testNow = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

func newTestExporter(t *testing.T, q Querier) *Exporter {
	t.Helper()
	return New(Options{Config: loadConfig(t), Querier: q, Now: func() time.Time { return testNow }, Version: "1.2.3", Revision: "abc"})
}

// sample returns the value of the sample of family name whose labels are
// exactly labels.
func sample(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if !labelsEqual(m.GetLabel(), labels) {
				continue
			}
			switch {
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue(), true
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue(), true
			}
		}
	}
	return 0, false
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

func TestRefreshComputesKPIs(t *testing.T) {
	e := newTestExporter(t, newFake())
	if err := e.Refresh(context.Background()); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	sodraPhone := group("sodra", "", "phone", "1h")
	visit := group("sodra", "vilnius", "visit", "1d")
	vmiPhone := group("vmi", "", "phone", "1h")
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
		{"ccbench_contacts_offered_per_day", sodraPhone, 110},
		// 300 + 400 offered over 2 days; 500 of 700 answered.
		{"ccbench_contacts_offered_per_day", visit, 350},
		{"ccbench_answer_rate_ratio", visit, 500.0 / 700},
		{"ccbench_abandon_rate_ratio", visit, 200.0 / 700},
		// VMI: no Days from the store, so a 1h window is 1/24 day: 10 × 24.
		{"ccbench_contacts_offered_per_day", vmiPhone, 240},
		{"ccbench_service_level_ratio", with(vmiPhone, "method", "negative"), 4.0 / 10},
		{"ccbench_kpi_numerator", with(with(sodraPhone, "kpi", "service_level"), "method", "ignore"), 80},
		{"ccbench_kpi_denominator", with(with(sodraPhone, "kpi", "service_level"), "method", "ignore"), 99},
		{"ccbench_kpi_numerator", with(with(sodraPhone, "kpi", "asa_seconds"), "method", ""), 1800},
		{"ccbench_kpi_denominator", with(with(sodraPhone, "kpi", "asa_seconds"), "method", ""), 90},
		// A group with nothing offered still has its (zero) denominator.
		{"ccbench_kpi_denominator", with(with(group("sodra", "", "chat", "1h"), "kpi", "answer_rate"), "method", ""), 0},
	} {
		got, ok := sample(t, e.Registry(), tc.metric, tc.labels)
		if !ok {
			t.Errorf("%s%v: no sample", tc.metric, tc.labels)
			continue
		}
		if diff := got - tc.want; diff > 1e-12 || diff < -1e-12 {
			t.Errorf("%s%v = %v, want %v", tc.metric, tc.labels, got, tc.want)
		}
	}

	// Nothing offered on the chat: no value, since the denominator is 0.
	for _, name := range []string{"ccbench_answer_rate_ratio", "ccbench_asa_seconds", "ccbench_max_wait_seconds"} {
		if _, ok := sample(t, e.Registry(), name, group("sodra", "", "chat", "1h")); ok {
			t.Errorf("%s for a group with nothing offered: want no sample", name)
		}
	}
}

func TestRefreshPassesConfiguredParams(t *testing.T) {
	q := newFake()
	e := newTestExporter(t, q)
	if err := e.Refresh(context.Background()); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	// 2 institutions × 2 windows; SODRA's target sets a 30 s threshold.
	if len(q.params) != 4 {
		t.Fatalf("Contacts called %d times, want 4", len(q.params))
	}
	if got := q.params[0].Threshold; got != 30*time.Second {
		t.Errorf("sodra phone threshold = %v, want 30s", got)
	}
	if got := q.params[2].Threshold; got != 20*time.Second {
		t.Errorf("vmi phone threshold = %v, want the 20s default", got)
	}
}

func TestCountersAndTargets(t *testing.T) {
	e := newTestExporter(t, newFake())
	if err := e.Refresh(context.Background()); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	g := map[string]string{"institution": "sodra", "unit": "", "channel": "phone"}
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
		{"ccbench_service_level_target_ratio", target("sodra", "", "", ""), 0.95},
		{"ccbench_abandon_rate_target_ratio", target("sodra", "", "", ""), 0.05},
		{"ccbench_aht_target_seconds", target("vmi", "", "phone", ""), 180},
		{"ccbench_favourable_share_target_ratio", target("vmi", "", "", "1-5"), 0.89},
		{"ccbench_kpi_target_info", map[string]string{"kpi": "abandon_rate", "institution": "sodra", "unit": "", "channel": "", "instrument": "", "direction": "at_most", "method": ""}, 1},
		{"ccbench_kpi_target_info", map[string]string{"kpi": "service_level", "institution": "sodra", "unit": "", "channel": "", "instrument": "", "direction": "at_least", "method": "negative"}, 1},
		{"ccbench_build_info", map[string]string{"version": "1.2.3", "revision": "abc", "goversion": runtime.Version()}, 1},
		{"ccbench_exporter_refreshes_total", nil, 1},
		{"ccbench_exporter_refresh_errors_total", nil, 0},
	} {
		got, ok := sample(t, e.Registry(), tc.metric, tc.labels)
		if !ok {
			t.Errorf("%s%v: no sample", tc.metric, tc.labels)
			continue
		}
		if got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.metric, tc.labels, got, tc.want)
		}
	}
	if got, ok := sample(t, e.Registry(), "ccbench_exporter_last_refresh_success_timestamp_seconds", nil); !ok || got < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("last refresh success timestamp = %v (present %v), want about now", got, ok)
	}
}

func TestRefreshErrorKeepsSnapshot(t *testing.T) {
	q := newFake()
	e := newTestExporter(t, q)
	if err := e.Refresh(context.Background()); err != nil {
		t.Fatalf("first Refresh: %v", err)
	}
	q.mu.Lock()
	q.err = errors.New("clickhouse is down")
	q.mu.Unlock()
	err := e.Refresh(context.Background())
	if err == nil || !strings.Contains(err.Error(), "clickhouse is down") {
		t.Fatalf("second Refresh error = %v, want the querier's error", err)
	}
	labels := with(group("sodra", "", "phone", "1h"), "method", "negative")
	if got, ok := sample(t, e.Registry(), "ccbench_service_level_ratio", labels); !ok || got != 80.0/105 {
		t.Errorf("after a failed refresh service level = %v (present %v), want the old 80/105", got, ok)
	}
	if got, _ := sample(t, e.Registry(), "ccbench_exporter_refresh_errors_total", nil); got != 1 {
		t.Errorf("refresh errors = %v, want 1", got)
	}
	if got, _ := sample(t, e.Registry(), "ccbench_exporter_refreshes_total", nil); got != 2 {
		t.Errorf("refreshes = %v, want 2", got)
	}
	if !e.Ready() {
		t.Error("a failed refresh after a successful one made the exporter unready")
	}
}

func TestScrapeDoesNotWaitForRefresh(t *testing.T) {
	q := newFake()
	e := newTestExporter(t, q)
	if err := e.Refresh(context.Background()); err != nil {
		t.Fatalf("first Refresh: %v", err)
	}
	block := make(chan struct{})
	q.mu.Lock()
	q.block, q.entered = block, make(chan struct{}, 1)
	q.rows["sodra"][time.Hour][0].Counts.AnsweredWithinT = 0 // the new snapshot would differ
	q.mu.Unlock()

	done := make(chan error, 1)
	go func() { done <- e.Refresh(context.Background()) }()
	select {
	case <-q.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the refresh never reached the querier")
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
	want := `ccbench_service_level_ratio{channel="phone",institution="sodra",method="negative",unit="",window="1h"} 0.7619047619047619`
	if !strings.Contains(string(body), want) {
		t.Errorf("scrape during a blocked refresh lacks the old value %s", want)
	}

	close(block)
	if err := <-done; err != nil {
		t.Fatalf("blocked Refresh: %v", err)
	}
	labels := with(group("sodra", "", "phone", "1h"), "method", "negative")
	if got, _ := sample(t, e.Registry(), "ccbench_service_level_ratio", labels); got != 0 {
		t.Errorf("after the refresh finished service level = %v, want the new 0", got)
	}
}

func TestHTTPEndpoints(t *testing.T) {
	e := newTestExporter(t, newFake())
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
	if code, body := get("/"); code != http.StatusOK || !strings.Contains(body, `href="metrics"`) || !strings.Contains(body, "1.2.3") {
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
	e := newTestExporter(t, q)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if got, _ := sample(t, e.Registry(), "ccbench_exporter_refreshes_total", nil); got >= 3 {
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
	e := newTestExporter(t, newFake())
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
