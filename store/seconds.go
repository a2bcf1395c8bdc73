package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// The per-second level of a rollup is kept for recent weeks only (migration
// 0009): only the ends of trailing windows read it, and it holds about one
// row per contact. A recount writes the seconds of the buckets from
// secondsFrom on, and counts older buckets straight into the 15-minute
// level; a read that needs older seconds counts its window from the raw
// versions.

// SetSecondsHorizon makes recounts keep the per-second rollup level for the
// buckets from the start of the UTC day horizon before now() on, and count
// older buckets straight into the 15-minute level (the configuration's
// config.Config.SecondsHorizon). Until it is called, and with a horizon of
// zero, every bucket keeps its seconds. Call it before the store is used.
func (s *Store) SetSecondsHorizon(horizon time.Duration, now func() time.Time) {
	s.secondsHorizon, s.now = horizon, now
}

// secondsFrom returns the first bucket whose seconds a recount of the
// institution's rollups writes now (the zero time: every bucket), after
// recording it in rollup_seconds_from when it is later than what this
// store recorded before: a reader must know that older seconds may be
// stale before any recount leaves them so.
func (s *Store) secondsFrom(ctx context.Context, institution string) (time.Time, error) {
	if s.secondsHorizon <= 0 || s.now == nil {
		return time.Time{}, nil
	}
	from := dayFloor(s.now().Add(-s.secondsHorizon))
	s.mu.Lock()
	recorded := s.recordedSecondsFrom[institution]
	s.mu.Unlock()
	if !from.After(recorded) {
		return recorded, nil
	}
	err := s.insertBatch(ctx, "rollup_seconds_from", "institution, seconds_from, recorded_at", 1, func(b driver.Batch) error {
		return b.Append(institution, from, time.Now().UTC())
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("record the seconds kept of %s: %w", institution, err)
	}
	s.mu.Lock()
	s.recordedSecondsFrom[institution] = from
	s.mu.Unlock()
	return from, nil
}

// splitAt splits sorted buckets into those before from and the others.
func splitAt(buckets []time.Time, from time.Time) (before, after []time.Time) {
	i := 0
	for i < len(buckets) && buckets[i].Before(from) {
		i++
	}
	return buckets[:i], buckets[i:]
}

// firstSecondRead returns the first bucket whose seconds a read of the
// trailing windows [froms[i], to) takes from a seconds table (the seconds
// of a window's ends that do not fill a bucket; see rollupParts and
// windowPlan), and false when it takes none.
func firstSecondRead(froms []time.Time, to time.Time) (time.Time, bool) {
	var (
		first time.Time
		found bool
	)
	take := func(b time.Time) {
		if !found || b.Before(first) {
			first, found = b, true
		}
	}
	end := bucketFloor(to)
	for _, from := range froms {
		if from.Before(to) && from.Before(earliest(bucketCeil(from), end)) {
			take(bucketFloor(from))
		}
	}
	if end.Before(to) {
		take(end)
	}
	return first, found
}

// withSeconds returns those of institutions whose per-second rollup holds
// every bucket from first on: the largest start recorded in
// rollup_seconds_from is not after it, or none is recorded.
func (s *Store) withSeconds(ctx context.Context, institutions []string, first time.Time) ([]string, error) {
	if len(institutions) == 0 {
		return nil, nil
	}
	q := (&query{}).sql("SELECT institution, max(seconds_from) FROM rollup_seconds_from WHERE institution IN (").list(institutions).sql(") GROUP BY institution")
	rows, err := s.conn.Query(ctx, q.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("seconds kept in the rollups: %w", err)
	}
	defer rows.Close()
	from := map[string]time.Time{}
	for rows.Next() {
		var (
			in string
			t  time.Time
		)
		if err := rows.Scan(&in, &t); err != nil {
			return nil, fmt.Errorf("seconds kept in the rollups: %w", err)
		}
		from[in] = t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("seconds kept in the rollups: %w", err)
	}
	var out []string
	for _, in := range institutions {
		if t, ok := from[in]; !ok || !t.After(first) {
			out = append(out, in)
		}
	}
	return out, nil
}

// secondsServe reports whether the institution's rollups hold the seconds
// that a read of the windows [froms[i], to) takes.
func (s *Store) secondsServe(ctx context.Context, institution string, froms []time.Time, to time.Time) (bool, error) {
	first, ok := firstSecondRead(froms, to)
	if !ok {
		return true, nil
	}
	kept, err := s.withSeconds(ctx, []string{institution}, first)
	return len(kept) == 1, err
}
