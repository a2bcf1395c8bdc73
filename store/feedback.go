package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
)

// FeedbackQuery selects the feedback responses of one institution submitted
// in a window and says how to group them.
type FeedbackQuery struct {
	Institution string
	Location    *time.Location // institution's time zone, for day/month grouping (UTC when nil)
	From, To    time.Time      // half-open [From, To), by submitted_at
	By          By             // "" means total
}

// FeedbackRow is the feedback counts of one unit, channel, instrument and
// period. Unit and channel are empty for responses that name neither (a
// survey about a contact the store does not know).
type FeedbackRow struct {
	Institution, Unit, Channel, Instrument string
	PeriodStart                            time.Time // start of the local day/month (By day|month), or From (total)
	Counts                                 kpi.FeedbackCounts
}

// FeedbackCounts computes the kpi.FeedbackCounts of every unit, channel,
// instrument and period of q in ClickHouse, on the newest non-deleted
// version of each response: Responses counts them, Favourable those with a
// score of at least 4 on the 1-5 scale or yes (1) on the yes-no scale. The
// counts serve favourable_share, recommend_share and useful_share, told
// apart by instrument.
//
// A response about a contact (contact_id) counts under the unit and channel
// of the newest version of that contact, wherever it arrived; a response
// whose contact is unknown or withdrawn keeps the unit and channel its
// collector gave it (shared/kpis.md, "Feedback about a contact counts under
// that contact's channel"). Rows come sorted by period, unit, channel and
// instrument.
func (s *Store) FeedbackCounts(ctx context.Context, q FeedbackQuery) ([]FeedbackRow, error) {
	if err := checkWindow("feedback counts", q.Institution, q.From, q.To); err != nil {
		return nil, err
	}
	loc, err := namedLocation(q.Location)
	if err != nil {
		return nil, fmt.Errorf("feedback counts of %s: %w", q.Institution, err)
	}
	by, err := checkGrouping(q.By)
	if err != nil {
		return nil, fmt.Errorf("feedback counts of %s: %w", q.Institution, err)
	}
	const cols = "contact_id, unit, channel, instrument, submitted_at, scale, score"
	query := &query{}
	query.sql(`SELECT unit, channel, instrument, period, count() AS responses, countIf(favourable) AS favourable
FROM (
    SELECT if(c_found = 1, c_unit, f_unit) AS unit, if(c_found = 1, c_channel, f_channel) AS channel,
        instrument, period, favourable
    FROM (
        SELECT source, contact_id, unit AS f_unit, channel AS f_channel, instrument, `)
	periodExpr(query, by, "submitted_at", loc).sql(` AS period,
            (scale = `).bind(records.Scale1to5).sql(` AND score >= 4) OR (scale = `).bind(records.ScaleYesNo).sql(` AND score = 1) AS favourable
        FROM (`)
	newestVersions(query, "feedback", "submitted_at", q.Institution, q.From, q.To, cols).sql(`)
    ) ANY LEFT JOIN (
        SELECT source, id AS contact_id, unit AS c_unit, channel AS c_channel, toUInt8(deleted = 0) AS c_found
        FROM contacts
        WHERE institution = `).bind(q.Institution).sql(`
          AND (source, id) IN (SELECT source, contact_id FROM feedback WHERE institution = `).bind(q.Institution).
		sql(` AND contact_id != '' AND submitted_at >= `).time(q.From).sql(` AND submitted_at < `).time(q.To).sql(`)
        ORDER BY version DESC, ingested_at DESC
        LIMIT 1 BY source, id
    ) USING (source, contact_id)
)
GROUP BY unit, channel, instrument, period
ORDER BY period, unit, channel, instrument`)
	rows, err := s.conn.Query(ctx, query.String(), query.args...)
	if err != nil {
		return nil, fmt.Errorf("feedback counts of %s: %w", q.Institution, err)
	}
	defer rows.Close()
	var out []FeedbackRow
	for rows.Next() {
		var (
			r                     FeedbackRow
			period                time.Time
			responses, favourable uint64
		)
		if err := rows.Scan(&r.Unit, &r.Channel, &r.Instrument, &period, &responses, &favourable); err != nil {
			return nil, fmt.Errorf("feedback counts of %s: %w", q.Institution, err)
		}
		r.Institution = q.Institution
		r.PeriodStart = periodStart(by, period, q.From, loc)
		r.Counts = kpi.FeedbackCounts{Responses: float64(responses), Favourable: float64(favourable)}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("feedback counts of %s: %w", q.Institution, err)
	}
	return out, nil
}
