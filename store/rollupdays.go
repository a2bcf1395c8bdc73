package store

import (
	"context"
	"fmt"
	"time"
)

// A rollup has three levels (migration 0007): seconds (contact_rollup_1s,
// feedback_rollup_1s), 15-minute UTC buckets summed from them
// (contact_rollup_15m, feedback_rollup_15m) and whole UTC days summed from
// those (contact_rollup_1d, feedback_rollup_1d). Reads
// take every whole UTC day that lies in one period of the query from the
// day table, the other whole buckets from the bucket table and the seconds
// at the window's ends from the seconds table, so a window of a year reads
// a few hundred rows per group. The seconds are kept for recent weeks
// (seconds.go); a window with an end in an older bucket reads the raw
// versions.

// daySize is the width of a day-table row.
const daySize = 24 * time.Hour

func dayFloor(t time.Time) time.Time { return t.UTC().Truncate(daySize) }

func dayCeil(t time.Time) time.Time { return ceilTo(t, daySize) }

// rollup describes one rollup for the code that reads and recounts both of
// its levels.
type rollup struct {
	name     string // the tables are name + "_1s", "_15m" and "_1d"
	time     string // the records' column whose time the rows are counted by
	keys     string // the group columns
	counts   string // the columns of a counts query (countsFunc) that give the table's columns after version
	nonZero  string // a column that is positive in a row that counts anything
	sums     string // the SELECT list of sums over rollup rows, after keys
	groupBy  string // columns after keys and the period that rows must agree on
	nonEmpty string // HAVING condition that drops groups with nothing counted
	daySums  string // the SELECT list of a row from the rows of the finer level, after version
	zeros    string // the SELECT list of a row of zeros from a row of the table, after version
}

func (r rollup) secondTable() string { return r.name + "_1s" }

func (r rollup) bucketTable() string { return r.name + "_15m" }

func (r rollup) dayTable() string { return r.name + "_1d" }

var (
	contactRollup = rollup{
		name: "contact_rollup", time: "arrived_at", keys: "unit, channel", sums: contactRollupSums,
		counts: "t_ms, s_ms, l_ms, " + contactCountNames, nonZero: "offered",
		zeros:   "t_ms, s_ms, l_ms, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0",
		groupBy: ", t_ms, s_ms, l_ms", nonEmpty: "o > 0",
		// A bucket or day whose finer rows were counted with other
		// thresholds gets t_ms = -1, which matches no configuration:
		// readers then count from the raw versions. Rows of zeros count
		// nothing, so their thresholds do not matter.
		daySums: `if(minIf(t_ms, offered > 0) = maxIf(t_ms, offered > 0) AND minIf(s_ms, offered > 0) = maxIf(s_ms, offered > 0)
        AND minIf(l_ms, offered > 0) = maxIf(l_ms, offered > 0), anyIf(t_ms, offered > 0), toInt64(-1)),
    anyIf(s_ms, offered > 0), anyIf(l_ms, offered > 0),
    sum(offered), sum(answered), sum(abandoned), sum(short_abandoned), sum(answered_within_t), sum(abandoned_within_t),
    sum(abandoned_not_short), sum(long_waits), sum(answer_wait_sum_ms), sum(handled), sum(handle_sum_s), sum(acw_counted),
    sum(acw_sum_s), max(max_wait_ms)`,
	}
	feedbackRollup = rollup{
		name: "feedback_rollup", time: "submitted_at", keys: "unit, channel, instrument", sums: "sum(responses) AS n, sum(favourable)",
		counts: "responses, favourable", nonZero: "responses",
		nonEmpty: "n > 0", daySums: "sum(responses), sum(favourable)", zeros: "0, 0",
	}
)

// maxDaysPerRecount bounds the days one day recount covers.
const maxDaysPerRecount = 366

