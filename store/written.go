package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
)

// WrittenQuery selects the written cases of one institution that arrived in
// a window, for deadline_met_rate and correction_rate. A case is a contact
// of a written channel (e-mail, web form, post), due DeadlineDays working
// days after arrival and answered at answered_at, or a complex inquiry
// (complex = 1) of a real-time channel, due ComplexDeadlineDays working days
// after arrival and answered at resolved_at.
//
// Complex cases of written channels (complex = 1, e.g. VMI's complexity =
// complex) are left out of deadline_met_rate: DeadlineDays is the deadline
// of simple written answers (the targets read "simple written answers
// within 5 working days"), and no deadline is defined for complex ones.
// They still count as written answers for correction_rate.
//
// Counts are as of AsOf: an answer given at or after AsOf is unknown to
// the query, so such a case counts as open at AsOf, and the same AsOf
// gives the same counts however much later the query runs (as long as no
// record is re-versioned).
type WrittenQuery struct {
	Institution string
	Location    *time.Location                        // institution's zone: local days of arrival, answers and deadlines (UTC when nil)
	Calendar    string                                // calendar_days.calendar, e.g. "LT"; loaded by LoadCalendar
	From, To    time.Time                             // half-open [From, To), by arrived_at (received_at)
	By          By                                    // "" means total
	AsOf        time.Time                             // counts as of this moment: later answers are ignored, and an open case is due (and missed) once AsOf reaches its deadline; zero means now
	Params      func(unit, channel string) kpi.Params // DeadlineDays, ComplexDeadlineDays per group (kpi.DefaultParams when nil)
	Raw         bool                                  // read the contacts table itself, not written_cases (tests, benchmarks)
}

// WrittenRow is the written-case counts of one unit, channel and period.
type WrittenRow struct {
	Institution, Unit, Channel string
	PeriodStart                time.Time // start of the local day/month (By day|month), or From (total)
	Counts                     kpi.WrittenCounts
}

// channels returns the channels for which keep is true.
func channels(keep func(string) bool) []string {
	var cs []string
	for _, c := range records.Channels {
		if keep(c) {
			cs = append(cs, c)
		}
	}
	return cs
}

