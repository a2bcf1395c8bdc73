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
}

// ContactRow is the counts of one unit, channel and period.
type ContactRow struct {
	Institution, Unit, Channel string
	PeriodStart                time.Time // start of the local day/month (By day|month), or From (total)
	Counts                     kpi.ContactCounts
}

// newestContacts appends a subquery that yields the newest version of every
// contact of the institution that has any version with arrived_at in
// [from, to), dropping those whose newest version is deleted or arrived
// outside the window.
func newestContacts(q *query, institution string, from, to time.Time, columns string) *query {
	return newestVersions(q, "contacts", "arrived_at", institution, from, to, columns)
}

// newestVersions appends a subquery over a versioned table (contacts,
// feedback) that yields the newest version of every record of the
// institution that has any version with timeColumn in [from, to), dropping
// those whose newest version is deleted or falls outside the window; it
// yields source, id and columns (which must not repeat them). It is
// correct whether or not ClickHouse has merged the table's parts. table,
// timeColumn and columns are identifiers of this package.
func newestVersions(q *query, table, timeColumn, institution string, from, to time.Time, columns string) *query {
	window := func() {
		q.sql(timeColumn, " >= ").time(from).sql(" AND ", timeColumn, " < ").time(to)
	}
	q.sql("SELECT source, id, ", columns, " FROM (\n        SELECT source, id, deleted, ", columns, " FROM ", table, "\n        WHERE institution = ").bind(institution)
	q.sql("\n          AND (source, id) IN (SELECT source, id FROM ", table, " WHERE institution = ").bind(institution).sql(" AND ")
	window()
	q.sql(")\n        ORDER BY version DESC, ingested_at DESC\n        LIMIT 1 BY source, id\n    ) WHERE deleted = 0 AND ")
	window()
	return q
}

type group struct{ unit, channel string }

// paramExpr appends a multiIf that picks the value of the contact's (unit,
// channel) group.
func paramExpr(q *query, groups []group, value func(g group) float64) *query {
	q.sql("multiIf(")
	for _, g := range groups {
		q.sql("unit = ").bind(g.unit).sql(" AND channel = ").bind(g.channel).sql(", ").bind(value(g)).sql(", ")
	}
	return q.sql("0)")
}

