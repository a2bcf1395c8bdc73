package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/dashboards"
	"github.com/ccbench/ccbench/kpi"
)

// seedConfig is the sample configuration: the seed study's targets (95 %
// service level, 80 % answer rate, 5 % abandon rate, 100 % deadlines).
func seedConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Load(filepath.Join("..", "deploy", "ccbench.yaml"))
	if err != nil {
		t.Fatalf("load the sample configuration: %v", err)
	}
	return cfg
}

// TestFactorsOfSeedTargets checks the budgets, factors and thresholds of
// the seed's targets against values worked out by hand: budget = the share
// of events a target lets be bad; factor = min(workbook factor,
// (1 + 1/budget)/2); threshold = factor × budget, which must stay below 1
// for the alert to be able to fire.
func TestFactorsOfSeedTargets(t *testing.T) {
	tests := []struct {
		name       string
		kpi        kpi.ID
		value      float64
		budget     float64
		factors    []float64 // 1h/5m, 6h/30m, 1d/2h, 3d/6h
		thresholds []float64
	}{
		// budget 0.05, max burn 20, cap 10.5: the workbook's 14.4 needs 72 % bad.
		{"service level 95 %", kpi.ServiceLevel, 0.95, 0.05, []float64{10.5, 6, 3, 1}, []float64{0.525, 0.3, 0.15, 0.05}},
		// budget 0.2, max burn 5, cap 3: 14.4 and 6 could never fire.
		{"answer rate 80 %", kpi.AnswerRate, 0.80, 0.2, []float64{3, 3, 3, 1}, []float64{0.6, 0.6, 0.6, 0.2}},
		// at_most: the numerator is the bad events; budget = the target.
		{"abandon rate 5 %", kpi.AbandonRate, 0.05, 0.05, []float64{10.5, 6, 3, 1}, []float64{0.525, 0.3, 0.15, 0.05}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := kpi.MustLookup(tc.kpi)
			budget, ok := Budget(d, config.Target{KPI: string(tc.kpi), Value: tc.value})
			if !ok || budget != tc.budget {
				t.Fatalf("budget = %v, %v; want %v", budget, ok, tc.budget)
			}
			for i, tier := range Workbook {
				f, ok := Factor(tier, budget)
				if !ok || f != tc.factors[i] {
					t.Errorf("tier %d: factor = %v, %v; want %v", i, f, ok, tc.factors[i])
				}
				if th := round(f * budget); th != tc.thresholds[i] || th >= 1 {
					t.Errorf("tier %d: threshold = %v; want %v (< 1)", i, th, tc.thresholds[i])
				}
			}
		})
	}
	d := kpi.MustLookup(kpi.DeadlineMetRate)
	budget, ok := Budget(d, config.Target{KPI: string(kpi.DeadlineMetRate), Value: 1})
	if !ok || budget != 0 {
		t.Fatalf("100 %% target: budget = %v, %v; want 0", budget, ok)
	}
	if f, ok := Factor(Workbook[0], budget); ok {
		t.Errorf("100 %% target: factor %v; want none (no budget to burn)", f)
	}
	if _, ok := Budget(kpi.MustLookup(kpi.AHTSeconds), config.Target{KPI: string(kpi.AHTSeconds), Value: 180}); ok {
		t.Error("aht_seconds has no event budget, got one")
	}
}

func TestGenerateSeed(t *testing.T) {
	res, err := Generate(Options{Config: seedConfig(t)})
	if err != nil {
		t.Fatal(err)
	}
	factors := strings.Join(Factors(res.Targets), "\n")
	for _, want := range []string{
		"service_level of sodra/contact-centre/phone, target 0.95: budget 0.05, max burn 20: page 1h/5m ×10.5",
		"answer_rate of vmi/phone, target 0.8: budget 0.2, max burn 5: page 1h/5m ×3 (bad share > 0.6)",
		"abandon_rate of sodra/contact-centre/phone, target 0.05: budget 0.05",
	} {
		if !strings.Contains(factors, want) {
			t.Errorf("factors lack %q:\n%s", want, factors)
		}
	}
	var burns, thresholds int
	for _, g := range res.Groups.Groups {
		for _, r := range g.Rules {
			switch r.Alert {
			case AlertBudgetBurn:
				burns++
			case AlertTargetMissed:
				thresholds++
			}
		}
	}
	// 3 targets with a budget × 4 tiers; one threshold alert per target.
	if burns != 12 || thresholds != len(seedConfig(t).Targets) {
		t.Errorf("burn alerts %d (want 12), threshold alerts %d (want %d)", burns, thresholds, len(seedConfig(t).Targets))
	}
}

