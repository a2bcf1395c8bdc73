package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ccbench/ccbench/records"
)

// Aggregates returns the aggregate rows of institution whose period
// overlaps the window [from, to), taking only the highest revision of each
// (source, batch); a period belongs to every window it overlaps, whole. The
// window's ends are read as calendar dates in their own location (pass
// local midnights of the institution's zone); an end after midnight counts
// its whole day. Rows come sorted by period, source, batch, unit, channel,
// instrument, item and metric.
func (s *Store) Aggregates(ctx context.Context, institution string, from, to time.Time) ([]records.Aggregate, error) {
	fromDate := dateOf(from)
	toDate := dateOf(to)
	if y, m, d := to.Date(); !to.Equal(time.Date(y, m, d, 0, 0, 0, 0, to.Location())) {
		toDate = toDate.AddDate(0, 0, 1)
	}
	q := &query{}
	q.sql(`SELECT institution, source, batch, revision, period_start, period_end, unit, channel, instrument, item, metric, value
FROM aggregates
WHERE institution = `).bind(institution).sql(`
  AND (source, batch, revision) IN (SELECT source, batch, max(revision) FROM aggregates WHERE institution = `).bind(institution).sql(` GROUP BY source, batch)
  AND period_start < `).date(toDate).sql(`
  AND period_end > `).date(fromDate).sql(`
ORDER BY period_start, source, batch, unit, channel, instrument, item, metric, ingested_at DESC
LIMIT 1 BY source, batch, unit, channel, instrument, item, metric`)
	out, err := s.queryAggregates(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("aggregates of %s: %w", institution, err)
	}
	return out, nil
}

// BatchAggregates returns the rows in force of one batch of an
// institution's source: those of its highest revision (the institution
// keeps the read on its shard of a cluster). A collector that publishes a new revision reads
// them to carry forward the rows of items whose new row broke the contract
// (the last valid version stays in force).
func (s *Store) BatchAggregates(ctx context.Context, institution, source, batch string) ([]records.Aggregate, error) {
	q := &query{}
	q.sql(`SELECT institution, source, batch, revision, period_start, period_end, unit, channel, instrument, item, metric, value
FROM aggregates
WHERE institution = `).bind(institution).sql(` AND source = `).bind(source).sql(` AND batch = `).bind(batch).sql(`
  AND (source, batch, revision) IN (SELECT source, batch, max(revision) FROM aggregates
    WHERE institution = `).bind(institution).sql(` AND source = `).bind(source).sql(` AND batch = `).bind(batch).sql(` GROUP BY source, batch)
ORDER BY unit, channel, instrument, item, metric, ingested_at DESC
LIMIT 1 BY unit, channel, instrument, item, metric`)
	out, err := s.queryAggregates(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("aggregates of %s/%s batch %s: %w", institution, source, batch, err)
	}
	return out, nil
}

// queryAggregates runs q, which selects the columns of records.Aggregate.
func (s *Store) queryAggregates(ctx context.Context, q *query) ([]records.Aggregate, error) {
	rows, err := s.conn.Query(ctx, q.String(), q.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []records.Aggregate
	for rows.Next() {
		var a records.Aggregate
		if err := rows.Scan(&a.Institution, &a.Source, &a.Batch, &a.Revision, &a.PeriodStart, &a.PeriodEnd,
			&a.Unit, &a.Channel, &a.Instrument, &a.Item, &a.Metric, &a.Value); err != nil {
			return nil, err
		}
		a.PeriodStart, a.PeriodEnd = dateOf(a.PeriodStart), dateOf(a.PeriodEnd)
		out = append(out, a)
	}
	return out, rows.Err()
}
