package alerts

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
)

// Metrics the rules read.
const (
	collectorLastSuccess = "ccbench_collector_last_success_timestamp_seconds"
	collectorQuarantined = "ccbench_collector_quarantined_total"
	collectorRecords     = "ccbench_collector_records_total"
	exporterLastRefresh  = "ccbench_exporter_last_refresh_success_timestamp_seconds"
)

// Rule group names.
const (
	groupThresholds = "ccbench-kpi-targets"
	groupBurnRates  = "ccbench-kpi-burn-rates"
	groupFreshness  = "ccbench-freshness"
)

// selector renders a vector selector of name with equality matchers, given
// as label/value pairs; pairs with an empty value are left out. Matchers are
// rendered by Prometheus's labels package, so values are quoted as PromQL
// wants them.
func selector(name string, pairs ...string) string {
	var ms []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			continue
		}
		ms = append(ms, labels.MustNewMatcher(labels.MatchEqual, pairs[i], pairs[i+1]).String())
	}
	return name + "{" + strings.Join(ms, ",") + "}"
}

// targetPairs are the label/value pairs a target selects its KPI's series
// by, window aside.
func targetPairs(ta TargetAlerts) []string {
	t := ta.Target
	pairs := []string{"institution", t.Institution, "unit", t.Unit, "channel", t.Channel}
	if ta.Definition.PerMethod {
		pairs = append(pairs, "method", ta.Method)
	}
	if ta.Definition.PerInstrument {
		pairs = append(pairs, "instrument", t.Instrument)
	}
	return pairs
}

// targetLabels adds to an alert's own labels the kpi and the labels its
// target selects by: values the series carry anyway, which tell apart the
// rules of different targets (promtool's duplicate-rule lint).
func targetLabels(ta TargetAlerts, own map[string]string) map[string]string {
	own["kpi"] = string(ta.Definition.ID)
	pairs := targetPairs(ta)
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			own[pairs[i]] = pairs[i+1]
		}
	}
	return own
}

// partPairs select the numerator and denominator gauges of a target.
func partPairs(ta TargetAlerts, window string) []string {
	return append([]string{"kpi", string(ta.Definition.ID)}, append(targetPairs(ta), "window", window)...)
}

// minEvents is the low-traffic guard of a KPI: Options.MinEvents, and for
// sampled shares at least the catalogue's minimum sample size.
func minEvents(o Options, d kpi.Definition) int {
	if d.Sampled && kpi.MinSampleSize > o.MinEvents {
		return kpi.MinSampleSize
	}
	return o.MinEvents
}

// guarded reports whether a KPI's alerts carry the low-traffic guard: the
// KPIs that are ratios of counted events have a denominator to count.
func guarded(d kpi.Definition) bool { return d.Aggregation == kpi.AggRatio }

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func promDuration(d time.Duration) model.Duration { return model.Duration(d) }

// thresholdRule is the alert of one target: the KPI's value in the target's
// window misses the target, with enough events behind it.
func thresholdRule(o Options, ta TargetAlerts) rulefmt.Rule {
	d, t := ta.Definition, ta.Target
	op := "<"
	if t.TargetDirection() == kpi.AtMost {
		op = ">"
	}
	expr := fmt.Sprintf("%s %s %s", selector(d.Metric, append(targetPairs(ta), "window", ta.Window)...), op, num(t.Value))
	if guarded(d) {
		expr += fmt.Sprintf("\nand on (institution, unit, channel, instrument, method, window)\n%s >= %d",
			selector(kpi.DenominatorMetric, partPairs(ta, ta.Window)...), minEvents(o, d))
	}
	for _, y := range ta.Yields {
		expr += fmt.Sprintf("\nunless on (institution, unit, channel, instrument, method, window)\n%s",
			selector(d.Metric, append(targetPairs(y), "window", ta.Window)...))
	}
	return rulefmt.Rule{
		Alert:  AlertTargetMissed,
		Expr:   expr,
		For:    promDuration(o.ThresholdFor),
		Labels: targetLabels(ta, map[string]string{"severity": SeverityTicket, "kind": KindKPI}),
		Annotations: map[string]string{
			"summary": fmt.Sprintf("%s of %s is %s over the last %s; the target is %s %s.",
				d.Title, whereTemplate(d), valueTemplate(d.Unit), ta.Window, directionWords(t.TargetDirection()), formatValue(d.Unit, t.Value)),
			"description": targetDescription(o, ta),
			"target":      formatValue(d.Unit, t.Value),
			"dashboard":   kpiLink(o, ta, ta.Window),
			"runbook_url": runbookLink(o, AlertTargetMissed),
		},
	}
}

