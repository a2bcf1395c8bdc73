package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
)

// By is the period grouping of a KPI query.
type By string

// Period groupings.
const (
	ByTotal By = "total" // one period: the whole window
	ByDay   By = "day"   // local calendar days
	ByWeek  By = "week"  // local calendar weeks, Monday to Sunday (ISO 8601)
	ByMonth By = "month" // local calendar months
)

// ContactQuery selects the contacts of one institution that arrived in a
// window and says how to group them.
type ContactQuery struct {
	Institution string
	Location    *time.Location                        // institution's time zone, for day/month grouping (UTC when nil)
	From, To    time.Time                             // half-open [From, To), by arrived_at
	By          By                                    // "" means total
	Params      func(unit, channel string) kpi.Params // T, S, L per group (kpi.DefaultParams when nil)
	// Raw counts every window from the raw record versions, never from the
	// rollups: for tests and benchmarks that compare the two.
	Raw bool
}

// ContactRow is the counts of one unit, channel and period.
type ContactRow struct {
	Institution, Unit, Channel string
	PeriodStart                time.Time // start of the local day/month (By day|month), or From (total)
	Counts                     kpi.ContactCounts
}

// window is the records a query reads: a condition on a time column, and
// how long a span of time it covers at most.
type window struct {
	cond    func(q *query, column string) *query
	span    time.Duration
	buckets []time.Time // the rollup buckets it is, if it is a bucketSet
}

// sql appends the window's condition on column.
func (w window) sql(q *query, column string) *query { return w.cond(q, column) }

// wide reports whether the window covers more than a day (see
// newestVersions).
func (w window) wide() bool { return w.span > 24*time.Hour }

// timeRange is the window [from, to).
func timeRange(from, to time.Time) window {
	return window{span: to.Sub(from), cond: func(q *query, column string) *query {
		return q.sql(column, " >= ").time(from).sql(" AND ", column, " < ").time(to)
	}}
}

// bucketSet is the window of the given rollup buckets (sorted, at least
// one): a time range, which lets ClickHouse skip partitions, and the
// buckets themselves.
func bucketSet(buckets []time.Time) window {
	w := periodSet(buckets, BucketSize)
	w.buckets = buckets
	return w
}

// periodSet is the window of the given periods of size (sorted, at least
// one, each aligned to size from the Unix epoch, as UTC buckets and days
// are). A period is matched by its number, the time in seconds divided by
// size: ClickHouse 18.16 matched a set of a thousand DateTime literals
// several times slower than the whole recount of those buckets took
// otherwise (1-2 s against 0.25 s for 100,000 contacts). The numbers come
// as one array literal unfolded by a subquery, not as a list of literals:
// ClickHouse parses and analyses a list of 1,400 literals in about 15 ms,
// each time a query names it, which made up half of a recount's time
// (docs/benchmarks.md, "Bucket sets as arrays").
func periodSet(periods []time.Time, size time.Duration) window {
	all := timeRange(periods[0], periods[len(periods)-1].Add(size))
	seconds := int64(size / time.Second)
	return window{span: all.span, cond: func(q *query, column string) *query {
		all.sql(q, column)
		q.sql(" AND intDiv(toUInt32(", column, "), ").bind(seconds).sql(") IN (SELECT toUInt32(arrayJoin([")
		for i, p := range periods {
			if i > 0 {
				q.sql(", ")
			}
			q.bind(p.Unix() / seconds)
		}
		return q.sql("])))")
	}}
}

// newestContacts appends a subquery that yields the newest version of every
// contact of the institution that has any version in the window, dropping
// those whose newest version is deleted or arrived outside it.
func newestContacts(q *query, institution string, w window, columns string) *query {
	return newestVersions(q, "contacts", "arrived_at", institution, w, columns)
}

// newestVersions appends a subquery over a versioned table (contacts,
// feedback, written_cases) that yields the newest version of every record
// of the institution that has any version with timeColumn in the window,
// dropping those whose newest version is deleted or falls outside it; it
// yields source, id and columns (which must not repeat them). It is
// correct whether or not ClickHouse has merged the table's parts.
// table, timeColumn and columns are identifiers of this package.
func newestVersions(q *query, table, timeColumn, institution string, w window, columns string) *query {
	q.sql("SELECT source, id, ", columns, " FROM (\n        SELECT source, id, deleted, ", columns, " FROM ", table)
	versionsOf(q, table, timeColumn, []string{institution}, w)
	q.sql("\n        ORDER BY version DESC, ingested_at DESC\n        LIMIT 1 BY source, id\n    ) WHERE deleted = 0 AND ")
	return w.sql(q, timeColumn)
}

