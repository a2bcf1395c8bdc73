package dashboards

import (
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
)

// varSet says which optional variables a dashboard has besides the common
// ones (datasource, job, instance, institution, channel, window).
type varSet struct {
	clickhouse bool // a ClickHouse data source variable
	method     bool // the service-level method
	source     bool // the collector's sources
}

// scope are the job and instance matchers every selector carries, so that
// two exporters scraped for redundancy can be told apart instead of being
// summed twice (dashboard-linter's target-job and target-instance rules).
const scope = `job=~"$job",instance=~"$instance"`

func str(s string) dashboard.StringOrArrayOfString {
	return dashboard.StringOrArrayOfString{String: &s}
}

func option(v string, selected bool) dashboard.VariableOption {
	return dashboard.VariableOption{Text: str(v), Value: str(v), Selected: &selected}
}

// custom is a single-value variable with fixed values.
func custom(name, label, description string, values []string, current string) *dashboard.CustomVariableBuilder {
	opts := make([]dashboard.VariableOption, len(values))
	for i, v := range values {
		opts[i] = option(v, v == current)
	}
	joined := strings.Join(values, ",")
	return dashboard.NewCustomVariableBuilder(name).
		Label(label).
		Description(description).
		Values(dashboard.StringOrMap{String: &joined}).
		Options(opts).
		Current(option(current, true))
}

// labelValues is a multi-value variable of a label's values in Prometheus,
// "All" by default, reloaded when the time range changes.
func labelValues(name, label, description, q, allValue string) *dashboard.QueryVariableBuilder {
	return dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Description(description).
		Datasource(promDatasource()).
		Query(dashboard.StringOrMap{String: &q}).
		Definition(q).
		Multi(true).
		IncludeAll(true).
		AllValue(allValue).
		Current(dashboard.VariableOption{Text: str("All"), Value: str("$__all")}).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc)
}

// variables returns a dashboard's template variables.
func variables(cfg *config.Config, set varSet) []cog.Builder[dashboard.VariableModel] {
	vars := []cog.Builder[dashboard.VariableModel]{
		dashboard.NewDatasourceVariableBuilder(datasourceVar).Label("Data source").Type(prometheusType).
			Description("Prometheus that scrapes the ccbench exporter and collector."),
	}
	if set.clickhouse {
		vars = append(vars, dashboard.NewDatasourceVariableBuilder(clickhouseVar).Label("ClickHouse").Type(ClickHouseType).
			Description("ClickHouse database of ccbench (registers, quarantine, checkpoints)."))
	}
	vars = append(vars,
		labelValues("job", "Job", "Prometheus jobs of the ccbench exporter and collector.",
			`label_values(up, job)`, ".+"),
		labelValues("instance", "Instance", "Scraped instances of the selected jobs.",
			`label_values(up{job=~"$job"}, instance)`, ".+"),
		labelValues("institution", "Institution", "Institutions to compare.",
			`label_values(`+kpi.DenominatorMetric+`{`+scope+`}, institution)`, ".+"),
		// Figures without a channel (decisions, penalties, seminars) have
		// channel="", which the all value ".*" keeps.
		labelValues("channel", "Channel", "Contact channels to include.",
			`label_values(`+kpi.DenominatorMetric+`{`+scope+`,institution=~"$institution"}, channel)`, ".*"),
		custom("window", "Window", "Trailing window the exporter computes each KPI over.", cfg.Exporter.WindowLabels(), defaultWindow(cfg)),
	)
	if set.method {
		methods := make([]string, len(kpi.Methods))
		for i, m := range kpi.Methods {
			methods[i] = string(m)
		}
		vars = append(vars, custom("method", "Service-level method",
			"Service-level formula: negative = A ÷ O, ignore = A ÷ (O − B), positive = (A + B) ÷ O.",
			methods, cfg.Exporter.SLMethod))
	}
	if set.source {
		vars = append(vars, labelValues("source", "Source", "Collector sources.",
			`label_values(ccbench_collector_passes_total{`+scope+`}, source)`, ".+"))
	}
	return vars
}

// defaultWindow is the window a dashboard opens on: 1d when configured,
// else the first.
func defaultWindow(cfg *config.Config) string {
	windows := cfg.Exporter.WindowLabels()
	for _, w := range windows {
		if w == "1d" {
			return w
		}
	}
	return windows[0]
}