// TestAnnotations renders the alert of a breach the way Prometheus does and
// compares it with text written out by hand.
func TestAnnotations(t *testing.T) {
	o := Options{Config: seedConfig(t), GrafanaURL: "http://grafana:3000/"}.withDefaults()
	targets, _, err := plan(o)
	if err != nil {
		t.Fatal(err)
	}
	var sl TargetAlerts
	for _, ta := range targets {
		if ta.Definition.ID == kpi.ServiceLevel {
			sl = ta
		}
	}
	got := expect(thresholdRule(o, sl), seriesLabels(sl, "1h"), 0.475)
	wantSummary := "Service level of sodra/contact-centre/phone [method negative] is 47.5% over the last 1h; the target is at least 95%."
	if got.ExpAnnotations["summary"] != wantSummary {
		t.Errorf("summary = %q\nwant %q", got.ExpAnnotations["summary"], wantSummary)
	}
	for _, want := range []string{"answer-time threshold 20s", "service-level method negative", "Target at least 95% (service level 95 %)"} {
		if !strings.Contains(got.ExpAnnotations["description"], want) {
			t.Errorf("description lacks %q: %s", want, got.ExpAnnotations["description"])
		}
	}
	// The link opens the alert's window (dashboards open on 1d), method and
	// channel, not just the institution.
	if l := got.ExpAnnotations["dashboard"]; l != "http://grafana:3000/d/ccbench-service-levels?var-institution=sodra&var-channel=phone&var-method=negative&var-window=1h" {
		t.Errorf("dashboard = %q", l)
	}
	if l := got.ExpAnnotations["runbook_url"]; l != DefaultRunbookURL+"#ccbenchkpitargetmissed" {
		t.Errorf("runbook_url = %q", l)
	}
	if got.ExpLabels["severity"] != SeverityTicket || got.ExpLabels["kind"] != KindKPI || got.ExpLabels["kpi"] != "service_level" || got.ExpLabels["window"] != "1h" {
		t.Errorf("labels = %v", got.ExpLabels)
	}
}

func TestMissingWindowsAreNoted(t *testing.T) {
	cfg := seedConfig(t)
	cfg.Exporter.Windows = cfg.Exporter.Windows[2:] // drop 5m and 30m
	res, err := Generate(Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(res.Notes, "\n")
	if !strings.Contains(notes, "1h/5m (page) left out") || !strings.Contains(notes, "6h/30m (page) left out") {
		t.Errorf("notes = %s", notes)
	}
	if strings.Contains(notes, "1d/2h") {
		t.Errorf("1d/2h is served, yet noted: %s", notes)
	}
}

// tool returns the path of a Debian tool the tests need.
func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if testing.Short() {
			t.Skipf("%s not installed (-short): install it with `apt-get install -y %s`", name, pkg)
		}
		t.Fatalf("%s not installed: install it with `apt-get install -y %s`", name, pkg)
	}
	return p
}

func run(t *testing.T, dir, bin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// TestPromtoolAndAmtool runs Prometheus's and Alertmanager's own checkers
// on the generated files: the rules load, every generated case passes,
// and the Alertmanager configuration is valid. Then it breaks the rules
// (thresholds pushed to 0.99, out of reach of the cases' breaches) and
// checks the generated cases catch it, so they can fail.
func TestPromtoolAndAmtool(t *testing.T) {
	promtool := tool(t, "promtool", "prometheus")
	amtool := tool(t, "amtool", "prometheus-alertmanager")
	res, err := Generate(Options{Config: seedConfig(t), WebhookURL: "http://127.0.0.1:9/hook"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := res.Write(dir); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, dir, promtool, "check", "rules", RulesFile); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	if out, err := run(t, dir, promtool, "test", "rules", TestsFile); err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
	if out, err := run(t, dir, amtool, "check-config", AlertmanagerFile); err != nil {
		t.Fatalf("amtool check-config: %v\n%s", err, out)
	}

	// Only the cases of the broken tier are run again, to keep the test short.
	var cases ruleTestFile
	if err := yaml.Unmarshal(res.Tests, &cases); err != nil {
		t.Fatal(err)
	}
	var firing []testGroup
	for _, g := range cases.Tests {
		if strings.Contains(g.Name, "tier 1h/5m fires") {
			firing = append(firing, g)
		}
	}
	if len(firing) != 3 {
		t.Fatalf("%d firing cases of the 1h/5m tier, want 3 (one per seed target with a budget)", len(firing))
	}
	cases.Tests = firing
	subset, err := yaml.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, TestsFile), subset, 0o644); err != nil {
		t.Fatal(err)
	}
	broken := strings.ReplaceAll(string(res.Rules), "> 0.525\n", "> 0.99\n")
	if broken == string(res.Rules) {
		t.Fatal("found no 0.525 threshold to break")
	}
	if err := os.WriteFile(filepath.Join(dir, RulesFile), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, dir, promtool, "test", "rules", TestsFile)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !strings.Contains(out, "FAILED") {
		t.Fatalf("promtool test rules passed on broken thresholds: %v\n%s", err, out)
	}
}

