package dashboards

import (
	"fmt"
	"strings"

	"github.com/ccbench/ccbench/kpi"
)

// filters say which dashboard variables a query's label matchers use.
type filters struct {
	window  bool // window="$window"
	method  bool // method="$method" (service_level) or method="" (others, numerator/denominator)
	channel string
}

// matchers returns the label matchers for metric family d under f.
// Numerator and denominator series of other KPIs carry method="".
func matchers(d kpi.Definition, f filters, parts bool) string {
	var ms []string
	if parts {
		ms = append(ms, fmt.Sprintf(`kpi="%s"`, d.ID))
	}
	ms = append(ms, `institution=~"$institution"`)
	if f.channel != "" {
		ms = append(ms, `channel=~"`+f.channel+`"`)
	}
	if f.window {
		ms = append(ms, `window="$window"`)
	}
	if f.method {
		switch {
		case d.ID == kpi.ServiceLevel:
			ms = append(ms, `method="$method"`)
		case parts:
			ms = append(ms, `method=""`)
		}
	}
	return "{" + strings.Join(ms, ",") + "}"
}

// kpiFilters are the dashboard-wide filters of a KPI value.
var kpiFilters = filters{window: true, method: true, channel: "$channel"}

// rollup returns the PromQL that rolls KPI d up by the given labels across
// everything else (units, channels), the way its aggregation says: summed
// numerators over summed denominators for ratios and means, the largest
// value for maxima, summed counts over the window's days for per-day rates.
// A group whose denominator is zero drops out rather than showing NaN.
func rollup(d kpi.Definition, by string) string {
	return rollupWith(d, by, kpiFilters)
}

// rollupWith is rollup under filters f.
func rollupWith(d kpi.Definition, by string, f filters) string {
	num := kpi.NumeratorMetric + matchers(d, f, true)
	den := kpi.DenominatorMetric + matchers(d, f, true)
	switch d.Aggregation {
	case kpi.AggMax:
		return fmt.Sprintf("max by (%s) (%s%s)", by, d.Metric, matchers(d, f, false))
	case kpi.AggSum:
		return fmt.Sprintf("sum by (%s) (%s)", by, num)
	case kpi.AggRate:
		// Every group's denominator is the same number of days.
		return fmt.Sprintf("sum by (%[1]s) (%[2]s) / (max by (%[1]s) (%[3]s) > 0)", by, num, den)
	default:
		return fmt.Sprintf("sum by (%[1]s) (%[2]s) / (sum by (%[1]s) (%[3]s) > 0)", by, num, den)
	}
}

// targetExpr returns the PromQL of the strictest configured target of d per
// institution among the selected channels and institution-wide targets
// (channel=""): the highest for at_least targets, the lowest for at_most.
func targetExpr(d kpi.Definition) string {
	agg := "max"
	if d.Direction == kpi.AtMost {
		agg = "min"
	}
	return fmt.Sprintf(`%s by (institution) (%s{institution=~"$institution",channel=~"$channel|"})`, agg, d.TargetMetric)
}

// kpiSeries returns the per-group series of KPI d, unrolled.
func kpiSeries(d kpi.Definition) string {
	return d.Metric + matchers(d, kpiFilters, false)
}
