package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ccbench/ccbench/records"
)

// ArrivalQuery selects the contacts of one institution and channel that
// arrived in a window, for a staffing what-if.
type ArrivalQuery struct {
	Institution string
	Channel     string
	Location    *time.Location // the institution's zone: hours of the week are local (UTC when nil)
	From, To    time.Time      // half-open [From, To), by arrived_at
	// Threshold T and ShortAbandon S of the measured service level
	// (answered within T ÷ (offered − abandoned before S)).
	Threshold, ShortAbandon time.Duration
}

// HourOfWeekRow is the contacts of one local hour of the week, summed over
// the window.
type HourOfWeekRow struct {
	Weekday         time.Weekday
	Hour            int
	Offered         uint64
	ShortAbandoned  uint64
	AnsweredWithinT uint64
	Handled         uint64 // answered contacts whose source carries the talk time
	HandleSumS      int64  // their talk + hold + after-contact work, seconds
}

// ArrivalsByHourOfWeek counts, on the newest non-deleted version of each
// contact, the arrivals, short abandons, answers within the threshold and
// handling times of every local hour of the week that has contacts. Rows
// come sorted from Monday 00:00.
func (s *Store) ArrivalsByHourOfWeek(ctx context.Context, q ArrivalQuery) ([]HourOfWeekRow, error) {
	if err := checkWindow("arrivals by hour", q.Institution, q.From, q.To); err != nil {
		return nil, err
	}
	if !records.IsChannel(q.Channel) {
		return nil, fmt.Errorf("arrivals by hour of %s: unknown channel %q", q.Institution, q.Channel)
	}
	loc, err := namedLocation(q.Location)
	if err != nil {
		return nil, fmt.Errorf("arrivals by hour of %s: %w", q.Institution, err)
	}
	const cols = "channel, outcome, wait_ms, talk_s, hold_s, acw_s, measures, arrived_at"
	query := &query{}
	query.sql(`SELECT toDayOfWeek(arrived_at, `).bind(loc.String()).sql(`) AS dow,
    toHour(arrived_at, `).bind(loc.String()).sql(`) AS hour,
    count() AS offered,
    countIf(outcome = 'abandoned' AND isNotNull(wait_ms) AND ifNull(wait_ms, 0) < `).bind(q.ShortAbandon.Milliseconds()).sql(`) AS short_abandoned,
    countIf(outcome = 'answered' AND isNotNull(wait_ms) AND ifNull(wait_ms, 0) <= `).bind(q.Threshold.Milliseconds()).sql(`) AS answered_within_t,
    countIf(outcome = 'answered' AND has_handle) AS handled,
    sumIf(toInt64(talk_s) + toInt64(hold_s) + toInt64(acw_s), outcome = 'answered' AND has_handle) AS handle_sum
FROM (
    SELECT outcome, wait_ms, talk_s, hold_s, acw_s, arrived_at,
        `)
	carries(query, records.HandlingMeasures).sql(` AS has_handle
    FROM (`)
	newestContacts(query, q.Institution, timeRange(q.From, q.To), cols).sql(`)
    WHERE channel = `).bind(q.Channel).sql(`
)
GROUP BY dow, hour
ORDER BY dow, hour`)
	rows, err := s.conn.Query(ctx, query.String(), query.args...)
	if err != nil {
		return nil, fmt.Errorf("arrivals by hour of %s: %w", q.Institution, err)
	}
	defer rows.Close()
	var out []HourOfWeekRow
	for rows.Next() {
		var (
			r         HourOfWeekRow
			dow, hour uint8
		)
		if err := rows.Scan(&dow, &hour, &r.Offered, &r.ShortAbandoned, &r.AnsweredWithinT, &r.Handled, &r.HandleSumS); err != nil {
			return nil, fmt.Errorf("arrivals by hour of %s: %w", q.Institution, err)
		}
		// toDayOfWeek: Monday 1 … Sunday 7.
		r.Weekday, r.Hour = time.Weekday(int(dow)%7), int(hour)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("arrivals by hour of %s: %w", q.Institution, err)
	}
	return out, nil
}