// burnRule is one burn-rate tier of one target.
func burnRule(o Options, ta TargetAlerts, b Burn) rulefmt.Rule {
	d, t := ta.Definition, ta.Target
	long, short := config.WindowLabel(model.Duration(b.Long)), config.WindowLabel(model.Duration(b.Short))
	pairs := targetPairs(ta)
	expr := fmt.Sprintf("%s > %s\nand ignoring (window)\n%s > %s\nand ignoring (window)\n%s >= %d",
		selector(BadRatioRecord, append([]string{"kpi", string(d.ID)}, append(pairs, "window", long)...)...), num(b.Threshold),
		selector(BadRatioRecord, append([]string{"kpi", string(d.ID)}, append(pairs, "window", short)...)...), num(b.Threshold),
		selector(kpi.DenominatorMetric, partPairs(ta, long)...), minEvents(o, d))
	for _, y := range ta.Yields {
		expr += fmt.Sprintf("\nunless ignoring (window)\n%s",
			selector(BadRatioRecord, append([]string{"kpi", string(d.ID)}, append(targetPairs(y), "window", long)...)...))
	}
	return rulefmt.Rule{
		Alert:  AlertBudgetBurn,
		Expr:   expr,
		For:    promDuration(b.For),
		Labels: targetLabels(ta, map[string]string{"severity": b.Severity, "kind": KindKPI, "short_window": short}),
		Annotations: map[string]string{
			"summary": fmt.Sprintf("%s of %s is burning its error budget %g× as fast as the target allows (over %s and %s).",
				d.Title, whereTemplate(d), b.Factor, long, short),
			"description": fmt.Sprintf("{{ $value | humanizePercentage }} of the events of the last %s were bad (and more than %s of the last %s); the target %s %s leaves a budget of %s. %s",
				long, formatValue(kpi.UnitRatio, b.Threshold), short, directionWords(t.TargetDirection()), formatValue(d.Unit, t.Value), formatValue(kpi.UnitRatio, ta.Budget), d.Help),
			"target":      formatValue(d.Unit, t.Value),
			"dashboard":   kpiLink(o, ta, long),
			"runbook_url": runbookLink(o, AlertBudgetBurn),
		},
	}
}

// badRatioRule records the bad share of a KPI's events per window, with
// bad events counted the way the catalogue's Definition.Bad counts them; a
// window without events records nothing (no NaN on an empty night).
func badRatioRule(d kpi.Definition) rulefmt.Rule {
	n := selector(kpi.NumeratorMetric, "kpi", string(d.ID))
	den := selector(kpi.DenominatorMetric, "kpi", string(d.ID))
	bad := n
	if formOf(d) == badMissing {
		bad = "(" + den + " - " + n + ")"
	}
	// The kpi label repeats the series' own; it tells the recording rules
	// of different KPIs apart.
	return rulefmt.Rule{Record: BadRatioRecord, Expr: fmt.Sprintf("%s\n/ (%s > 0)", bad, den), Labels: map[string]string{"kpi": string(d.ID)}}
}

