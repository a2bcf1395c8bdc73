// Package alerts generates ccbench's alerting from the targets register:
// Prometheus rules (threshold alerts per target, multi-window multi-burn-rate
// alerts on event-based error budgets, freshness alerts on the data feeds and
// the exporter), a `promtool test rules` file that proves each of them fires
// and stays quiet when it should, and an Alertmanager configuration that
// routes them by institution and severity and silences an institution's KPI
// alerts while its feed is stale.
//
// The rules are built as github.com/prometheus/prometheus/model/rulefmt
// groups and validated by the same package (PromQL parsed, templates
// checked). That module is heavy: only this package and the command that
// runs it import it.
package alerts

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
)

// Severities, in the `severity` label of every alert.
const (
	SeverityPage   = "page"   // wake someone: act within minutes
	SeverityTicket = "ticket" // act within the working day
)

// Kinds, in the `kind` label: Alertmanager inhibits kind="kpi" alerts of an
// institution while a kind="freshness" alert says its data is stale.
const (
	KindKPI       = "kpi"
	KindFreshness = "freshness"
)

// Alert names.
const (
	AlertTargetMissed          = "CCBenchKPITargetMissed"
	AlertBudgetBurn            = "CCBenchErrorBudgetBurn"
	AlertFeedStale             = "CCBenchFeedStale"
	AlertFeedNeverPulled       = "CCBenchFeedNeverPulled"
	AlertQuarantineHigh        = "CCBenchQuarantineRateHigh"
	AlertExporterRefreshFailed = "CCBenchExporterRefreshFailing"
	AlertExporterDown          = "CCBenchExporterDown"
	AlertCollectorDown         = "CCBenchCollectorDown"
)

// BadRatioRecord is the recording rule of the bad share of a KPI's events,
// per window, that the burn-rate alerts read.
const BadRatioRecord = "ccbench:kpi_bad:ratio"

// Dashboard UIDs the annotations link to.
const (
	DashboardServiceLevels = "ccbench-service-levels"
	DashboardWritten       = "ccbench-written"
	DashboardPipeline      = "ccbench-pipeline"
)

// Options configure the generation. Zero values take the defaults named.
type Options struct {
	Config *config.Config
	// GrafanaURL is the base URL of Grafana in dashboard links; default
	// http://localhost:3000.
	GrafanaURL string
	// RunbookURL is the page holding the runbook (the README's alert
	// catalogue); each alert links to its heading. Default
	// DefaultRunbookURL.
	RunbookURL string
	// Panel gives the dashboard and panel that show a KPI, for the links'
	// viewPanel anchor (`ccbench alerts generate` finds them in the
	// generated dashboards); nil, or an empty uid, links to the whole
	// dashboard DashboardOf names.
	Panel func(d kpi.Definition) (dashboardUID, panelID string)

	// Tiers are the burn-rate alerts; default Workbook. Tiers whose windows
	// the exporter does not serve are left out (see Result.Notes).
	Tiers []Tier
	// FastWindow is the window of threshold alerts on real-time KPIs
	// (default 1h); SlowWindow of the others (default 1d): written cases
	// and survey responses are too few to judge an hour by.
	FastWindow, SlowWindow time.Duration
	// ThresholdFor is the `for` of threshold alerts; default 10m.
	ThresholdFor time.Duration
	// MinEvents is the low-traffic guard: a KPI alert needs at least this
	// many events (contacts, cases, responses) in its (long) window;
	// default 20.
	MinEvents int

	// StaleIntervals is how many poll intervals a source may go without a
	// successful pull, and how many refresh intervals the exporter may go
	// without a full refresh, before the freshness alerts fire; default 3.
	StaleIntervals int
	// MinStale is the least time without a successful pull or refresh
	// before they fire, whatever the intervals (default 5m): a long first
	// pass over months of history must not page.
	MinStale time.Duration
	// QuarantineShare is the share of records quarantined over
	// QuarantineWindow above which CCBenchQuarantineRateHigh fires; default
	// 0.05 over 15m.
	QuarantineShare  float64
	QuarantineWindow time.Duration
	// DownFor is the `for` of the exporter and collector down alerts;
	// default 2m.
	DownFor time.Duration
	// ExporterJob and CollectorJob are the Prometheus jobs scraping `ccbench
	// serve` and `ccbench collect`; defaults ccbench and
	// ccbench-collect (the demo's and deploy/prometheus's jobs). An empty
	// CollectorJob with NoCollectorJob set (the collector is not scraped)
	// leaves out every alert that reads the collector's metrics (feed
	// stale, feed never pulled, quarantine rate, collector down) and their
	// inhibitions; Result.Notes says so.
	ExporterJob, CollectorJob string
	NoCollectorJob            bool

	// EvaluationInterval is the rule evaluation interval the test file
	// assumes; default 1m.
	EvaluationInterval time.Duration

	// Alertmanager settings: WebhookURL receives every notification (empty:
	// receivers without integrations, to be filled in by the operator);
	// GroupWait, GroupInterval, RepeatInterval default to 30s, 5m, 4h.
	WebhookURL                               string
	GroupWait, GroupInterval, RepeatInterval time.Duration
}