// versionsOf appends the WHERE clause that selects every version of the
// institutions' records in table that have a version with timeColumn in
// window w (see newestVersions).
//
// The records of a narrow window are picked by their key, (source, id) IN
// a set ((institution, source, id) for several institutions), which lets
// ClickHouse read only the index granules that hold them; those of a wide
// window by a hash of the key, which ClickHouse matches several times
// faster per row when most granules must be read anyway (a year of 65,000
// written cases: 20 ms against 130 ms). A record whose hash collides with
// one in the window is read too, and then dropped unless its own newest
// version is in the window, so both give the same result.
func versionsOf(q *query, table, timeColumn string, institutions []string, w window) *query {
	key := "source, id"
	if len(institutions) > 1 {
		key = "institution, source, id"
	}
	q.sql("\n        WHERE ")
	inInstitutions(q, institutions)
	if w.wide() {
		q.sql("\n          AND cityHash64(", key, ") IN (SELECT cityHash64(", key, ")")
	} else {
		q.sql("\n          AND (", key, ") IN (SELECT ", key)
	}
	q.sql(" FROM ", table, " WHERE ")
	inInstitutions(q, institutions).sql(" AND ")
	return w.sql(q, timeColumn).sql(")")
}

// inInstitutions appends the condition that selects the institutions' rows.
func inInstitutions(q *query, institutions []string) *query {
	if len(institutions) == 1 {
		return q.sql("institution = ").bind(institutions[0])
	}
	return q.sql("institution IN (").list(institutions).sql(")")
}

// group is a unit and channel of an institution.
type group struct{ institution, unit, channel string }

// key is the group's key, as groupKey computes it in ClickHouse: each part
// but the last after its length in bytes, so that no two groups share one.
func (g group) key() string {
	return fmt.Sprintf("%d:%s%d:%s%s", len(g.institution), g.institution, len(g.unit), g.unit, g.channel)
}

// groupKey is the SQL of group.key over a row's institution, unit and
// channel.
const groupKey = "concat(toString(length(institution)), ':', institution, toString(length(unit)), ':', unit, channel)"

// groupNumber appends an expression that gives the number of the row's
// group in groups, from 1; 0 for a group not in groups.
func groupNumber(q *query, groups []group) *query {
	return groupTransform(q, groups, func(i int, _ group) any { return uint32(i + 1) }, "toUInt32(0)")
}

// paramExpr appends an expression that picks the value of the row's group
// (0 for a group not in groups).
func paramExpr(q *query, groups []group, value func(g group) float64) *query {
	return groupTransform(q, groups, func(_ int, g group) any { return value(g) }, "toFloat64(0)")
}

// groupTransform appends a transform() that maps the row's group key to
// value(i, groups[i]), and any other to otherwise: a hash lookup per row.
func groupTransform(q *query, groups []group, value func(i int, g group) any, otherwise string) *query {
	q.sql("transform(", groupKey, ", [")
	for i, g := range groups {
		if i > 0 {
			q.sql(", ")
		}
		q.bind(g.key())
	}
	q.sql("], [")
	for i, g := range groups {
		if i > 0 {
			q.sql(", ")
		}
		q.bind(value(i, g))
	}
	return q.sql("], ", otherwise, ")")
}