// freshnessRules are the alerts on the data feeds, the collector and the
// exporter.
func freshnessRules(o Options) []rulefmt.Rule {
	cfg := o.Config
	var out []rulefmt.Rule
	pipeline := dashboardLink(o, DashboardPipeline, "")
	sources := append([]config.Source(nil), cfg.Sources...)
	sort.Slice(sources, func(i, j int) bool { return sources[i].Name < sources[j].Name })
	if o.CollectorJob == "" {
		sources = nil // no collector metrics to read; plan notes it
	}
	for _, s := range sources {
		stale := o.staleAfter(time.Duration(s.PollInterval))
		lbl := map[string]string{"severity": SeverityPage, "kind": KindFreshness, "institution": s.Institution}
		source := dashboardLink(o, DashboardPipeline, "", "source", s.Name)
		out = append(out,
			rulefmt.Rule{
				Alert:  AlertFeedStale,
				Expr:   fmt.Sprintf("time() - max by (source) (%s) > %s", selector(collectorLastSuccess, "source", s.Name), num(stale.Seconds())),
				Labels: lbl,
				Annotations: map[string]string{
					"summary":     fmt.Sprintf("Source %s of %s has not been pulled successfully for {{ $value | humanizeDuration }}.", s.Name, s.Institution),
					"description": fmt.Sprintf("No successful collection pass for more than %s (%d poll intervals, at least %s); %s's KPIs are going stale, and its KPI alerts are silenced until the feed recovers.", model.Duration(stale), o.StaleIntervals, model.Duration(o.MinStale), s.Institution),
					"dashboard":   source,
					"runbook_url": runbookLink(o, AlertFeedStale),
				},
			},
			rulefmt.Rule{
				Alert:  AlertFeedNeverPulled,
				Expr:   fmt.Sprintf("absent(%s)", selector(collectorLastSuccess, "source", s.Name)),
				For:    promDuration(stale),
				Labels: lbl,
				Annotations: map[string]string{
					"summary":     fmt.Sprintf("Source %s of %s has had no successful pull since the collector started.", s.Name, s.Institution),
					"description": fmt.Sprintf("The collector reports no successful pass of %s for %s; %s's KPI alerts are silenced until it succeeds.", s.Name, model.Duration(stale), s.Institution),
					"dashboard":   source,
					"runbook_url": runbookLink(o, AlertFeedNeverPulled),
				},
			},
			rulefmt.Rule{
				Alert: AlertQuarantineHigh,
				Expr: fmt.Sprintf("sum by (source) (rate(%[1]s[%[3]s]))\n/ (sum by (source) (rate(%[1]s[%[3]s])) + sum by (source) (rate(%[2]s[%[3]s])))\n> %[4]s",
					selector(collectorQuarantined, "source", s.Name), selector(collectorRecords, "source", s.Name),
					model.Duration(o.QuarantineWindow), num(o.QuarantineShare)),
				For:    promDuration(o.QuarantineWindow / 3),
				Labels: map[string]string{"severity": SeverityTicket, "kind": KindFreshness, "institution": s.Institution},
				Annotations: map[string]string{
					"summary":     fmt.Sprintf("{{ $value | humanizePercentage }} of the records of %s are quarantined.", s.Name),
					"description": fmt.Sprintf("More than %s of the records pulled from %s over %s broke the source's contract and were quarantined instead of counted; %s's KPIs lack them.", formatValue(kpi.UnitRatio, o.QuarantineShare), s.Name, model.Duration(o.QuarantineWindow), s.Institution),
					"dashboard":   source,
					"runbook_url": runbookLink(o, AlertQuarantineHigh),
				},
			},
		)
	}
	refresh := o.staleAfter(time.Duration(cfg.Exporter.RefreshInterval))
	out = append(out,
		rulefmt.Rule{
			Alert:  AlertExporterRefreshFailed,
			Expr:   fmt.Sprintf("time() - %s > %s", exporterLastRefresh, num(refresh.Seconds())),
			Labels: map[string]string{"severity": SeverityPage, "kind": KindFreshness},
			Annotations: map[string]string{
				"summary":     "The exporter has not refreshed the KPIs of {{ $labels.institution }} for {{ $value | humanizeDuration }}.",
				"description": fmt.Sprintf("No complete KPI refresh of the institution for more than %[2]s (%[1]d refresh intervals, at least %[3]s): ClickHouse queries fail or time out. Its KPI values are old, then disappear; its KPI alerts are silenced meanwhile.", o.StaleIntervals, model.Duration(refresh), model.Duration(o.MinStale)),
				"dashboard":   pipeline,
				"runbook_url": runbookLink(o, AlertExporterRefreshFailed),
			},
		},
		rulefmt.Rule{
			Alert:  AlertExporterDown,
			Expr:   fmt.Sprintf("%s == 0 or absent(%s)", selector("up", "job", o.ExporterJob), selector("up", "job", o.ExporterJob)),
			For:    promDuration(o.DownFor),
			Labels: map[string]string{"severity": SeverityPage, "kind": KindFreshness},
			Annotations: map[string]string{
				"summary":     fmt.Sprintf("The ccbench exporter (job %s) is down or not scraped.", o.ExporterJob),
				"description": "Prometheus cannot scrape `ccbench serve`: no KPI is measured and every KPI alert is silenced until it is back.",
				"dashboard":   pipeline,
				"runbook_url": runbookLink(o, AlertExporterDown),
			},
		},
	)
	if o.CollectorJob != "" {
		out = append(out, rulefmt.Rule{
			Alert:  AlertCollectorDown,
			Expr:   fmt.Sprintf("%s == 0", selector("up", "job", o.CollectorJob)),
			For:    promDuration(o.DownFor),
			Labels: map[string]string{"severity": SeverityPage, "kind": KindFreshness},
			Annotations: map[string]string{
				"summary":     "The ccbench collector {{ $labels.instance }} is down.",
				"description": "Prometheus cannot scrape `ccbench collect`: no source is pulled and every KPI alert is silenced until it is back.",
				"dashboard":   pipeline,
				"runbook_url": runbookLink(o, AlertCollectorDown),
			},
		})
	}
	return out
}

