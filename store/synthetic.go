package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ccbench/ccbench/records"
)

// Synthetic describes bulk contacts generated inside ClickHouse for `ccbench
// bench`: PerDay contacts a day from From for Days days, spread evenly over
// each day, with channels, outcomes, waits and handling times drawn from a
// hash of the row number (so the same description gives the same rows). It
// is for measuring the KPI queries at scale, not for realism.
type Synthetic struct {
	Institution string
	Source      string
	From        time.Time
	Days        int
	PerDay      int
}

// GenerateSynthetic writes the contacts s describes with one INSERT ...
// SELECT FROM numbers(), then recounts the institution's rollups through the
// same path a collector's batches take (RebuildRollups), and returns the
// number of contacts written.
func (s *Store) GenerateSynthetic(ctx context.Context, g Synthetic) (uint64, error) {
	total := uint64(g.Days) * uint64(g.PerDay)
	if g.Institution == "" || g.Source == "" || total == 0 {
		return 0, fmt.Errorf("synthetic contacts: need an institution, a source, days and contacts per day")
	}
	// h(k) is a hash of the row number salted by k. Channels: 40 % phone,
	// 52 % visit, 4 % chat, 2 % facebook, 2 % e-mail. 94 % of real-time
	// contacts are answered, after waits of up to 60 s (phone, chat) or
	// 40 min (visit, facebook); e-mails are answered within ten days.
	q := &query{}
	q.sql(`INSERT INTO contacts (` + contactColumns + `)
SELECT institution, source, id, 1, arrived, unit, channel, 'general', arrived,
    if(outcome = 'answered', toNullable(arrived + toUInt32(intDiv(wait_ms, 1000))), NULL),
    if(outcome = 'open', NULL, toNullable(arrived + toUInt32(intDiv(wait_ms, 1000)) + toUInt32(talk + hold))),
    outcome, talk, hold, acw, measures,
    if(outcome = 'open', NULL, toNullable(toInt64(wait_ms))),
    0, NULL, if(channel = 'email' AND outcome = 'answered', toNullable(toUInt8(h5 % 200 = 0)), NULL),
    'synthetic', 0, now()
FROM (
    SELECT `).bind(g.Institution).sql(` AS institution, `).bind(g.Source).sql(` AS source, toString(number) AS id,
        `).time(g.From).sql(` + toUInt32(intDiv(number * 86400, `).bind(g.PerDay).sql(`)) AS arrived,
        cityHash64(number, 1) % 100 AS h1, cityHash64(number, 2) AS h2, cityHash64(number, 3) % 100 AS h3,
        cityHash64(number, 4) AS h4, cityHash64(number, 5) AS h5,
        multiIf(h1 < 40, 'phone', h1 < 92, 'visit', h1 < 96, 'chat', h1 < 98, 'facebook', 'email') AS channel,
        if(channel = 'visit', concat('branch-', toString(h4 % 8)), 'contact-centre') AS unit,
        multiIf(channel = 'email', if(h3 < 90, 'answered', 'open'), h3 < 94, 'answered', 'abandoned') AS outcome,
        multiIf(channel = 'email', h2 % 864000000, channel IN ('phone', 'chat'), h2 % 60000, h2 % 2400000) AS wait_ms,
        if(outcome = 'answered' AND channel IN ('phone', 'chat', 'visit'), toUInt32(30 + h4 % 600), toUInt32(0)) AS talk,
        if(outcome = 'answered' AND channel = 'phone', toUInt32(h5 % 40), toUInt32(0)) AS hold,
        if(outcome = 'answered' AND channel IN ('phone', 'chat', 'visit'), toUInt32(5 + h5 % 20), toUInt32(0)) AS acw,
        if(channel IN ('phone', 'chat', 'visit'), `).bind(uint8(records.MeasureTalk | records.MeasureHold | records.MeasureACW)).sql(`, 0) AS measures
    FROM numbers(`).bind(total).sql(`)
)`)
	if err := s.conn.Exec(ctx, q.String(), q.args...); err != nil {
		return 0, fmt.Errorf("synthetic contacts of %s: %w", g.Institution, err)
	}
	w := &query{}
	w.sql("INSERT INTO written_cases (" + writtenCaseColumns + ") SELECT " + writtenCaseColumns + " FROM contacts WHERE institution = ").bind(g.Institution).
		sql(" AND source = ").bind(g.Source).sql(" AND (channel IN (").list(channels(records.IsWritten)).sql(") OR complex = 1)")
	if err := s.conn.Exec(ctx, w.String(), w.args...); err != nil {
		return 0, fmt.Errorf("synthetic written cases of %s: %w", g.Institution, err)
	}
	if err := s.RebuildRollups(ctx, g.Institution); err != nil {
		return 0, err
	}
	return total, nil
}

// CountRows returns how many contact and feedback versions the store holds.
func (s *Store) CountRows(ctx context.Context) (uint64, error) {
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT (SELECT count() FROM contacts) + (SELECT count() FROM feedback)").Scan(&n); err != nil {
		return 0, fmt.Errorf("count rows: %w", err)
	}
	return n, nil
}

// Merges returns how many merges of table parts ClickHouse is running: a
// benchmark waits for none before it reads the server's CPU time, so that
// the merges that one write started are not counted to the next.
func (s *Store) Merges(ctx context.Context) (uint64, error) {
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM system.merges").Scan(&n); err != nil {
		return 0, fmt.Errorf("count merges: %w", err)
	}
	return n, nil
}
