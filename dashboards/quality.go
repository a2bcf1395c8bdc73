package dashboards

import (
	"fmt"
	"strconv"

	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
)

// Filters of the quality dashboard. Written-answer and feedback KPIs follow
// the channel variable; survey shares of aggregates (seminars, web pages)
// and decisions have no channel, so the channel variable does not apply.
var (
	channelFilters   = filters{window: true, method: true, channel: "$channel"}
	noChannelFilters = filters{window: true, method: true}
)

// sampleNote is appended to the description of panels of sampled shares.
const sampleNote = " Shares from samples: the table lists each share with its sample size and 95 % Wilson interval; fewer than 30 responses is a small sample."

// quality is the "Written answers and satisfaction" dashboard: deadlines
// and corrections of written answers, survey shares per instrument with
// their confidence intervals, and decisions on time with the penalties
// paid for late ones.
func quality(cfg *config.Config, uid, dashTitle string) (*dashboard.DashboardBuilder, error) {
	ids := &panelIDs{}
	b := dashboard.NewDashboardBuilder(dashTitle).
		Uid(uid).
		Description("Written answers, satisfaction surveys and decisions of the compared institutions against their targets. The window is named in the variables.").
		Tags([]string{"ccbench", "kpi", "quality"}).
		Editable().
		Refresh("1m").
		Time("now-7d", "now").
		Timezone(common.TimeZoneBrowser).
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Variables(variables(cfg, false))

	b = b.WithRow(dashboard.NewRowBuilder("Written answers").Id(ids.id())).
		WithPanel(qualityTimeseries(cfg, ids, kpi.DeadlineMetRate, "institution", channelFilters, 12)).
		WithPanel(qualityTimeseries(cfg, ids, kpi.CorrectionRate, "institution", channelFilters, 12))

	fav := kpi.MustLookup(kpi.FavourableShare)
	b = b.WithRow(dashboard.NewRowBuilder("Satisfaction").Id(ids.id())).
		WithPanel(qualityTimeseries(cfg, ids, kpi.FavourableShare, "institution, instrument", channelFilters, 24).
			Title(title(kpi.FavourableShare) + " by instrument vs target").
			WithTarget(query("C", wilsonBound(fav, "institution, instrument", channelFilters, -1), "{{institution}} {{instrument}} 95 % lower")).
			WithTarget(query("D", wilsonBound(fav, "institution, instrument", channelFilters, +1), "{{institution}} {{instrument}} 95 % upper"))).
		WithPanel(sampleTable(ids, fav, channelFilters)).
		WithPanel(qualityTimeseries(cfg, ids, kpi.RecommendShare, "institution, instrument", noChannelFilters, 12)).
		WithPanel(qualityTimeseries(cfg, ids, kpi.UsefulShare, "institution, instrument", noChannelFilters, 12))

	b = b.WithRow(dashboard.NewRowBuilder("Decisions").Id(ids.id())).
		WithPanel(qualityTimeseries(cfg, ids, kpi.DecisionsOnTimeRate, "institution", noChannelFilters, 12)).
		WithPanel(qualityTimeseries(cfg, ids, kpi.PenaltyEUR, "institution", noChannelFilters, 12).
			DrawStyle(common.GraphDrawStyleBars).FillOpacity(60))
	return b, nil
}

// qualityTimeseries is a time series of KPI id rolled up by the labels by
// under filters f, with the institutions' strictest targets.
func qualityTimeseries(cfg *config.Config, ids *panelIDs, id kpi.ID, by string, f filters, span uint32) *timeseries.PanelBuilder {
	d := kpi.MustLookup(id)
	legend := "{{institution}}"
	if by != "institution" {
		legend = "{{institution}} {{instrument}}"
	}
	description := d.Help + rollupNote
	if by != "institution" {
		description = d.Help + " Rolled up per institution and instrument across the selected units and channels from summed numerators and denominators."
	}
	if hasSample(id) {
		description += sampleNote
	}
	p := newTimeseries(ids, title(id)+" vs target", description).
		Unit(grafanaUnit(d.Unit)).Min(0).
		Thresholds(thresholds(cfg, d)).
		ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeOff)).
		Span(span).Height(8).
		WithTarget(query("A", rollupWith(d, by, f), legend)).
		WithTarget(query("B", targetExpr(d), "{{institution}} target"))
	if d.Unit == kpi.UnitRatio {
		p = p.Max(1)
	}
	return p
}

// wilsonBound returns the PromQL of the 95 % Wilson score bound (sign −1
// lower, +1 upper) of sampled share d rolled up by the labels by: the
// interval of the summed responses, not a combination of the groups'
// intervals. With x favourable of n and p = x ÷ n:
//
//	(p + z²/2n ± z √(p(1−p)/n + z²/4n²)) ÷ (1 + z²/n),
//
// clipped to [0, 1] against rounding; groups without responses drop out.
func wilsonBound(d kpi.Definition, by string, f filters, sign int) string {
	x := fmt.Sprintf("sum by (%s) (%s%s)", by, kpi.NumeratorMetric, matchers(d, f, true))
	n := fmt.Sprintf("(sum by (%s) (%s%s) > 0)", by, kpi.DenominatorMetric, matchers(d, f, true))
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

// hasSample reports whether KPI id is a share of sampled responses, which
// the exporter publishes with its sample size and confidence interval.
func hasSample(id kpi.ID) bool {
	switch id {
	case kpi.FavourableShare, kpi.RecommendShare, kpi.UsefulShare:
		return true
	}
	return false
}

// sampleMatchers are the label matchers of the sample-size and confidence
// series of KPI d under f (they have a kpi label and no method).
func sampleMatchers(d kpi.Definition, f filters) string {
	f.method = false
	return matchers(d, f, true)
}

// sampleTable lists every finest share of KPI d (per institution, unit,
// channel and instrument) with its sample size and 95 % Wilson interval.
func sampleTable(ids *panelIDs, d kpi.Definition, f filters) *table.PanelBuilder {
	const by = "institution, unit, channel, instrument"
	value := fmt.Sprintf("max by (%s) (%s%s)", by, d.Metric, matchers(d, f, false))
	part := func(metric string) string {
		return fmt.Sprintf("max by (%s) (%s%s)", by, metric, sampleMatchers(d, f))
	}
	cols := []struct{ ref, expr, name, unit string }{
		{"V", value, title(d.ID), grafanaUnit(d.Unit)},
		{"N", part(kpi.SampleSizeMetric), "Responses", "none"},
		{"L", part(kpi.CILowerMetric), "95 % lower", grafanaUnit(d.Unit)},
		{"U", part(kpi.CIUpperMetric), "95 % upper", grafanaUnit(d.Unit)},
	}
	rename := map[string]any{}
	p := table.NewPanelBuilder().
		Id(ids.id()).
		Title(title(d.ID) + " with sample size and 95 % interval").
		Description(d.Help + " One row per institution, unit, channel and instrument, with the responses the share rests on and its 95 % Wilson score interval.").
		Datasource(promDatasource()).
		Span(24).Height(9)
	for _, c := range cols {
		p = p.WithTarget(tableQuery(c.ref, c.expr))
		rename["Value #"+c.ref] = c.name
		p = p.OverrideByName(c.name, []dashboard.DynamicConfigValue{{Id: "unit", Value: c.unit}})
	}
	return p.
		WithTransformation(dashboard.DataTransformerConfig{Id: "merge", Options: map[string]any{}}).
		WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
			"excludeByName": map[string]any{"Time": true},
			"renameByName":  rename,
		}})
}
