package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ccbench/ccbench/kpi"
)

// ContactCountsWindows returns, for every start in froms, the ContactCounts
// of [start, q.To) in total (q.From and q.By are ignored): the exporter's
// trailing windows, which all end now. When the institution's rollups can
// serve them, the whole buckets of all windows are read in one pass over
// the longest one, the parts of buckets at the windows' starts in one raw
// query, and the part of the current bucket, which they share, in another;
// otherwise each window is counted on its own. The results are the same
// either way.
func (s *Store) ContactCountsWindows(ctx context.Context, q ContactQuery, froms []time.Time) ([][]ContactRow, error) {
	loc, err := namedLocation(q.Location)
	if err != nil {
		return nil, fmt.Errorf("contact counts of %s: %w", q.Institution, err)
	}
	params := paramsOrDefault(q.Params)
	plan, ok, err := s.planWindows(ctx, contactTimes, q.Institution, froms, q.To, q.Raw)
	if err != nil {
		return nil, err
	}
	if !ok {
		out := make([][]ContactRow, len(froms))
		for i, from := range froms {
			w := q
			w.From, w.By = from, ByTotal
			if out[i], err = s.ContactCounts(ctx, w); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	starts, index := plan.rolled()
	rolled, ok, err := s.rollupContactCountsWindows(ctx, q.Institution, starts, plan.end, params)
	parts := make([][]countedContacts, len(froms))
	for n, i := range index {
		if n < len(rolled) {
			parts[i] = rolled[n]
		}
	}
	if err == nil && ok {
		err = rawWindows(plan, "arrived_at", func(w window, key func(*query) *query) ([]countedContacts, error) {
			return s.countContacts(ctx, q.Institution, w, params, key)
		}, parts, func(c countedContacts) time.Time { return c.key })
	}
	if err != nil {
		return nil, fmt.Errorf("contact counts of %s: %w", q.Institution, err)
	}
	if !ok {
		q.Raw = true // counted with other thresholds
		return s.ContactCountsWindows(ctx, q, froms)
	}
	out := make([][]ContactRow, len(froms))
	for i, from := range froms {
		w := q
		w.From, w.By = from, ByTotal
		out[i] = contactRows(w, ByTotal, loc, parts[i])
	}
	return out, nil
}

// windowPlan says how trailing windows [froms[i], to) are read: the whole
// buckets [inner[i], end) from the rollups, the heads [froms[i], inner[i])
// and the tail [end, to), which they share, from the raw versions; a window
// that does not reach back past the current bucket (short[i]) from the raw
// versions alone. When nothing is stored after to in its bucket, end is
// that bucket's end and the rollup serves the tail too.
type windowPlan struct {
	froms, inner []time.Time
	short        []bool
	end, to      time.Time
}

// planWindows reports whether the rollups can serve the windows over the
// records of t, and how.
func (s *Store) planWindows(ctx context.Context, t recordTimes, institution string, froms []time.Time, to time.Time, raw bool) (windowPlan, bool, error) {
	p := windowPlan{froms: froms, end: bucketFloor(to), to: to}
	if raw || len(froms) == 0 || institution == "" {
		return p, false, nil
	}
	built, err := s.rollupsBuilt(ctx, institution)
	if err != nil || !built {
		return p, false, err
	}
	whole, err := s.bucketEndsAt(ctx, t, institution, to)
	if err != nil {
		return p, false, err
	}
	if whole {
		p.end = bucketCeil(to)
	}
	long := 0
	for i, from := range froms {
		in := bucketCeil(from)
		p.inner = append(p.inner, in)
		p.short = append(p.short, !in.Before(p.end))
		if p.short[i] {
			continue
		}
		long++
		for j := range i {
			if !p.short[j] && in.Equal(p.inner[j]) {
				return p, false, nil // two heads in one bucket
			}
		}
	}
	return p, long > 0, nil
}

// recordTimes names a versioned table and the time column its rollup
// buckets.
type recordTimes struct{ table, column string }

var (
	contactTimes  = recordTimes{"contacts", "arrived_at"}
	feedbackTimes = recordTimes{"feedback", "submitted_at"}
)

// bucketEndsAt reports whether the institution's rollup bucket that holds
// to counts only records before to: no version of any record of t has its
// time in [to, the bucket's end). The bucket's rollup row then counts
// exactly the records of [its start, to), and a window ending at to (now,
// for the exporter) needs no raw read at its end.
func (s *Store) bucketEndsAt(ctx context.Context, t recordTimes, institution string, to time.Time) (bool, error) {
	end := bucketCeil(to)
	if end.Equal(to) {
		return false, nil
	}
	q := &query{}
	q.sql("SELECT count() FROM ", t.table, " WHERE institution = ").bind(institution).sql(" AND ")
	timeRange(to, end).sql(q, t.column)
	var n uint64
	if err := s.conn.QueryRow(ctx, q.String(), q.args...).Scan(&n); err != nil {
		return false, fmt.Errorf("%s of %s after %s: %w", t.table, institution, to.Format(time.RFC3339), err)
	}
	return n == 0, nil
}

// rolled returns the starts of the whole buckets of the windows that have
// some, and their indexes in froms.
func (p windowPlan) rolled() (starts []time.Time, index []int) {
	for i, short := range p.short {
		if !short {
			starts = append(starts, p.inner[i])
			index = append(index, i)
		}
	}
	return starts, index
}

// rawWindows counts, from the raw versions of column's table, the heads of
// the windows of p in one query (a row's key is the window's number, as a
// time of that many seconds) and their shared tail in another, and adds
// them to parts. count runs a raw count over a window with a key
// expression; key reads a counted row's key.
func rawWindows[C any](p windowPlan, column string, count func(w window, key func(*query) *query) ([]C, error), parts [][]C, key func(C) time.Time) error {
	var heads []int
	for i := range p.froms {
		if !p.short[i] && p.froms[i].Before(p.inner[i]) {
			heads = append(heads, i)
		}
	}
	if len(heads) > 0 {
		inHead := func(q *query, i int) *query { return timeRange(p.froms[i], p.inner[i]).sql(q, column) }
		w := window{span: time.Duration(len(heads)) * BucketSize} // each head lies in one bucket
		w.cond = func(q *query, _ string) *query {
			q.sql("(")
			for n, i := range heads {
				if n > 0 {
					q.sql(" OR ")
				}
				q.sql("(")
				inHead(q, i).sql(")")
			}
			return q.sql(")")
		}
		k := func(q *query) *query {
			q.sql("multiIf(")
			for _, i := range heads {
				inHead(q, i).sql(", toDateTime(").bind(i + 1).sql(", 'UTC'), ")
			}
			return q.sql("toDateTime(0, 'UTC'))")
		}
		rows, err := count(w, k)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if i := int(key(r).Unix()) - 1; i >= 0 && i < len(parts) {
				parts[i] = append(parts[i], r)
			}
		}
	}
	zero := func(q *query) *query { return q.sql("toDateTime(0, 'UTC')") }
	if p.end.Before(p.to) {
		rows, err := count(timeRange(p.end, p.to), zero)
		if err != nil {
			return err
		}
		for i := range parts {
			if !p.short[i] {
				parts[i] = append(parts[i], rows...)
			}
		}
	}
	for i, short := range p.short {
		if short {
			rows, err := count(timeRange(p.froms[i], p.to), zero)
			if err != nil {
				return err
			}
			parts[i] = append(parts[i], rows...)
		}
	}
	return nil
}

// windowStarts appends the array literal of the windows' starts.
func windowStarts(q *query, froms []time.Time) *query {
	q.sql("[")
	for i, f := range froms {
		if i > 0 {
			q.sql(", ")
		}
		q.time(f)
	}
	return q.sql("]")
}

// rollupContactCountsWindows reads the contact rollup of [min(froms), end)
// once per level and sums it per window: parts[i] are the counts of
// [froms[i], end). It reports false, with no rows, when a group was counted
// with other thresholds than params gives.
func (s *Store) rollupContactCountsWindows(ctx context.Context, institution string, froms []time.Time, end time.Time,
	params func(unit, channel string) kpi.Params) ([][]countedContacts, bool, error) {
	out := make([][]countedContacts, len(froms))
	for _, q := range windowQueries(contactRollup, institution, froms, end) {
		var ws []*uint32 // the window of each row, in the order of rows
		rows, ok, err := s.queryContactSums(ctx, q, params, func(r *countedContacts) []any {
			w := new(uint32)
			ws = append(ws, w)
			return []any{w, &r.unit, &r.channel}
		})
		if err != nil || !ok {
			return nil, false, err
		}
		for i, r := range rows {
			out[*ws[i]-1] = append(out[*ws[i]-1], r)
		}
	}
	return out, true, nil
}

// FeedbackCountsWindows is FeedbackCounts of the windows [start, q.To) for
// every start in froms, in total, as ContactCountsWindows is for contacts.
func (s *Store) FeedbackCountsWindows(ctx context.Context, q FeedbackQuery, froms []time.Time) ([][]FeedbackRow, error) {
	loc, err := namedLocation(q.Location)
	if err != nil {
		return nil, fmt.Errorf("feedback counts of %s: %w", q.Institution, err)
	}
	plan, ok, err := s.planWindows(ctx, feedbackTimes, q.Institution, froms, q.To, q.Raw)
	if err != nil {
		return nil, err
	}
	if !ok {
		out := make([][]FeedbackRow, len(froms))
		for i, from := range froms {
			w := q
			w.From, w.By = from, ByTotal
			if out[i], err = s.FeedbackCounts(ctx, w); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	starts, index := plan.rolled()
	rolled, err := s.rollupFeedbackCountsWindows(ctx, q.Institution, starts, plan.end)
	parts := make([][]countedFeedback, len(froms))
	for n, i := range index {
		if n < len(rolled) {
			parts[i] = rolled[n]
		}
	}
	if err == nil {
		err = rawWindows(plan, "submitted_at", func(w window, key func(*query) *query) ([]countedFeedback, error) {
			return s.countFeedback(ctx, q.Institution, w, key)
		}, parts, func(c countedFeedback) time.Time { return c.key })
	}
	if err != nil {
		return nil, fmt.Errorf("feedback counts of %s: %w", q.Institution, err)
	}
	out := make([][]FeedbackRow, len(froms))
	for i, from := range froms {
		w := q
		w.From, w.By = from, ByTotal
		out[i] = feedbackRows(w, ByTotal, loc, parts[i])
	}
	return out, nil
}

// rollupFeedbackCountsWindows reads the feedback rollup of [min(starts),
// end) once per level and sums it per window: parts[i] are the counts of
// [starts[i], end).
func (s *Store) rollupFeedbackCountsWindows(ctx context.Context, institution string, starts []time.Time, end time.Time) ([][]countedFeedback, error) {
	parts := make([][]countedFeedback, len(starts))
	for _, q := range windowQueries(feedbackRollup, institution, starts, end) {
		if err := s.scanFeedbackWindows(ctx, q, parts); err != nil {
			return nil, err
		}
	}
	return parts, nil
}

// scanFeedbackWindows adds the rows of a windowSums query to parts.
func (s *Store) scanFeedbackWindows(ctx context.Context, q *query, parts [][]countedFeedback) error {
	rows, err := s.conn.Query(ctx, q.String(), q.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			w uint32
			r countedFeedback
		)
		if err := scanFeedbackCounts(rows, &r, &w, &r.unit, &r.channel, &r.instrument); err != nil {
			return err
		}
		parts[w-1] = append(parts[w-1], r)
	}
	return rows.Err()
}
