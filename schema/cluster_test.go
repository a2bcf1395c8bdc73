package schema

import (
	"regexp"
	"strings"
	"testing"
)

func TestClusterFormRewrite(t *testing.T) {
	for _, tc := range []struct {
		name  string
		known []string // tables created before
		in    string
		want  []string
	}{
		{
			name: "versioned table sharded by institution",
			in:   "CREATE TABLE IF NOT EXISTS contacts (\n    institution String,\n    id String, -- the source's id\n    version UInt64\n) ENGINE = ReplacingMergeTree(version)\nPARTITION BY toYYYYMM(arrived_at)\nORDER BY (institution, id)",
			want: []string{
				"CREATE TABLE IF NOT EXISTS db1.contacts_local ON CLUSTER c1 (\n    institution String,\n    id String, -- the source's id\n    version UInt64\n) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db1.contacts', '{replica}', version)\nPARTITION BY toYYYYMM(arrived_at)\nORDER BY (institution, id)",
				"CREATE TABLE IF NOT EXISTS db1.contacts ON CLUSTER c1 AS db1.contacts_local ENGINE = Distributed(c1, db1, contacts_local, cityHash64(institution))",
			},
		},
		{
			name: "no institution: first ORDER BY column",
			in:   "CREATE TABLE IF NOT EXISTS checkpoints (source String, stream String, version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY (source, stream)",
			want: []string{
				"CREATE TABLE IF NOT EXISTS db1.checkpoints_local ON CLUSTER c1 (source String, stream String, version UInt64) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db1.checkpoints', '{replica}', version) ORDER BY (source, stream)",
				"CREATE TABLE IF NOT EXISTS db1.checkpoints ON CLUSTER c1 AS db1.checkpoints_local ENGINE = Distributed(c1, db1, checkpoints_local, cityHash64(source))",
			},
		},
		{
			name: "engine without arguments, ORDER BY one column",
			in:   "CREATE TABLE IF NOT EXISTS m (version UInt32, name String) ENGINE = MergeTree() ORDER BY version",
			want: []string{
				"CREATE TABLE IF NOT EXISTS db1.m_local ON CLUSTER c1 (version UInt32, name String) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/db1.m', '{replica}') ORDER BY version",
				"CREATE TABLE IF NOT EXISTS db1.m ON CLUSTER c1 AS db1.m_local ENGINE = Distributed(c1, db1, m_local, cityHash64(version))",
			},
		},
		{
			name: "engine without parentheses, summing columns",
			in:   "CREATE TABLE IF NOT EXISTS r (institution String, b DateTime, n Int64) ENGINE = SummingMergeTree PARTITION BY toYYYYMM(b) ORDER BY (institution, b)",
			want: []string{
				"CREATE TABLE IF NOT EXISTS db1.r_local ON CLUSTER c1 (institution String, b DateTime, n Int64) ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/db1.r', '{replica}') PARTITION BY toYYYYMM(b) ORDER BY (institution, b)",
				"CREATE TABLE IF NOT EXISTS db1.r ON CLUSTER c1 AS db1.r_local ENGINE = Distributed(c1, db1, r_local, cityHash64(institution))",
			},
		},
		{
			name:  "materialized view reads and writes shard-local tables",
			known: []string{"contacts", "rollup"},
			in:    "CREATE MATERIALIZED VIEW IF NOT EXISTS rollup_mv TO rollup AS\nSELECT institution, count() AS n FROM contacts WHERE source != 'contacts' GROUP BY institution",
			want: []string{
				"CREATE MATERIALIZED VIEW IF NOT EXISTS db1.rollup_mv ON CLUSTER c1 TO db1.rollup_local AS SELECT institution, count() AS n FROM db1.contacts_local WHERE source != 'contacts' GROUP BY institution",
			},
		},
		{
			name:  "view reads the Distributed tables",
			known: []string{"contacts", "feedback"},
			in:    "CREATE VIEW IF NOT EXISTS v AS SELECT * FROM contacts AS c ANY LEFT JOIN feedback USING id",
			want:  []string{"CREATE VIEW IF NOT EXISTS db1.v ON CLUSTER c1 AS SELECT * FROM db1.contacts AS c ANY LEFT JOIN db1.feedback USING id"},
		},
		{
			name:  "column change: local table altered, Distributed table made again over it",
			known: []string{"contacts"},
			in:    "ALTER TABLE contacts ADD COLUMN sign Int8 DEFAULT 1, ADD COLUMN x UInt8",
			want: []string{
				"ALTER TABLE db1.contacts_local ADD COLUMN sign Int8 DEFAULT 1, ADD COLUMN x UInt8",
				"DROP TABLE IF EXISTS db1.contacts ON CLUSTER c1",
				"CREATE TABLE IF NOT EXISTS db1.contacts ON CLUSTER c1 AS db1.contacts_local ENGINE = Distributed(c1, db1, contacts_local, cityHash64(institution))",
			},
		},
		{
			name:  "mutation on the local table only",
			known: []string{"contacts"},
			in:    "ALTER TABLE contacts DELETE WHERE institution = ''",
			want:  []string{"ALTER TABLE db1.contacts_local DELETE WHERE institution = ''"},
		},
		{
			name:  "drop both",
			known: []string{"contacts"},
			in:    "DROP TABLE IF EXISTS contacts",
			want:  []string{"DROP TABLE IF EXISTS db1.contacts ON CLUSTER c1", "DROP TABLE IF EXISTS db1.contacts_local ON CLUSTER c1"},
		},
		{
			name:  "backfill through the Distributed tables, as written",
			known: []string{"contacts", "rollup"},
			in:    "INSERT INTO rollup (institution, n) SELECT institution, count() FROM contacts GROUP BY institution",
			want:  []string{"INSERT INTO rollup (institution, n) SELECT institution, count() FROM contacts GROUP BY institution"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := NewClusterForm("c1", "db1")
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range tc.known {
				f.tables[k] = "institution"
			}
			got, err := f.Rewrite(tc.in)
			if err != nil {
				t.Fatalf("Rewrite: %v", err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("Rewrite gave %d statements, want %d:\n%+v", len(got), len(tc.want), got)
			}
			for i := range got {
				// The statements that name no cluster run on each shard.
				want, onEachShard := tc.want[i], strings.HasPrefix(tc.want[i], "ALTER")
				if norm(got[i].SQL) != norm(want) || got[i].OnEachShard != onEachShard {
					t.Errorf("statement %d:\n got %s (on each shard: %t)\nwant %s (on each shard: %t)", i+1, got[i].SQL, got[i].OnEachShard, want, onEachShard)
				}
			}
		})
	}
}

// norm collapses white space, which the rewrite may keep or drop.
func norm(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestClusterFormRefuses(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"memory engine", "CREATE TABLE IF NOT EXISTS m (x UInt8) ENGINE = Memory"},
		{"already replicated", "CREATE TABLE IF NOT EXISTS m (x UInt8) ENGINE = ReplicatedMergeTree('/p', 'r') ORDER BY x"},
		{"nothing to shard by", "CREATE TABLE IF NOT EXISTS m (x UInt8) ENGINE = MergeTree() ORDER BY tuple()"},
		{"view with its own engine", "CREATE MATERIALIZED VIEW IF NOT EXISTS v ENGINE = SummingMergeTree() ORDER BY x AS SELECT x FROM m"},
		{"view into an unknown table", "CREATE MATERIALIZED VIEW IF NOT EXISTS v TO nowhere AS SELECT x FROM m"},
		{"alter of an unknown table", "ALTER TABLE nowhere ADD COLUMN y UInt8"},
		{"unknown statement", "RENAME TABLE a TO b"},
		{"create without IF NOT EXISTS", "CREATE TABLE m (x UInt8) ENGINE = MergeTree() ORDER BY x"},
	} {
		f, _ := NewClusterForm("c1", "db1")
		if got, err := f.Rewrite(tc.in); err == nil {
			t.Errorf("%s: Rewrite = %+v, want an error", tc.name, got)
		}
	}
	for _, names := range [][2]string{{"c-1", "db"}, {"c", "db; DROP"}, {"", "db"}} {
		if _, err := NewClusterForm(names[0], names[1]); err == nil {
			t.Errorf("NewClusterForm(%q, %q): want an error", names[0], names[1])
		}
	}
}

