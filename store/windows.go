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
// serve them and every start is on a bucket boundary, the whole buckets of
// all windows are read in one pass over the longest one and the part of the
// current bucket once; otherwise each window is counted on its own. The
// results are the same either way.
func (s *Store) ContactCountsWindows(ctx context.Context, q ContactQuery, froms []time.Time) ([][]ContactRow, error) {
	loc, err := namedLocation(q.Location)
	if err != nil {
		return nil, fmt.Errorf("contact counts of %s: %w", q.Institution, err)
	}
	params := paramsOrDefault(q.Params)
	each := func() ([][]ContactRow, error) {
		out := make([][]ContactRow, len(froms))
		for i, from := range froms {
			w := q
			w.From, w.By = from, ByTotal
			rows, err := s.ContactCounts(ctx, w)
			if err != nil {
				return nil, err
			}
			out[i] = rows
		}
		return out, nil
	}
	end, ok, err := s.windowsServable(ctx, q.Institution, froms, q.To, q.Raw)
	if err != nil || !ok {
		if err != nil {
			return nil, err
		}
		return each()
	}
	parts, ok, err := s.rollupContactCountsWindows(ctx, q.Institution, froms, end, params)
	if err != nil {
		return nil, fmt.Errorf("contact counts of %s: %w", q.Institution, err)
	}
	if !ok {
		return each()
	}
	var tail []countedContacts
	if end.Before(q.To) {
		if tail, err = s.rawContactCounts(ctx, q.Institution, timeRange(end, q.To), ByTotal, loc, params); err != nil {
			return nil, fmt.Errorf("contact counts of %s: %w", q.Institution, err)
		}
	}
	out := make([][]ContactRow, len(froms))
	for i, from := range froms {
		w := q
		w.From, w.By = from, ByTotal
		out[i] = contactRows(w, ByTotal, loc, append(parts[i], tail...))
	}
	return out, nil
}

