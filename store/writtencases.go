package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/ccbench/ccbench/records"
)

// errUnknownGroup reports a case of a group that the written-case query
// did not look up: the rollup and the cases changed between its two reads.
var errUnknownGroup = errors.New("group")

// caseSource is where a written-case query (writtenCounts) takes its cases
// from: the newest versions of the cases themselves (rawCases), or the
// written rollup (rolledCases).
type caseSource struct {
	// groups returns the institutions' groups that the rows may have,
	// sorted.
	groups func(ctx context.Context, institutions []string) ([]group, error)
	// rows appends a subquery that yields the columns g, arrival_day,
	// is_written, judged, answered, answer_day, corrected_flag (-1 when
	// unknown), n and c, the number of cases a row stands for, and any
	// column the query's periodExpr reads.
	rows func(q *query, e caseExprs) *query
}

// caseExprs is what a caseSource's rows need of the query.
type caseExprs struct {
	institutions    []string
	group, deadline func(q *query) *query // a row's g and n, from its institution, unit and channel
	asOf            time.Time             // cases answered at or after it are open
	loc             *time.Location        // the zone of the local days
}

// rawCases reads the newest versions of the institutions' cases in table
// (written_cases, or contacts itself) that arrived in window w.
func (s *Store) rawCases(table string, w window) caseSource {
	return caseSource{
		groups: func(ctx context.Context, institutions []string) ([]group, error) {
			return s.contactGroups(ctx, table, institutions, w)
		},
		rows: func(q *query, e caseExprs) *query {
			pick := func(q *query) *query { return versionsOf(q, table, "arrived_at", e.institutions, w) }
			keep := func(q *query) *query { return w.sql(q, "arrived_at") }
			return newestCases(q, e, table, pick, keep)
		},
	}
}

// rolledCases reads the written rollup of the local days [from, to) in
// loc, where it was built (see writtenRollupServes). written_rollup knows
// the local day of an answer, not its time: a case answered on the local
// day of the as-of time may have been answered before or after it, so the
// cases answered that day are read from written_answers instead.
func (s *Store) rolledCases(loc *time.Location, from, to time.Time) caseSource {
	days := func(q *query) *query {
		return q.sql(" AND zone = ").bind(loc.String()).sql(" AND arrival_day >= ").date(from).sql(" AND arrival_day < ").date(to)
	}
	return caseSource{
		groups: func(ctx context.Context, institutions []string) ([]group, error) {
			q := &query{}
			q.sql("SELECT DISTINCT institution, unit, channel FROM written_rollup WHERE ")
			return s.groupsOf(ctx, days(inInstitutions(q, institutions)).sql(" AND cases > 0"))
		},
		rows: func(q *query, e caseExprs) *query {
			asOfDay := e.asOf.In(e.loc)
			q.sql(`SELECT g, arrival_day, is_written, judged, answered, answer_day, corrected_flag, n, c FROM (
                SELECT institution, unit, channel, arrival_day, is_written, NOT (is_written AND complex = 1) AS judged,
                    has_answer = 1 AND answer_day < `).date(asOfDay).sql(` AS answered,
                    answer_day, corrected AS corrected_flag, cases AS c, `)
			e.group(q).sql(" AS g, ")
			e.deadline(q).sql(` AS n
                FROM written_rollup FINAL
                WHERE `)
			days(inInstitutions(q, e.institutions)).sql(" AND cases > 0 AND NOT (has_answer = 1 AND answer_day = ").date(asOfDay).sql(`)
            )
            UNION ALL
            SELECT g, arrival_day, is_written, judged, answered, answer_day, corrected_flag, n, c FROM (
                SELECT institution, unit, channel, arrival_day, is_written, NOT (is_written AND complex = 1) AS judged,
                    answer_at < `).time(e.asOf).sql(` AS answered,
                    toDate(answer_at, `).bind(e.loc.String()).sql(`) AS answer_day, corrected AS corrected_flag, c, `)
			e.group(q).sql(" AS g, ")
			e.deadline(q).sql(` AS n
                FROM (
                    SELECT institution, unit, channel, arrival_day, is_written, complex, corrected, answer_at, argMax(cases, version) AS c
                    FROM written_answers
                    WHERE `)
			// Every row of a key has the key's answer_at: the newest row of
			// each key is picked after the day's answers are, which reads
			// a day of them instead of merging the whole window (FINAL).
			days(inInstitutions(q, e.institutions)).sql(" AND ")
			timeRange(startOfDay(asOfDay), startOfDay(asOfDay).AddDate(0, 0, 1)).sql(q, "answer_at")
			return q.sql(`
                    GROUP BY institution, unit, channel, arrival_day, is_written, complex, corrected, answer_at
                ) WHERE c > 0
            )`)
		},
	}
}

