package dashboards

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/prometheus"

	"github.com/ccbench/ccbench/kpi"
)

// selector is metric with the job and instance matchers and ms.
func selector(metric string, ms ...string) string {
	return metric + "{" + strings.Join(append([]string{scope}, ms...), ",") + "}"
}

// channeled reports whether KPI d has channels the channel variable
// filters; figures of a whole institution have none.
func channeled(d kpi.Definition) bool { return d.Scope != kpi.ScopeInstitution }

// kpiMatchers are the label matchers of KPI d's value series (parts false)
// or of its numerator and denominator series (parts true): the selected
// institutions, channels and window, the selected method for per-method
// KPIs and the empty method of the others' parts.
func kpiMatchers(d kpi.Definition, parts bool) []string {
	var ms []string
	if parts {
		ms = append(ms, fmt.Sprintf(`kpi="%s"`, d.ID))
	}
	ms = append(ms, `institution=~"$institution"`)
	if channeled(d) {
		ms = append(ms, `channel=~"$channel"`)
	}
	ms = append(ms, `window="$window"`)
	switch {
	case d.PerMethod:
		ms = append(ms, `method="$method"`)
	case parts:
		ms = append(ms, `method=""`)
	}
	return ms
}

// rollup returns the PromQL that rolls KPI d up by the labels by across
// everything else (units, channels), the way its aggregation says: summed
// numerators over summed denominators for ratios and means, the largest
// value for maxima, summed counts over the window's days for per-day rates.
// A group whose denominator is zero drops out rather than showing NaN.
func rollup(d kpi.Definition, by string) string {
	num := selector(kpi.NumeratorMetric, kpiMatchers(d, true)...)
	den := selector(kpi.DenominatorMetric, kpiMatchers(d, true)...)
	switch d.Aggregation {
	case kpi.AggMax:
		return fmt.Sprintf("max by (%s) (%s)", by, selector(d.Metric, kpiMatchers(d, false)...))
	case kpi.AggSum:
		return fmt.Sprintf("sum by (%s) (%s)", by, num)
	case kpi.AggRate:
		// Every group's denominator is the same number of days.
		return fmt.Sprintf("sum by (%[1]s) (%[2]s) / (max by (%[1]s) (%[3]s) > 0)", by, num, den)
	default:
		return fmt.Sprintf("sum by (%[1]s) (%[2]s) / (sum by (%[1]s) (%[3]s) > 0)", by, num, den)
	}
}

// ranked orders an instant rollup best first, so that a bar gauge lists
// the institutions by rank.
func ranked(d kpi.Definition, expr string) string {
	if d.Direction == kpi.AtMost {
		return "sort(" + expr + ")"
	}
	return "sort_desc(" + expr + ")"
}

// targetExpr returns the PromQL of the strictest configured target of d by
// the labels by, among the selected channels and the institution-wide
// targets (channel=""): the highest for at_least targets, the lowest for
// at_most.
func targetExpr(d kpi.Definition, by string) string {
	agg := "max"
	if d.Direction == kpi.AtMost {
		agg = "min"
	}
	ms := []string{`institution=~"$institution"`}
	if channeled(d) {
		ms = append(ms, `channel=~"$channel|"`)
	}
	return fmt.Sprintf(`%s by (%s) (%s)`, agg, by, selector(d.TargetMetric, ms...))
}

// wilsonBound returns the PromQL of the 95 % Wilson score bound (sign −1
// lower, +1 upper) of sampled share d rolled up by the labels by: the
// interval of the summed responses, not a combination of the groups'
// intervals. With x favourable of n and p = x ÷ n:
//
//	(p + z²/2n ± z √(p(1−p)/n + z²/4n²)) ÷ (1 + z²/n),
//
// clipped to [0, 1] against rounding; groups without responses drop out.
func wilsonBound(d kpi.Definition, by string, sign int) string {
	x := fmt.Sprintf("sum by (%s) (%s)", by, selector(kpi.NumeratorMetric, kpiMatchers(d, true)...))
	n := fmt.Sprintf("(sum by (%s) (%s) > 0)", by, selector(kpi.DenominatorMetric, kpiMatchers(d, true)...))
	p := "(" + x + " / " + n + ")"
	op, clamp := "-", "clamp_min(%s, 0)"
	if sign > 0 {
		op, clamp = "+", "clamp_max(%s, 1)"
	}
	z := strconv.FormatFloat(kpi.Z95, 'g', -1, 64)
	z2 := strconv.FormatFloat(kpi.Z95*kpi.Z95, 'g', -1, 64)
	expr := fmt.Sprintf("(%[1]s + %[3]s / (2 * %[2]s) %[5]s %[4]s * sqrt(%[1]s * (1 - %[1]s) / %[2]s + %[3]s / (4 * %[2]s ^ 2))) / (1 + %[3]s / %[2]s)",
		p, n, z2, z, op)
	return fmt.Sprintf(clamp, expr)
}

// sampleMatchers are the label matchers of the sample-size and confidence
// series of KPI d (they have a kpi label and no method).
func sampleMatchers(d kpi.Definition) []string {
	ms := []string{fmt.Sprintf(`kpi="%s"`, d.ID), `institution=~"$institution"`}
	if channeled(d) {
		ms = append(ms, `channel=~"$channel"`)
	}
	return append(ms, `window="$window"`)
}

// query is a Prometheus range query of a panel.
func query(refID, expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().
		Datasource(promDatasource()).
		RefId(refID).
		Expr(expr).
		LegendFormat(legend)
}

// instant is a Prometheus instant query of a panel.
func instant(refID, expr, legend string) *prometheus.DataqueryBuilder {
	return query(refID, expr, legend).Instant()
}

// tableQuery is an instant query in table format.
func tableQuery(refID, expr string) *prometheus.DataqueryBuilder {
	return instant(refID, expr, "").Format(prometheus.PromQueryFormatTable)
}

// rank returns the PromQL of each institution's rank on KPI d among the
// given institutions (the configured ones): 1 plus the number of
// institutions that do better in the KPI's direction, so that ties share a
// rank. PromQL cannot join a vector with itself on different labels, so
// the comparison is spelled out per institution: the rollup compared with
// each institution's own (a single series, hence on() group_left), absent
// institutions counting for nobody.
func rank(d kpi.Definition, institutions []string) string {
	v := rollup(d, "institution")
	cmp := "<" // at_least: j does better when v_i < v_j
	if d.Direction == kpi.AtMost {
		cmp = ">"
	}
	terms := []string{"1"}
	for _, inst := range institutions {
		vj := strings.ReplaceAll(v, `institution=~"$institution"`, fmt.Sprintf(`institution=~"$institution",institution=%q`, inst))
		terms = append(terms, fmt.Sprintf("((%[1]s %[2]s bool on() group_left() max(%[3]s)) or (%[1]s * 0))", v, cmp, vj))
	}
	return strings.Join(terms, " + ")
}