// TestHeavyBuildStaysHere checks that the packages everyone imports do not
// pull in github.com/prometheus/prometheus.
func TestHeavyBuildStaysHere(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not on PATH")
	}
	out, err := run(t, "..", gobin, "list", "-deps", "./exporter", "./report", "./store", "./kpi", "./config", "./collectors")
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	if strings.Contains(out, "github.com/prometheus/prometheus/") {
		t.Error("a shared package imports github.com/prometheus/prometheus")
	}
}

func TestPanelsFromDashboards(t *testing.T) {
	panel, err := PanelsFromDashboards(map[string][]byte{
		DashboardServiceLevels: []byte(`{"panels":[{"id":1,"type":"row","title":"Real-time"},{"id":2,"type":"timeseries","title":"Service level (method $method) vs target"}]}`),
		"ccbench-satisfaction": []byte(`{"panels":[{"id":1,"type":"row","title":"x","panels":[{"id":5,"type":"timeseries","title":"Favourable responses by instrument"}]}]}`),
		OverviewDashboard:      []byte(`{"panels":[{"id":9,"type":"bargauge","title":"Longest wait by institution"}]}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[kpi.ID][2]string{
		kpi.ServiceLevel:    {DashboardServiceLevels, "2"},
		kpi.FavourableShare: {"ccbench-satisfaction", "5"},
		kpi.MaxWaitSeconds:  {OverviewDashboard, "9"},
		kpi.PenaltyEUR:      {"", ""},
	} {
		uid, p := panel(kpi.MustLookup(id))
		if uid != want[0] || p != want[1] {
			t.Errorf("%s: %s/%s, want %s/%s", id, uid, p, want[0], want[1])
		}
	}
}

// TestOverlappingTargetsAlertOnce gives a KPI a target for a channel, one
// for a unit of that channel and one for the whole institution: each series
// must alert against the target the report judges it by (the most
// specific), once. The generated cases of the unit's target feed a series
// that also misses the channel's and the institution's targets, so they
// fail if either alerts on it too; with the rules' exclusions removed they
// must fail.
func TestOverlappingTargetsAlertOnce(t *testing.T) {
	promtool := tool(t, "promtool", "prometheus")
	cfg := seedConfig(t)
	cfg.Targets = []config.Target{
		{Institution: "sodra", KPI: "service_level", Value: 0.7},
		{Institution: "sodra", Channel: "phone", KPI: "service_level", Value: 0.8},
		{Institution: "sodra", Unit: "contact-centre", Channel: "phone", KPI: "service_level", Value: 0.95},
	}
	res, err := Generate(Options{Config: cfg, WebhookURL: "http://127.0.0.1:9/hook"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := res.Write(dir); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, dir, promtool, "test", "rules", TestsFile); err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
	// The exclusions are the expressions' trailing "unless" clauses.
	var file struct {
		Groups []struct {
			Name  string           `yaml:"name"`
			Rules []map[string]any `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(res.Rules, &file); err != nil {
		t.Fatal(err)
	}
	cut := 0
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			expr, _ := r["expr"].(string)
			if i := strings.Index(expr, "\nunless "); i >= 0 {
				r["expr"] = expr[:i]
				cut++
			}
		}
	}
	if cut == 0 {
		t.Fatal("the generated rules exclude nothing")
	}
	rules, err := yaml.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, RulesFile), rules, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, dir, promtool, "test", "rules", TestsFile)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !strings.Contains(out, "FAILED") || !strings.Contains(out, `unit="contact-centre"`) {
		t.Fatalf("promtool test rules did not fail on the contact centre's series without the exclusions: %v\n%s", err, out)
	}
}

