package schema

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func TestSplitStatements(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want []string
	}{
		{"one", "CREATE TABLE a (x UInt8) ENGINE = Memory;\n", []string{"CREATE TABLE a (x UInt8) ENGINE = Memory"}},
		{"two with comments", "-- first\nCREATE TABLE a (\n  x UInt8\n) ENGINE = Memory;\n\n-- second\nCREATE TABLE b (s String) ENGINE = Memory;  \n",
			[]string{"CREATE TABLE a (\n  x UInt8\n) ENGINE = Memory", "CREATE TABLE b (s String) ENGINE = Memory"}},
		{"semicolon inside a line is kept", "SELECT 'a;b' AS x;\n", []string{"SELECT 'a;b' AS x"}},
		{"last statement without semicolon", "SELECT 1;\nSELECT 2\n", []string{"SELECT 1", "SELECT 2"}},
		{"only comments", "-- nothing\n\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := SplitStatements(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("SplitStatements(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestMigrations(t *testing.T) {
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[0].Version != 1 || ms[0].Name != "initial" {
		t.Fatalf("migrations = %+v, want 0001_initial first", ms)
	}
	for i, m := range ms {
		if m.Version != i+1 {
			t.Errorf("migration %d has version %d: versions must be 1, 2, 3, ...", i, m.Version)
		}
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(m.Checksum) {
			t.Errorf("migration %d checksum %q is not a hex SHA-256", m.Version, m.Checksum)
		}
	}
	var tables []string
	create := regexp.MustCompile(`^CREATE TABLE IF NOT EXISTS ([a-z0-9_]+) `)
	for _, m := range ms {
		for _, s := range m.Statements {
			// Constructs that ClickHouse 18.16 lacks (shared/clickhouse.md).
			for _, bad := range []string{"LowCardinality", "DateTime64", "Map(", "toStartOfInterval", "date_trunc", " OVER "} {
				if strings.Contains(s, bad) {
					t.Errorf("migration %d uses %s, which ClickHouse 18.16 lacks:\n%s", m.Version, bad, s)
				}
			}
			if c := create.FindStringSubmatch(s); c != nil {
				tables = append(tables, c[1])
			} else if strings.HasPrefix(s, "CREATE TABLE") {
				t.Errorf("migration %d: CREATE TABLE without IF NOT EXISTS cannot be re-run:\n%s", m.Version, s)
			}
		}
	}
	want := []string{"contacts", "feedback", "aggregates", "checkpoints", "quarantine", "practices", "reported_figures", "calendar_days", "register_loads", "targets",
		"contact_rollup", "feedback_rollup", "written_cases", "rollup_builds", "contact_rollup_day", "feedback_rollup_day", "rollup_pending", "rollup_pending_done",
		"contact_rollup_1s", "contact_rollup_15m", "contact_rollup_1d", "feedback_rollup_1s", "feedback_rollup_15m", "feedback_rollup_1d", "rollup_builds_v2",
		"written_rollup", "written_answers", "written_rollup_builds", "rollup_seconds_from"}
	if !reflect.DeepEqual(tables, want) {
		t.Errorf("tables created = %v, want %v", tables, want)
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"bad name":          {"m/initial.sql": {Data: []byte("SELECT 1;")}},
		"duplicate version": {"m/0001_a.sql": {Data: []byte("SELECT 1;")}, "m/01_b.sql": {Data: []byte("SELECT 1;")}},
		"empty":             {"m/0001_a.sql": {Data: []byte("-- nothing\n")}},
		"version zero":      {"m/0000_a.sql": {Data: []byte("SELECT 1;")}},
	} {
		if _, err := load(fsys, "m"); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
	ms, err := load(fstest.MapFS{"m/0002_b.sql": {Data: []byte("SELECT 2;")}, "m/0001_a.sql": {Data: []byte("SELECT 1;")}}, "m")
	if err != nil || len(ms) != 2 || ms[0].Name != "a" || ms[1].Name != "b" {
		t.Errorf("load = %+v, %v; want a then b", ms, err)
	}
}
