package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
)

// written is the written channels and deadlines dashboard: deadlines met
// and corrections per institution and channel, and the due cases with
// those that missed their deadline (answered late or still open past due).
func written(cfg *config.Config, uid, title string) *dashboard.DashboardBuilder {
	ids := &panelIDs{}
	deadline := kpi.MustLookup(kpi.DeadlineMetRate)
	correction := kpi.MustLookup(kpi.CorrectionRate)
	b := newDashboard(uid, title,
		"Written answers (e-mail, web form, post) and complex inquiries: deadlines met in working days, corrections, and the cases that missed their deadline, per institution and channel.",
		variables(cfg, varSet{}), "written")
	b = b.WithRow(dashboard.NewRowBuilder("Deadlines and corrections").Id(ids.id())).
		WithPanel(kpiTimeseries(cfg, ids, deadline, byChannel, channelLegend,
			deadline.Help+" Per institution and channel; dashed lines are the strictest targets.", 12)).
		WithPanel(kpiTimeseries(cfg, ids, correction, byChannel, channelLegend,
			correction.Help+" Per institution and channel; dashed lines are the strictest targets.", 12))

	num := selector(kpi.NumeratorMetric, kpiMatchers(deadline, true)...)
	den := selector(kpi.DenominatorMetric, kpiMatchers(deadline, true)...)
	due := fmt.Sprintf("sum by (institution) (%s)", den)
	missed := fmt.Sprintf("sum by (institution) (%s) - sum by (institution) (%s)", den, num)
	b = b.WithRow(dashboard.NewRowBuilder("Backlog").Id(ids.id())).
		WithPanel(newTimeseries(ids, "Cases due and deadlines missed",
			"Cases whose working-day deadline fell in the window (due) and those that missed it: answered after the deadline or still open past due. The denominator and the bad events of "+string(deadline.ID)+", per institution.",
			"short", 0).
			Min(0).
			DrawStyle(common.GraphDrawStyleBars).FillOpacity(50).
			Span(24).Height(8).
			WithTarget(query("A", due, "{{institution}} due")).
			WithTarget(query("B", missed, "{{institution}} missed (late or open past due)")))
	return b
}