// ContactCounts computes the kpi.ContactCounts of every unit, channel and
// period of q in ClickHouse, on the newest non-deleted version of each
// contact. Waits are the millisecond waits written at insert (wait_ms),
// compared with T, S and L in milliseconds, so fractions of a second in
// the source's times decide boundary cases; AnswerWaitSumS and MaxWaitS
// are in seconds with millisecond fractions. Rows come sorted by period,
// unit and channel.
//
// The window is read from the contact rollup's three levels when the
// institution's rollups are built and were counted with q's thresholds, and
// otherwise counted from the newest raw versions. Both give the same
// counts.
func (s *Store) ContactCounts(ctx context.Context, q ContactQuery) ([]ContactRow, error) {
	if err := checkWindow("contact counts", q.Institution, q.From, q.To); err != nil {
		return nil, err
	}
	loc, err := namedLocation(q.Location)
	if err != nil {
		return nil, fmt.Errorf("contact counts of %s: %w", q.Institution, err)
	}
	by, err := checkGrouping(q.By)
	if err != nil {
		return nil, fmt.Errorf("contact counts of %s: %w", q.Institution, err)
	}
	params := paramsOrDefault(q.Params)
	var parts []countedContacts
	err = s.splitWindow(ctx, q.Institution, q.From, q.To, q.Raw,
		func() (bool, error) {
			var ok bool
			parts, ok, err = s.rollupContactCounts(ctx, q.Institution, q.From, q.To, by, loc, params)
			return ok, err
		},
		func() error {
			parts, err = s.rawContactCounts(ctx, q.Institution, timeRange(q.From, q.To), by, loc, params)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("contact counts of %s: %w", q.Institution, err)
	}
	return contactRows(q, by, loc, parts), nil
}

// countedContacts is the counts of one unit, channel and key (a period, or
// a rollup bucket). Its AnswerWaitSumS and MaxWaitS are in milliseconds, so
// that adding parts of a window stays exact; contactRows turns them into
// seconds.
type countedContacts struct {
	unit, channel string
	key           time.Time
	counts        kpi.ContactCounts
}

// contactRows sums parts per unit, channel and period into ContactRows,
// sorted by period, unit and channel, with the calendar days of each
// period.
func contactRows(q ContactQuery, by By, loc *time.Location, parts []countedContacts) []ContactRow {
	index := map[countedKey]int{}
	var out []ContactRow
	for _, p := range parts {
		start := periodStart(by, p.key, q.From, loc)
		k := countedKey{p.unit, p.channel, start.Unix()}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, ContactRow{Institution: q.Institution, Unit: p.unit, Channel: p.channel, PeriodStart: start})
		}
		out[i].Counts = out[i].Counts.Add(p.counts)
	}
	for i := range out {
		c := &out[i].Counts
		c.AnswerWaitSumS /= 1000
		c.MaxWaitS /= 1000
		c.Days = periodDays(by, out[i].PeriodStart, q.From, q.To, loc)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.PeriodStart.Equal(b.PeriodStart) {
			return a.PeriodStart.Before(b.PeriodStart)
		}
		if a.Unit != b.Unit {
			return a.Unit < b.Unit
		}
		return a.Channel < b.Channel
	})
	return out
}

type countedKey struct {
	unit, channel string
	start         int64
}

// periodDays is the number of calendar days of the period starting at
// start, within [from, to).
func periodDays(by By, start, from, to time.Time, loc *time.Location) float64 {
	switch by {
	case ByDay:
		return 1
	case ByWeek:
		return days(latest(start, from), earliest(start.AddDate(0, 0, 7), to), loc)
	case ByMonth:
		return days(latest(start, from), earliest(start.AddDate(0, 1, 0), to), loc)
	}
	return days(from, to, loc)
}

// contactCountNames are the columns of contactCountColumns, in its order,
// which is that of a contact rollup's counts.
const contactCountNames = `offered, n_answered, n_abandoned, short_abandoned, answered_within_t, abandoned_within_t,
    abandoned_not_short, long_waits, answer_wait_sum_ms, n_handled, handle_sum, n_acw, acw_sum, max_wait_ms`

// contactCountColumns is the SELECT list that counts contacts, over rows
// with answered, abandoned, known, wait (ms), t, s, l (ms), has_handle,
// has_acw, talk_s, hold_s and acw_s; see ContactCounts.
const contactCountColumns = `count() AS offered,
    countIf(answered) AS n_answered,
    countIf(abandoned) AS n_abandoned,
    countIf(abandoned AND known AND wait < s) AS short_abandoned,
    countIf(answered AND known AND wait <= t) AS answered_within_t,
    countIf(abandoned AND NOT (known AND wait < s) AND known AND wait <= t) AS abandoned_within_t,
    countIf(abandoned AND NOT (known AND wait < s)) AS abandoned_not_short,
    countIf(known AND wait > l) AS long_waits,
    sumIf(wait, answered AND known) AS answer_wait_sum_ms,
    countIf(answered AND has_handle) AS n_handled,
    sumIf(toInt64(talk_s) + toInt64(hold_s) + toInt64(acw_s), answered AND has_handle) AS handle_sum,
    countIf(answered AND has_acw) AS n_acw,
    sumIf(toInt64(acw_s), answered AND has_acw) AS acw_sum,
    maxIf(wait, known) AS max_wait_ms`

