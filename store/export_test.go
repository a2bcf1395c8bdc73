package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Exec runs a statement; tests use it to tamper with the database.
func (s *Store) Exec(ctx context.Context, query string, args ...any) error {
	return s.conn.Exec(ctx, query, args...)
}

// Count runs a SELECT count() query.
func (s *Store) Count(ctx context.Context, query string, args ...any) (uint64, error) {
	var n uint64
	err := s.conn.QueryRow(ctx, query, args...).Scan(&n)
	return n, err
}

// Tables lists the tables of the store's database.
func (s *Store) Tables(ctx context.Context) ([]string, error) {
	rows, err := s.conn.Query(ctx, "SELECT name FROM system.tables WHERE database = ? ORDER BY name", s.database)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// RecordMigration writes a row into schema_migrations.
func (s *Store) RecordMigration(ctx context.Context, version uint32, name, checksum string) error {
	return s.insertBatch(ctx, "schema_migrations", "version, name, checksum, applied_at", 1, func(b driver.Batch) error {
		return b.Append(version, name, checksum, time.Now().UTC())
	})
}

// WrittenRollupServes reports whether WrittenCounts reads q from the
// written rollup.
func (s *Store) WrittenRollupServes(ctx context.Context, q WrittenQuery) (bool, error) {
	loc, err := namedLocation(q.Location)
	if err != nil || q.Raw {
		return false, err
	}
	return s.writtenRollupServes(ctx, []string{q.Institution}, loc, q.From, q.To)
}

// RollupsServe reports whether the institution's rollups serve a read of
// the windows [froms[i], to): they are built and hold the seconds of the
// windows' ends.
func (s *Store) RollupsServe(ctx context.Context, institution string, froms []time.Time, to time.Time) (bool, error) {
	served, err := s.servedOf(ctx, []string{institution}, froms, to)
	return len(served) == 1, err
}
