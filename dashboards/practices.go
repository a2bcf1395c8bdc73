package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
)

// practices is the good-practices dashboard: the practices register as a
// matrix of institutions by channels, languages, feedback mechanisms and
// notable practices, from ClickHouse, next to each institution's practice
// score from the exporter.
func practices(cfg *config.Config, uid, title string) *dashboard.DashboardBuilder {
	ids := &panelIDs{}
	score := kpi.MustLookup(kpi.PracticeScore)
	yes, no := "✓", "–"
	green, grey := "green", "text"
	channelCell := []dashboard.DynamicConfigValue{
		{Id: "mappings", Value: []map[string]any{{"type": "value", "options": map[string]any{
			"1": dashboard.ValueMappingResult{Text: &yes, Color: &green},
			"0": dashboard.ValueMappingResult{Text: &no, Color: &grey},
		}}}},
		{Id: "custom.cellOptions", Value: map[string]any{"type": "color-text"}},
		{Id: "unit", Value: "none"},
	}
	matrix := newTable(ids, chDatasource(), "Practices register",
		"The practices register in force (its latest complete load), one row per institution: the channels it offers (✓), its languages, feedback mechanisms and notable practices, and how many notable practices it lists.",
		"none", 0).
		Span(24).Height(10).
		WithTarget(chQuery("A", practicesSQL(), chTable))
	for _, c := range records.Channels {
		matrix = matrix.OverrideByName(c, channelCell)
	}
	b := newDashboard(uid, title,
		"Good practices of each institution: the practices register as a matrix, from ClickHouse, and the practice score the exporter computes from it.",
		variables(cfg, varSet{clickhouse: true}), "practices")
	b = b.WithRow(dashboard.NewRowBuilder("Register").Id(ids.id())).
		WithPanel(matrix).
		WithRow(dashboard.NewRowBuilder("Score").Id(ids.id())).
		WithPanel(kpiRanking(cfg, ids, score))
	return b
}