// DefaultRunbookURL is where the README's alert catalogue is published.
const DefaultRunbookURL = "https://github.com/ccbench/ccbench/blob/main/README.md"

func (o Options) withDefaults() Options {
	if o.GrafanaURL == "" {
		o.GrafanaURL = "http://localhost:3000"
	}
	o.GrafanaURL = strings.TrimRight(o.GrafanaURL, "/")
	if o.RunbookURL == "" {
		o.RunbookURL = DefaultRunbookURL
	}
	if o.Tiers == nil {
		o.Tiers = Workbook
	}
	if o.FastWindow == 0 {
		o.FastWindow = time.Hour
	}
	if o.SlowWindow == 0 {
		o.SlowWindow = 24 * time.Hour
	}
	if o.ThresholdFor == 0 {
		o.ThresholdFor = DefaultThresholdFor
	}
	if o.MinEvents == 0 {
		o.MinEvents = 20
	}
	if o.StaleIntervals == 0 {
		o.StaleIntervals = 3
	}
	if o.MinStale == 0 {
		o.MinStale = 5 * time.Minute
	}
	if o.QuarantineShare == 0 {
		o.QuarantineShare = 0.05
	}
	if o.QuarantineWindow == 0 {
		o.QuarantineWindow = 15 * time.Minute
	}
	if o.DownFor == 0 {
		o.DownFor = 2 * time.Minute
	}
	if o.ExporterJob == "" {
		o.ExporterJob = "ccbench"
	}
	if o.CollectorJob == "" && !o.NoCollectorJob {
		o.CollectorJob = "ccbench-collect"
	}
	if o.EvaluationInterval == 0 {
		o.EvaluationInterval = time.Minute
	}
	if o.GroupWait == 0 {
		o.GroupWait = 30 * time.Second
	}
	if o.GroupInterval == 0 {
		o.GroupInterval = 5 * time.Minute
	}
	if o.RepeatInterval == 0 {
		o.RepeatInterval = 4 * time.Hour
	}
	return o
}

// TargetAlerts describes the alerts generated for one target.
type TargetAlerts struct {
	Target     config.Target
	Definition kpi.Definition
	Method     string // service_level: the method the target is judged by
	Window     string // the threshold alert's window label
	// Budget is the event-based error budget; Burns the burn-rate tiers
	// with the factor each got. Both are empty for KPIs without an event
	// budget and for targets that leave none (100 %).
	Budget float64
	Burns  []Burn
	// Yields are the targets that win over this one on some of the series
	// it selects (see yieldsTo): its alerts leave those series to them.
	Yields []TargetAlerts
}

// Burn is one burn-rate alert of a target.
type Burn struct {
	Tier
	Factor    float64 // capped, see Factor
	Threshold float64 // Factor × budget: the bad share both windows must exceed
}

