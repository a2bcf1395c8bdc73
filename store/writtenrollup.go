package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ccbench/ccbench/records"
)

// ZonesFunc gives the time zone of an institution.
type ZonesFunc func(institution string) *time.Location

// SetZones sets the time zones whose local days the written rollup counts
// an institution's cases in (the configuration's, config.Institution's
// Location); until it is called, UTC. Call it before the store is used.
func (s *Store) SetZones(z ZonesFunc) { s.zones = z }

// zoneOf returns the time zone of the institution's written rollup.
func (s *Store) zoneOf(institution string) *time.Location {
	if s.zones == nil {
		return time.UTC
	}
	if loc := s.zones(institution); loc != nil {
		return loc
	}
	return time.UTC
}

// writtenRollupTable is a table of the written rollup: its columns, in the
// order the recounts write them, and the columns of its key after
// institution, zone and arrival_day.
type writtenRollupTable struct{ name, columns, keys string }

var (
	// writtenRollup counts the cases per local day of arrival and of answer.
	writtenRollup = writtenRollupTable{"written_rollup",
		"institution, zone, arrival_day, unit, channel, is_written, complex, has_answer, answer_day, corrected, version, cases",
		"unit, channel, is_written, complex, has_answer, answer_day, corrected"}
	// writtenAnswers counts the answered cases per local day of arrival and
	// second of answer.
	writtenAnswers = writtenRollupTable{"written_answers",
		"institution, zone, arrival_day, unit, channel, is_written, complex, corrected, answer_at, version, cases",
		"unit, channel, is_written, complex, corrected, answer_at"}
)

// maxDaysPerWrittenRecount bounds the local days one recount of the
// written rollup covers.
const maxDaysPerWrittenRecount = 31

// builtWrittenZone returns the zone the institution's written rollup was
// built in, or "" when it was not built (see rebuildWritten). A built
// rollup is remembered.
func (s *Store) builtWrittenZone(ctx context.Context, institution string) (string, error) {
	s.mu.Lock()
	zone, ok := s.writtenZone[institution]
	s.mu.Unlock()
	if ok {
		return zone, nil
	}
	var zones []string
	q := (&query{}).sql("SELECT argMax(zone, version) FROM written_rollup_builds WHERE institution = ").bind(institution).sql(" GROUP BY institution")
	rows, err := s.conn.Query(ctx, q.String(), q.args...)
	if err != nil {
		return "", fmt.Errorf("written rollup state of %s: %w", institution, err)
	}
	defer rows.Close()
	for rows.Next() {
		var z string
		if err := rows.Scan(&z); err != nil {
			return "", fmt.Errorf("written rollup state of %s: %w", institution, err)
		}
		zones = append(zones, z)
	}
	if err := rows.Err(); err != nil || len(zones) == 0 {
		return "", err
	}
	s.mu.Lock()
	s.writtenZone[institution] = zones[0]
	s.mu.Unlock()
	return zones[0], nil
}

// recountWritten recounts the written rollup of the local days (in the
// institution's zone) that hold the given contact buckets, from the newest
// versions of its written cases. When the rollup was built in another zone
// (the configuration changed), it rebuilds it in this one instead, so that
// no day is left counted in a zone that readers still trust.
func (s *Store) recountWritten(ctx context.Context, institution string, buckets []time.Time) error {
	zone := s.zoneOf(institution)
	built, err := s.builtWrittenZone(ctx, institution)
	if err != nil {
		return err
	}
	if built != "" && built != zone.String() {
		return s.rebuildWritten(ctx, institution)
	}
	for _, span := range daySpans(localDays(buckets, zone)) {
		if err := s.recountWrittenDays(ctx, institution, zone, span[0], span[1], s.nextVersion()); err != nil {
			return err
		}
	}
	return nil
}

// rebuildWritten recounts every day of the institution's written rollup in
// its zone, gives a row of zeros to every older row of that zone that the
// recount did not replace, and records that the rollup is built.
func (s *Store) rebuildWritten(ctx context.Context, institution string) error {
	zone := s.zoneOf(institution)
	first := s.nextVersion()
	buckets, err := s.allBuckets(ctx, "written_cases", "arrived_at", institution)
	if err != nil {
		return err
	}
	for _, span := range daySpans(localDays(buckets, zone)) {
		if err := s.recountWrittenDays(ctx, institution, zone, span[0], span[1], s.nextVersion()); err != nil {
			return err
		}
	}
	for _, t := range []writtenRollupTable{writtenRollup, writtenAnswers} {
		if err := s.zeroWritten(ctx, t, institution, zone, nil, first, s.nextVersion()); err != nil {
			return err
		}
	}
	err = s.insertBatch(ctx, "written_rollup_builds", "institution, zone, version, built_at", 1, func(b driver.Batch) error {
		return b.Append(institution, zone.String(), s.nextVersion(), time.Now().UTC())
	})
	if err != nil {
		return fmt.Errorf("record written rollup build of %s: %w", institution, err)
	}
	s.mu.Lock()
	s.writtenZone[institution] = zone.String()
	s.mu.Unlock()
	return nil
}

