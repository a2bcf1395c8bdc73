package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ccbench/ccbench/alerts"
	"github.com/ccbench/ccbench/collectors"
	sodracol "github.com/ccbench/ccbench/collectors/sodra"
	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/exporter"
	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/servers"
	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/simulator"
	sodrasim "github.com/ccbench/ccbench/simulator/sodra"
)

// alertsConfigYAML is one SODRA-style source polled every second, exporter
// windows of 5 and 10 simulated minutes refreshed every second, and a
// phone service-level target of 80 % (the simulator's own level is near
// 95 %, so only a degradation breaks it).
const alertsConfigYAML = `
institutions:
  - {id: sodra, name: SODRA, country: LT, timezone: Europe/Vilnius}
sources:
  - {name: sodra-e2e, style: sodra, institution: sodra, base_url: "%s", poll_interval: 1s, timeout: 5s}
exporter:
  windows: [5m, 10m]
  refresh_interval: 2s
  refresh_timeout: 10s
targets:
  - {institution: sodra, unit: contact-centre, channel: phone, kpi: service_level, value: 0.8, note: "e2e target"}
`

// speed is how many simulated seconds pass per real second: the simulator
// releases records and the exporter computes windows on this clock, so a
// 10-minute window passes in 30 s.
const speed = 20

// simClock is a clock that starts at base (a Monday morning in Vilnius,
// when the phone lines are busy) and runs speed times faster than real
// time.
type simClock struct {
	base, start time.Time
}

func (c simClock) Now() time.Time {
	return c.base.Add(time.Since(c.start) * speed)
}

// notification is one webhook call of Alertmanager.
type notification struct {
	Receiver    string            `json:"receiver"`
	Status      string            `json:"status"`
	GroupLabels map[string]string `json:"groupLabels"`
	Alerts      []struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
		StartsAt    time.Time         `json:"startsAt"`
	} `json:"alerts"`
	received time.Time
}

// webhook records Alertmanager's notifications.
type webhook struct {
	mu  sync.Mutex
	got []notification
}

func (h *webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var n notification
	if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	n.received = time.Now()
	h.mu.Lock()
	h.got = append(h.got, n)
	h.mu.Unlock()
}

func (h *webhook) matching(alertname, status string) []notification {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []notification
	for _, n := range h.got {
		if n.GroupLabels["alertname"] == alertname && n.Status == status {
			out = append(out, n)
		}
	}
	return out
}

