package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
)

// datasourceVar is the name of the Prometheus data source variable.
const datasourceVar = "datasource"

// promDatasource refers to the data source the dashboard's variable picks.
func promDatasource() common.DataSourceRef {
	typ, uid := "prometheus", "${"+datasourceVar+"}"
	return common.DataSourceRef{Type: &typ, Uid: &uid}
}

// titles are the display names of the KPIs on panels and table columns.
var titles = map[kpi.ID]string{
	kpi.ServiceLevel:        "Service level",
	kpi.AbandonRate:         "Abandon rate",
	kpi.AnswerRate:          "Answer rate",
	kpi.ASASeconds:          "Average speed of answer (ASA)",
	kpi.AHTSeconds:          "Average handling time (AHT)",
	kpi.ACWSeconds:          "After-contact work",
	kpi.LongWaitShare:       "Long-wait share",
	kpi.MaxWaitSeconds:      "Longest wait",
	kpi.DeadlineMetRate:     "Deadlines met",
	kpi.CorrectionRate:      "Correction rate",
	kpi.FavourableShare:     "Favourable responses",
	kpi.RecommendShare:      "Would recommend",
	kpi.UsefulShare:         "Useful votes",
	kpi.DecisionsOnTimeRate: "Decisions on time",
	kpi.PenaltyEUR:          "Penalties",
	kpi.ContactsOffered:     "Contacts offered per day",
	kpi.PracticeScore:       "Practice score",
}

// title is the display name of KPI id.
func title(id kpi.ID) string {
	if t, ok := titles[id]; ok {
		return t
	}
	return string(id)
}

// grafanaUnit maps a KPI unit to a Grafana unit id.
func grafanaUnit(u kpi.Unit) string {
	switch u {
	case kpi.UnitRatio:
		return "percentunit"
	case kpi.UnitSeconds:
		return "s"
	case kpi.UnitEUR:
		return "currencyEUR"
	case kpi.UnitContactsDay:
		return "short"
	default:
		return "none"
	}
}

// thresholds colours a KPI by the strictest target configured for it:
// green from the target up (at_least) or up to it (at_most), red beyond.
// Without a target there is one neutral step.
func thresholds(cfg *config.Config, d kpi.Definition) *dashboard.ThresholdsConfigBuilder {
	var target *float64
	for _, t := range cfg.Targets {
		if kpi.ID(t.KPI) != d.ID {
			continue
		}
		v := t.Value
		if target == nil || (d.Direction == kpi.AtMost && v < *target) || (d.Direction != kpi.AtMost && v > *target) {
			target = &v
		}
	}
	steps := []dashboard.Threshold{{Color: "green"}}
	if target != nil {
		if d.Direction == kpi.AtMost {
			steps = []dashboard.Threshold{{Color: "green"}, {Value: target, Color: "red"}}
		} else {
			steps = []dashboard.Threshold{{Color: "red"}, {Value: target, Color: "green"}}
		}
	}
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(steps)
}

// query is a Prometheus query of a panel.
func query(refID, expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().
		Datasource(promDatasource()).
		RefId(refID).
		Expr(expr).
		LegendFormat(legend)
}

// panelIDs hands out panel ids in order.
type panelIDs struct{ next uint32 }

func (p *panelIDs) id() uint32 {
	p.next++
	return p.next
}

// variables returns the dashboard's template variables: the data source,
// institution, channel, window and, when withMethod is set, the
// service-level method.
func variables(cfg *config.Config, withMethod bool) []cog.Builder[dashboard.VariableModel] {
	str := func(s string) dashboard.StringOrArrayOfString { return dashboard.StringOrArrayOfString{String: &s} }
	option := func(v string, selected bool) dashboard.VariableOption {
		return dashboard.VariableOption{Text: str(v), Value: str(v), Selected: &selected}
	}
	allOption := dashboard.VariableOption{Text: str("All"), Value: str("$__all")}
	custom := func(name, label, description string, values []string, current string) *dashboard.CustomVariableBuilder {
		opts := make([]dashboard.VariableOption, len(values))
		joined := ""
		for i, v := range values {
			opts[i] = option(v, v == current)
			if i > 0 {
				joined += ","
			}
			joined += v
		}
		return dashboard.NewCustomVariableBuilder(name).
			Label(label).
			Description(description).
			Values(dashboard.StringOrMap{String: &joined}).
			Options(opts).
			Current(option(current, true))
	}
	labelValues := func(name, label, description, q string) *dashboard.QueryVariableBuilder {
		return dashboard.NewQueryVariableBuilder(name).
			Label(label).
			Description(description).
			Datasource(promDatasource()).
			Query(dashboard.StringOrMap{String: &q}).
			Definition(q).
			Multi(true).
			IncludeAll(true).
			AllValue(".*").
			Current(allOption).
			Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
			Sort(dashboard.VariableSortAlphabeticalAsc)
	}

	windows := cfg.Exporter.WindowLabels()
	window := windows[0]
	for _, w := range windows {
		if w == "1d" {
			window = w
		}
	}
	methods := make([]string, len(kpi.Methods))
	for i, m := range kpi.Methods {
		methods[i] = string(m)
	}
	institutions := "label_values(ccbench_service_level_ratio, institution)"
	if !withMethod {
		// Institutions without contacts (only written cases, surveys or
		// decisions) have KPIs too.
		institutions = "label_values(" + kpi.DenominatorMetric + ", institution)"
	}
	vars := []cog.Builder[dashboard.VariableModel]{
		dashboard.NewDatasourceVariableBuilder(datasourceVar).Label("Data source").Type("prometheus"),
		labelValues("institution", "Institution", "Institutions to compare.", institutions),
		labelValues("channel", "Channel", "Contact channels to include.",
			`label_values(`+kpi.DenominatorMetric+`{institution=~"$institution"}, channel)`),
		custom("window", "Window", "Trailing window the exporter computes each KPI over.", windows, window),
	}
	if withMethod {
		vars = append(vars, custom("method", "Service-level method",
			"Service-level formula: negative = A ÷ O, ignore = A ÷ (O − B), positive = (A + B) ÷ O.",
			methods, cfg.Exporter.SLMethod))
	}
	return vars
}

// newTimeseries is a time-series panel with a legend listing the series'
// last and mean values and a tooltip over every series.
func newTimeseries(ids *panelIDs, panelTitle, description string) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Id(ids.id()).
		Title(panelTitle).
		Description(description).
		Datasource(promDatasource()).
		Legend(common.NewVizLegendOptionsBuilder().
			ShowLegend(true).
			DisplayMode(common.LegendDisplayModeTable).
			Placement(common.LegendPlacementBottom).
			Calcs([]string{"lastNotNull", "mean"})).
		Tooltip(common.NewVizTooltipOptionsBuilder().
			Mode(common.TooltipDisplayModeMulti).
			Sort(common.SortOrderDescending))
}