// WrittenCounts computes the kpi.WrittenCounts of every unit, channel and
// period of q in ClickHouse, on the newest non-deleted version of each case
// (shared/kpis.md, "deadline_met_rate" and "Deadlines in working days").
//
// The due day of a case is the N-th working day after the local date of its
// arrival: the working day whose seq in calendar_days is the arrival date's
// seq plus N (N < 1 makes the arrival date itself the due day). Its deadline
// is the local midnight that ends the due day, so a case met its deadline
// when the local date of its answer is at most the due day. A case is
// answered when its answer time is before AsOf (truncated to the second,
// as stored times are); otherwise it is open at AsOf. Due counts the
// answered cases and the open cases whose deadline AsOf has reached (the
// local date of AsOf is after the due day); open cases not yet due are left
// out, and so are complex cases of written channels (see WrittenQuery).
// Answered and Corrected, for correction_rate, count only cases of written
// channels answered before AsOf whose corrected flag is known, so a source
// that never reports corrections yields no correction_rate.
//
// A window of whole local days is read from the written rollup when it was
// built in q.Location (see migration 0008), any other from the newest
// versions of the cases; both give the same counts.
//
// It fails, naming the date, when the current load of the calendar does not
// cover a case's arrival date or due day. Rows come sorted by period, unit
// and channel.
func (s *Store) WrittenCounts(ctx context.Context, q WrittenQuery) ([]WrittenRow, error) {
	out, err := s.writtenCountsOf(ctx, []WrittenQuery{q})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// WrittenCountsAll is WrittenCounts of several queries, of different
// institutions: out[i] are the rows of qs[i]. The queries that share a
// window, grouping, time zone, calendar and as-of time are read in one
// query.
func (s *Store) WrittenCountsAll(ctx context.Context, qs []WrittenQuery) ([][]WrittenRow, error) {
	type kind struct {
		from, to, asOf int64
		by             By
		zone, calendar string
		raw            bool
	}
	kinds := map[kind][]int{} // the queries of each kind, by index
	var order []kind
	seen := map[string]bool{}
	for i, q := range qs {
		if err := checkWindow("written counts", q.Institution, q.From, q.To); err != nil {
			return nil, err
		}
		if seen[q.Institution] {
			return nil, fmt.Errorf("written counts: query %d repeats institution %q", i, q.Institution)
		}
		seen[q.Institution] = true
		k := kind{q.From.UnixNano(), q.To.UnixNano(), q.AsOf.UnixNano(), q.By, q.Location.String(), q.Calendar, q.Raw}
		if _, ok := kinds[k]; !ok {
			order = append(order, k)
		}
		kinds[k] = append(kinds[k], i)
	}
	out := make([][]WrittenRow, len(qs))
	for _, k := range order {
		same := make([]WrittenQuery, len(kinds[k]))
		for n, i := range kinds[k] {
			same[n] = qs[i]
		}
		rows, err := s.writtenCountsOf(ctx, same)
		if err != nil {
			return nil, err
		}
		for n, i := range kinds[k] {
			out[i] = rows[n]
		}
	}
	return out, nil
}

// writtenCountsOf is WrittenCounts of queries that differ only in their
// institution (and parameters), read in one query.
func (s *Store) writtenCountsOf(ctx context.Context, qs []WrittenQuery) ([][]WrittenRow, error) {
	q := qs[0]
	loc, asOf, err := checkWrittenQuery(q, q.From)
	if err != nil {
		return nil, err
	}
	by, err := checkGrouping(q.By)
	if err != nil {
		return nil, fmt.Errorf("written counts of %s: %w", q.Institution, err)
	}
	rows, err := s.writtenCountsFromRollup(ctx, qs, loc, asOf, by)
	if err != nil {
		return nil, err
	}
	out := make([][]WrittenRow, len(qs))
	position := map[string]int{}
	for n, q := range qs {
		position[q.Institution] = n
	}
	for _, r := range rows {
		r.PeriodStart = periodStart(by, r.PeriodStart, q.From, loc)
		n := position[r.Institution]
		out[n] = append(out[n], r)
	}
	return out, nil
}

// writtenCountsFromRollup runs WrittenCounts's query of qs, which differ
// only in their institution, over the written rollup where it serves them
// all (local days, see writtenRollupServes), and over the newest versions
// of the cases otherwise.
func (s *Store) writtenCountsFromRollup(ctx context.Context, qs []WrittenQuery, loc *time.Location, asOf time.Time, by By) ([]WrittenRow, error) {
	q := qs[0] // the window of all
	period := func(query *query) *query { return datePeriodExpr(query, by, "arrival_day") }
	w := timeRange(q.From, q.To)
	if !q.Raw {
		institutions := make([]string, len(qs))
		for i, q := range qs {
			institutions[i] = q.Institution
		}
		ok, err := s.writtenRollupServes(ctx, institutions, loc, q.From, q.To)
		if err != nil {
			return nil, err
		}
		if ok {
			rows, err := s.writtenCounts(ctx, qs, loc, asOf, s.rolledCases(loc, q.From.In(loc), q.To.In(loc)), period)
			if !errors.Is(err, errUnknownGroup) {
				return rows, err
			}
		}
	}
	return s.writtenCounts(ctx, qs, loc, asOf, s.rawCases(writtenTable(q), w), period)
}

// writtenTable is the table a raw written-case query reads: written_cases
// holds every version of the contacts these KPIs read, and only those (see
// migration 0004); a query that asks for the raw versions reads contacts.
func writtenTable(q WrittenQuery) string {
	if q.Raw {
		return "contacts"
	}
	return "written_cases"
}

// WrittenCountsWindows returns, for every start in froms, the WrittenCounts
// of [start, q.To) in total (q.From and q.By are ignored), read in one
// query over the longest window: the exporter's trailing windows.
func (s *Store) WrittenCountsWindows(ctx context.Context, q WrittenQuery, froms []time.Time) ([][]WrittenRow, error) {
	out, err := s.WrittenCountsWindowsAll(ctx, []WrittenQuery{q}, froms)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// WrittenCountsWindowsAll is WrittenCountsWindows of several queries, of
// different institutions and ending at the same time: out[i] are the
// windows of qs[i]. The queries that share a time zone, calendar, as-of
// time and table are read in one query.
func (s *Store) WrittenCountsWindowsAll(ctx context.Context, qs []WrittenQuery, froms []time.Time) ([][][]WrittenRow, error) {
	if _, err := windowInstitutions(qs, func(q WrittenQuery) (string, time.Time, bool) { return q.Institution, q.To, false }); err != nil {
		return nil, fmt.Errorf("written counts: %w", err)
	}
	out := make([][][]WrittenRow, len(qs))
	for i := range qs {
		out[i] = make([][]WrittenRow, len(froms))
	}
	if len(froms) == 0 {
		return out, nil
	}
	type kind struct {
		zone, calendar string
		asOf           int64
		raw            bool
	}
	kinds := map[kind][]int{} // the queries of each kind, by index
	var order []kind
	for i, q := range qs {
		k := kind{q.Location.String(), q.Calendar, q.AsOf.UnixNano(), q.Raw} // a nil location is "UTC"
		if _, ok := kinds[k]; !ok {
			order = append(order, k)
		}
		kinds[k] = append(kinds[k], i)
	}
	for _, k := range order {
		var same []WrittenQuery
		for _, i := range kinds[k] {
			same = append(same, qs[i])
		}
		windows, err := s.writtenWindows(ctx, same, froms)
		if err != nil {
			return nil, err
		}
		for n, i := range kinds[k] {
			out[i] = windows[n]
		}
	}
	return out, nil
}

// writtenWindows reads the windows of queries that share a time zone,
// calendar, as-of time and table in one query.
func (s *Store) writtenWindows(ctx context.Context, qs []WrittenQuery, froms []time.Time) ([][][]WrittenRow, error) {
	first := froms[0]
	for _, f := range froms {
		first = earliest(first, f)
	}
	loc, asOf, err := checkWrittenQuery(qs[0], first)
	if err != nil {
		return nil, err
	}
	// A case counts in every window that began before it arrived: with
	// the starts sorted from the earliest, the first m of them, where m
	// counts the starts at or before its arrival. The period is the number
	// of such a window as a date (1970-01-01 + n). (A lambda over
	// arrived_at would be simpler, but ClickHouse 18.16 drops a column
	// that only a lambda reads from a subquery under a JOIN.)
	sorted := append([]time.Time(nil), froms...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Before(sorted[j]) })
	rows, err := s.writtenCounts(ctx, qs, loc, asOf, s.rawCases(writtenTable(qs[0]), timeRange(first, qs[0].To)), func(query *query) *query {
		query.sql("toDate('1970-01-01') + 1 + arrayJoin(range(toUInt64(0")
		for _, f := range sorted {
			query.sql(" + (arrived_at >= ").time(f).sql(")")
		}
		return query.sql(")))")
	})
	if err != nil {
		return nil, err
	}
	index := map[int64]int{} // a start's number in sorted order → its index in froms
	for i := len(froms) - 1; i >= 0; i-- {
		for n, f := range sorted {
			if f.Equal(froms[i]) {
				index[int64(n)] = i
			}
		}
	}
	position := map[string]int{}
	out := make([][][]WrittenRow, len(qs))
	for n, q := range qs {
		position[q.Institution] = n
		out[n] = make([][]WrittenRow, len(froms))
	}
	for _, r := range rows {
		i, ok := index[r.PeriodStart.Unix()/86400-1]
		if !ok {
			return nil, fmt.Errorf("written counts of %s: window %s out of range", r.Institution, r.PeriodStart.Format(time.DateOnly))
		}
		r.PeriodStart = froms[i]
		n := position[r.Institution]
		out[n][i] = append(out[n][i], r)
	}
	for n := range out {
		for i := range froms { // windows with the same start share the rows of the first
			for j := range i {
				if froms[j].Equal(froms[i]) {
					out[n][i] = out[n][j]
					break
				}
			}
		}
	}
	return out, nil
}

// checkWrittenQuery checks a written-case query of [from, q.To) and
// returns its location and as-of time (now when zero).
func checkWrittenQuery(q WrittenQuery, from time.Time) (*time.Location, time.Time, error) {
	if err := checkWindow("written counts", q.Institution, from, q.To); err != nil {
		return nil, time.Time{}, err
	}
	if q.Calendar == "" {
		return nil, time.Time{}, fmt.Errorf("written counts of %s: calendar must not be empty (e.g. LT)", q.Institution)
	}
	loc, err := namedLocation(q.Location)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("written counts of %s: %w", q.Institution, err)
	}
	if q.AsOf.IsZero() {
		return loc, time.Now(), nil
	}
	return loc, q.AsOf, nil
}