// recountDays recounts the day rows of the days of buckets (sorted) from
// the bucket rows, which must be current. A group of the day that has no
// contacts left has bucket rows of zeros, so it gets a day row of zeros.
func (s *Store) recountDays(ctx context.Context, r rollup, institution string, buckets []time.Time) error {
	var days []time.Time
	for _, b := range buckets {
		if d := dayFloor(b); len(days) == 0 || !days[len(days)-1].Equal(d) {
			days = append(days, d)
		}
	}
	for len(days) > 0 {
		n := min(len(days), maxDaysPerRecount)
		chunk := days[:n]
		days = days[n:]
		if err := s.sumLevel(ctx, r, r.bucketTable(), r.dayTable(), "toStartOfDay", institution, periodSet(chunk, daySize), s.nextVersion()); err != nil {
			return err
		}
	}
	return nil
}

// sumLevel writes, with version, the rows of table to (the bucket or day
// level of r, whose period truncate computes) for the institution's periods
// in window w as the sums of the rows of the finer table from (read with
// FINAL, rows of zeros included, so that a group whose records vanished
// gets a row of zeros).
func (s *Store) sumLevel(ctx context.Context, r rollup, from, to, truncate, institution string, w window, version uint64) error {
	q := &query{}
	q.sql("INSERT INTO ", to, "\nSELECT institution, ", truncate, "(bucket) AS period, ", r.keys, ", toUInt64(").bind(version).sql("),\n    ", r.daySums,
		"\nFROM ", from, " FINAL\nWHERE institution = ").bind(institution).sql(" AND ")
	w.sql(q, "bucket").sql("\nGROUP BY institution, period, ", r.keys)
	if err := s.exec(ctx, to, q); err != nil {
		return fmt.Errorf("recount %s of %s: %w", to, institution, err)
	}
	return nil
}

// exec runs an INSERT ... SELECT into table, with the cluster's insert
// settings on a cluster.
func (s *Store) exec(ctx context.Context, table string, q *query) error {
	ctx, done := s.clusterInsert(ctx, table)
	defer done()
	ctx, err := q.context(ctx)
	if err != nil {
		return err
	}
	return s.conn.Exec(ctx, q.String(), q.args...)
}

// rollupPart is a part of a read of whole buckets: a table and the
// condition on its bucket column.
type rollupPart struct {
	table string
	where func(q *query, column string) *query
}

// rollupParts splits a read of [from, to) grouped by `by` in loc over the
// levels of r: the seconds at its ends that do not fill a 15-minute bucket
// come from the seconds table, in one part; the whole buckets between as
// bucketParts splits them.
func rollupParts(r rollup, from, to time.Time, by By, loc *time.Location) []rollupPart {
	inner, outer := bucketCeil(from), bucketFloor(to)
	if !inner.Before(outer) {
		return []rollupPart{{r.secondTable(), timeRange(from, to).cond}}
	}
	parts := bucketParts(r, inner, outer, by, loc)
	var ends []window
	if from.Before(inner) {
		ends = append(ends, timeRange(from, inner))
	}
	if outer.Before(to) {
		ends = append(ends, timeRange(outer, to))
	}
	if len(ends) > 0 {
		parts = append(parts, rollupPart{r.secondTable(), anyOf(ends...).cond})
	}
	return parts
}

// anyOf is the window of the records in any of ws.
func anyOf(ws ...window) window {
	var span time.Duration
	for _, w := range ws {
		span += w.span
	}
	return window{span: span, cond: func(q *query, column string) *query {
		q.sql("(")
		for i, w := range ws {
			if i > 0 {
				q.sql(" OR ")
			}
			q.sql("(")
			w.sql(q, column).sql(")")
		}
		return q.sql(")")
	}}
}