// plan works out, from the configuration, which alerts each target gets;
// notes say what was left out and why.
func plan(o Options) (targets []TargetAlerts, notes []string, err error) {
	if o.Config == nil {
		return nil, nil, fmt.Errorf("alerts: a configuration is required")
	}
	served := map[string]bool{}
	for _, l := range o.Config.Exporter.WindowLabels() {
		served[l] = true
	}
	label := func(d time.Duration) string { return config.WindowLabel(model.Duration(d)) }
	for _, w := range []time.Duration{o.FastWindow, o.SlowWindow} {
		if !served[label(w)] {
			return nil, nil, fmt.Errorf("alerts: threshold window %s is not one of the exporter's windows %v (exporter.windows)", label(w), o.Config.Exporter.WindowLabels())
		}
	}
	var usable []Tier
	for _, t := range o.Tiers {
		if !served[label(t.Long)] || !served[label(t.Short)] {
			notes = append(notes, fmt.Sprintf("burn-rate tier %s/%s (%s) left out: the exporter does not serve both windows; add them to exporter.windows", label(t.Long), label(t.Short), t.Severity))
			continue
		}
		usable = append(usable, t)
	}

	if o.CollectorJob == "" {
		notes = append(notes, fmt.Sprintf("no collector job: %s, %s, %s and %s, which read the collector's metrics, are left out, and so are their inhibitions; a stalled feed is not alerted on", AlertFeedStale, AlertFeedNeverPulled, AlertQuarantineHigh, AlertCollectorDown))
	}

	type key struct{ kpi, institution, unit, channel, instrument string }
	seen := map[key]bool{}
	for _, t := range o.Config.Targets {
		d, ok := kpi.Lookup(kpi.ID(t.KPI))
		if !ok {
			continue // configuration validation rejects these
		}
		k := key{t.KPI, t.Institution, t.Unit, t.Channel, t.Instrument}
		if seen[k] {
			notes = append(notes, fmt.Sprintf("target %s: a duplicate of an earlier target; the first one is used", describe(t)))
			continue
		}
		seen[k] = true
		ta := TargetAlerts{Target: t, Definition: d, Window: label(o.SlowWindow)}
		if d.Scope == kpi.ScopeRealTime {
			ta.Window = label(o.FastWindow)
		}
		if d.PerMethod {
			ta.Method = t.Method
			if ta.Method == "" {
				ta.Method = string(kpi.MethodNegative)
			}
		}
		if budget, ok := Budget(d, t); ok && formOf(d) != badUnknown {
			ta.Budget = budget
			for _, tier := range usable {
				f, ok := Factor(tier, budget)
				if !ok {
					continue
				}
				ta.Burns = append(ta.Burns, Burn{Tier: tier, Factor: f, Threshold: round(f * budget)})
			}
			if len(ta.Burns) == 0 && len(usable) > 0 {
				notes = append(notes, fmt.Sprintf("target %s: a %s target leaves no error budget; only its threshold alert is generated", describe(t), formatValue(d.Unit, t.Value)))
			}
		} else if d.EventBudget {
			notes = append(notes, fmt.Sprintf("target %s: direction %s is not the KPI's (%s); no burn-rate alerts", describe(t), t.TargetDirection(), d.Direction))
		}
		targets = append(targets, ta)
	}
	for i := range targets {
		for j := range targets {
			if i != j && targets[i].yieldsTo(i, targets[j], j) {
				targets[i].Yields = append(targets[i].Yields, targets[j])
			}
		}
	}
	return targets, notes, nil
}

// yieldsTo reports whether target o (at position j of the configuration)
// rather than ta (at i) is the target of some series both select: the one
// the report judges those series by (config.TargetFor picks the most
// specific, the first of equals). Without this, a series with a target of
// its own and one of its channel would alert twice.
func (ta TargetAlerts) yieldsTo(i int, o TargetAlerts, j int) bool {
	a, b := ta.Target, o.Target
	if a.KPI != b.KPI || a.Institution != b.Institution || ta.Method != o.Method {
		return false
	}
	for _, p := range [][2]string{{a.Unit, b.Unit}, {a.Channel, b.Channel}, {a.Instrument, b.Instrument}} {
		if p[0] != "" && p[1] != "" && p[0] != p[1] {
			return false // no series in common
		}
	}
	sa, sb := a.Specificity(), b.Specificity()
	return sb > sa || (sb == sa && j < i)
}

// describe names a target in notes and annotations.
func describe(t config.Target) string {
	parts := []string{t.Institution}
	for _, p := range []string{t.Unit, t.Channel, t.Instrument} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return t.KPI + " of " + strings.Join(parts, "/")
}

// Factors lists, for every target with burn-rate alerts, its budget and the
// factor of each tier; `ccbench alerts generate` prints it.
func Factors(targets []TargetAlerts) []string {
	var out []string
	for _, ta := range targets {
		if len(ta.Burns) == 0 {
			continue
		}
		var fs []string
		for _, b := range ta.Burns {
			fs = append(fs, fmt.Sprintf("%s %s/%s ×%g (bad share > %g)", b.Severity,
				config.WindowLabel(model.Duration(b.Long)), config.WindowLabel(model.Duration(b.Short)), b.Factor, b.Threshold))
		}
		out = append(out, fmt.Sprintf("%s, target %g: budget %g, max burn %g: %s",
			describe(ta.Target), ta.Target.Value, ta.Budget, MaxBurn(ta.Budget), strings.Join(fs, "; ")))
	}
	sort.Strings(out)
	return out
}

// DefaultThresholdFor is the default `for` of threshold alerts.
const DefaultThresholdFor = 10 * time.Minute

// staleAfter is how long a feed polled (or an exporter refreshed) every
// interval may go without success: StaleIntervals intervals, at least
// MinStale.
func (o Options) staleAfter(interval time.Duration) time.Duration {
	return max(time.Duration(o.StaleIntervals)*interval, o.MinStale)
}
