package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ccbench/ccbench/kpi"
)

// ContactCountsWindows returns, for every start in froms, the ContactCounts
// of [start, q.To) in total (q.From and q.By are ignored): the exporter's
// trailing windows, which all end now. See ContactCountsWindowsAll.
func (s *Store) ContactCountsWindows(ctx context.Context, q ContactQuery, froms []time.Time) ([][]ContactRow, error) {
	out, err := s.ContactCountsWindowsAll(ctx, []ContactQuery{q}, froms)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// ContactCountsWindowsAll is ContactCountsWindows of several queries at
// once: out[i] are the windows of qs[i]. The queries must be of different
// institutions and end at the same time. Every institution whose rollups
// can serve the windows is read in one query per rollup level, all windows
// and institutions together (see windowPlan); any other is counted window
// by window from the raw versions. The results are the same either way.
func (s *Store) ContactCountsWindowsAll(ctx context.Context, qs []ContactQuery, froms []time.Time) ([][][]ContactRow, error) {
	institutions, err := windowInstitutions(qs, func(q ContactQuery) (string, time.Time, bool) { return q.Institution, q.To, q.Raw })
	if err != nil {
		return nil, fmt.Errorf("contact counts: %w", err)
	}
	rolled, err := s.rollupContactCountsWindows(ctx, qs, institutions, froms)
	if err != nil {
		return nil, fmt.Errorf("contact counts: %w", err)
	}
	out := make([][][]ContactRow, len(qs))
	for i, q := range qs {
		loc, err := namedLocation(q.Location)
		if err != nil {
			return nil, fmt.Errorf("contact counts of %s: %w", q.Institution, err)
		}
		parts, ok := rolled[q.Institution]
		out[i] = make([][]ContactRow, len(froms))
		for j, from := range froms {
			w := q
			w.From, w.By = from, ByTotal
			if !ok {
				w.Raw = true
				if out[i][j], err = s.ContactCounts(ctx, w); err != nil {
					return nil, err
				}
				continue
			}
			out[i][j] = contactRows(w, ByTotal, loc, parts[j])
		}
	}
	return out, nil
}

// windowInstitutions checks that queries are of different institutions
// and end at the same time, and returns the institutions whose rollups
// may serve them (the queries that do not ask for the raw versions).
func windowInstitutions[Q any](qs []Q, of func(Q) (institution string, to time.Time, raw bool)) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	var end time.Time // of the first query
	for i, q := range qs {
		in, to, raw := of(q)
		if i == 0 {
			end = to
		}
		if !to.Equal(end) {
			return nil, fmt.Errorf("windows of %s end at %s, those of the first query at %s", in, to.Format(time.RFC3339), end.Format(time.RFC3339))
		}
		if seen[in] {
			return nil, fmt.Errorf("query %d repeats institution %q", i, in)
		}
		seen[in] = true
		if !raw && in != "" {
			out = append(out, in)
		}
	}
	return out, nil
}

// servedOf returns those of institutions whose rollups can serve the
// windows [froms[i], to): they are built and hold the seconds the windows'
// ends need.
func (s *Store) servedOf(ctx context.Context, institutions []string, froms []time.Time, to time.Time) ([]string, error) {
	var built []string
	for _, in := range institutions {
		ok, err := s.rollupsBuilt(ctx, in)
		if err != nil {
			return nil, err
		}
		if ok {
			built = append(built, in)
		}
	}
	first, ok := firstSecondRead(froms, to)
	if !ok {
		return built, nil
	}
	return s.withSeconds(ctx, built, first)
}

// windowPlan says how trailing windows [froms[i], to) are read from the
// levels of a rollup: the whole days and buckets [inner[i], end) as
// bucketParts splits them, where inner[i] is the first bucket boundary at
// or after froms[i] and end the last at or before to (a window that holds
// no whole bucket has inner[i] = end), and the seconds of [froms[i],
// inner[i]) and [end, to) from the seconds table.
type windowPlan struct {
	froms, inner []time.Time
	end, to      time.Time
}

func newWindowPlan(froms []time.Time, to time.Time) windowPlan {
	p := windowPlan{froms: froms, end: bucketFloor(to), to: to}
	for _, from := range froms {
		p.inner = append(p.inner, earliest(bucketCeil(from), p.end))
	}
	return p
}

// queries returns the queries that read the institutions' sums of r per
// institution, window (w, numbered from 1 in the order of froms) and group,
// from every level.
func (p windowPlan) queries(r rollup, institutions []string) []*query {
	var qs []*query
	for i := range p.froms {
		if p.inner[i].Before(p.end) {
			qs = windowQueries(r, institutions, p.inner, p.end)
			break
		}
	}
	return append(qs, windowSums(r, r.secondTable(), institutions, p.froms, p.to, p.inner, p.end))
}