// writtenCounts runs the written-case query of qs, which share their time
// zone (loc), calendar and table, over the cases src gives, grouped per
// institution, unit, channel and period (periodExpr of arrival_day, the
// local date of arrival, or of a column src adds); a row's PeriodStart is
// the period's date as UTC midnight.
func (s *Store) writtenCounts(ctx context.Context, qs []WrittenQuery, loc *time.Location,
	asOf time.Time, src caseSource, periodExpr func(*query) *query) ([]WrittenRow, error) {
	q := qs[0] // the calendar of all
	institutions := make([]string, len(qs))
	params := map[string]func(unit, channel string) kpi.Params{}
	for i, q := range qs {
		institutions[i] = q.Institution
		params[q.Institution] = paramsOrDefault(q.Params)
	}
	name := strings.Join(institutions, ", ")
	groups, err := src.groups(ctx, institutions)
	if err != nil {
		return nil, fmt.Errorf("written counts of %s: %w", name, err)
	}
	if len(groups) == 0 {
		return nil, nil
	}
	deadlineDays := func(g group) float64 {
		p := params[g.institution](g.unit, g.channel)
		if records.IsWritten(g.channel) {
			return float64(p.DeadlineDays)
		}
		return float64(p.ComplexDeadlineDays)
	}
	e := caseExprs{
		institutions: institutions,
		group:        func(q *query) *query { return groupNumber(q, groups) },
		deadline:     func(q *query) *query { return paramExpr(q, groups, deadlineDays) },
		asOf:         asOf,
		loc:          loc,
	}

	// 18.16 allows one JOIN per SELECT, hence the nesting: the first join
	// finds the seq of the arrival date, the second the working day whose
	// seq is N greater. judged is false for complex written cases, which
	// have no deadline and need no calendar. A row of src stands for c
	// cases; its unit and channel travel as the number g of their group
	// (from 1 in the order of groups).
	query := &query{}
	query.sql(`SELECT g, period,
    sumIf(c, judged AND NOT arrival_known) AS arrival_missing,
    minIf(arrival_day, judged AND NOT arrival_known) AS first_arrival_missing,
    sumIf(c, judged AND arrival_known AND n >= 1 AND NOT due_known) AS due_missing,
    minIf(arrival_day, judged AND arrival_known AND n >= 1 AND NOT due_known) AS first_due_missing,
    sumIf(c, judged AND covered AND (answered OR asof_day > due_day)) AS due,
    sumIf(c, judged AND covered AND answered AND answer_day <= due_day) AS met,
    sumIf(c, is_written AND answered AND corrected_flag >= 0) AS answered_known,
    sumIf(c, is_written AND answered AND corrected_flag = 1) AS corrected_answers
FROM (
    SELECT g, period, arrival_day, n, is_written, judged, answered, answer_day, corrected_flag, c, asof_day,
        arrival_known, due_known,
        if(n < 1, arrival_day, due_working_day) AS due_day,
        arrival_known = 1 AND (n < 1 OR due_known = 1) AS covered
    FROM (
        SELECT g, period, arrival_day, n, is_written, judged, answered, answer_day, corrected_flag, c, asof_day,
            arrival_known, toUInt32(arrival_seq + n) AS due_seq
        FROM (
            SELECT g, arrival_day, `)
	periodExpr(query).sql(` AS period, n, is_written, judged, answered, answer_day, corrected_flag, c, `).date(asOf.In(loc)).sql(` AS asof_day
            FROM (`)
	src.rows(query, e).sql(`
            )
        ) ANY LEFT JOIN (
            SELECT day AS arrival_day, seq AS arrival_seq, toUInt8(1) AS arrival_known FROM (`)
	currentCalendar(query, q.Calendar).sql(`)
        ) USING arrival_day
    ) ANY LEFT JOIN (
        SELECT seq AS due_seq, day AS due_working_day, toUInt8(1) AS due_known FROM (`)
	currentCalendar(query, q.Calendar).sql(`) WHERE working = 1
    ) USING due_seq
)
GROUP BY g, period
ORDER BY period, g`)

	rows, err := s.conn.Query(ctx, query.String(), query.args...)
	if err != nil {
		return nil, fmt.Errorf("written counts of %s: %w", name, err)
	}
	defer rows.Close()
	var out []WrittenRow
	var missing error
	for rows.Next() {
		var (
			r                                  WrittenRow
			g                                  uint32
			period, firstArrival, firstDue     time.Time
			arrivalMissing, dueMissing         uint64
			due, met, answeredKnown, corrected uint64
		)
		if err := rows.Scan(&g, &period, &arrivalMissing, &firstArrival, &dueMissing, &firstDue,
			&due, &met, &answeredKnown, &corrected); err != nil {
			return nil, fmt.Errorf("written counts of %s: %w", name, err)
		}
		if g < 1 || int(g) > len(groups) {
			return nil, fmt.Errorf("written counts of %s: %w %d of %d", name, errUnknownGroup, g, len(groups))
		}
		r.Institution, r.Unit, r.Channel = groups[g-1].institution, groups[g-1].unit, groups[g-1].channel
		switch {
		case missing != nil:
		case arrivalMissing > 0:
			missing = fmt.Errorf("written counts of %s: calendar %s not loaded for %s (arrival of %d %s/%s cases): run ccbench register load",
				r.Institution, q.Calendar, firstArrival.Format(time.DateOnly), arrivalMissing, r.Unit, r.Channel)
		case dueMissing > 0:
			missing = fmt.Errorf("written counts of %s: calendar %s not loaded far enough for the due day of a %s/%s case received %s: run ccbench register load",
				r.Institution, q.Calendar, r.Unit, r.Channel, firstDue.Format(time.DateOnly))
		}
		r.Counts = kpi.WrittenCounts{
			Due:         float64(due),
			MetDeadline: float64(met),
			Answered:    float64(answeredKnown),
			Corrected:   float64(corrected),
		}
		r.PeriodStart = period
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("written counts of %s: %w", name, err)
	}
	if missing != nil {
		return nil, missing
	}
	return out, nil
}

