package dashboards

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/store"
)

// chBase is the start of the time range the ClickHouse panels are queried
// over; the fixture's quarantined records fall inside it.
var chBase = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// loadClickHouseFixture fills the tables the ClickHouse panels read, the
// way ccbench fills them (the store's loaders), with demo-like content.
// The registers are loaded twice: only the second load is in force, so a
// query that ignores register_loads returns too many rows.
func loadClickHouseFixture(ctx context.Context, t *testing.T, s *store.Store) {
	t.Helper()
	old := []records.Practice{{Institution: "sodra"}, {Institution: "vmi"}, {Institution: "gone"}}
	if err := s.LoadPractices(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := s.LoadPractices(ctx, []records.Practice{
		{Institution: "sodra", Country: "LT", Languages: []string{"lt", "en", "ru"}, Channels: []string{"phone", "chat", "email", "visit"},
			FeedbackMechanisms: []string{"post-contact survey"}, Practices: []string{"callback", "queue position announced"}},
		{Institution: "vmi", Country: "LT", Languages: []string{"lt", "en"}, Channels: []string{"phone", "chat", "web_form"},
			FeedbackMechanisms: []string{"post-contact rating"}, Practices: []string{"chatbot"}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.LoadReported(ctx, []records.ReportedFigure{{Institution: "gone", KPI: "service_level", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := s.LoadReported(ctx, []records.ReportedFigure{
		{Institution: "sodra", KPI: "service_level", Label: "before", Value: 0.75, Method: "unknown", Source: "annual report"},
		{Institution: "sodra", KPI: "service_level", Label: "after", Value: 0.95, Method: "unknown", Source: "annual report"},
		{Institution: "sodra", KPI: "favourable_share", Label: "before", Value: 0.70, Source: "annual report"},
		{Institution: "sodra", KPI: "favourable_share", Label: "after", Value: 0.82, Source: "annual report"},
		{Institution: "sodra", Metric: "staff", Label: "before", Value: 325, Source: "annual report"},
		{Institution: "sodra", Metric: "staff", Label: "after", Value: 275, Source: "annual report"},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.LoadTargets(ctx, []records.Target{
		{Institution: "sodra", KPI: "service_level", Value: 0.95, Direction: "at_least", Threshold: 20 * time.Second, Method: "negative"},
		{Institution: "vmi", Channel: "phone", KPI: "service_level", Value: 0.8, Direction: "at_least", Threshold: 30 * time.Second, Method: "ignore"},
		{Institution: "sodra", KPI: "abandon_rate", Value: 0.05, Direction: "at_most"},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Quarantine(ctx, []records.Quarantined{
		{Institution: "sodra", Source: "sodra-api", Stream: "contacts", RecordID: "1", Field: "arrived_at", Reason: "missing field", ReceivedAt: chBase.Add(1 * time.Hour)},
		{Institution: "sodra", Source: "sodra-api", Stream: "contacts", RecordID: "2", Field: "channel", Reason: "unknown channel", ReceivedAt: chBase.Add(2 * time.Hour)},
		{Institution: "vmi", Source: "vmi-files", Stream: "feedback", RecordID: "3", Field: "score", Reason: "out of range", ReceivedAt: chBase.Add(3 * time.Hour)},
		// Outside the time range.
		{Institution: "vmi", Source: "vmi-files", Stream: "feedback", RecordID: "4", Field: "score", Reason: "out of range", ReceivedAt: chBase.Add(-time.Hour)},
	}); err != nil {
		t.Fatal(err)
	}
	for _, cp := range []records.Checkpoint{
		{Source: "sodra-api", Stream: "contacts", Position: "2026-11-01T10:00:00Z", UpdatedAt: chBase.Add(10 * time.Hour)},
		{Source: "sodra-api", Stream: "contacts", Position: "2026-11-01T11:00:00Z", UpdatedAt: chBase.Add(11 * time.Hour)},
		{Source: "vmi-files", Stream: "feedback", Position: "file-7", UpdatedAt: chBase.Add(9 * time.Hour)},
	} {
		if err := s.SaveCheckpoint(ctx, cp); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSQLRunsOnClickHouse runs every ClickHouse query of every dashboard,
// with the plugin's macros and the dashboard's variables expanded as the
// plugin and Grafana expand them, on the real ClickHouse (18.16 here, the
// oldest a user may run): every query must run and return rows, and the
// rows must be the ones the registers hold in force.
func TestSQLRunsOnClickHouse(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ClickHouse (-short)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dsn := servertest.DSN(t)
	s, err := store.Open(ctx, dsn, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	loadClickHouseFixture(ctx, t, s)

	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	results := map[string][][]string{} // uid/panel/refID → rows
	queries, rowsTotal := 0, 0
	for _, d := range generateAll(t) {
		qs, err := SQLQueries(d, chBase, chBase.Add(24*time.Hour), 3600)
		if err != nil {
			t.Fatalf("SQLQueries(%s): %v", d.UID, err)
		}
		for _, q := range qs {
			queries++
			rows, err := queryStrings(ctx, conn, q.SQL)
			if err != nil {
				t.Errorf("%s: panel %q query %s does not run: %v\n%s", d.UID, q.Panel, q.RefID, err, q.SQL)
				continue
			}
			if len(rows) == 0 {
				t.Errorf("%s: panel %q query %s returns no rows\n%s", d.UID, q.Panel, q.RefID, q.SQL)
			}
			rowsTotal += len(rows)
			results[d.UID+"/"+q.Panel+"/"+q.RefID] = rows
		}
	}
	t.Logf("ClickHouse: %d queries run, %d rows returned", queries, rowsTotal)
	if queries < 6 {
		t.Errorf("%d ClickHouse queries, want at least 6 (targets, practices, reported figures, quarantine ×2, checkpoints)", queries)
	}

	for _, tc := range []struct {
		query string
		want  []string // every row, columns joined by |
	}{
		{"ccbench-practices/Practices register/A", []string{
			// Institution, country, phone chat facebook visit email web_form post, languages, feedback, practices, count.
			"sodra|LT|1|1|0|1|1|0|0|lt, en, ru|post-contact survey|callback, queue position announced|2",
			"vmi|LT|1|1|0|0|0|1|0|lt, en|post-contact rating|chatbot|1",
		}},
		{"ccbench-before-after/Reported figures/A", []string{
			"sodra|service_level|all||before|0.75|unknown|annual report|",
			"sodra|service_level|all||after|0.95|unknown|annual report|",
			"sodra|favourable_share|all||before|0.7|not stated|annual report|",
			"sodra|favourable_share|all||after|0.82|not stated|annual report|",
			"sodra|staff|all||before|325|not stated|annual report|",
			"sodra|staff|all||after|275|not stated|annual report|",
		}},
		{"ccbench-overview/Targets, methods and thresholds/A", []string{
			// A parameter left to the catalogue reads "default", not 0.
			"sodra|abandon_rate|all|all|all|0.05|at_most|default|default|default|default",
			"sodra|service_level|all|all|all|0.95|at_least|negative|20|default|default",
			"vmi|service_level|all|phone|all|0.8|at_least|ignore|30|default|default",
		}},
		// Hourly buckets of the range: one record each at 01:00, 02:00, 03:00.
		{"ccbench-pipeline/Quarantined records by reason/A", []string{
			"2026-11-01 01:00:00|missing field|1",
			"2026-11-01 02:00:00|unknown channel|1",
			"2026-11-01 03:00:00|out of range|1",
		}},
		// The newest checkpoint of each stream.
		{"ccbench-pipeline/Checkpoints/A", []string{
			"sodra-api|contacts|2026-11-01T11:00:00Z|2026-11-01 11:00:00",
			"vmi-files|feedback|file-7|2026-11-01 09:00:00",
		}},
	} {
		got := results[tc.query]
		var lines []string
		for _, r := range got {
			if tc.query == "ccbench-pipeline/Checkpoints/A" {
				r = r[:4] // the age depends on the clock
			}
			lines = append(lines, strings.Join(r, "|"))
		}
		if strings.Join(lines, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s rows:\n%s\nwant:\n%s", tc.query, strings.Join(lines, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}

// queryStrings runs sql and returns its rows with every value formatted.
func queryStrings(ctx context.Context, conn clickhouse.Conn, sql string) ([][]string, error) {
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types := rows.ColumnTypes()
	var out [][]string
	for rows.Next() {
		vals := make([]any, len(types))
		for i, ct := range types {
			vals[i] = newScanTarget(ct.ScanType())
		}
		if err := rows.Scan(vals...); err != nil {
			return nil, err
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = format(v)
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

func newScanTarget(t reflect.Type) any { return reflect.New(t).Interface() }

// format renders a scanned value: times in UTC without zone, numbers
// plainly.
func format(v any) string {
	switch x := reflect.ValueOf(v).Elem().Interface().(type) {
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04:05")
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}