// ContactCounts computes the kpi.ContactCounts of every unit, channel and
// period of q in ClickHouse, on the newest non-deleted version of each
// contact. Waits are the millisecond waits written at insert (wait_ms),
// compared with T, S and L in milliseconds, so fractions of a second in
// the source's times decide boundary cases; AnswerWaitSumS and MaxWaitS
// are in seconds with millisecond fractions. Rows come sorted by period,
// unit and channel.
func (s *Store) ContactCounts(ctx context.Context, q ContactQuery) ([]ContactRow, error) {
	if err := checkWindow("contact counts", q.Institution, q.From, q.To); err != nil {
		return nil, err
	}
	loc, err := namedLocation(q.Location)
	if err != nil {
		return nil, fmt.Errorf("contact counts of %s: %w", q.Institution, err)
	}
	params := paramsOrDefault(q.Params)
	by, err := checkGrouping(q.By)
	if err != nil {
		return nil, fmt.Errorf("contact counts of %s: %w", q.Institution, err)
	}

	groups, err := s.contactGroups(ctx, q.Institution, q.From, q.To)
	if err != nil {
		return nil, err
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
	// ended_at; open cases have none. Sums and the maximum are returned in
	// seconds with the milliseconds as fractions. Handling times count only
	// for contacts whose source carries them (measures; absent is not zero):
	// handling time needs talk_s, after-contact work needs acw_s.
	const cols = "unit, channel, outcome, wait_ms, talk_s, hold_s, acw_s, measures, arrived_at"
	query := &query{}
	query.sql(`SELECT unit, channel, period,
    count() AS offered,
    countIf(answered) AS n_answered,
    countIf(abandoned) AS n_abandoned,
    countIf(abandoned AND known AND wait < s) AS short_abandoned,
    countIf(answered AND known AND wait <= t) AS answered_within_t,
    countIf(abandoned AND NOT (known AND wait < s) AND known AND wait <= t) AS abandoned_within_t,
    countIf(abandoned AND NOT (known AND wait < s)) AS abandoned_not_short,
    countIf(known AND wait > l) AS long_waits,
    sumIf(wait, answered AND known) / 1000 AS answer_wait_sum_s,
    countIf(answered AND has_handle) AS n_handled,
    sumIf(toInt64(talk_s) + toInt64(hold_s) + toInt64(acw_s), answered AND has_handle) AS handle_sum,
    countIf(answered AND has_acw) AS n_acw,
    sumIf(toInt64(acw_s), answered AND has_acw) AS acw_sum,
    maxIf(wait, known) / 1000 AS max_wait_s
FROM (
    SELECT unit, channel, `)
	periodExpr(query, by, "arrived_at", loc)
	query.sql(` AS period,
        outcome = 'answered' AS answered,
        outcome = 'abandoned' AS abandoned,
        (answered OR abandoned) AND isNotNull(wait_ms) AS known,
        toInt64(ifNull(wait_ms, 0)) AS wait,
        bitAnd(measures, `).bind(uint8(records.MeasureTalk)).sql(`) != 0 AS has_handle,
        bitAnd(measures, `).bind(uint8(records.MeasureACW)).sql(`) != 0 AS has_acw,
        talk_s, hold_s, acw_s,
        `)
	paramExpr(query, groups, func(g group) float64 { return ms(ps[g].Threshold) }).sql(` AS t,
        `)
	paramExpr(query, groups, func(g group) float64 { return ms(ps[g].ShortAbandon) }).sql(` AS s,
        `)
	paramExpr(query, groups, func(g group) float64 { return ms(ps[g].LongWait) }).sql(` AS l
    FROM (`)
	newestContacts(query, q.Institution, q.From, q.To, cols).sql(`)
)
GROUP BY unit, channel, period
ORDER BY period, unit, channel`)

	rows, err := s.conn.Query(ctx, query.String(), query.args...)
	if err != nil {
		return nil, fmt.Errorf("contact counts of %s: %w", q.Institution, err)
	}
	defer rows.Close()
	var out []ContactRow
	for rows.Next() {
		var (
			r                                               ContactRow
			period                                          time.Time
			offered, answered, abandoned, short, aT, bT, nS uint64
			long                                            uint64
			waitSum, maxWait                                float64
			handled, acwCounted                             uint64
			handleSum, acwSum                               int64
		)
		if err := rows.Scan(&r.Unit, &r.Channel, &period, &offered, &answered, &abandoned, &short, &aT, &bT, &nS, &long,
			&waitSum, &handled, &handleSum, &acwCounted, &acwSum, &maxWait); err != nil {
			return nil, fmt.Errorf("contact counts of %s: %w", q.Institution, err)
		}
		r.Institution = q.Institution
		r.Counts = kpi.ContactCounts{
			Offered:           float64(offered),
			Answered:          float64(answered),
			Abandoned:         float64(abandoned),
			ShortAbandoned:    float64(short),
			AnsweredWithinT:   float64(aT),
			AbandonedWithinT:  float64(bT),
			AbandonedNotShort: float64(nS),
			LongWaits:         float64(long),
			AnswerWaitSumS:    waitSum,
			Handled:           float64(handled),
			HandleSumS:        float64(handleSum),
			AcwCounted:        float64(acwCounted),
			AcwSumS:           float64(acwSum),
			MaxWaitS:          maxWait,
		}
		switch by {
		case ByTotal:
			r.PeriodStart = q.From
			r.Counts.Days = days(q.From, q.To, loc)
		case ByDay:
			y, m, d := period.Date()
			r.PeriodStart = time.Date(y, m, d, 0, 0, 0, 0, loc)
			r.Counts.Days = 1
		case ByMonth:
			y, m, _ := period.Date()
			r.PeriodStart = time.Date(y, m, 1, 0, 0, 0, 0, loc)
			end := r.PeriodStart.AddDate(0, 1, 0)
			r.Counts.Days = days(latest(r.PeriodStart, q.From), earliest(end, q.To), loc)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("contact counts of %s: %w", q.Institution, err)
	}
	return out, nil
}

// contactGroups returns the distinct (unit, channel) of the institution's
// contact versions that arrived in [from, to).
func (s *Store) contactGroups(ctx context.Context, institution string, from, to time.Time) ([]group, error) {
	q := &query{}
	q.sql("SELECT DISTINCT unit, channel FROM contacts WHERE institution = ").bind(institution).
		sql(" AND arrived_at >= ").time(from).sql(" AND arrived_at < ").time(to)
	rows, err := s.conn.Query(ctx, q.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("contact groups of %s: %w", institution, err)
	}
	defer rows.Close()
	var gs []group
	for rows.Next() {
		var g group
		if err := rows.Scan(&g.unit, &g.channel); err != nil {
			return nil, fmt.Errorf("contact groups of %s: %w", institution, err)
		}
		gs = append(gs, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("contact groups of %s: %w", institution, err)
	}
	sort.Slice(gs, func(i, j int) bool {
		if gs[i].unit != gs[j].unit {
			return gs[i].unit < gs[j].unit
		}
		return gs[i].channel < gs[j].channel
	})
	return gs, nil
}

// ContactTotals is ContactCounts over every contact that arrived before
// upTo, one row per unit and channel, for cumulative counters. PeriodStart
// is the Unix epoch and Days is 0: the window has no real start.
func (s *Store) ContactTotals(ctx context.Context, institution string, upTo time.Time, params func(unit, channel string) kpi.Params) ([]ContactRow, error) {
	rows, err := s.ContactCounts(ctx, ContactQuery{
		Institution: institution,
		From:        time.Unix(0, 0).UTC(),
		To:          upTo,
		By:          ByTotal,
		Params:      params,
	})
	if err != nil {
		return nil, err
	}
	for i := range rows {
		rows[i].Counts.Days = 0
	}
	return rows, nil
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