// rollupContactCountsWindows reads the contact rollup of the windows
// [froms[i], to) of the institutions at every level and sums it per
// institution and window: out[institution][i] are the counts of window i.
// An institution whose rollups are not built, or that has a group counted
// with other thresholds than its query's parameters give, has no entry.
func (s *Store) rollupContactCountsWindows(ctx context.Context, qs []ContactQuery, institutions []string, froms []time.Time) (map[string][][]countedContacts, error) {
	if len(qs) == 0 {
		return nil, nil
	}
	institutions, err := s.servedOf(ctx, institutions, froms, qs[0].To)
	if err != nil || len(institutions) == 0 || len(froms) == 0 {
		return nil, err
	}
	params := map[string]func(unit, channel string) kpi.Params{}
	for _, q := range qs {
		params[q.Institution] = paramsOrDefault(q.Params)
	}
	out := map[string][][]countedContacts{}
	stale := map[string]bool{} // counted with other thresholds
	for _, query := range newWindowPlan(froms, qs[0].To).queries(contactRollup, institutions) {
		rows, err := s.conn.Query(ctx, query.String(), query.args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var (
				r  countedContacts
				in string
				w  uint32
			)
			current, err := scanContactSums(rows, func(unit, channel string) kpi.Params { return params[in](unit, channel) }, &r, &in, &w, &r.unit, &r.channel)
			if err != nil {
				rows.Close()
				return nil, err
			}
			if !current {
				stale[in] = true
				continue
			}
			if out[in] == nil {
				out[in] = make([][]countedContacts, len(froms))
			}
			out[in][w-1] = append(out[in][w-1], r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	for _, in := range institutions {
		switch {
		case stale[in]:
			delete(out, in)
		case out[in] == nil:
			out[in] = make([][]countedContacts, len(froms)) // nothing in any window
		}
	}
	return out, nil
}

// FeedbackCountsWindows is FeedbackCounts of the windows [start, q.To) for
// every start in froms, in total, as ContactCountsWindows is for contacts.
func (s *Store) FeedbackCountsWindows(ctx context.Context, q FeedbackQuery, froms []time.Time) ([][]FeedbackRow, error) {
	out, err := s.FeedbackCountsWindowsAll(ctx, []FeedbackQuery{q}, froms)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// FeedbackCountsWindowsAll is FeedbackCountsWindows of several queries at
// once, as ContactCountsWindowsAll is for contacts.
func (s *Store) FeedbackCountsWindowsAll(ctx context.Context, qs []FeedbackQuery, froms []time.Time) ([][][]FeedbackRow, error) {
	institutions, err := windowInstitutions(qs, func(q FeedbackQuery) (string, time.Time, bool) { return q.Institution, q.To, q.Raw })
	if err != nil {
		return nil, fmt.Errorf("feedback counts: %w", err)
	}
	var to time.Time
	if len(qs) > 0 {
		to = qs[0].To
	}
	rolled, err := s.rollupFeedbackCountsWindows(ctx, institutions, froms, to)
	if err != nil {
		return nil, fmt.Errorf("feedback counts: %w", err)
	}
	out := make([][][]FeedbackRow, len(qs))
	for i, q := range qs {
		loc, err := namedLocation(q.Location)
		if err != nil {
			return nil, fmt.Errorf("feedback counts of %s: %w", q.Institution, err)
		}
		parts, ok := rolled[q.Institution]
		out[i] = make([][]FeedbackRow, len(froms))
		for j, from := range froms {
			w := q
			w.From, w.By = from, ByTotal
			if !ok {
				w.Raw = true
				if out[i][j], err = s.FeedbackCounts(ctx, w); err != nil {
					return nil, err
				}
				continue
			}
			out[i][j] = feedbackRows(w, ByTotal, loc, parts[j])
		}
	}
	return out, nil
}

// rollupFeedbackCountsWindows reads the feedback rollup of the windows
// [froms[i], to) of the institutions at every level and sums it per
// institution and window. An institution whose rollups are not built has
// no entry.
func (s *Store) rollupFeedbackCountsWindows(ctx context.Context, institutions []string, froms []time.Time, to time.Time) (map[string][][]countedFeedback, error) {
	institutions, err := s.servedOf(ctx, institutions, froms, to)
	if err != nil || len(institutions) == 0 || len(froms) == 0 {
		return nil, err
	}
	out := map[string][][]countedFeedback{}
	for _, in := range institutions {
		out[in] = make([][]countedFeedback, len(froms))
	}
	for _, query := range newWindowPlan(froms, to).queries(feedbackRollup, institutions) {
		if err := s.scanFeedbackWindows(ctx, query, out); err != nil {
			return nil, err
		}
	}
	return out, nil
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

// scanFeedbackWindows adds the rows of a windowSums query to parts.
func (s *Store) scanFeedbackWindows(ctx context.Context, q *query, parts map[string][][]countedFeedback) error {
	rows, err := s.conn.Query(ctx, q.String(), q.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			in string
			w  uint32
			r  countedFeedback
		)
		if err := scanFeedbackCounts(rows, &r, &in, &w, &r.unit, &r.channel, &r.instrument); err != nil {
			return err
		}
		if p, ok := parts[in]; ok {
			p[w-1] = append(p[w-1], r)
		}
	}
	return rows.Err()
}
