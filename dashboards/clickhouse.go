package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"

	"github.com/ccbench/ccbench/records"
)

// chFormat is the result format of a ClickHouse plugin query: the plugin
// stores it twice, as its numeric format and as its lowercase query type.
type chFormat struct {
	code      int
	queryType string
}

// Formats of the ClickHouse plugin (v4).
var (
	chTimeSeries = chFormat{code: 0, queryType: "timeseries"}
	chTable      = chFormat{code: 1, queryType: "table"}
)

// chQuery is a raw-SQL query of the ClickHouse data source plugin. The SDK
// has no ClickHouse package, so the plugin's query model goes through the
// SDK's variants mechanism. The SQL may use only macros that every
// ClickHouse a user may run expands, 18.16 included: $__timeFilter,
// $__fromTime, $__toTime and $__interval_s (see ValidateSQL).
func chQuery(refID, sql string, f chFormat) cog.Builder[variants.Dataquery] {
	ds := chDatasource()
	return variants.NewUnknownDataqueryBuilderFromObject(variants.UnknownDataquery{
		"refId":         refID,
		"datasource":    map[string]any{"type": *ds.Type, "uid": *ds.Uid},
		"editorType":    "sql",
		"rawSql":        sql,
		"format":        f.code,
		"queryType":     f.queryType,
		"pluginVersion": ClickHousePluginVersion,
	})
}

// currentGeneration is the SQL of the generation of a register that is in
// force: the greatest one recorded in register_loads, exactly as the store
// reads its registers.
func currentGeneration(register string) string {
	return "(SELECT max(generation) FROM register_loads WHERE register = '" + register + "')"
}

// institutionFilter keeps the institutions the variable selects: Grafana
// renders ${institution:regex} as an alternation of the selected values, or
// the all value .+.
const institutionFilter = `match(institution, '^(${institution:regex})$')`

// sqlBucket is a time bucket of $__interval_s seconds that every
// ClickHouse runs (18.16 has no toStartOfInterval).
func sqlBucket(column string) string {
	return fmt.Sprintf("toDateTime(intDiv(toUInt32(%s), $__interval_s) * $__interval_s)", column)
}

// practicesSQL is the practices register as a matrix: one row per
// institution, one column per channel (1 when it offers it), then its
// languages, feedback mechanisms and notable practices.
func practicesSQL() string {
	var cols []string
	for _, c := range records.Channels {
		cols = append(cols, fmt.Sprintf("has(channels, '%s') AS `%s`", c, c))
	}
	return `SELECT
    institution AS Institution,
    country AS Country,
    ` + strings.Join(cols, ",\n    ") + `,
    arrayStringConcat(languages, ', ') AS Languages,
    arrayStringConcat(feedback_mechanisms, ', ') AS ` + "`Feedback mechanisms`" + `,
    arrayStringConcat(practices, ', ') AS ` + "`Notable practices`" + `,
    length(practices) AS Practices
FROM practices
WHERE generation = ` + currentGeneration("practices") + `
  AND ` + institutionFilter + `
ORDER BY institution`
}

// targetsSQL lists the targets register: how each institution measures,
// so that figures are compared knowing the method and the threshold. A
// parameter the target leaves to the catalogue is stored as 0 and shown as
// "default".
const targetsSQL = `SELECT
    institution AS Institution,
    kpi AS KPI,
    if(unit = '', 'all', unit) AS Unit,
    if(channel = '', 'all', channel) AS Channel,
    if(instrument = '', 'all', instrument) AS Instrument,
    value AS Target,
    direction AS Direction,
    if(method = '', 'default', method) AS Method,
    if(threshold_s = 0, 'default', toString(threshold_s)) AS ` + "`Threshold (s)`" + `,
    if(deadline_days = 0, 'default', toString(deadline_days)) AS ` + "`Deadline (working days)`" + `,
    if(complex_deadline_days = 0, 'default', toString(complex_deadline_days)) AS ` + "`Complex deadline (working days)`" + `
FROM targets
WHERE generation = (SELECT max(generation) FROM register_loads WHERE register = 'targets')
  AND ` + institutionFilter + `
ORDER BY institution, kpi, unit, channel, instrument`

// reportedSQL lists the figures institutions published themselves, with
// the method they used, in the order of the register.
const reportedSQL = `SELECT
    institution AS Institution,
    if(kpi != '', kpi, metric) AS Figure,
    if(channel = '', 'all', channel) AS Channel,
    period AS Period,
    label AS Label,
    value AS Value,
    if(method = '', 'not stated', method) AS Method,
    source AS Source,
    note AS Note
FROM reported_figures
WHERE generation = (SELECT max(generation) FROM register_loads WHERE register = 'reported_figures')
  AND ` + institutionFilter + `
ORDER BY institution, position`

// quarantineSeriesSQL counts quarantined records per reason in time
// buckets.
func quarantineSeriesSQL() string {
	return `SELECT
    ` + sqlBucket("received_at") + ` AS time,
    reason,
    count() AS records
FROM quarantine
WHERE $__timeFilter(received_at)
  AND match(source, '^(${source:regex})$')
GROUP BY time, reason
ORDER BY time, reason`
}

// quarantineTableSQL counts quarantined records per source, reason and
// field in the time range.
const quarantineTableSQL = `SELECT
    source AS Source,
    reason AS Reason,
    field AS Field,
    count() AS Records,
    max(received_at) AS ` + "`Last received`" + `
FROM quarantine
WHERE received_at >= $__fromTime AND received_at <= $__toTime
  AND match(source, '^(${source:regex})$')
GROUP BY source, reason, field
ORDER BY Records DESC, source, reason, field`

// checkpointsSQL is where each source stream's next pull starts: the
// greatest version of each checkpoint, as the collector reads it.
const checkpointsSQL = `SELECT
    source AS Source,
    stream AS Stream,
    argMax(position, version) AS Position,
    max(updated_at) AS Updated,
    toUInt32(now()) - toUInt32(max(updated_at)) AS Age
FROM checkpoints
WHERE match(source, '^(${source:regex})$')
GROUP BY source, stream
ORDER BY source, stream`
