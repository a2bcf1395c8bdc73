package store

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"

	"github.com/ccbench/ccbench/records"
)

// QuarantineCount returns how many records of source are in quarantine; an
// empty source counts every source.
func (s *Store) QuarantineCount(ctx context.Context, source string) (uint64, error) {
	var n uint64
	var err error
	if source == "" {
		err = s.conn.QueryRow(ctx, "SELECT count() FROM quarantine").Scan(&n)
	} else {
		err = s.conn.QueryRow(ctx, "SELECT count() FROM quarantine WHERE source = ?", source).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("count quarantined records of %q: %w", source, err)
	}
	return n, nil
}

// ListQuarantine returns up to limit quarantined records of source, newest
// first; an empty source lists every source, a limit ≤ 0 means 100.
func (s *Store) ListQuarantine(ctx context.Context, source string, limit int) ([]records.Quarantined, error) {
	if limit <= 0 {
		limit = 100
	}
	q := &query{}
	q.sql("SELECT ", quarantineColumns, " FROM quarantine")
	if source != "" {
		q.sql(" WHERE source = ").bind(source)
	}
	q.sql(" ORDER BY received_at DESC, record_id LIMIT ").bind(limit)
	rows, err := s.conn.Query(ctx, q.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("list quarantined records of %q: %w", source, err)
	}
	defer rows.Close()
	var out []records.Quarantined
	for rows.Next() {
		var r records.Quarantined
		if err := rows.Scan(&r.Institution, &r.Source, &r.Stream, &r.RecordID, &r.Field, &r.Reason, &r.Raw, &r.Origin, &r.ReceivedAt); err != nil {
			return nil, fmt.Errorf("list quarantined records of %q: %w", source, err)
		}
		r.ReceivedAt = r.ReceivedAt.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list quarantined records of %q: %w", source, err)
	}
	return out, nil
}

// quarantineKey is what makes a quarantined record the same fact again:
// the record, the field, the reason and where it came from, but not when
// it was received.
const quarantineKey = "institution, source, stream, record_id, field, reason, origin"

// notQuarantined returns the records of qs that quarantine does not hold
// yet. A collector that retries a file or a page after a failure (its
// checkpoint had not moved) quarantines the same records again; they are
// kept once, so that counts of quarantined records stay true.
func (s *Store) notQuarantined(ctx context.Context, qs []records.Quarantined) ([]records.Quarantined, error) {
	if len(qs) == 0 {
		return nil, nil
	}
	const keysTable = "batch_quarantine"
	t, err := ext.NewTable(keysTable, ext.Column("institution", "String"), ext.Column("source", "String"), ext.Column("stream", "String"),
		ext.Column("record_id", "String"), ext.Column("field", "String"), ext.Column("reason", "String"), ext.Column("origin", "String"))
	if err != nil {
		return nil, fmt.Errorf("quarantine: %w", err)
	}
	sources := map[string]bool{}
	for _, q := range qs {
		if err := t.Append(q.Institution, q.Source, q.Stream, q.RecordID, q.Field, q.Reason, q.Origin); err != nil {
			return nil, fmt.Errorf("quarantine: %w", err)
		}
		sources[q.Source] = true
	}
	var list []string
	for src := range sources {
		list = append(list, src)
	}
	query := &query{}
	query.sql("SELECT DISTINCT ", quarantineKey, " FROM quarantine WHERE source IN (").list(list).
		sql(") AND (", quarantineKey, ") IN ", keysTable)
	rows, err := s.conn.Query(clickhouse.Context(ctx, clickhouse.WithExternalTable(t)), query.String(), query.args...)
	if err != nil {
		return nil, fmt.Errorf("quarantine: look up records already quarantined: %w", err)
	}
	defer rows.Close()
	held := map[records.Quarantined]bool{}
	for rows.Next() {
		var k records.Quarantined
		if err := rows.Scan(&k.Institution, &k.Source, &k.Stream, &k.RecordID, &k.Field, &k.Reason, &k.Origin); err != nil {
			return nil, fmt.Errorf("quarantine: look up records already quarantined: %w", err)
		}
		held[k] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("quarantine: look up records already quarantined: %w", err)
	}
	out := qs[:0:0]
	for _, q := range qs {
		k := records.Quarantined{Institution: q.Institution, Source: q.Source, Stream: q.Stream, RecordID: q.RecordID,
			Field: q.Field, Reason: q.Reason, Origin: q.Origin}
		if !held[k] {
			out = append(out, q)
		}
	}
	return out, nil
}