// startOfDay returns the midnight that starts t's day in t's location.
func startOfDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

// newestCases appends a subquery of the newest versions of the cases in
// table that pick selects (a WHERE clause), one row each (c = 1), with the
// columns of caseSource.rows and arrived_at, keeping
// those that are not deleted, are cases and pass keep. What the KPIs need
// of a case is worked out on every version before the newest is picked:
// ClickHouse then sorts narrow rows instead of strings and times.
func newestCases(q *query, e caseExprs, table string, pick, keep func(q *query) *query) *query {
	tz := e.loc.String()
	q.sql(`SELECT g, arrival_day, is_written, judged, answered, answer_day, corrected_flag, n, toUInt64(1) AS c, arrived_at FROM (
                SELECT institution, source, id, deleted, arrived_at, ifNull(toInt8(corrected), toInt8(-1)) AS corrected_flag,
                    `)
	e.group(q).sql(` AS g,
                    toDate(arrived_at, `).bind(tz).sql(`) AS arrival_day,
                    channel IN (`).list(channels(records.IsWritten)).sql(`) AS is_written,
                    NOT (is_written AND complex = 1) AS judged,
                    if(is_written, answered_at, resolved_at) AS answer_at,
                    ifNull(answer_at, `).time(e.asOf).sql(`) < `).time(e.asOf).sql(` AS answered,
                    toDate(ifNull(answer_at, arrived_at), `).bind(tz).sql(`) AS answer_day,
                    `)
	e.deadline(q).sql(` AS n,
                    is_written OR (complex = 1 AND channel IN (`).list(channels(records.IsRealTime)).sql(`)) AS is_case
                FROM `, table)
	pick(q).sql(`
                ORDER BY version DESC, ingested_at DESC
                LIMIT 1 BY institution, source, id
            ) WHERE deleted = 0 AND is_case AND `)
	return keep(q)
}

// writtenRollupServes reports whether the written rollup serves a query of
// the local days [from, to) of the institutions in loc: from and to are
// local midnights, and every institution's rollup was built, and is kept,
// in loc.
func (s *Store) writtenRollupServes(ctx context.Context, institutions []string, loc *time.Location, from, to time.Time) (bool, error) {
	if !startOfDay(from.In(loc)).Equal(from) || !startOfDay(to.In(loc)).Equal(to) {
		return false, nil
	}
	for _, in := range institutions {
		zone, err := s.builtWrittenZone(ctx, in)
		if err != nil || zone != loc.String() || s.zoneOf(in).String() != zone {
			return false, err
		}
	}
	return true, nil
}

// groupsOf runs a query of distinct institution, unit and channel and
// returns its groups, sorted.
func (s *Store) groupsOf(ctx context.Context, q *query) ([]group, error) {
	rows, err := s.conn.Query(ctx, q.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("contact groups: %w", err)
	}
	defer rows.Close()
	var gs []group
	for rows.Next() {
		var g group
		if err := rows.Scan(&g.institution, &g.unit, &g.channel); err != nil {
			return nil, fmt.Errorf("contact groups: %w", err)
		}
		gs = append(gs, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("contact groups: %w", err)
	}
	sort.Slice(gs, func(i, j int) bool {
		a, b := gs[i], gs[j]
		if a.institution != b.institution {
			return a.institution < b.institution
		}
		if a.unit != b.unit {
			return a.unit < b.unit
		}
		return a.channel < b.channel
	})
	return gs, nil
}