// TestClusterFormOfEveryMigration rewrites every embedded migration, future
// ones included: each table becomes a replicated local table and a
// Distributed table over it, sharded so that all versions of a record stay
// on one shard.
func TestClusterFormOfEveryMigration(t *testing.T) {
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewClusterForm("c1", "db1")
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{MigrationsTableDDL}
	for _, m := range ms {
		stmts = append(stmts, m.Statements...)
	}
	created := regexp.MustCompile(`^CREATE TABLE IF NOT EXISTS db1\.([a-z_]+) ON CLUSTER c1 `)
	distributed := regexp.MustCompile(`ENGINE = Distributed\(c1, db1, ([a-z_]+)_local, cityHash64\(([a-z_]+)\)\)$`)
	keys := map[string]string{}
	for _, s := range stmts {
		out, err := f.Rewrite(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range out {
			o := st.SQL
			if strings.HasPrefix(o, "CREATE") && !strings.Contains(o, " ON CLUSTER c1 ") {
				t.Errorf("DDL without ON CLUSTER: %s", o)
			}
			c := created.FindStringSubmatch(o)
			if c == nil {
				continue
			}
			if strings.HasSuffix(c[1], LocalSuffix) {
				if !strings.Contains(o, "ENGINE = Replicated") || !strings.Contains(o, "'/clickhouse/tables/{shard}/db1."+strings.TrimSuffix(c[1], LocalSuffix)+"', '{replica}'") {
					t.Errorf("local table %s is not replicated under its own ZooKeeper path: %s", c[1], o)
				}
				continue
			}
			d := distributed.FindStringSubmatch(o)
			if d == nil || d[1] != c[1] {
				t.Errorf("table %s is not a Distributed table over %s_local: %s", c[1], c[1], o)
				continue
			}
			keys[c[1]] = d[2]
		}
	}
	// Tables with an institution shard by it; the others by their first
	// ORDER BY column (all versions of a checkpoint, a calendar, a register
	// load stay together).
	for table, want := range map[string]string{
		"contacts": "institution", "feedback": "institution", "aggregates": "institution", "quarantine": "institution",
		"practices": "institution", "reported_figures": "institution", "targets": "institution",
		"checkpoints": "source", "calendar_days": "calendar", "register_loads": "register", "schema_migrations": "version",
	} {
		if keys[table] != want {
			t.Errorf("table %s sharded by %q, want %q", table, keys[table], want)
		}
	}
}
