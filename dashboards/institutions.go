package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
)

// rollupNote is appended to the description of panels that roll KPIs up.
const rollupNote = " Rolled up per institution across the selected units and channels from summed numerators and denominators."

// institutions is the "Institution comparison" dashboard: the contact KPIs
// of the selected institutions side by side, against their targets.
func institutions(cfg *config.Config, uid, dashTitle string) (*dashboard.DashboardBuilder, error) {
	ids := &panelIDs{}
	b := dashboard.NewDashboardBuilder(dashTitle).
		Uid(uid).
		Description("Contact-centre KPIs of the compared institutions against their targets. Window and service-level method are named in the variables.").
		Tags([]string{"ccbench", "kpi"}).
		Editable().
		Refresh("1m").
		Time("now-7d", "now").
		Timezone(common.TimeZoneBrowser).
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Variables(variables(cfg, true))

	sl := kpi.MustLookup(kpi.ServiceLevel)
	b = b.WithRow(dashboard.NewRowBuilder("Service level").Id(ids.id())).
		WithPanel(timeseries.NewPanelBuilder().
			Id(ids.id()).
			Title("Service level vs target").
			Description(sl.Help + " Per unit and channel; the target line is the strictest target of each institution.").
			Datasource(promDatasource()).
			Unit(grafanaUnit(sl.Unit)).Min(0).Max(1).
			Thresholds(thresholds(cfg, sl)).
			ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed)).
			Span(16).Height(9).
			WithTarget(query("A", kpiSeries(sl), "{{institution}} {{unit}} {{channel}}")).
			WithTarget(query("B", targetExpr(sl), "{{institution}} target"))).
		WithPanel(bargauge.NewPanelBuilder().
			Id(ids.id()).
			Title("Service level by institution (now)").
			Description(sl.Help + rollupNote).
			Datasource(promDatasource()).
			Unit(grafanaUnit(sl.Unit)).Min(0).Max(1).
			Thresholds(thresholds(cfg, sl)).
			Orientation(common.VizOrientationHorizontal).
			DisplayMode(common.BarGaugeDisplayModeGradient).
			ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false)).
			Span(8).Height(9).
			WithTarget(query("A", rollup(sl, "institution"), "{{institution}}").Instant()))

	b = b.WithRow(dashboard.NewRowBuilder("Abandons and answers").Id(ids.id()))
	for _, id := range []kpi.ID{kpi.AbandonRate, kpi.AnswerRate, kpi.LongWaitShare} {
		b = b.WithPanel(rollupTimeseries(cfg, ids, id, 8))
	}
	b = b.WithRow(dashboard.NewRowBuilder("Waiting and handling").Id(ids.id()))
	for _, id := range []kpi.ID{kpi.ASASeconds, kpi.AHTSeconds} {
		b = b.WithPanel(rollupTimeseries(cfg, ids, id, 12))
	}
	b = b.WithRow(dashboard.NewRowBuilder("Volume").Id(ids.id())).
		WithPanel(rollupTimeseries(cfg, ids, kpi.ContactsOffered, 24).
			DrawStyle(common.GraphDrawStyleBars).FillOpacity(60))
	b = b.WithRow(dashboard.NewRowBuilder("KPIs vs targets").Id(ids.id())).
		WithPanel(kpiTable(ids, []kpi.ID{
			kpi.ServiceLevel, kpi.AbandonRate, kpi.AnswerRate, kpi.ASASeconds,
			kpi.AHTSeconds, kpi.LongWaitShare, kpi.ContactsOffered,
		}))
	return b, nil
}

// rollupTimeseries is a time series of KPI id rolled up per institution,
// with the institutions' targets as dashed lines.
func rollupTimeseries(cfg *config.Config, ids *panelIDs, id kpi.ID, span uint32) *timeseries.PanelBuilder {
	d := kpi.MustLookup(id)
	p := timeseries.NewPanelBuilder().
		Id(ids.id()).
		Title(title(id) + " vs target").
		Description(d.Help + rollupNote).
		Datasource(promDatasource()).
		Unit(grafanaUnit(d.Unit)).Min(0).
		Thresholds(thresholds(cfg, d)).
		ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeOff)).
		Span(span).Height(8).
		WithTarget(query("A", rollup(d, "institution"), "{{institution}}")).
		WithTarget(query("B", targetExpr(d), "{{institution}} target"))
	if d.Unit == kpi.UnitRatio {
		p = p.Max(1)
	}
	return p
}

// kpiTable is a table with one row per institution and, for every KPI, its
// rolled-up value now and its target.
func kpiTable(ids *panelIDs, kpis []kpi.ID) *table.PanelBuilder {
	var help []string
	rename := map[string]any{}
	p := table.NewPanelBuilder().
		Id(ids.id()).
		Title("KPIs vs targets").
		Datasource(promDatasource()).
		Span(24).Height(9)
	for i, id := range kpis {
		d := kpi.MustLookup(id)
		help = append(help, title(id)+": "+d.Help)
		valueRef, targetRef := fmt.Sprintf("V%d", i+1), fmt.Sprintf("T%d", i+1)
		p = p.WithTarget(tableQuery(valueRef, rollup(d, "institution"))).
			WithTarget(tableQuery(targetRef, targetExpr(d)))
		valueCol, targetCol := title(id), title(id)+" target"
		rename["Value #"+valueRef] = valueCol
		rename["Value #"+targetRef] = targetCol
		unit := []dashboard.DynamicConfigValue{{Id: "unit", Value: grafanaUnit(d.Unit)}}
		p = p.OverrideByName(valueCol, unit).OverrideByName(targetCol, unit)
	}
	return p.
		Description("Each institution's KPIs now, rolled up across the selected units and channels, next to its strictest target. " + strings.Join(help, " ")).
		WithTransformation(dashboard.DataTransformerConfig{Id: "merge", Options: map[string]any{}}).
		WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
			"excludeByName": map[string]any{"Time": true},
			"renameByName":  rename,
		}})
}

// tableQuery is an instant query in table format.
func tableQuery(refID, expr string) *prometheus.DataqueryBuilder {
	return query(refID, expr, "").Instant().Format(prometheus.PromQueryFormatTable)
}