// wait polls until a notification of alertname with status has arrived.
func (h *webhook) wait(ctx context.Context, t *testing.T, alertname, status string, timeout time.Duration) notification {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if ns := h.matching(alertname, status); len(ns) > 0 {
			return ns[0]
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			h.mu.Lock()
			defer h.mu.Unlock()
			t.Fatalf("no %s notification of %s within %v; got %+v", status, alertname, timeout, h.got)
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// poll calls check until it reports done, failing the test at the
// deadline with the last reason.
func poll(ctx context.Context, t *testing.T, what string, timeout time.Duration, check func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, why := check()
		if ok {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("%s: not within %v: %s", what, timeout, why)
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// amAlert is an alert as Alertmanager's API v2 lists it.
type amAlert struct {
	Fingerprint string            `json:"fingerprint"`
	Labels      map[string]string `json:"labels"`
	Status      struct {
		State       string   `json:"state"`
		InhibitedBy []string `json:"inhibitedBy"`
	} `json:"status"`
}

func amAlerts(ctx context.Context, amURL, alertname string) ([]amAlert, error) {
	u := amURL + "/api/v2/alerts?filter=" + url.QueryEscape(fmt.Sprintf("alertname=%q", alertname))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out []amAlert
	return out, json.NewDecoder(resp.Body).Decode(&out)
}

func denominator(ctx context.Context, promURL string) (float64, error) {
	r, err := servertest.PromQuery(ctx, promURL, `ccbench_kpi_denominator{kpi="service_level",method="negative",institution="sodra",channel="phone",window="10m"}`)
	if err != nil || len(r) != 1 {
		return 0, fmt.Errorf("denominator: %v %v", r, err)
	}
	return r[0].Value, nil
}

// lastEvaluation is when Prometheus last evaluated the threshold alerts.
func lastEvaluation(ctx context.Context, promURL string) (time.Time, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, promURL+"/api/v1/rules", nil)
	if err != nil {
		return time.Time{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return time.Time{}, err
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Groups []struct {
				Name           string    `json:"name"`
				LastEvaluation time.Time `json:"lastEvaluation"`
			} `json:"groups"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return time.Time{}, err
	}
	for _, g := range body.Data.Groups {
		if g.Name == "ccbench-kpi-targets" {
			return g.LastEvaluation, nil
		}
	}
	return time.Time{}, fmt.Errorf("no rule group ccbench-kpi-targets")
}

func burstLateOnTargetRecords(ctx context.Context, t *testing.T, st interface {
	InsertContacts(context.Context, []records.Contact) error
}, clock simClock, promURL string) {
	t.Helper()
	before, err := denominator(ctx, promURL)
	if err != nil {
		t.Fatal(err)
	}
	// The calls arrived in the last simulated 90 s, one every 400 ms, so
	// that the burst stays in the 10-minute window for half a real minute
	// on the fast clock.
	start := clock.Now().Add(-90 * time.Second)
	late := &fixture{institution: "sodra", unit: "contact-centre", next: start}
	late.add(160, records.ChannelPhone, records.OutcomeAnswered, 5)
	late.add(40, records.ChannelPhone, records.OutcomeAbandoned, 60)
	for i := range late.contacts {
		c := &late.contacts[i]
		shift := start.Add(time.Duration(i) * 400 * time.Millisecond).Sub(c.ArrivedAt)
		c.ID = "late-" + c.ID
		c.ArrivedAt = c.ArrivedAt.Add(shift)
		c.UpdatedAt = c.UpdatedAt.Add(shift)
		for _, p := range []**time.Time{&c.AnsweredAt, &c.EndedAt} {
			if *p != nil {
				v := (*p).Add(shift)
				*p = &v
			}
		}
	}
	if err := st.InsertContacts(ctx, late.contacts); err != nil {
		t.Fatalf("insert late records: %v", err)
	}
	var seen time.Time
	poll(ctx, t, "the burst in the exporter's window", 60*time.Second, func() (bool, string) {
		d, err := denominator(ctx, promURL)
		seen = time.Now()
		// 200 more, give or take the calls the window gained and lost.
		return err == nil && d >= before+150, fmt.Sprintf("denominator %v (before %v), %v", d, before, err)
	})
	poll(ctx, t, "an evaluation after the burst", 30*time.Second, func() (bool, string) {
		at, err := lastEvaluation(ctx, promURL)
		return err == nil && at.After(seen), fmt.Sprintf("last evaluation %v, %v", at, err)
	})
	r, err := servertest.PromQuery(ctx, promURL, `ALERTS{alertname="CCBenchKPITargetMissed"}`)
	if err != nil || len(r) != 0 {
		t.Fatalf("late on-target records raised an alert: %v %v", r, err)
	}
}

// TestAlertChain runs the whole chain with real servers on 127.0.0.1: a
// degraded SODRA-style simulator, the collector, ClickHouse, the exporter,
// Prometheus evaluating the generated rules every second, Alertmanager
// with the generated configuration, and a webhook receiver here. It
// checks that the breach arrives once, with the right labels and
// annotations, that a stalled feed raises the freshness alert and inhibits
// the institution's KPI alert, and that both resolve on recovery.
func TestAlertChain(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ClickHouse, Prometheus and Alertmanager (-short)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	vilnius, err := time.LoadLocation("Europe/Vilnius")
	if err != nil {
		t.Fatal(err)
	}
	clock := simClock{base: time.Date(2024, 1, 15, 10, 0, 0, 0, vilnius), start: time.Now()}

	st := servertest.NewStore(t)
	lt, err := kpi.NewCalendar("LT")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.LoadCalendar(ctx, lt.Days("LT", clock.base.AddDate(0, -2, 0), clock.base.AddDate(0, 2, 0))); err != nil {
		t.Fatalf("load LT calendar: %v", err)
	}

	// The simulator, with its faults switched by the test.
	faults := simulator.NewIncidents(clock.Now)
	sim := sodrasim.New(sodrasim.Options{Seed: 1, Days: 0, Now: clock.Now, Incidents: faults})
	simSrv := httptest.NewServer(faults.Handler(sim.Handler()))
	defer simSrv.Close()
	cfg, err := config.Parse([]byte(fmt.Sprintf(alertsConfigYAML, simSrv.URL)), "alerts-e2e.yaml")
	if err != nil {
		t.Fatalf("parse configuration: %v", err)
	}

	// The collector: one pass now, then every second.
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stop()
	colReg := prometheus.NewRegistry()
	cs, err := collectors.Registry{config.StyleSODRA: sodracol.New}.Build(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	runner := &collectors.Runner{Sink: st, Collectors: cs, Interval: func(string) time.Duration { return time.Second }, Metrics: collectors.NewMetrics(colReg)}
	if _, err := runner.RunOnce(ctx); err != nil {
		t.Fatalf("first collection pass: %v", err)
	}
	colSrv := httptest.NewServer(promhttp.HandlerFor(colReg, promhttp.HandlerOpts{}))
	defer colSrv.Close()

	// The exporter, on the simulated clock.
	exp := exporter.New(exporter.Options{Config: cfg, Reader: st, Totals: exporter.StoreTotals(st), Now: clock.Now, Version: "e2e"})
	if err := exp.Refresh(ctx); err != nil {
		t.Fatalf("first exporter refresh: %v", err)
	}
	expSrv := httptest.NewServer(exp.Handler())
	defer expSrv.Close()
	wg.Add(2)
	go func() { defer wg.Done(); _ = runner.Run(runCtx) }()
	go func() { defer wg.Done(); _ = exp.Run(runCtx) }()

	// The generated rules and Alertmanager configuration.
	hook := &webhook{}
	hookSrv := httptest.NewServer(hook)
	defer hookSrv.Close()
	res, err := alerts.Generate(alerts.Options{
		Config:     cfg,
		GrafanaURL: "http://grafana.example",
		// One burn-rate tier on the windows served here: the 80 % target
		// leaves a budget of 0.2, so the factor is capped at 3 (bad share
		// above 0.6 in both windows).
		// Its `for` of 10 s lets the ticket be notified first, before the
		// page silences it.
		Tiers:      []alerts.Tier{{Severity: alerts.SeverityPage, Long: 10 * time.Minute, Short: 5 * time.Minute, For: 10 * time.Second, Factor: 14.4}},
		FastWindow: 10 * time.Minute, SlowWindow: 10 * time.Minute,
		ThresholdFor: time.Second, MinEvents: 5, EvaluationInterval: time.Second, MinStale: time.Second,
		// A feed is stale after 10 polls (10 s), the exporter after 10
		// refreshes (20 s): on a loaded machine (the store's cluster tests
		// run alongside) one pass can take several seconds, and a stale
		// alert raised by that alone would silence the KPI alerts this
		// test waits for.
		StaleIntervals: 10,
		WebhookURL:     hookSrv.URL, GroupWait: time.Second, GroupInterval: time.Second, RepeatInterval: time.Hour,
	})
	if err != nil {
		t.Fatalf("generate alerts: %v", err)
	}
	rulesDir := t.TempDir()
	if err := res.Write(rulesDir); err != nil {
		t.Fatal(err)
	}
	am := servertest.Alertmanager(t, res.Alertmanager)
	promCfg := servers.WithAlerting(
		servers.PrometheusConfig(time.Second, map[string][]string{
			"ccbench":         {strings.TrimPrefix(expSrv.URL, "http://")},
			"ccbench-collect": {strings.TrimPrefix(colSrv.URL, "http://")},
		}),
		[]string{filepath.Join(rulesDir, alerts.RulesFile)}, []string{am.Addr()})
	prom := servertest.Prometheus(t, promCfg)

	const sl = `ccbench_service_level_ratio{institution="sodra",unit="contact-centre",channel="phone",method="negative",window="10m"}`
	servertest.WaitForPromSeries(ctx, t, prom.URL(), sl+" >= 0.8", 60*time.Second)
	if rules, err := os.ReadFile(filepath.Join(rulesDir, alerts.RulesFile)); err != nil || !strings.Contains(string(rules), "< 0.8") {
		t.Fatalf("rules lack the 80 %% threshold: %v\n%s", err, rules)
	}

	// 0. Late data: a burst of 200 phone calls that arrived in the last
	// minutes, exactly on target (160 answered in 5 s, 40 abandoned after
	// a minute), lands in ClickHouse at once. The window's gauges take it
	// in and the service level stays at or above 80 %: no alert, not even
	// pending, at the first evaluation that sees the burst.
	burstLateOnTargetRecords(ctx, t, st, clock, prom.URL())

	// 1. Degrade the phone to a 20 % service level: the breach arrives.
	degraded := time.Now()
	faults.Degrade(simulator.Degradation{Channel: "phone", KPI: kpi.ServiceLevel, Value: 0.2, From: clock.Now()})
	n := hook.wait(ctx, t, alerts.AlertTargetMissed, "firing", 90*time.Second)
	a := n.Alerts[0]
	t.Logf("breach notified %.1fs after the degradation began, %.1fs after Prometheus saw the breach (alert startsAt)",
		n.received.Sub(degraded).Seconds(), n.received.Sub(a.StartsAt).Seconds())
	if n.Receiver != "sodra-ticket" || len(n.Alerts) != 1 {
		t.Errorf("receiver %q with %d alerts, want sodra-ticket with 1", n.Receiver, len(n.Alerts))
	}
	for k, v := range map[string]string{
		"institution": "sodra", "unit": "contact-centre", "channel": "phone", "kpi": "service_level",
		"method": "negative", "window": "10m", "severity": "ticket", "kind": "kpi",
	} {
		if a.Labels[k] != v {
			t.Errorf("label %s = %q, want %q (labels %v)", k, a.Labels[k], v, a.Labels)
		}
	}
	for k, want := range map[string]string{
		"summary":     "Service level of sodra/contact-centre/phone [method negative] is ",
		"description": "answer-time threshold 20s",
		"target":      "80%",
		"dashboard":   "http://grafana.example/d/ccbench-service-levels?var-institution=sodra",
		"runbook_url": "#ccbenchkpitargetmissed",
	} {
		if !strings.Contains(a.Annotations[k], want) {
			t.Errorf("annotation %s = %q, want it to contain %q", k, a.Annotations[k], want)
		}
	}
	if !strings.HasSuffix(a.Annotations["summary"], "over the last 10m; the target is at least 80%.") {
		t.Errorf("summary = %q", a.Annotations["summary"])
	}

	// Once more than 60 % of both windows' calls are bad, the burn-rate
	// page arrives, and silences the ticket of the same series.
	page := hook.wait(ctx, t, alerts.AlertBudgetBurn, "firing", 120*time.Second)
	pa := page.Alerts[0]
	t.Logf("burn-rate page notified %.1fs after the degradation began", page.received.Sub(degraded).Seconds())
	if page.Receiver != "sodra-page" {
		t.Errorf("page receiver %q, want sodra-page", page.Receiver)
	}
	for k, v := range map[string]string{
		"institution": "sodra", "unit": "contact-centre", "channel": "phone", "kpi": "service_level",
		"method": "negative", "window": "10m", "short_window": "5m", "severity": "page", "kind": "kpi",
	} {
		if pa.Labels[k] != v {
			t.Errorf("page label %s = %q, want %q (labels %v)", k, pa.Labels[k], v, pa.Labels)
		}
	}
	if !strings.Contains(pa.Annotations["summary"], "burning its error budget 3× as fast") ||
		!strings.Contains(pa.Annotations["description"], "leaves a budget of 20%") {
		t.Errorf("page annotations %v", pa.Annotations)
	}
	inhibitedBy := func(alertname, by string) func() (bool, string) {
		return func() (bool, string) {
			as, err := amAlerts(ctx, am.URL(), alertname)
			if err != nil || len(as) != 1 {
				return false, fmt.Sprintf("%s: %+v %v", alertname, as, err)
			}
			src, err := amAlerts(ctx, am.URL(), by)
			if err != nil || len(src) != 1 {
				return false, fmt.Sprintf("%s: %+v %v", by, src, err)
			}
			st := as[0].Status
			return st.State == "suppressed" && slices.Contains(st.InhibitedBy, src[0].Fingerprint), fmt.Sprintf("%+v, %s is %s", st, by, src[0].Fingerprint)
		}
	}
	poll(ctx, t, "ticket inhibited by the page", 30*time.Second, inhibitedBy(alerts.AlertTargetMissed, alerts.AlertBudgetBurn))

	// 2. Stall the feed: the freshness alert arrives and inhibits the
	// institution's KPI alert.
	faults.Stall(clock.Now(), time.Time{})
	stale := hook.wait(ctx, t, alerts.AlertFeedStale, "firing", 60*time.Second)
	if stale.Receiver != "sodra-page" || stale.Alerts[0].Labels["institution"] != "sodra" || stale.Alerts[0].Labels["source"] != "sodra-e2e" {
		t.Errorf("stale-feed notification: receiver %q, labels %v", stale.Receiver, stale.Alerts[0].Labels)
	}
	poll(ctx, t, "KPI alert inhibited by the stale feed", 30*time.Second, inhibitedBy(alerts.AlertTargetMissed, alerts.AlertFeedStale))

	// 3. Recover: the feed resumes, then the service level.
	faults.Unstall()
	hook.wait(ctx, t, alerts.AlertFeedStale, "resolved", 60*time.Second)
	faults.Recover()
	hook.wait(ctx, t, alerts.AlertTargetMissed, "resolved", 120*time.Second)
	// The page may have resolved while the stale feed silenced it, and
	// Alertmanager sends no resolution of a silenced alert: ask it instead.
	poll(ctx, t, "the page resolved", 60*time.Second, func() (bool, string) {
		as, err := amAlerts(ctx, am.URL(), alerts.AlertBudgetBurn)
		return err == nil && len(as) == 0, fmt.Sprintf("%+v %v", as, err)
	})
	// The ticket's group was notified once. (The page's short window
	// empties during the stall, so the page may resolve and fire again
	// while it is inhibited: the inhibition is what keeps that quiet.)
	if got := len(hook.matching(alerts.AlertTargetMissed, "firing")); got != 1 {
		t.Errorf("%d firing notifications of the breach's group, want 1", got)
	}
}
