package store

import (
	"context"
	"fmt"

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
	q := "SELECT " + quarantineColumns + " FROM quarantine"
	args := []any{}
	if source != "" {
		q += " WHERE source = ?"
		args = append(args, source)
	}
	q += fmt.Sprintf(" ORDER BY received_at DESC, record_id LIMIT %d", limit)
	rows, err := s.conn.Query(ctx, q, args...)
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
