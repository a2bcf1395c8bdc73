package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/ccbench/ccbench/config"
)

// sourceMatcher keeps the collector sources the variable selects.
const sourceMatcher = `source=~"$source"`

// pipeline is the pipeline health dashboard: per source the last
// successful pull, the lag since, records ingested and quarantined (with
// the reasons from ClickHouse) and the collection checkpoints; the
// exporter's refresh duration and errors.
func pipeline(cfg *config.Config, uid, title string) *dashboard.DashboardBuilder {
	ids := &panelIDs{}
	last := `max by (source) (` + selector("ccbench_collector_last_success_timestamp_seconds", sourceMatcher) + `)`
	b := newDashboard(uid, title,
		"Health of the ccbench pipeline: collection per source (last successful pull, lag, records ingested and quarantined, checkpoints) and the exporter's KPI refreshes.",
		variables(cfg, varSet{clickhouse: true, source: true}), "pipeline")

	b = b.WithRow(dashboard.NewRowBuilder("Collection").Id(ids.id())).
		WithPanel(newStat(ids, "Last successful pull",
			"Time of the last successful collection pass of each source (ccbench_collector_last_success_timestamp_seconds).",
			"dateTimeAsIso", 0).
			Span(12).Height(5).
			WithTarget(instant("A", last+" * 1000", "{{source}}"))).
		WithPanel(newStat(ids, "Lag since the last successful pull",
			"Seconds since each source's last successful collection pass; it grows when a source fails or the collector stops.",
			"s", 0).
			Thresholds(dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).
				Steps([]dashboard.Threshold{{Color: "green"}, {Value: ptr(3600.0), Color: "orange"}, {Value: ptr(6 * 3600.0), Color: "red"}})).
			Span(12).Height(5).
			WithTarget(instant("A", `time() - `+last, "{{source}}"))).
		WithPanel(newTimeseries(ids, "Records ingested",
			"Records (or aggregate rows) each source wrote to ClickHouse per rate interval (ccbench_collector_records_total).",
			"short", 0).
			Min(0).DrawStyle(common.GraphDrawStyleBars).FillOpacity(50).
			Span(12).Height(8).
			WithTarget(query("A", `sum by (source) (increase(`+selector("ccbench_collector_records_total", sourceMatcher)+`[$__rate_interval]))`, "{{source}}"))).
		WithPanel(newTimeseries(ids, "Collection passes by result",
			"Collection passes per source and result (success or failure) per rate interval (ccbench_collector_passes_total).",
			"short", 0).
			Min(0).
			Span(12).Height(8).
			WithTarget(query("A", `sum by (source, result) (increase(`+selector("ccbench_collector_passes_total", sourceMatcher)+`[$__rate_interval]))`, "{{source}} {{result}}")))

	b = b.WithRow(dashboard.NewRowBuilder("Quarantine and checkpoints").Id(ids.id())).
		WithPanel(newTimeseries(ids, "Records quarantined",
			"Records each source quarantined for breaking its contract, per rate interval (ccbench_collector_quarantined_total); the reasons are in the panels beside.",
			"short", 0).
			Min(0).DrawStyle(common.GraphDrawStyleBars).FillOpacity(50).
			Span(8).Height(8).
			WithTarget(query("A", `sum by (source) (increase(`+selector("ccbench_collector_quarantined_total", sourceMatcher)+`[$__rate_interval]))`, "{{source}}"))).
		WithPanel(newTimeseries(ids, "Quarantined records by reason",
			"Records in ClickHouse's quarantine table per reason, in time buckets of the panel's interval, for the selected sources.",
			"short", 0).
			Datasource(chDatasource()).
			Min(0).DrawStyle(common.GraphDrawStyleBars).FillOpacity(50).
			Span(8).Height(8).
			WithTarget(chQuery("A", quarantineSeriesSQL(), chTimeSeries))).
		WithPanel(newTable(ids, chDatasource(), "Quarantine by source, reason and field",
			"Records quarantined in the time range per source, reason and offending field, with the last one received (ClickHouse quarantine table).",
			"none", 0).
			Span(8).Height(8).
			WithTarget(chQuery("A", quarantineTableSQL, chTable)).
			OverrideByName("Last received", unitOverride("dateTimeAsIso", 0))).
		WithPanel(newTable(ids, chDatasource(), "Checkpoints",
			"Where each source stream's next pull starts (the greatest checkpoint version, as the collector reads it), when it was saved and how long ago.",
			"none", 0).
			Span(24).Height(7).
			WithTarget(chQuery("A", checkpointsSQL, chTable)).
			OverrideByName("Updated", unitOverride("dateTimeAsIso", 0)).
			OverrideByName("Age", unitOverride("s", 0)))

	b = b.WithRow(dashboard.NewRowBuilder("Exporter").Id(ids.id())).
		WithPanel(newTimeseries(ids, "KPI refresh duration (p90)",
			"90th percentile of the time a KPI snapshot refresh took, per exporter instance (ccbench_exporter_refresh_duration_seconds).",
			"s", 2).
			Min(0).
			Span(8).Height(8).
			WithTarget(query("A", `histogram_quantile(0.9, sum by (le, instance) (rate(`+selector("ccbench_exporter_refresh_duration_seconds_bucket")+`[$__rate_interval])))`, "{{instance}} p90"))).
		WithPanel(newTimeseries(ids, "KPI refresh errors",
			"Parts of KPI refreshes that failed per institution, per rate interval (ccbench_exporter_refresh_errors_total); an empty institution counts failures of a whole refresh.",
			"short", 0).
			Min(0).DrawStyle(common.GraphDrawStyleBars).FillOpacity(50).
			Span(8).Height(8).
			WithTarget(query("A", `sum by (institution) (increase(`+selector("ccbench_exporter_refresh_errors_total")+`[$__rate_interval]))`, "{{institution}}"))).
		WithPanel(newStat(ids, "Age of the last complete refresh",
			"Seconds since every part of each institution last refreshed successfully (ccbench_exporter_last_refresh_success_timestamp_seconds).",
			"s", 0).
			Span(8).Height(8).
			WithTarget(instant("A", `time() - max by (institution) (`+selector("ccbench_exporter_last_refresh_success_timestamp_seconds")+`)`, "{{institution}}")))
	return b
}

func ptr[T any](v T) *T { return &v }