// isWrittenCase reports whether a contact version is one the written-case
// KPIs read: a written channel, or a complex inquiry.
func isWrittenCase(c records.Contact) bool {
	return records.IsWritten(c.Channel) || c.Complex
}

const writtenCaseColumns = "institution, source, id, version, unit, channel, arrived_at, answered_at, complex, resolved_at, corrected, deleted, ingested_at"

// insertWrittenCases copies the written-case versions of a batch into
// written_cases, and for a record that was a written case and whose new
// version is not, writes that version as withdrawn from written_cases.
func (s *Store) insertWrittenCases(ctx context.Context, cs []records.Contact, members map[recordKey]bool) error {
	// Sized up front rather than grown, each being a copy: the written
	// cases, and the members withdrawn, of which there are mostly no more
	// than members holds (counted without a second lookup per record).
	n := len(members)
	for _, c := range cs {
		if isWrittenCase(c) {
			n++
		}
	}
	keep := make([]records.Contact, 0, n)
	for _, c := range cs {
		if isWrittenCase(c) {
			members[recordKey{c.Institution, c.Source, c.ID}] = true
			keep = append(keep, c)
		} else if members[recordKey{c.Institution, c.Source, c.ID}] {
			c.Deleted = true
			keep = append(keep, c)
		}
	}
	return s.insertBatch(ctx, "written_cases", writtenCaseColumns, len(keep), func(b driver.Batch) error {
		return appendContactBlocks(b, keep, (*contactCols).writtenColumns)
	})
}
