package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
)

// Data source types and the names of the variables that pick them.
const (
	prometheusType = "prometheus"
	// ClickHouseType is the plugin id of Grafana's ClickHouse data source.
	ClickHouseType = "grafana-clickhouse-datasource"
	// ClickHousePluginVersion is the plugin version the ClickHouse queries
	// are written for; deploy/compose installs the same version.
	ClickHousePluginVersion = "4.20.0"

	datasourceVar = "datasource" // the Prometheus data source
	clickhouseVar = "clickhouse" // the ClickHouse data source

	// Tag is on every generated dashboard; the dashboards link to each
	// other through it.
	Tag = "ccbench"
)

func ref(typ, variable string) common.DataSourceRef {
	uid := "${" + variable + "}"
	return common.DataSourceRef{Type: &typ, Uid: &uid}
}

// promDatasource refers to the Prometheus data source the dashboard's
// variable picks.
func promDatasource() common.DataSourceRef { return ref(prometheusType, datasourceVar) }

// chDatasource refers to the ClickHouse data source the dashboard's
// variable picks.
func chDatasource() common.DataSourceRef { return ref(ClickHouseType, clickhouseVar) }

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

// decimals is how many decimals a value of unit u shows: shares to a
// tenth of a percent, durations, money and counts whole.
func decimals(u kpi.Unit) float64 {
	if u == kpi.UnitRatio {
		return 1
	}
	return 0
}

// strictestTarget returns the strictest target configured for KPI d of
// institution ("" for every institution): the highest of at_least targets,
// the lowest of at_most ones, across units and channels.
func strictestTarget(cfg *config.Config, d kpi.Definition, institution string) *float64 {
	var target *float64
	for _, t := range cfg.Targets {
		if kpi.ID(t.KPI) != d.ID || (institution != "" && t.Institution != institution) {
			continue
		}
		v := t.Value
		if target == nil || (d.Direction == kpi.AtMost && v < *target) || (d.Direction != kpi.AtMost && v > *target) {
			target = &v
		}
	}
	return target
}

// targetSteps colours a value of KPI d against target: green on the right
// side of it (at or above for at_least, at or below for at_most), red on
// the other; one neutral step without a target.
func targetSteps(d kpi.Definition, target *float64) []dashboard.Threshold {
	if target == nil {
		return []dashboard.Threshold{{Color: "blue"}}
	}
	if d.Direction == kpi.AtMost {
		// Grafana steps start at their value; the step at the target is
		// red, so a value equal to the target would be red: nudge it.
		above := *target + 1e-9
		return []dashboard.Threshold{{Color: "green"}, {Value: &above, Color: "red"}}
	}
	return []dashboard.Threshold{{Color: "red"}, {Value: target, Color: "green"}}
}

// thresholds is the panel-wide colouring of KPI d: against the strictest
// target of any institution.
func thresholds(cfg *config.Config, d kpi.Definition) *dashboard.ThresholdsConfigBuilder {
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).
		Steps(targetSteps(d, strictestTarget(cfg, d, "")))
}

// override is a field override by series name.
type override struct {
	name   string
	values []dashboard.DynamicConfigValue
}

// institutionThresholds are per-series overrides, in the configuration's
// order of institutions, that colour each institution's value against its
// own strictest target; series are named by their institution label.
func institutionThresholds(cfg *config.Config, d kpi.Definition) []override {
	var out []override
	for _, inst := range cfg.Institutions {
		t := strictestTarget(cfg, d, inst.ID)
		if t == nil {
			continue
		}
		out = append(out, override{name: inst.ID, values: []dashboard.DynamicConfigValue{{Id: "thresholds", Value: map[string]any{
			"mode": "absolute", "steps": targetSteps(d, t),
		}}}})
	}
	return out
}

// panelIDs hands out panel ids in order.
type panelIDs struct{ next uint32 }

func (p *panelIDs) id() uint32 {
	p.next++
	return p.next
}

// links are the dashboard links of every dashboard: a dropdown of the
// other ccbench dashboards that keeps the time range and variables.
func links() []cog.Builder[dashboard.DashboardLink] {
	return []cog.Builder[dashboard.DashboardLink]{
		dashboard.NewDashboardLinkBuilder("ccbench dashboards").
			Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{Tag}).
			AsDropdown(true).
			IncludeVars(true).
			KeepTime(true).
			TargetBlank(false).
			Icon("external link").
			Tooltip("The other ccbench dashboards, with the same time range and variables"),
	}
}

// panelLink links a panel to dashboard uid, keeping the time range and
// the variables.
func panelLink(uid, title string) []cog.Builder[dashboard.DashboardLink] {
	return []cog.Builder[dashboard.DashboardLink]{
		dashboard.NewDashboardLinkBuilder(title).
			Type(dashboard.DashboardLinkTypeLink).
			Url("/d/" + uid + "?${__url_time_range}&${__all_variables}").
			TargetBlank(false),
	}
}

// newDashboard starts a dashboard with what every ccbench dashboard shares:
// read-only (it is provisioned from files), the links, the time settings
// and the variables.
func newDashboard(uid, title, description string, vars []cog.Builder[dashboard.VariableModel], tags ...string) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Description(description).
		Tags(append([]string{Tag}, tags...)).
		Readonly().
		Refresh("1m").
		Time("now-7d", "now").
		Timezone(common.TimeZoneBrowser).
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Links(links()).
		Variables(vars)
}