// rawContactCounts counts the newest versions of the institution's
// contacts in window w, per unit, channel and period (by, in loc).
func (s *Store) rawContactCounts(ctx context.Context, institution string, w window, by By, loc *time.Location, params func(unit, channel string) kpi.Params) ([]countedContacts, error) {
	return s.countContacts(ctx, institution, w, params, func(q *query) *query { return periodExpr(q, by, "arrived_at", loc) })
}

// countContacts counts the newest versions of the institution's contacts
// in window w per unit, channel and key (keyExpr of arrived_at).
func (s *Store) countContacts(ctx context.Context, institution string, w window, params func(unit, channel string) kpi.Params, keyExpr func(q *query) *query) ([]countedContacts, error) {
	query, err := s.contactCountsQuery(ctx, institution, w, params, keyExpr, newestContacts, nil)
	if err != nil || query == nil {
		return nil, err
	}
	rows, err := s.conn.Query(ctx, query.String(), query.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []countedContacts
	for rows.Next() {
		var (
			r                                               countedContacts
			tMS, sMS, lMS                                   int64
			offered, answered, abandoned, short, aT, bT, nS uint64
			long, handled, acwCounted                       uint64
			waitSum, handleSum, acwSum, maxWait             int64
		)
		if err := rows.Scan(&r.unit, &r.channel, &r.key, &tMS, &sMS, &lMS, &offered, &answered, &abandoned, &short, &aT, &bT, &nS, &long,
			&waitSum, &handled, &handleSum, &acwCounted, &acwSum, &maxWait); err != nil {
			return nil, err
		}
		r.counts = kpi.ContactCounts{
			Offered:           float64(offered),
			Answered:          float64(answered),
			Abandoned:         float64(abandoned),
			ShortAbandoned:    float64(short),
			AnsweredWithinT:   float64(aT),
			AbandonedWithinT:  float64(bT),
			AbandonedNotShort: float64(nS),
			LongWaits:         float64(long),
			AnswerWaitSumS:    float64(waitSum), // ms until contactRows: sums of parts stay exact
			Handled:           float64(handled),
			HandleSumS:        float64(handleSum),
			AcwCounted:        float64(acwCounted),
			AcwSumS:           float64(acwSum),
			MaxWaitS:          float64(maxWait), // ms until contactRows
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// contactsIn appends a subquery that yields the contacts of the
// institution that a count of window w reads (source, id and columns, one
// row per contact): newestContacts, or a pass's ownVersions for the
// buckets it wrote every row of.
type contactsIn func(q *query, institution string, w window, columns string) *query

// contactCountsQuery returns the query that counts the institution's
// contacts in window w (those rows yields) per unit, channel and key
// (keyExpr of arrived_at), with each group's thresholds: the columns unit,
// channel, key, t_ms, s_ms, l_ms and then contactCountColumns. It is nil
// when the window has no contacts. known, when not nil, holds every group
// the rows may have (more do no harm); else they are looked up.
func (s *Store) contactCountsQuery(ctx context.Context, institution string, w window, params func(unit, channel string) kpi.Params,
	keyExpr func(q *query) *query, rows contactsIn, known []group) (*query, error) {
	groups := known
	if groups == nil {
		var err error
		if groups, err = s.contactGroups(ctx, "contacts", []string{institution}, w); err != nil {
			return nil, err
		}
	}
	if len(groups) == 0 {
		return nil, nil
	}
	ps := make(map[group]kpi.Params, len(groups))
	for _, g := range groups {
		ps[g] = params(g.unit, g.channel)
	}
	// T, S and L in milliseconds, compared with wait_ms: the stored times
	// are whole seconds, so waits from them would move boundary cases.
	ms := func(d time.Duration) float64 { return float64(d.Milliseconds()) }

	// wait_ms (written at insert from the full-precision times) is known for
	// answered contacts with answered_at and abandoned contacts with
	// ended_at; open cases have none. Handling times count only for
	// contacts whose source carries them (measures; absent is not zero):
	// handling time needs talk_s, after-contact work needs acw_s.
	const cols = "institution, unit, channel, outcome, wait_ms, talk_s, hold_s, acw_s, measures, arrived_at"
	query := &query{}
	query.sql("SELECT unit, channel, key, toInt64(any(t)) AS t_ms, toInt64(any(s)) AS s_ms, toInt64(any(l)) AS l_ms,\n    ", contactCountColumns, `
FROM (
    SELECT unit, channel, `)
	keyExpr(query).sql(` AS key,
        outcome = 'answered' AS answered,
        outcome = 'abandoned' AS abandoned,
        (answered OR abandoned) AND isNotNull(wait_ms) AS known,
        toInt64(ifNull(wait_ms, 0)) AS wait,
        `)
	carries(query, records.HandlingMeasures).sql(` AS has_handle,
        `)
	carries(query, records.MeasureACW).sql(` AS has_acw,
        talk_s, hold_s, acw_s,
        `)
	paramExpr(query, groups, func(g group) float64 { return ms(ps[g].Threshold) }).sql(` AS t,
        `)
	paramExpr(query, groups, func(g group) float64 { return ms(ps[g].ShortAbandon) }).sql(` AS s,
        `)
	paramExpr(query, groups, func(g group) float64 { return ms(ps[g].LongWait) }).sql(` AS l
    FROM (`)
	rows(query, institution, w, cols).sql(`)
)
GROUP BY unit, channel, key`)
	return query, nil
}

// contactGroups returns the distinct (institution, unit, channel) of the
// institutions' versions in table (contacts or written_cases) that arrived
// in window w, sorted.
func (s *Store) contactGroups(ctx context.Context, table string, institutions []string, w window) ([]group, error) {
	q := &query{}
	q.sql("SELECT DISTINCT institution, unit, channel FROM ", table, " WHERE ")
	inInstitutions(q, institutions).sql(" AND ")
	w.sql(q, "arrived_at")
	return s.groupsOf(ctx, q)
}

// ContactTotals is ContactCounts over every contact that arrived before
// upTo, one row per unit and channel, for cumulative counters. PeriodStart
// is the Unix epoch and Days is 0: the window has no real start.
func (s *Store) ContactTotals(ctx context.Context, institution string, upTo time.Time, params func(unit, channel string) kpi.Params) ([]ContactRow, error) {
	var all func(_, unit, channel string) kpi.Params
	if params != nil {
		all = func(_, unit, channel string) kpi.Params { return params(unit, channel) }
	}
	out, err := s.ContactTotalsAll(ctx, []string{institution}, upTo, all)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// ContactTotalsAll is ContactTotals of several institutions, read together
// (see ContactCountsWindowsAll): out[i] are the totals of institutions[i].
// A nil params gives every group the default parameters of its channel.
func (s *Store) ContactTotalsAll(ctx context.Context, institutions []string, upTo time.Time,
	params func(institution, unit, channel string) kpi.Params) ([][]ContactRow, error) {
	qs := make([]ContactQuery, len(institutions))
	for i, in := range institutions {
		qs[i] = ContactQuery{Institution: in, To: upTo}
		if params != nil {
			qs[i].Params = func(unit, channel string) kpi.Params { return params(in, unit, channel) }
		}
	}
	windows, err := s.ContactCountsWindowsAll(ctx, qs, []time.Time{time.Unix(0, 0).UTC()})
	if err != nil {
		return nil, err
	}
	out := make([][]ContactRow, len(institutions))
	for i := range windows {
		out[i] = windows[i][0]
		for j := range out[i] {
			out[i][j].Counts.Days = 0
		}
	}
	return out, nil
}

// days returns the calendar days from a to b as the local wall clock of loc
// counts them, so that a daylight-saving day is still one day.
func days(a, b time.Time, loc *time.Location) float64 {
	return wall(b, loc).Sub(wall(a, loc)).Hours() / 24
}

// wall returns t's wall-clock time in loc, as if it were UTC.
func wall(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	y, m, d := l.Date()
	return time.Date(y, m, d, l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// carries writes a condition true for a contact whose source carries every
// measure of m (records.Measures; absent is not zero).
func carries(q *query, m records.Measures) *query {
	return q.sql("bitAnd(measures, ").bind(uint8(m)).sql(") = ").bind(uint8(m))
}
