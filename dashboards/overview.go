package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
)

// overview is the benchmark overview: every KPI of the catalogue with the
// institutions side by side, ranked best first and coloured against each
// institution's own target, and the targets register that says how each
// institution measures.
func overview(cfg *config.Config, uid, title string) *dashboard.DashboardBuilder {
	ids := &panelIDs{}
	b := newDashboard(uid, title,
		"Every KPI of the compared institutions side by side, ranked best first and coloured against each institution's own target; the service-level method and thresholds each institution uses are listed below.",
		variables(cfg, varSet{clickhouse: true, method: true}), "overview")

	b = b.WithRow(dashboard.NewRowBuilder("KPIs by institution, best first").Id(ids.id()))
	for _, d := range kpi.Catalogue() {
		b = b.WithPanel(kpiRanking(cfg, ids, d))
	}
	b = b.WithRow(dashboard.NewRowBuilder("Ranks").Id(ids.id())).
		WithPanel(rankTable(cfg, ids))
	b = b.WithRow(dashboard.NewRowBuilder("How each institution measures").Id(ids.id())).
		WithPanel(newTable(ids, chDatasource(), "Targets, methods and thresholds",
			"The targets register in force: each institution's target per KPI, unit and channel, its direction, the service-level method and the answer-time threshold it is judged with (0 = the catalogue's default) and the deadline in working days. Where institutions measure differently, compare the KPI panels with this in mind.",
			"none", 2).
			Span(24).Height(10).
			WithTarget(chQuery("A", targetsSQL, chTable)).
			OverrideByName("Threshold (s)", unitOverride("s", 0)).
			OverrideByName("Deadline (working days)", unitOverride("none", 0)))
	return b
}

// kpiRanking is one KPI rolled up per institution now: bars ordered best
// first (the rank), each coloured against its institution's strictest
// target in the target's direction.
func kpiRanking(cfg *config.Config, ids *panelIDs, d kpi.Definition) *bargauge.PanelBuilder {
	description := d.Help + " Rolled up per institution across the selected units and channels from summed numerators and denominators; bars are ordered best first (the first bar ranks 1st), green where the institution meets its own strictest target (" + string(d.Direction) + "), red where it does not, blue without a target."
	if d.PerMethod {
		description += " Computed with the service-level method chosen above for every institution, so that they are comparable; each institution's own method and threshold are in the table below."
	}
	p := newBarGauge(ids, kpiTitle(d)+" by institution", description, grafanaUnit(d.Unit), decimals(d.Unit)).
		// Neutral for an institution without a target; each institution
		// with one gets its own steps below.
		Thresholds(dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(targetSteps(d, nil))).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds)).
		Span(8).Height(7).
		WithTarget(instant("A", ranked(d, rollup(d, "institution")), "{{institution}}"))
	if d.Unit == kpi.UnitRatio {
		p = p.Min(0).Max(1)
	} else {
		p = p.Min(0)
	}
	for _, o := range institutionThresholds(cfg, d) {
		p = p.OverrideByName(o.name, o.values)
	}
	if uid, title := detail(d); uid != "" {
		p = p.Links(panelLink(uid, title))
	}
	return p
}

// rankTable has one row per institution and, per KPI, its rank among the
// configured institutions (1 = best in the KPI's direction).
func rankTable(cfg *config.Config, ids *panelIDs) *table.PanelBuilder {
	var institutions []string
	for _, inst := range cfg.Institutions {
		institutions = append(institutions, inst.ID)
	}
	p := newTable(ids, promDatasource(), "Rank per KPI",
		"Each institution's rank on every KPI among the configured institutions, now: 1 is best in the KPI's direction (highest for at_least KPIs, lowest for at_most ones); institutions with equal values share a rank, and an institution without the KPI has no rank. Rolled up per institution across the selected units and channels, with the service-level method chosen above.",
		"none", 0).
		Span(24).Height(8)
	rename := map[string]any{}
	for i, d := range kpi.Catalogue() {
		ref := fmt.Sprintf("R%d", i+1)
		p = p.WithTarget(tableQuery(ref, rank(d, institutions)))
		rename["Value #"+ref] = d.Title
	}
	return p.Transformations(mergeTables(rename))
}

// detail names the dashboard that shows KPI d in detail, if any.
func detail(d kpi.Definition) (uid, title string) {
	switch {
	case d.Sampled:
		return "ccbench-satisfaction", "Satisfaction and feedback"
	case d.Measure == kpi.MeasureDeadline || d.Measure == kpi.MeasureCorrection:
		return "ccbench-written", "Written channels and deadlines"
	case d.Measure == kpi.MeasureRegister:
		return "ccbench-practices", "Good practices"
	case d.Scope == kpi.ScopeRealTime || d.ID == kpi.ContactsOffered:
		return "ccbench-service-levels", "Service levels over time"
	}
	return "", ""
}