// TestDescriptionOfATargetOfEveryChannel checks that a target without a
// channel names the channel parameters rather than the zero values a
// missing channel has, and that every parameter of the catalogue has such
// a name.
func TestDescriptionOfATargetOfEveryChannel(t *testing.T) {
	cfg := seedConfig(t)
	cfg.Targets = []config.Target{{Institution: "sodra", KPI: "service_level", Value: 0.9}}
	o := Options{Config: cfg}.withDefaults()
	targets, _, err := plan(o)
	if err != nil || len(targets) != 1 {
		t.Fatalf("plan: %d targets, %v", len(targets), err)
	}
	desc := targetDescription(o, targets[0])
	for _, want := range []string{"service-level method negative", "each channel's answer-time threshold", "each channel's short abandons left out", "Target at least 90%"} {
		if !strings.Contains(desc, want) {
			t.Errorf("description lacks %q: %s", want, desc)
		}
	}
	if strings.Contains(desc, " 0s") {
		t.Errorf("description gives a zero parameter: %s", desc)
	}
	for _, d := range kpi.Catalogue() {
		for _, p := range d.Parameters {
			if p != kpi.ParamMethod && channelParamNames[p] == "" {
				t.Errorf("parameter %s of %s has no name for targets of every channel", p, d.ID)
			}
		}
	}
}

// TestDashboardLinks checks the dashboard annotations of generated alerts:
// the threshold alert opens its window, the burn-rate alert its long
// window, each with the method and channel of its target and the panel of
// the KPI; variables the linked dashboard lacks are left out.
func TestDashboardLinks(t *testing.T) {
	cfg := seedConfig(t)
	panel := func(d kpi.Definition) (string, string) {
		switch d.ID {
		case kpi.ServiceLevel:
			return DashboardServiceLevels, "7"
		case kpi.CorrectionRate:
			return DashboardWritten, "3"
		}
		return "", ""
	}
	res, err := Generate(Options{Config: cfg, GrafanaURL: "https://g.example", Panel: panel})
	if err != nil {
		t.Fatal(err)
	}
	links := map[string]bool{}
	for _, g := range res.Groups.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			key := r.Alert + " " + r.Labels["kpi"] + " " + r.Labels["institution"] + "/" + r.Labels["channel"] + " " + r.Labels["short_window"]
			links[key+" "+r.Annotations["dashboard"]] = true
		}
	}
	for _, want := range []string{
		AlertTargetMissed + " service_level sodra/phone  https://g.example/d/ccbench-service-levels?var-institution=sodra&viewPanel=7&var-channel=phone&var-method=negative&var-window=1h",
		AlertBudgetBurn + " service_level sodra/phone 5m https://g.example/d/ccbench-service-levels?var-institution=sodra&viewPanel=7&var-channel=phone&var-method=negative&var-window=1h",
		AlertBudgetBurn + " service_level sodra/phone 30m https://g.example/d/ccbench-service-levels?var-institution=sodra&viewPanel=7&var-channel=phone&var-method=negative&var-window=6h",
		AlertBudgetBurn + " service_level sodra/phone 6h https://g.example/d/ccbench-service-levels?var-institution=sodra&viewPanel=7&var-channel=phone&var-method=negative&var-window=3d",
		// A target of every channel sets none; written KPIs are judged
		// over 1d.
		AlertTargetMissed + " correction_rate vmi/  https://g.example/d/ccbench-written?var-institution=vmi&viewPanel=3&var-window=1d",
	} {
		if !links[want] {
			t.Errorf("no alert %q; links:\n%s", want, strings.Join(slices.Sorted(maps.Keys(links)), "\n"))
		}
	}
	// A dashboard without a method variable gets none, even for a per-method KPI.
	o := Options{Config: cfg, GrafanaURL: "https://g.example", Panel: func(kpi.Definition) (string, string) { return DashboardWritten, "" }}.withDefaults()
	targets, _, err := plan(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, ta := range targets {
		if ta.Definition.ID == kpi.ServiceLevel {
			if l := thresholdRule(o, ta).Annotations["dashboard"]; strings.Contains(l, "var-method") || !strings.Contains(l, "var-window=1h") {
				t.Errorf("link to %s = %s, want a window and no method", DashboardWritten, l)
			}
		}
	}
}

