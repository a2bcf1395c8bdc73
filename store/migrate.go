package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ccbench/ccbench/schema"
)

type appliedMigration struct {
	version  uint32
	name     string
	checksum string
}

// Migrate applies the pending migrations of package schema in version
// order and records each in schema_migrations; it returns the names
// ("0001_initial") of those it applied. A second run applies nothing. It
// refuses to run when a recorded migration's checksum differs from the
// embedded file, or when the database has a migration this binary does not
// know. ClickHouse has no transactional DDL, so every statement is written
// to be re-runnable (IF NOT EXISTS): a migration interrupted half-way is
// completed by the next run.
//
// On a cluster (OpenCluster) every statement runs in its cluster form
// (schema.ClusterForm): replicated shard-local tables under Distributed
// tables of the same names, created ON CLUSTER; schema_migrations is one
// of them, so every node sees the same record of applied migrations.
func (s *Store) Migrate(ctx context.Context) (applied []string, err error) {
	migrations, err := schema.Migrations()
	if err != nil {
		return nil, err
	}
	ddl, err := s.migrationForm()
	if err != nil {
		return nil, fmt.Errorf("migrate database %s: %w", s.database, err)
	}
	if s.cluster != nil {
		ctx = s.cluster.ddlContext(ctx)
	}
	haveTable := false
	if s.cluster != nil {
		if haveTable, err = s.hasMigrationsTable(ctx); err != nil {
			return nil, fmt.Errorf("migrate database %s: %w", s.database, err)
		}
	}
	if err := s.execMigration(ctx, ddl, schema.MigrationsTableDDL, haveTable); err != nil {
		return nil, fmt.Errorf("migrate database %s: create %s: %w", s.database, schema.MigrationsTable, err)
	}
	done, err := s.appliedMigrations(ctx)
	if err != nil {
		return nil, err
	}
	known := map[uint32]bool{}
	for _, m := range migrations {
		known[uint32(m.Version)] = true
		if a, ok := done[uint32(m.Version)]; ok && a.checksum != m.Checksum {
			return nil, fmt.Errorf("migrate database %s: migration %04d_%s was applied with checksum %s but the embedded file has %s: the migration file was changed after it was applied; add a new migration instead",
				s.database, m.Version, m.Name, a.checksum, m.Checksum)
		}
	}
	for v, a := range done {
		if !known[v] {
			return nil, fmt.Errorf("migrate database %s: the database has migration %04d_%s, which this binary does not know: it was migrated by a newer ccbench", s.database, v, a.name)
		}
	}
	for _, m := range migrations {
		_, skip := done[uint32(m.Version)]
		name := fmt.Sprintf("%04d_%s", m.Version, m.Name)
		for i, stmt := range m.Statements {
			// Applied migrations are rewritten too (not run), so that the
			// cluster form knows every table the pending ones refer to.
			if err := s.execMigration(ctx, ddl, stmt, skip); err != nil {
				return applied, fmt.Errorf("migrate database %s: migration %s, statement %d: %w", s.database, name, i+1, err)
			}
		}
		if skip {
			continue
		}
		// INSERT ... VALUES through Exec hangs on 18.16 over the native
		// protocol: every insert goes through a batch.
		err := s.insertBatch(ctx, schema.MigrationsTable, "version, name, checksum, applied_at", 1, func(b driver.Batch) error {
			return b.Append(uint32(m.Version), m.Name, m.Checksum, time.Now().UTC())
		})
		if err != nil {
			return applied, fmt.Errorf("migrate database %s: record migration %s: %w", s.database, name, err)
		}
		applied = append(applied, name)
	}
	return applied, nil
}

func (s *Store) appliedMigrations(ctx context.Context) (map[uint32]appliedMigration, error) {
	rows, err := s.conn.Query(ctx, "SELECT version, name, checksum FROM schema_migrations ORDER BY version")
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", schema.MigrationsTable, err)
	}
	defer rows.Close()
	out := map[uint32]appliedMigration{}
	for rows.Next() {
		var a appliedMigration
		if err := rows.Scan(&a.version, &a.name, &a.checksum); err != nil {
			return nil, fmt.Errorf("read %s: %w", schema.MigrationsTable, err)
		}
		out[a.version] = a
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", schema.MigrationsTable, err)
	}
	return out, nil
}

// migrationForm returns the cluster form of the schema for a store on a
// cluster, nil on a single server.
func (s *Store) migrationForm() (*schema.ClusterForm, error) {
	if s.cluster == nil {
		return nil, nil
	}
	return schema.NewClusterForm(s.cluster.Name, s.database)
}

// execMigration runs one migration statement, in its cluster form when
// form is not nil; with dryRun it only rewrites it.
func (s *Store) execMigration(ctx context.Context, form *schema.ClusterForm, stmt string, dryRun bool) error {
	stmts := []schema.Statement{{SQL: stmt}}
	if form != nil {
		var err error
		if stmts, err = form.Rewrite(stmt); err != nil {
			return err
		}
	}
	if dryRun {
		return nil
	}
	for _, st := range stmts {
		var err error
		if st.OnEachShard {
			err = s.cluster.onEachShard(ctx, st.SQL)
		} else {
			err = s.conn.Exec(ctx, st.SQL)
		}
		if err != nil && !columnAlreadyAdded(st.SQL, err) {
			return err
		}
	}
	return nil
}

// columnAlreadyAdded reports whether err is ClickHouse refusing an ALTER
// TABLE ... ADD COLUMN because the column exists: a re-run of a migration
// that was interrupted after the statement. 18.16 has no ADD COLUMN IF NOT
// EXISTS, so this is how such statements stay re-runnable.
func columnAlreadyAdded(stmt string, err error) bool {
	var ex *clickhouse.Exception
	return errors.As(err, &ex) && ex.Code == codeIllegalColumn &&
		strings.Contains(strings.ToUpper(stmt), "ADD COLUMN") && strings.Contains(ex.Message, "already exists")
}

// codeIllegalColumn is ClickHouse's ILLEGAL_COLUMN error code.
const codeIllegalColumn = 44