// recountWrittenDays writes the rows of the written rollup's tables of
// the local days [first, last] (dates in zone) with version, from the
// newest versions of the cases that arrived on them, and a row of zeros
// for every key of those days that had cases and now has none.
func (s *Store) recountWrittenDays(ctx context.Context, institution string, zone *time.Location, first, last time.Time, version uint64) error {
	for _, r := range []struct {
		table writtenRollupTable
		keys  string // the key's columns of the cases subquery, after arrival_day
		where string
	}{
		{writtenRollup, "unit, channel, is_written, complex, has_answer, answer_day, corrected_flag", "is_case"},
		{writtenAnswers, "unit, channel, is_written, complex, corrected_flag, answer_at", "is_case AND has_answer"},
	} {
		q := &query{}
		q.sql("INSERT INTO ", r.table.name, " (", r.table.columns, ")\nSELECT ").bind(institution).sql(", ").bind(zone.String()).
			sql(", arrival_day, ", r.keys, ", ").bind(version).sql(", count()\nFROM (")
		newestWrittenCases(q, institution, zone, timeRange(first, last.AddDate(0, 0, 1))).
			sql(")\nWHERE ", r.where, "\nGROUP BY arrival_day, ", r.keys)
		if err := s.exec(ctx, r.table.name, q); err != nil {
			return fmt.Errorf("recount %s of %s: %w", r.table.name, institution, err)
		}
		if err := s.zeroWritten(ctx, r.table, institution, zone, []time.Time{first, last}, version, version); err != nil {
			return err
		}
	}
	return nil
}

// newestWrittenCases appends a subquery of the newest non-deleted versions
// of the institution's written cases that arrived in window w, with what
// the written rollup keys them by, in zone: arrival_day, unit, channel,
// is_written, complex, has_answer, answer_at (when it has one), answer_day,
// corrected_flag (-1 when unknown) and is_case.
func newestWrittenCases(q *query, institution string, zone *time.Location, w window) *query {
	tz := zone.String()
	q.sql("\n    SELECT toDate(arrived_at, ").bind(tz).sql(") AS arrival_day, unit, channel,\n        channel IN (").
		list(channels(records.IsWritten)).sql(") AS is_written, complex,\n        if(is_written, answered_at, resolved_at) AS answer,\n        isNotNull(answer) AS has_answer,\n        assumeNotNull(answer) AS answer_at,\n        toDate(ifNull(answer, arrived_at), ").
		bind(tz).sql(") AS answer_day,\n        ifNull(toInt8(corrected), toInt8(-1)) AS corrected_flag,\n        is_written OR (complex = 1 AND channel IN (").list(channels(records.IsRealTime)).sql(")) AS is_case\n    FROM (")
	return newestVersions(q, "written_cases", "arrived_at", institution, w, "unit, channel, arrived_at, answered_at, resolved_at, complex, corrected").sql(")")
}

// zeroWritten writes to table, with version, a row of zeros for every key
// of the institution's rows in zone whose newest row is older than before
// and has cases: on the days [days[0], days[1]], or on every day when days
// is nil.
func (s *Store) zeroWritten(ctx context.Context, table writtenRollupTable, institution string, zone *time.Location, days []time.Time, before, version uint64) error {
	q := &query{}
	q.sql("INSERT INTO ", table.name, " (", table.columns, ")\nSELECT institution, zone, arrival_day, ", table.keys, ", ").bind(version).
		sql(", toUInt64(0)\nFROM ", table.name, " FINAL\nWHERE institution = ").bind(institution).sql(" AND zone = ").bind(zone.String())
	if days != nil {
		q.sql(" AND arrival_day >= ").date(days[0]).sql(" AND arrival_day <= ").date(days[1])
	}
	q.sql(" AND version < ").bind(before).sql(" AND cases > 0")
	if err := s.exec(ctx, table.name, q); err != nil {
		return fmt.Errorf("recount %s of %s: %w", table.name, institution, err)
	}
	return nil
}

// localDays returns the local dates in zone (as midnights in zone) that
// hold the buckets, sorted. Every 15-minute UTC bucket lies within one
// local day of a zone whose offset is a whole number of quarter hours.
func localDays(buckets []time.Time, zone *time.Location) []time.Time {
	seen := map[string]time.Time{}
	for _, b := range buckets {
		l := b.In(zone)
		d := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, zone)
		seen[d.Format(time.DateOnly)] = d
	}
	out := make([]time.Time, 0, len(seen))
	for _, d := range seen {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// daySpans groups sorted dates into spans [first, last] of at most
// maxDaysPerWrittenRecount days.
func daySpans(days []time.Time) [][2]time.Time {
	var out [][2]time.Time
	for _, d := range days {
		if n := len(out); n > 0 && d.Before(out[n-1][0].AddDate(0, 0, maxDaysPerWrittenRecount)) {
			out[n-1][1] = d
			continue
		}
		out = append(out, [2]time.Time{d, d})
	}
	return out
}