// whereTemplate names the series an alert is about from its labels.
func whereTemplate(d kpi.Definition) string {
	s := "{{ $labels.institution }}{{ with $labels.unit }}/{{ . }}{{ end }}{{ with $labels.channel }}/{{ . }}{{ end }}"
	if d.PerInstrument {
		s += "{{ with $labels.instrument }} ({{ . }}){{ end }}"
	}
	if d.PerMethod {
		s += "{{ with $labels.method }} [method {{ . }}]{{ end }}"
	}
	return s
}

// valueTemplate renders an alert's $value in the KPI's unit.
func valueTemplate(u kpi.Unit) string {
	switch u {
	case kpi.UnitRatio:
		return "{{ $value | humanizePercentage }}"
	case kpi.UnitSeconds:
		return "{{ $value | humanizeDuration }}"
	}
	return `{{ $value | printf "%.2f" }}`
}

// formatValue renders a target (or any constant) in its unit.
func formatValue(u kpi.Unit, v float64) string {
	switch u {
	case kpi.UnitRatio:
		return num(round(v*100)) + "%"
	case kpi.UnitSeconds:
		return time.Duration(v * float64(time.Second)).String()
	case kpi.UnitEUR:
		return "EUR " + num(v)
	}
	return num(v) + " " + string(u)
}

func directionWords(d kpi.Direction) string {
	if d == kpi.AtMost {
		return "at most"
	}
	return "at least"
}

// channelParamNames name the parameters of a channel, for the description
// of a target of every channel.
var channelParamNames = map[kpi.Parameter]string{
	kpi.ParamThreshold:    "each channel's answer-time threshold",
	kpi.ParamShortAbandon: "each channel's short abandons left out",
	kpi.ParamLongWait:     "each channel's long-wait limit",
	kpi.ParamDeadlineDays: "each channel's deadline in working days",
}

// targetDescription says what the KPI means, how it is measured for the
// target (the parameters the catalogue says it depends on) and where the
// target comes from.
func targetDescription(o Options, ta TargetAlerts) string {
	d, t := ta.Definition, ta.Target
	p := o.Config.Params(t.Institution, t.Unit, t.Channel)
	var params []string
	for _, name := range d.Parameters {
		switch {
		case name == kpi.ParamMethod:
			params = append(params, "service-level method "+ta.Method)
		case t.Channel == "":
			// The other parameters are a channel's: a target of every
			// channel judges each series by its own channel's.
			params = append(params, channelParamNames[name])
		case name == kpi.ParamThreshold:
			params = append(params, "answer-time threshold "+p.Threshold.String())
		case name == kpi.ParamShortAbandon:
			params = append(params, "short abandons under "+p.ShortAbandon.String()+" left out")
		case name == kpi.ParamLongWait:
			params = append(params, "long wait over "+p.LongWait.String())
		case name == kpi.ParamDeadlineDays:
			params = append(params, fmt.Sprintf("deadline %d working days (complex inquiries %d)", p.DeadlineDays, p.ComplexDeadlineDays))
		}
	}
	s := d.Help
	if len(params) > 0 {
		s += " Measured with " + strings.Join(params, ", ") + "."
	}
	s += fmt.Sprintf(" Target %s %s", directionWords(t.TargetDirection()), formatValue(d.Unit, t.Value))
	if t.Note != "" {
		s += " (" + t.Note + ")"
	}
	return s + "."
}