// windowsServable reports whether the rollups can serve windows [from, to)
// in one pass, and the end of their whole buckets.
func (s *Store) windowsServable(ctx context.Context, institution string, froms []time.Time, to time.Time, raw bool) (time.Time, bool, error) {
	end := bucketFloor(to)
	if raw || len(froms) == 0 || institution == "" {
		return end, false, nil
	}
	for _, from := range froms {
		if !bucketFloor(from).Equal(from) || !from.Before(end) {
			return end, false, nil
		}
	}
	built, err := s.rollupsBuilt(ctx, institution)
	return end, built, err
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
// once and sums it per window: parts[i] are the counts of [froms[i], end).
func (s *Store) rollupContactCountsWindows(ctx context.Context, institution string, froms []time.Time, end time.Time,
	params func(unit, channel string) kpi.Params) ([][]countedContacts, bool, error) {
	first := froms[0]
	for _, f := range froms {
		first = earliest(first, f)
	}
	q := &query{}
	q.sql(`SELECT w, unit, channel, t_ms, s_ms, l_ms,
    sum(offered) AS o, sum(answered), sum(abandoned), sum(short_abandoned), sum(answered_within_t), sum(abandoned_within_t),
    sum(abandoned_not_short), sum(long_waits), sum(answer_wait_sum_ms), sum(handled), sum(handle_sum_s), sum(acw_counted),
    sum(acw_sum_s), max(max_wait_ms)
FROM (
    SELECT *, arrayJoin(arrayFilter(i -> bucket >= `)
	windowStarts(q, froms).sql("[i], arrayEnumerate(")
	windowStarts(q, froms).sql(`))) AS w
    FROM contact_rollup FINAL
    WHERE institution = `).bind(institution).sql(" AND ")
	timeRange(first, end)(q, "bucket")
	q.sql("\n)\nGROUP BY w, unit, channel, t_ms, s_ms, l_ms\nHAVING o > 0")
	rows, err := s.conn.Query(ctx, q.String(), q.args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	out := make([][]countedContacts, len(froms))
	for rows.Next() {
		var (
			w                                               uint32
			r                                               countedContacts
			tMS, sMS, lMS                                   int64
			offered, answered, abandoned, short, aT, bT, nS uint64
			long, handled, acwCounted                       uint64
			waitSum, handleSum, acwSum, maxWait             int64
		)
		if err := rows.Scan(&w, &r.unit, &r.channel, &tMS, &sMS, &lMS, &offered, &answered, &abandoned, &short, &aT, &bT, &nS,
			&long, &waitSum, &handled, &handleSum, &acwCounted, &acwSum, &maxWait); err != nil {
			return nil, false, err
		}
		p := params(r.unit, r.channel)
		if tMS != p.Threshold.Milliseconds() || sMS != p.ShortAbandon.Milliseconds() || lMS != p.LongWait.Milliseconds() {
			return nil, false, nil
		}
		r.counts = kpi.ContactCounts{
			Offered: float64(offered), Answered: float64(answered), Abandoned: float64(abandoned),
			ShortAbandoned: float64(short), AnsweredWithinT: float64(aT), AbandonedWithinT: float64(bT),
			AbandonedNotShort: float64(nS), LongWaits: float64(long), AnswerWaitSumS: float64(waitSum),
			Handled: float64(handled), HandleSumS: float64(handleSum), AcwCounted: float64(acwCounted),
			AcwSumS: float64(acwSum), MaxWaitS: float64(maxWait), // in ms until contactRows
		}
		out[w-1] = append(out[w-1], r)
	}
	return out, true, rows.Err()
}

// FeedbackCountsWindows is FeedbackCounts of the windows [start, q.To) for
// every start in froms, in total, as ContactCountsWindows is for contacts.
func (s *Store) FeedbackCountsWindows(ctx context.Context, q FeedbackQuery, froms []time.Time) ([][]FeedbackRow, error) {
	loc, err := namedLocation(q.Location)
	if err != nil {
		return nil, fmt.Errorf("feedback counts of %s: %w", q.Institution, err)
	}
	end, ok, err := s.windowsServable(ctx, q.Institution, froms, q.To, q.Raw)
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
	first := froms[0]
	for _, f := range froms {
		first = earliest(first, f)
	}
	sq := &query{}
	sq.sql(`SELECT w, unit, channel, instrument, sum(responses) AS n, sum(favourable)
FROM (
    SELECT *, arrayJoin(arrayFilter(i -> bucket >= `)
	windowStarts(sq, froms).sql("[i], arrayEnumerate(")
	windowStarts(sq, froms).sql(`))) AS w
    FROM feedback_rollup FINAL
    WHERE institution = `).bind(q.Institution).sql(" AND ")
	timeRange(first, end)(sq, "bucket")
	sq.sql("\n)\nGROUP BY w, unit, channel, instrument\nHAVING n > 0")
	rows, err := s.conn.Query(ctx, sq.String(), sq.args...)
	if err != nil {
		return nil, fmt.Errorf("feedback counts of %s: %w", q.Institution, err)
	}
	defer rows.Close()
	parts := make([][]countedFeedback, len(froms))
	for rows.Next() {
		var (
			w                     uint32
			r                     countedFeedback
			responses, favourable uint64
		)
		if err := rows.Scan(&w, &r.unit, &r.channel, &r.instrument, &responses, &favourable); err != nil {
			return nil, fmt.Errorf("feedback counts of %s: %w", q.Institution, err)
		}
		r.counts = kpi.FeedbackCounts{Responses: float64(responses), Favourable: float64(favourable)}
		parts[w-1] = append(parts[w-1], r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("feedback counts of %s: %w", q.Institution, err)
	}
	var tail []countedFeedback
	if end.Before(q.To) {
		if tail, err = s.countFeedback(ctx, q.Institution, timeRange(end, q.To), func(q *query) *query { return q.sql("toDate(0)") }); err != nil {
			return nil, fmt.Errorf("feedback counts of %s: %w", q.Institution, err)
		}
	}
	out := make([][]FeedbackRow, len(froms))
	for i, from := range froms {
		w := q
		w.From, w.By = from, ByTotal
		out[i] = feedbackRows(w, ByTotal, loc, append(parts[i], tail...))
	}
	return out, nil
}