// bucketParts splits the whole buckets [from, to) of a read grouped by
// `by` in loc: the UTC days inside it that lie in one period each come from
// the day table, the other buckets from the bucket table.
func bucketParts(r rollup, from, to time.Time, by By, loc *time.Location) []rollupPart {
	dIn, dOut := dayCeil(from), dayFloor(to)
	if !dIn.Before(dOut) {
		return []rollupPart{{r.bucketTable(), timeRange(from, to).cond}}
	}
	whole := func(q *query, day string) *query {
		if by == ByTotal {
			return q.sql("1")
		}
		periodExpr(q, by, day, loc).sql(" = ")
		return periodExpr(q, by, "("+day+" + 86399)", loc)
	}
	days := func(q *query, column string) *query {
		timeRange(dIn, dOut).sql(q, column).sql(" AND ")
		return whole(q, column)
	}
	buckets := func(q *query, column string) *query {
		timeRange(from, to).sql(q, column).sql(" AND NOT (")
		timeRange(dIn, dOut).sql(q, column).sql(" AND ")
		return whole(q, "toStartOfDay("+column+")").sql(")")
	}
	return []rollupPart{{r.dayTable(), days}, {r.bucketTable(), buckets}}
}

// periodSums appends the query of a part's sums per group and period.
func periodSums(r rollup, p rollupPart, institution string, by By, loc *time.Location) *query {
	q := &query{}
	q.sql("SELECT ", r.keys, ", ")
	periodExpr(q, by, "bucket", loc).sql(" AS period, ", r.sums, "\nFROM ", p.table, " FINAL\nWHERE institution = ").bind(institution).sql(" AND ")
	p.where(q, "bucket")
	return q.sql("\nGROUP BY ", r.keys, ", period", r.groupBy, "\nHAVING ", r.nonEmpty)
}

// windowParts splits the whole buckets of trailing windows [starts[i], end)
// (bucket-aligned) as rollupParts does: each window's whole UTC days
// [days[i], dayEnd) from the day table, the rest from the bucket table.
func windowParts(starts []time.Time, end time.Time) (days []time.Time, dayEnd time.Time) {
	dayEnd = dayFloor(end)
	for _, s := range starts {
		d := dayCeil(s)
		if d.After(dayEnd) {
			d = dayEnd
		}
		days = append(days, d)
	}
	return days, dayEnd
}

// windowSums appends the query of the sums per institution, window (w,
// numbered from 1) and group of the institutions' rows of table: those in
// [from[i], to) count in window i, except, when skip is set, those in
// [skip[i], skipEnd).
func windowSums(r rollup, table string, institutions []string, from []time.Time, to time.Time, skip []time.Time, skipEnd time.Time) *query {
	first := from[0]
	for _, f := range from {
		first = earliest(first, f)
	}
	q := &query{}
	q.sql("SELECT institution, w, ", r.keys, ", ", r.sums, "\nFROM (\n    SELECT *, arrayJoin(arrayFilter(i -> bucket >= ")
	windowStarts(q, from).sql("[i]")
	if skip != nil {
		q.sql(" AND NOT (bucket >= ")
		windowStarts(q, skip).sql("[i] AND bucket < ").time(skipEnd).sql(")")
	}
	q.sql(", arrayEnumerate(")
	windowStarts(q, from).sql("))) AS w\n    FROM ", table, " FINAL\n    WHERE institution IN (").list(institutions).sql(") AND ")
	timeRange(first, to).sql(q, "bucket")
	if skip != nil { // read only the rows outside [skip[i], skipEnd) for some i
		q.sql(" AND (bucket >= ").time(skipEnd)
		for i := range from {
			if from[i].Before(skip[i]) {
				q.sql(" OR (")
				timeRange(from[i], skip[i]).sql(q, "bucket").sql(")")
			}
		}
		q.sql(")")
	}
	return q.sql("\n)\nGROUP BY institution, w, ", r.keys, r.groupBy, "\nHAVING ", r.nonEmpty)
}

// windowQueries returns the queries that read the whole buckets [starts[i],
// end) of every window from both levels of r.
func windowQueries(r rollup, institutions []string, starts []time.Time, end time.Time) []*query {
	days, dayEnd := windowParts(starts, end)
	qs := []*query{windowSums(r, r.bucketTable(), institutions, starts, end, days, dayEnd)}
	first := dayEnd
	for _, d := range days {
		first = earliest(first, d)
	}
	if first.Before(dayEnd) {
		qs = append(qs, windowSums(r, r.dayTable(), institutions, days, dayEnd, nil, time.Time{}))
	}
	return qs
}
