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
// period. Unit and channel are empty for responses that name neither (FAQ
// votes, general surveys).
type FeedbackRow struct {
	Institution, Unit, Channel, Instrument string
	PeriodStart                            time.Time // start of the local day/month (By day|month), or From (total)
	Counts                                 kpi.FeedbackCounts
}

// newestFeedback is a subquery that yields the newest version of every
// feedback response of the institution that has any version submitted in
// [from, to), dropping those whose newest version is deleted or was
// submitted outside the window.
func newestFeedback(institution string, from, to time.Time, columns string) string {
	return newestVersions("feedback", "submitted_at", institution, from, to, columns)
}

// FeedbackCounts computes the kpi.FeedbackCounts of every unit, channel,
// instrument and period of q in ClickHouse, on the newest non-deleted
// version of each response: Responses counts them, Favourable those with a
// score of at least 4 on the 1-5 scale or yes (1) on the yes-no scale. The
// counts serve favourable_share, recommend_share and useful_share, told
// apart by instrument. Rows come sorted by period, unit, channel and
// instrument.
func (s *Store) FeedbackCounts(ctx context.Context, q FeedbackQuery) ([]FeedbackRow, error) {
	if err := checkWindow("feedback counts", q.Institution, q.From, q.To); err != nil {
		return nil, err
	}
	loc, err := namedLocation(q.Location)
	if err != nil {
		return nil, fmt.Errorf("feedback counts of %s: %w", q.Institution, err)
	}
	by, periodExpr, err := grouping(q.By, "toDate(submitted_at, "+quoteString(loc.String())+")")
	if err != nil {
		return nil, fmt.Errorf("feedback counts of %s: %w", q.Institution, err)
	}
	const cols = "unit, channel, instrument, submitted_at, scale, score"
	query := `SELECT unit, channel, instrument, ` + periodExpr + ` AS period,
    count() AS responses,
    countIf((scale = ` + quoteString(records.Scale1to5) + ` AND score >= 4) OR (scale = ` + quoteString(records.ScaleYesNo) + ` AND score = 1)) AS favourable
FROM (` + newestFeedback(q.Institution, q.From, q.To, cols) + `)
GROUP BY unit, channel, instrument, period
ORDER BY period, unit, channel, instrument`
	rows, err := s.conn.Query(ctx, query)
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
