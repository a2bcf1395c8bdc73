package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
)

// newTimeseries is a Prometheus time-series panel with a legend listing
// the series' last and mean values and a tooltip over every series.
func newTimeseries(ids *panelIDs, title, description, unit string, decimals float64) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Id(ids.id()).
		Title(title).
		Description(description).
		Datasource(promDatasource()).
		Unit(unit).
		Decimals(decimals).
		Legend(common.NewVizLegendOptionsBuilder().
			ShowLegend(true).
			DisplayMode(common.LegendDisplayModeTable).
			Placement(common.LegendPlacementBottom).
			Calcs([]string{"lastNotNull", "mean"})).
		Tooltip(common.NewVizTooltipOptionsBuilder().
			Mode(common.TooltipDisplayModeMulti).
			Sort(common.SortOrderDescending))
}

// kpiTimeseries is a time series of KPI d rolled up by the labels by, with
// the strictest targets by the same labels as dashed lines.
func kpiTimeseries(cfg *config.Config, ids *panelIDs, d kpi.Definition, by, legend, description string, span uint32) *timeseries.PanelBuilder {
	p := newTimeseries(ids, kpiTitle(d)+" vs target", description, grafanaUnit(d.Unit), decimals(d.Unit)).
		Min(0).
		Thresholds(thresholds(cfg, d)).
		ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeOff)).
		Span(span).Height(8).
		WithTarget(query("A", rollup(d, by), legend)).
		WithTarget(query("B", targetExpr(d, by), legend+" target")).
		OverrideByRegexp(".* target$", []dashboard.DynamicConfigValue{
			{Id: "custom.lineStyle", Value: map[string]any{"fill": "dash", "dash": []int{10, 10}}},
		})
	if d.Unit == kpi.UnitRatio {
		p = p.Max(1)
	}
	return p
}

// kpiTitle is the title of KPI d on a panel; a per-method KPI names the
// method the dashboard shows.
func kpiTitle(d kpi.Definition) string {
	if d.PerMethod {
		return d.Title + " (method $method)"
	}
	return d.Title
}

// newBarGauge is a horizontal bar gauge of instant Prometheus values.
func newBarGauge(ids *panelIDs, title, description, unit string, decimals float64) *bargauge.PanelBuilder {
	return bargauge.NewPanelBuilder().
		Id(ids.id()).
		Title(title).
		Description(description).
		Datasource(promDatasource()).
		Unit(unit).
		Decimals(decimals).
		Orientation(common.VizOrientationHorizontal).
		DisplayMode(common.BarGaugeDisplayModeBasic).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false))
}

// newTable is a table panel on data source ds.
func newTable(ids *panelIDs, ds common.DataSourceRef, title, description, unit string, decimals float64) *table.PanelBuilder {
	return table.NewPanelBuilder().
		Id(ids.id()).
		Title(title).
		Description(description).
		Datasource(ds).
		Unit(unit).
		Decimals(decimals)
}

// newStat is a stat panel of instant Prometheus values.
func newStat(ids *panelIDs, title, description, unit string, decimals float64) *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Id(ids.id()).
		Title(title).
		Description(description).
		Datasource(promDatasource()).
		Unit(unit).
		Decimals(decimals).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false))
}

// unitOverride sets the unit and decimals of one column.
func unitOverride(unit string, decimals float64) []dashboard.DynamicConfigValue {
	return []dashboard.DynamicConfigValue{{Id: "unit", Value: unit}, {Id: "decimals", Value: decimals}}
}

// mergeTables merges the instant table queries of a panel into one row
// per label set, drops the time column and names the value columns.
func mergeTables(rename map[string]any) []dashboard.DataTransformerConfig {
	return []dashboard.DataTransformerConfig{
		{Id: "merge", Options: map[string]any{}},
		{Id: "organize", Options: map[string]any{
			"excludeByName": map[string]any{"Time": true},
			"renameByName":  rename,
		}},
	}
}
