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
// institution's rollups writes now (the zero time: every bucket). When the
// horizon asks for a later start than the one recorded, it records it
// first: a reader must know that older seconds may be stale before any
// recount leaves them so. An earlier start waits for extendSeconds, which
// writes the seconds before it records it.
func (s *Store) secondsFrom(ctx context.Context, institution string) (time.Time, error) {
	want, ok := s.wantedSecondsFrom()
	if !ok {
		return time.Time{}, nil
	}
	recorded, found, err := s.recordedSecondsFrom(ctx, institution)
	if err != nil {
		return time.Time{}, err
	}
	if found && !want.After(recorded) {
		return recorded, nil
	}
	return want, s.recordSecondsFrom(ctx, institution, want)
}

// wantedSecondsFrom returns the start of the UTC day the horizon reaches
// back to, and false when the store keeps every second.
func (s *Store) wantedSecondsFrom() (time.Time, bool) {
	if s.secondsHorizon <= 0 || s.now == nil {
		return time.Time{}, false
	}
	return dayFloor(s.now().Add(-s.secondsHorizon)), true
}

// recordedSecondsFrom returns the start of the institution's seconds that
// was recorded last, and false when none was. It reads it every time:
// another process (a `schema migrate` with a longer horizon) may have
// recorded an earlier start since.
func (s *Store) recordedSecondsFrom(ctx context.Context, institution string) (time.Time, bool, error) {
	starts, err := s.secondsStarts(ctx, []string{institution})
	if err != nil {
		return time.Time{}, false, err
	}
	from, found := starts[institution]
	return from, found, nil
}

// recordSecondsFrom records that the institution's seconds start at from.
func (s *Store) recordSecondsFrom(ctx context.Context, institution string, from time.Time) error {
	err := s.insertBatch(ctx, "rollup_seconds_from", "institution, seconds_from, version, recorded_at", 1, func(b driver.Batch) error {
		return b.Append(institution, from, s.nextVersion(), time.Now().UTC())
	})
	if err != nil {
		return fmt.Errorf("record the seconds kept of %s: %w", institution, err)
	}
	return nil
}

// extendSeconds writes the seconds of the institution's buckets between
// the start the horizon asks for and a later start recorded before (the
// horizon grew: a longer exporter window), and then records the earlier
// start. It reports whether it did.
func (s *Store) extendSeconds(ctx context.Context, institution string) (bool, error) {
	want, ok := s.wantedSecondsFrom()
	if !ok {
		return false, nil
	}
	recorded, found, err := s.recordedSecondsFrom(ctx, institution)
	if err != nil || !found || !want.Before(recorded) {
		return false, err
	}
	for _, r := range []struct {
		rollup rollup
		table  string
		counts countsFunc
	}{
		{contactRollup, "contacts", s.contactCounts(ctx, institution, newestContacts, nil)},
		{feedbackRollup, "feedback", feedbackCounts(institution)},
	} {
		buckets, err := s.allBuckets(ctx, r.table, r.rollup.time, institution)
		if err != nil {
			return false, err
		}
		_, from := splitAt(buckets, want)
		inside, _ := splitAt(from, recorded)
		if err := s.recountLevelsFrom(ctx, r.rollup, institution, inside, r.counts, want); err != nil {
			return false, err
		}
	}
	return true, s.recordSecondsFrom(ctx, institution, want)
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
// every bucket from first on: the start recorded last is not after it, or
// none is recorded.
func (s *Store) withSeconds(ctx context.Context, institutions []string, first time.Time) ([]string, error) {
	if len(institutions) == 0 {
		return nil, nil
	}
	starts, err := s.secondsStarts(ctx, institutions)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, in := range institutions {
		if !starts[in].After(first) { // the zero time when none is recorded
			out = append(out, in)
		}
	}
	return out, nil
}

// secondsStarts reads the start of the seconds recorded last per
// institution; an institution with none recorded has no entry.
func (s *Store) secondsStarts(ctx context.Context, institutions []string) (map[string]time.Time, error) {
	q := (&query{}).sql("SELECT institution, argMax(seconds_from, version) FROM rollup_seconds_from WHERE institution IN (").
		list(institutions).sql(") GROUP BY institution")
	rows, err := s.conn.Query(ctx, q.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("seconds kept in the rollups: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var (
			in string
			t  time.Time
		)
		if err := rows.Scan(&in, &t); err != nil {
			return nil, fmt.Errorf("seconds kept in the rollups: %w", err)
		}
		out[in] = t.UTC()
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("seconds kept in the rollups: %w", err)
	}
	return out, nil
}
