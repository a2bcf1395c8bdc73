package dashboards

import (
	"fmt"
	"strconv"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
)

// satisfaction is the satisfaction and feedback dashboard: every sampled
// share of the catalogue (favourable responses, would recommend, useful
// FAQ and page votes) per institution, instrument and channel with its 95 %
// Wilson interval, and a table of the finest shares with their sample
// sizes, small samples marked.
func satisfaction(cfg *config.Config, uid, title string) *dashboard.DashboardBuilder {
	ids := &panelIDs{}
	b := newDashboard(uid, title,
		"Survey and vote shares per institution, instrument and channel with their 95 % Wilson intervals and sample sizes; samples under "+strconv.Itoa(kpi.MinSampleSize)+" responses are marked.",
		variables(cfg, varSet{}), "satisfaction")
	for _, d := range kpi.Catalogue() {
		if !d.Sampled {
			continue
		}
		by, legend := "institution, instrument", "{{institution}} {{instrument}}"
		if channeled(d) {
			by, legend = "institution, instrument, channel", "{{institution}} {{instrument}} {{channel}}"
		}
		b = b.WithRow(dashboard.NewRowBuilder(d.Title).Id(ids.id())).
			WithPanel(kpiTimeseries(cfg, ids, d, by, legend,
				d.Help+" Rolled up per "+by+" from summed responses, with the 95 % Wilson interval of the summed responses (lower and upper lines); dashed lines are the strictest targets.", 14).
				Title(d.Title + " by instrument with 95 % interval").
				WithTarget(query("C", wilsonBound(d, by, -1), legend+" 95 % lower")).
				WithTarget(query("D", wilsonBound(d, by, +1), legend+" 95 % upper"))).
			WithPanel(sampleTable(ids, d))
	}
	return b
}

// sampleTable lists every finest share of KPI d (per institution, unit,
// channel and instrument) with its sample size and 95 % Wilson interval;
// a sample smaller than kpi.MinSampleSize is red.
func sampleTable(ids *panelIDs, d kpi.Definition) *table.PanelBuilder {
	const by = "institution, unit, channel, instrument"
	part := func(metric string) string {
		return fmt.Sprintf("max by (%s) (%s)", by, selector(metric, sampleMatchers(d)...))
	}
	cols := []struct{ ref, expr, name, unit string }{
		{"V", fmt.Sprintf("max by (%s) (%s)", by, selector(d.Metric, kpiMatchers(d, false)...)), d.Title, grafanaUnit(d.Unit)},
		{"N", part(kpi.SampleSizeMetric), "Responses", "none"},
		{"L", part(kpi.CILowerMetric), "95 % lower", grafanaUnit(d.Unit)},
		{"U", part(kpi.CIUpperMetric), "95 % upper", grafanaUnit(d.Unit)},
	}
	small := float64(kpi.MinSampleSize)
	rename := map[string]any{}
	p := newTable(ids, promDatasource(), d.Title+": sample sizes and intervals",
		d.Help+" One row per institution, unit, channel and instrument with the responses the share rests on and its 95 % Wilson score interval; fewer than "+strconv.Itoa(kpi.MinSampleSize)+" responses is a small sample, shown red.",
		grafanaUnit(d.Unit), decimals(d.Unit)).
		Span(10).Height(8)
	for _, c := range cols {
		p = p.WithTarget(tableQuery(c.ref, c.expr))
		rename["Value #"+c.ref] = c.name
		dec := decimals(d.Unit)
		if c.ref == "N" {
			dec = 0
		}
		p = p.OverrideByName(c.name, unitOverride(c.unit, dec))
	}
	return p.
		OverrideByName("Responses", []dashboard.DynamicConfigValue{
			{Id: "thresholds", Value: map[string]any{"mode": "absolute", "steps": []dashboard.Threshold{{Color: "red"}, {Value: &small, Color: "green"}}}},
			{Id: "custom.cellOptions", Value: map[string]any{"type": "color-text"}},
		}).
		Transformations(mergeTables(rename))
}
