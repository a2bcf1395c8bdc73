package alerts

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/template"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
)

// The `promtool test rules` file format.
type ruleTestFile struct {
	RuleFiles          []string    `yaml:"rule_files"`
	EvaluationInterval string      `yaml:"evaluation_interval"`
	Tests              []testGroup `yaml:"tests"`
}

type testGroup struct {
	Name        string      `yaml:"name"`
	Interval    string      `yaml:"interval"`
	InputSeries []series    `yaml:"input_series"`
	AlertTests  []alertTest `yaml:"alert_rule_test,omitempty"`
	ExprTests   []exprTest  `yaml:"promql_expr_test,omitempty"`
}

type series struct {
	Series string `yaml:"series"`
	Values string `yaml:"values"`
}

type alertTest struct {
	EvalTime  string     `yaml:"eval_time"`
	Alertname string     `yaml:"alertname"`
	ExpAlerts []expAlert `yaml:"exp_alerts"`
}

type expAlert struct {
	ExpLabels      map[string]string `yaml:"exp_labels"`
	ExpAnnotations map[string]string `yaml:"exp_annotations"`
}

type exprTest struct {
	Expr       string      `yaml:"expr"`
	EvalTime   string      `yaml:"eval_time"`
	ExpSamples []expSample `yaml:"exp_samples"`
}

type expSample struct {
	Labels string  `yaml:"labels"`
	Value  float64 `yaml:"value"`
}

// events is the denominator of generated burn-rate cases: large enough for
// every low-traffic guard and for shares to be whole events.
const events = 1000

// caseWriter builds the test groups of one generation.
type caseWriter struct {
	o        Options
	interval time.Duration
	rules    map[string]rulefmt.Rule // alert name + first label set → rule, for annotations
	groups   []testGroup
}

// testFile generates, from the same targets as the rules, the cases that
// prove each alert fires when it should and stays quiet when it should not:
// per target, its threshold alert and each burn-rate tier firing on a
// breach, all of them quiet at target, under the low-traffic guard, on an
// empty night and after a burst of late on-target records; per source and
// for the exporter and collector, each freshness alert firing and quiet.
func testFile(o Options, targets []TargetAlerts) ruleTestFile {
	w := &caseWriter{o: o, interval: o.EvaluationInterval}
	for _, ta := range targets {
		w.thresholdCases(ta)
		w.burnCases(ta)
	}
	w.freshnessCases()
	return ruleTestFile{
		RuleFiles:          []string{RulesFile},
		EvaluationInterval: model.Duration(o.EvaluationInterval).String(),
		Tests:              w.groups,
	}
}

// steps is how many samples a series needs to reach past at.
func (w *caseWriter) steps(at time.Duration) int { return int(at/w.interval) + 2 }

// evalAfter is the first evaluation at or after d plus one interval.
func (w *caseWriter) evalAfter(d time.Duration) time.Duration {
	n := (d + w.interval - 1) / w.interval
	return (n + 1) * w.interval
}

func constant(v float64, n int) string { return fmt.Sprintf("%sx%d", num(v), n) }

// seriesLabels are the labels of a target's series in one window: unit and
// channel filled in with an example where the target covers them all.
func seriesLabels(ta TargetAlerts, window string) map[string]string {
	d, t := ta.Definition, ta.Target
	l := map[string]string{"institution": t.Institution, "unit": t.Unit, "channel": t.Channel, "window": window}
	if l["unit"] == "" {
		l["unit"] = "any-unit"
	}
	claimed := map[string]bool{} // channels of targets this one yields to
	for _, y := range ta.Yields {
		claimed[y.Target.Channel] = true
	}
	if l["channel"] == "" {
		for _, c := range []string{"phone", "chat", "facebook", "visit", "email", "web_form", "post", "web", ""} {
			if d.AppliesTo(c) && !claimed[c] {
				l["channel"] = c
				break
			}
		}
	}
	if d.PerMethod {
		l["method"] = ta.Method
	}
	if d.PerInstrument {
		l["instrument"] = t.Instrument
		if l["instrument"] == "" && len(d.Instruments) > 0 {
			l["instrument"] = d.Instruments[0]
		}
	}
	return l
}