// DashboardOf is the dashboard a KPI's alerts link to when no panel is
// known: the written-channels dashboard for deadline and correction KPIs,
// the service-levels dashboard for the others.
func DashboardOf(d kpi.Definition) string {
	if d.Measure == kpi.MeasureDeadline || d.Scope == kpi.ScopeWritten {
		return DashboardWritten
	}
	return DashboardServiceLevels
}

// DashboardVariables are the template variables an alert link may set on
// each generated dashboard (package dashboards defines them; a test checks
// this table against the generated dashboards). A link sets only those its
// dashboard has: Grafana ignores an unknown var- parameter, but the link
// would then promise a view it does not open.
var DashboardVariables = map[string][]string{
	OverviewDashboard:      {"institution", "channel", "window", "method"},
	DashboardServiceLevels: {"institution", "channel", "window", "method"},
	DashboardWritten:       {"institution", "channel", "window"},
	"ccbench-satisfaction": {"institution", "channel", "window"},
	"ccbench-practices":    {"institution", "channel", "window"},
	"ccbench-before-after": {"institution", "channel", "window"},
	DashboardPipeline:      {"institution", "channel", "window", "source"},
}

// kpiLink links a KPI alert to the panel that shows the KPI, with the
// dashboard's variables set to the alert's series: the institution, the
// window the alert judges (for burn-rate alerts the long one; dashboards
// open on 1d otherwise), the service-level method and the target's
// channel, each where the dashboard has the variable.
func kpiLink(o Options, ta TargetAlerts, window string) string {
	d := ta.Definition
	uid, panel := DashboardOf(d), ""
	if o.Panel != nil {
		if u, p := o.Panel(d); u != "" {
			uid, panel = u, p
		}
	}
	return dashboardLink(o, uid, panel,
		"institution", ta.Target.Institution, "window", window, "method", ta.Method, "channel", ta.Target.Channel)
}

// dashboardLink links to a dashboard, optionally one panel of it, with
// variables set from name/value pairs: empty values, and variables the
// dashboard does not have (DashboardVariables; for a dashboard not listed
// there, all but the institution and source), are left out. The
// institution and the panel come first, then the other variables in name
// order.
func dashboardLink(o Options, uid, panel string, pairs ...string) string {
	has := map[string]bool{"institution": true, "source": true}
	if vars, ok := DashboardVariables[uid]; ok {
		has = map[string]bool{}
		for _, v := range vars {
			has[v] = true
		}
	}
	var first, rest []string
	for i := 0; i+1 < len(pairs); i += 2 {
		name, value := pairs[i], pairs[i+1]
		if value == "" || !has[name] {
			continue
		}
		param := url.QueryEscape("var-"+name) + "=" + url.QueryEscape(value)
		if name == "institution" {
			first = append(first, param)
		} else {
			rest = append(rest, param)
		}
	}
	if panel != "" {
		first = append(first, "viewPanel="+url.QueryEscape(panel))
	}
	sort.Strings(rest)
	link := o.GrafanaURL + "/d/" + uid
	if q := append(first, rest...); len(q) > 0 {
		link += "?" + strings.Join(q, "&")
	}
	return link
}

// runbookLink links an alert to its entry in the README's alert catalogue
// (GitHub's anchor of the heading that is the alert's name).
func runbookLink(o Options, alert string) string {
	return o.RunbookURL + "#" + strings.ToLower(alert)
}