// TestDashboardVariablesMatchTheDashboards checks DashboardVariables, the
// variables the links set, against the generated dashboards: every
// dashboard is listed, with exactly the linkable variables it defines.
func TestDashboardVariablesMatchTheDashboards(t *testing.T) {
	ds, err := dashboards.Generate(seedConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	linkable := map[string]bool{"institution": true, "channel": true, "window": true, "method": true, "source": true}
	for _, d := range ds {
		var model struct {
			Templating struct {
				List []struct {
					Name string `json:"name"`
				} `json:"list"`
			} `json:"templating"`
		}
		if err := json.Unmarshal(d.JSON, &model); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, v := range model.Templating.List {
			if linkable[v.Name] {
				got = append(got, v.Name)
			}
		}
		want, ok := DashboardVariables[d.UID]
		if !ok {
			t.Errorf("dashboard %s is not in DashboardVariables (its variables: %v)", d.UID, got)
			continue
		}
		sort.Strings(got)
		want = append([]string(nil), want...)
		sort.Strings(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("dashboard %s defines %v, DashboardVariables says %v", d.UID, got, want)
		}
	}
}

// TestNoCollectorJob: without a collector job the collector is not
// scraped, so its metrics never exist; absent() would page for every
// source and, through the inhibition, silence every KPI alert. The alerts
// that read them and their inhibitions are left out, and a note says so;
// what is left still loads, passes its cases and checks with amtool.
func TestNoCollectorJob(t *testing.T) {
	collectorAlerts := []string{AlertFeedStale, AlertFeedNeverPulled, AlertQuarantineHigh, AlertCollectorDown}
	for _, none := range []bool{false, true} {
		o := Options{Config: seedConfig(t)}
		if none {
			o.NoCollectorJob = true
		}
		res, err := Generate(o)
		if err != nil {
			t.Fatal(err)
		}
		alerts := map[string]bool{}
		for _, g := range res.Groups.Groups {
			for _, r := range g.Rules {
				alerts[r.Alert] = true
				if none && strings.Contains(r.Expr, "ccbench_collector_") {
					t.Errorf("no collector job, yet %s%s reads the collector's metrics: %s", r.Alert, r.Record, r.Expr)
				}
			}
		}
		for _, a := range collectorAlerts {
			if alerts[a] == none {
				t.Errorf("collector job %q: alert %s generated %v", o.CollectorJob, a, alerts[a])
			}
			if a != AlertQuarantineHigh && strings.Contains(string(res.Alertmanager), a) == none { // the others inhibit
				t.Errorf("collector job %q: the Alertmanager configuration names %s: %v", o.CollectorJob, a, !none)
			}
			if strings.Contains(string(res.Tests), a+":") == none {
				t.Errorf("collector job %q: the rule tests have cases of %s: %v", o.CollectorJob, a, !none)
			}
		}
		for _, a := range []string{AlertExporterRefreshFailed, AlertExporterDown} {
			if !alerts[a] || !strings.Contains(string(res.Alertmanager), a) {
				t.Errorf("collector job %q: %s or its inhibition missing", o.CollectorJob, a)
			}
		}
		noted := strings.Contains(strings.Join(res.Notes, "\n"), "no collector job: "+AlertFeedStale)
		if noted != none {
			t.Errorf("collector job %q: noted %v; notes:\n%s", o.CollectorJob, noted, strings.Join(res.Notes, "\n"))
		}
		if !none {
			continue
		}
		if _, err := exec.LookPath("promtool"); err != nil && testing.Short() {
			continue
		}
		promtool := tool(t, "promtool", "prometheus")
		amtool := tool(t, "amtool", "prometheus-alertmanager")
		dir := t.TempDir()
		if err := res.Write(dir); err != nil {
			t.Fatal(err)
		}
		if out, err := run(t, dir, promtool, "test", "rules", TestsFile); err != nil {
			t.Errorf("promtool test rules: %v\n%s", err, out)
		}
		if out, err := run(t, dir, amtool, "check-config", AlertmanagerFile); err != nil {
			t.Errorf("amtool check-config: %v\n%s", err, out)
		}
	}
}

// TestCommittedRulesAreUpToDate fails when deploy/prometheus/rules, which
// the compose stack's Prometheus and Alertmanager load, differs from what
// `ccbench alerts generate` makes of deploy/ccbench.yaml with its default
// flags (the defaults of Options, with the panels of the generated
// dashboards). Refresh them with
//
//	go run ./cmd/ccbench alerts generate --config.file deploy/ccbench.yaml --out deploy/prometheus/rules
func TestCommittedRulesAreUpToDate(t *testing.T) {
	cfg := seedConfig(t)
	ds, err := dashboards.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	models := map[string][]byte{}
	for _, d := range ds {
		models[d.UID] = d.JSON
	}
	panel, err := PanelsFromDashboards(models)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Generate(Options{Config: cfg, Panel: panel})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "deploy", "prometheus", "rules")
	want := map[string][]byte{RulesFile: res.Rules, TestsFile: res.Tests, AlertmanagerFile: res.Alertmanager}
	for name, b := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%v (regenerate the committed rules)", err)
			continue
		}
		if !bytes.Equal(got, b) {
			t.Errorf("%s/%s is out of date with the generator (regenerate the committed rules)", dir, name)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".yml") && want[e.Name()] == nil {
			t.Errorf("%s/%s is not generated", dir, e.Name())
		}
	}
}