func partLabels(ta TargetAlerts, window string) map[string]string {
	l := seriesLabels(ta, window)
	l["kpi"] = string(ta.Definition.ID)
	return l
}

func seriesName(name string, l map[string]string) string {
	var keys []string
	for k, v := range l {
		if v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var ms []string
	for _, k := range keys {
		ms = append(ms, labels.MustNewMatcher(labels.MatchEqual, k, l[k]).String())
	}
	return name + "{" + strings.Join(ms, ", ") + "}"
}

func clean(l map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range l {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// expect renders the alert a rule raises for a series with labels l and
// value v, expanding its labels and annotations with Prometheus's template
// expander as the rule manager does.
func expect(r rulefmt.Rule, l map[string]string, v float64) expAlert {
	l = clean(l)
	delete(l, "__name__")
	data := template.AlertTemplateData(l, nil, "", promql.Sample{F: v})
	defs := "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"
	expand := func(text string) string {
		out, err := template.NewTemplateExpander(context.Background(), defs+text, "__alert_"+r.Alert, data, 0, nil, nil, nil).Expand()
		if err != nil {
			return fmt.Sprintf("<error expanding template: %s>", err)
		}
		return out
	}
	labels := map[string]string{}
	for k, val := range l {
		labels[k] = val
	}
	for k, val := range r.Labels {
		labels[k] = expand(val)
	}
	ann := map[string]string{}
	for k, val := range r.Annotations {
		ann[k] = expand(val)
	}
	return expAlert{ExpLabels: labels, ExpAnnotations: ann}
}

func (w *caseWriter) add(g testGroup) {
	g.Interval = model.Duration(w.interval).String()
	w.groups = append(w.groups, g)
}

func at(d time.Duration) string { return model.Duration(d).String() }

// breach is a value of a KPI that misses the target clearly.
func breach(d kpi.Definition, t config.Target) (float64, bool) {
	if t.TargetDirection() == kpi.AtLeast {
		if t.Value <= 0 {
			return 0, false // nothing is below a zero floor
		}
		return round(t.Value / 2), true
	}
	if d.Unit == kpi.UnitRatio {
		if t.Value >= 1 {
			return 0, false
		}
		return round((t.Value + 1) / 2), true
	}
	return round(2*t.Value + 1), true
}

func (w *caseWriter) thresholdCases(ta TargetAlerts) {
	d, t := ta.Definition, ta.Target
	rule := thresholdRule(w.o, ta)
	evalAt := w.evalAfter(w.o.ThresholdFor)
	n := w.steps(evalAt)
	value := seriesLabels(ta, ta.Window)
	inputs := func(v, den float64) []series {
		s := []series{{Series: seriesName(d.Metric, value), Values: constant(v, n)}}
		if guarded(d) {
			s = append(s, series{Series: seriesName(kpi.DenominatorMetric, partLabels(ta, ta.Window)), Values: constant(den, n)})
		}
		return s
	}
	quiet := []alertTest{{EvalTime: at(evalAt), Alertname: AlertTargetMissed}}
	name := describe(t)
	enough := float64(max(minEvents(w.o, d), 100))
	if v, ok := breach(d, t); ok {
		w.add(testGroup{
			Name:        fmt.Sprintf("%s: %s misses the target", AlertTargetMissed, name),
			InputSeries: inputs(v, enough),
			AlertTests: []alertTest{
				{EvalTime: at(evalAt), Alertname: AlertTargetMissed, ExpAlerts: []expAlert{expect(rule, value, v)}},
			},
		})
		if guarded(d) {
			w.add(testGroup{
				Name:        fmt.Sprintf("%s: %s misses the target on too few events (low-traffic guard)", AlertTargetMissed, name),
				InputSeries: inputs(v, float64(minEvents(w.o, d)-1)),
				AlertTests:  quiet,
			})
		}
	}
	w.add(testGroup{
		Name:        fmt.Sprintf("%s: %s exactly at target", AlertTargetMissed, name),
		InputSeries: inputs(t.Value, enough),
		AlertTests:  quiet,
	})
}

// parts returns the numerator and denominator that have bad bad events of
// den by the catalogue's Bad.
func parts(d kpi.Definition, bad, den float64) (float64, float64) {
	if formOf(d) == badMissing {
		return den - bad, den
	}
	return bad, den
}

func (w *caseWriter) burnCases(ta TargetAlerts) {
	if len(ta.Burns) == 0 {
		return
	}
	d := ta.Definition
	name := describe(ta.Target)
	var windows []string
	seen := map[string]bool{}
	for _, b := range ta.Burns {
		for _, win := range []time.Duration{b.Long, b.Short} {
			l := config.WindowLabel(model.Duration(win))
			if !seen[l] {
				seen[l] = true
				windows = append(windows, l)
			}
		}
	}
	maxFor := time.Duration(0)
	for _, b := range ta.Burns {
		maxFor = max(maxFor, b.For)
	}
	evalAll := w.evalAfter(maxFor)
	// partSeries gives every listed window the same numerator and
	// denominator values (PromQL expanding notation).
	partSeries := func(wins []string, numValues, denValues string) []series {
		var out []series
		for _, win := range wins {
			l := partLabels(ta, win)
			out = append(out,
				series{Series: seriesName(kpi.NumeratorMetric, l), Values: numValues},
				series{Series: seriesName(kpi.DenominatorMetric, l), Values: denValues})
		}
		return out
	}
	quietAll := []alertTest{
		{EvalTime: at(evalAll), Alertname: AlertBudgetBurn},
		{EvalTime: at(evalAll), Alertname: AlertTargetMissed},
	}

	for _, b := range ta.Burns {
		rule := burnRule(w.o, ta, b)
		evalAt := w.evalAfter(b.For)
		n := w.steps(evalAt)
		bad := math.Ceil((b.Threshold + 1) / 2 * events)
		nm, dn := parts(d, bad, events)
		long := config.WindowLabel(model.Duration(b.Long))
		short := config.WindowLabel(model.Duration(b.Short))
		l := partLabels(ta, long)
		w.add(testGroup{
			Name:        fmt.Sprintf("%s: %s, %s tier %s/%s fires at a bad share of %g (threshold %g)", AlertBudgetBurn, name, b.Severity, long, short, d.Bad(nm, dn)/dn, b.Threshold),
			InputSeries: partSeries([]string{long, short}, constant(nm, n), constant(dn, n)),
			AlertTests: []alertTest{{EvalTime: at(evalAt), Alertname: AlertBudgetBurn,
				ExpAlerts: []expAlert{expect(rule, l, d.Bad(nm, dn)/dn)}}},
		})
	}

	n := w.steps(evalAll)
	value := seriesLabels(ta, ta.Window)
	valueSeries := series{Series: seriesName(d.Metric, value), Values: constant(ta.Target.Value, n)}
	atBudget := math.Round(ta.Budget * events)
	nm, dn := parts(d, atBudget, events)
	w.add(testGroup{
		Name:        fmt.Sprintf("%s: %s exactly at target in every window: quiet", AlertBudgetBurn, name),
		InputSeries: append(partSeries(windows, constant(nm, n), constant(dn, n)), valueSeries),
		AlertTests:  quietAll,
	})

	few := float64(minEvents(w.o, d) - 1)
	fnm, fdn := parts(d, few, few)
	w.add(testGroup{
		Name:        fmt.Sprintf("%s: %s, every event bad but only %g events (low-traffic guard): quiet", AlertBudgetBurn, name, few),
		InputSeries: partSeries(windows, constant(fnm, n), constant(fdn, n)),
		AlertTests:  []alertTest{{EvalTime: at(evalAll), Alertname: AlertBudgetBurn}},
	})

	var empty []exprTest
	for _, win := range windows {
		empty = append(empty, exprTest{Expr: seriesName(BadRatioRecord, partLabels(ta, win)), EvalTime: at(evalAll)})
	}
	w.add(testGroup{
		Name:        fmt.Sprintf("%s: %s, an empty night (no events): no bad ratio, no NaN, quiet", AlertBudgetBurn, name),
		InputSeries: partSeries(windows, constant(0, n), constant(0, n)),
		AlertTests:  []alertTest{{EvalTime: at(evalAll), Alertname: AlertBudgetBurn}},
		ExprTests:   empty,
	})

	// Late records: a burst of on-target records that arrive late fills in
	// the windows their contacts belong to; the gauges are recomputed from
	// ClickHouse, so the bad share stays at target and nothing fires.
	half := w.steps(evalAll) / 2
	rest := n - half
	burstBad := math.Round(ta.Budget * 4 * events)
	bnm, bdn := parts(d, burstBad, 4*events)
	w.add(testGroup{
		Name: fmt.Sprintf("%s: %s, a burst of late on-target records (events ×4 at %s): quiet", AlertBudgetBurn, name, at(time.Duration(half)*w.interval)),
		InputSeries: append(partSeries(windows,
			fmt.Sprintf("%s %s", constant(nm, half-1), constant(bnm, rest)),
			fmt.Sprintf("%s %s", constant(dn, half-1), constant(bdn, rest))), valueSeries),
		AlertTests: quietAll,
	})
}

func (w *caseWriter) freshnessCases() {
	o := w.o
	rules := freshnessRules(o)
	ruleOf := func(name string, institution string) rulefmt.Rule {
		for _, r := range rules {
			if r.Alert == name && r.Labels["institution"] == institution {
				return r
			}
		}
		panic("alerts: no rule " + name + " for " + institution)
	}
	var sources []config.Source
	if o.CollectorJob != "" {
		sources = o.Config.Sources // else their rules are left out
	}
	for _, s := range sources {
		stale := o.staleAfter(time.Duration(s.PollInterval))
		evalAt := w.evalAfter(stale)
		n := w.steps(evalAt)
		src := map[string]string{"source": s.Name, "job": o.CollectorJob, "instance": "collector:9818"}
		rule := ruleOf(AlertFeedStale, s.Institution)
		w.add(testGroup{
			Name:        fmt.Sprintf("%s: source %s pulled last at 0s", AlertFeedStale, s.Name),
			InputSeries: []series{{Series: seriesName(collectorLastSuccess, src), Values: constant(0, n)}},
			AlertTests: []alertTest{{EvalTime: at(evalAt), Alertname: AlertFeedStale,
				ExpAlerts: []expAlert{expect(rule, map[string]string{"source": s.Name}, evalAt.Seconds())}}},
		})
		w.add(testGroup{
			Name: fmt.Sprintf("%s: source %s pulled every interval: quiet", AlertFeedStale, s.Name),
			InputSeries: []series{{Series: seriesName(collectorLastSuccess, src),
				Values: fmt.Sprintf("0+%sx%d", num(w.interval.Seconds()), n)}},
			AlertTests: []alertTest{{EvalTime: at(evalAt), Alertname: AlertFeedStale}},
		})
		q := ruleOf(AlertQuarantineHigh, s.Institution)
		qAt := w.evalAfter(o.QuarantineWindow + o.QuarantineWindow/3)
		qn := w.steps(qAt)
		w.add(testGroup{
			Name: fmt.Sprintf("%s: source %s quarantines 10 of every 110 records", AlertQuarantineHigh, s.Name),
			InputSeries: []series{
				{Series: seriesName(collectorRecords, src), Values: fmt.Sprintf("0+100x%d", qn)},
				{Series: seriesName(collectorQuarantined, src), Values: fmt.Sprintf("0+10x%d", qn)},
			},
			AlertTests: []alertTest{{EvalTime: at(qAt), Alertname: AlertQuarantineHigh,
				ExpAlerts: []expAlert{expect(q, map[string]string{"source": s.Name}, 10.0/110.0)}}},
		})
		w.add(testGroup{
			Name: fmt.Sprintf("%s: source %s quarantines nothing: quiet", AlertQuarantineHigh, s.Name),
			InputSeries: []series{
				{Series: seriesName(collectorRecords, src), Values: fmt.Sprintf("0+100x%d", qn)},
				{Series: seriesName(collectorQuarantined, src), Values: constant(0, qn)},
			},
			AlertTests: []alertTest{{EvalTime: at(qAt), Alertname: AlertQuarantineHigh}},
		})
	}

	// absent() fires for every source without a series: one case for all.
	var never []expAlert
	longest := time.Duration(0)
	for _, s := range sources {
		longest = max(longest, o.staleAfter(time.Duration(s.PollInterval)))
		never = append(never, expect(ruleOf(AlertFeedNeverPulled, s.Institution), map[string]string{"source": s.Name}, 1))
	}
	if len(never) > 0 {
		evalAt := w.evalAfter(longest)
		w.add(testGroup{
			Name:        AlertFeedNeverPulled + ": no source ever pulled",
			InputSeries: []series{{Series: seriesName("up", map[string]string{"job": o.CollectorJob, "instance": "collector:9818"}), Values: constant(1, w.steps(evalAt))}},
			AlertTests:  []alertTest{{EvalTime: at(evalAt), Alertname: AlertFeedNeverPulled, ExpAlerts: never}},
		})
	}

	exp := map[string]string{"job": o.ExporterJob, "instance": "exporter:9817"}
	if len(o.Config.Institutions) > 0 {
		in := o.Config.Institutions[0].ID
		refresh := o.staleAfter(time.Duration(o.Config.Exporter.RefreshInterval))
		evalAt := w.evalAfter(refresh)
		n := w.steps(evalAt)
		l := map[string]string{"institution": in, "job": o.ExporterJob, "instance": "exporter:9817"}
		w.add(testGroup{
			Name:        fmt.Sprintf("%s: %s refreshed last at 0s", AlertExporterRefreshFailed, in),
			InputSeries: []series{{Series: seriesName(exporterLastRefresh, l), Values: constant(0, n)}},
			AlertTests: []alertTest{{EvalTime: at(evalAt), Alertname: AlertExporterRefreshFailed,
				ExpAlerts: []expAlert{expect(ruleOf(AlertExporterRefreshFailed, ""), l, evalAt.Seconds())}}},
		})
		w.add(testGroup{
			Name:        fmt.Sprintf("%s: %s refreshed every interval: quiet", AlertExporterRefreshFailed, in),
			InputSeries: []series{{Series: seriesName(exporterLastRefresh, l), Values: fmt.Sprintf("0+%sx%d", num(w.interval.Seconds()), n)}},
			AlertTests:  []alertTest{{EvalTime: at(evalAt), Alertname: AlertExporterRefreshFailed}},
		})
	}
	down := func(alert string, l map[string]string) {
		evalAt := w.evalAfter(o.DownFor)
		n := w.steps(evalAt)
		w.add(testGroup{
			Name:        fmt.Sprintf("%s: %s not scraped", alert, l["job"]),
			InputSeries: []series{{Series: seriesName("up", l), Values: constant(0, n)}},
			AlertTests: []alertTest{{EvalTime: at(evalAt), Alertname: alert,
				ExpAlerts: []expAlert{expect(ruleOf(alert, ""), l, 0)}}},
		})
		w.add(testGroup{
			Name:        fmt.Sprintf("%s: %s up: quiet", alert, l["job"]),
			InputSeries: []series{{Series: seriesName("up", l), Values: constant(1, n)}},
			AlertTests:  []alertTest{{EvalTime: at(evalAt), Alertname: alert}},
		})
	}
	down(AlertExporterDown, exp)
	if o.CollectorJob != "" {
		down(AlertCollectorDown, map[string]string{"job": o.CollectorJob, "instance": "collector:9818"})
	}
}
