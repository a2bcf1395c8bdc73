package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
)

// beforeAfter is the before-and-after dashboard: the figures institutions
// published themselves (with the method they used) from the reported
// figures register, next to what ccbench measures for the same KPIs, per
// method where the KPI has one.
func beforeAfter(cfg *config.Config, uid, title string) *dashboard.DashboardBuilder {
	ids := &panelIDs{}
	b := newDashboard(uid, title,
		"Figures the institutions reported themselves (before and after a change, with the method they name) next to the values ccbench measures from their records, with the method named.",
		variables(cfg, varSet{clickhouse: true}), "before-after")
	reported := newTable(ids, chDatasource(), "Reported figures",
		"The reported-figures register in force: each figure an institution published itself (a catalogue KPI or another measure such as staff), its period or before/after label, the method it names and where it was published. Shares are fractions (0.95 = 95 %).",
		"none", 2).
		Span(12).Height(10).
		WithTarget(chQuery("A", reportedSQL, chTable))

	// Measured now, for the KPIs institutions report: every service-level
	// method side by side, so that a reported figure can be read against
	// the measured value of the method it names.
	measured := newTable(ids, promDatasource(), "Measured now",
		"What ccbench measures now over the selected window for the KPIs institutions report: the service level under every method (the method column names it) and the other reported KPIs, rolled up per institution from summed numerators and denominators.",
		"percentunit", 1).
		Span(12).Height(10)
	rename := map[string]any{}
	for i, id := range []kpi.ID{kpi.ServiceLevel, kpi.FavourableShare, kpi.AbandonRate} {
		d := kpi.MustLookup(id)
		ref := fmt.Sprintf("M%d", i+1)
		by := "institution"
		if d.PerMethod {
			by = "institution, method"
		}
		measured = measured.WithTarget(tableQuery(ref, measuredRollup(d, by)))
		rename["Value #"+ref] = d.Title
		measured = measured.OverrideByName(d.Title, unitOverride(grafanaUnit(d.Unit), decimals(d.Unit)))
	}
	measured = measured.Transformations(mergeTables(rename))

	b = b.WithRow(dashboard.NewRowBuilder("Reported and measured").Id(ids.id())).
		WithPanel(reported).
		WithPanel(measured)
	return b
}

// measuredRollup is rollup for every method of a per-method KPI (the
// method is a grouping label, not the dashboard's choice).
func measuredRollup(d kpi.Definition, by string) string {
	if !d.PerMethod {
		return rollup(d, by)
	}
	ms := []string{fmt.Sprintf(`kpi="%s"`, d.ID), `institution=~"$institution"`, `channel=~"$channel"`, `window="$window"`, `method!=""`}
	return fmt.Sprintf("sum by (%[1]s) (%[2]s) / (sum by (%[1]s) (%[3]s) > 0)", by,
		selector(kpi.NumeratorMetric, ms...), selector(kpi.DenominatorMetric, ms...))
}
