package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

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
	Raw         bool           // never read the rollups (tests, benchmarks)
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
// that contact's channel"). The window is read from the feedback
// rollup once the institution's rollups are built, as in ContactCounts. Rows come sorted by period, unit, channel and instrument.
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
	var parts []countedFeedback
	err = s.splitWindow(ctx, q.Institution, q.From, q.To, q.Raw,
		func() (bool, error) {
			parts, err = s.rollupFeedbackCounts(ctx, q.Institution, q.From, q.To, by, loc)
			return true, err
		},
		func() error {
			parts, err = s.countFeedback(ctx, q.Institution, timeRange(q.From, q.To), func(q *query) *query { return periodExpr(q, by, "submitted_at", loc) })
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("feedback counts of %s: %w", q.Institution, err)
	}
	return feedbackRows(q, by, loc, parts), nil
}

// countedFeedback is the counts of one unit, channel, instrument and key (a
// period, or a rollup bucket).
type countedFeedback struct {
	unit, channel, instrument string
	key                       time.Time
	counts                    kpi.FeedbackCounts
}

// feedbackRows sums parts per unit, channel, instrument and period, sorted
// by period, unit, channel and instrument.
func feedbackRows(q FeedbackQuery, by By, loc *time.Location, parts []countedFeedback) []FeedbackRow {
	type key struct {
		unit, channel, instrument string
		start                     int64
	}
	index := map[key]int{}
	var out []FeedbackRow
	for _, p := range parts {
		start := periodStart(by, p.key, q.From, loc)
		k := key{p.unit, p.channel, p.instrument, start.Unix()}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, FeedbackRow{Institution: q.Institution, Unit: p.unit, Channel: p.channel, Instrument: p.instrument, PeriodStart: start})
		}
		out[i].Counts = out[i].Counts.Add(p.counts)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case !a.PeriodStart.Equal(b.PeriodStart):
			return a.PeriodStart.Before(b.PeriodStart)
		case a.Unit != b.Unit:
			return a.Unit < b.Unit
		case a.Channel != b.Channel:
			return a.Channel < b.Channel
		}
		return a.Instrument < b.Instrument
	})
	return out
}

// countFeedback counts the newest versions of the institution's responses
// in window w per unit, channel (both resolved through the contact a
// response names), instrument and key (keyExpr of submitted_at).
func (s *Store) countFeedback(ctx context.Context, institution string, w window, keyExpr func(q *query) *query) ([]countedFeedback, error) {
	return s.queryFeedbackCounts(ctx, feedbackCountsQuery(institution, w, keyExpr))
}

// feedbackCountsQuery returns the query of countFeedback: the columns unit,
// channel, instrument, key, responses and favourable.
func feedbackCountsQuery(institution string, w window, keyExpr func(q *query) *query) *query {
	const cols = "contact_id, unit, channel, instrument, submitted_at, scale, score"
	query := &query{}
	query.sql(`SELECT unit, channel, instrument, key, count() AS responses, countIf(favourable) AS favourable
FROM (
    SELECT if(c_found = 1, c_unit, f_unit) AS unit, if(c_found = 1, c_channel, f_channel) AS channel,
        instrument, key, favourable
    FROM (
        SELECT source, contact_id, unit AS f_unit, channel AS f_channel, instrument, `)
	keyExpr(query).sql(` AS key,
            (scale = `).bind(records.Scale1to5).sql(` AND score >= 4) OR (scale = `).bind(records.ScaleYesNo).sql(` AND score = 1) AS favourable
        FROM (`)
	newestVersions(query, "feedback", "submitted_at", institution, w, cols).sql(`)
    ) ANY LEFT JOIN (
        SELECT source, id AS contact_id, unit AS c_unit, channel AS c_channel, toUInt8(deleted = 0) AS c_found
        FROM contacts
        WHERE institution = `).bind(institution).sql(`
          AND `)
	if w.wide() { // see newestVersions
		query.sql("cityHash64(source, id) IN (SELECT cityHash64(source, contact_id)")
	} else {
		query.sql("(source, id) IN (SELECT source, contact_id")
	}
	query.sql(` FROM feedback WHERE institution = `).bind(institution).sql(` AND contact_id != '' AND `)
	w.sql(query, "submitted_at").sql(`)
        ORDER BY version DESC, ingested_at DESC
        LIMIT 1 BY source, id
    ) USING (source, contact_id)
)
GROUP BY unit, channel, instrument, key`)
	return query
}

// rollupFeedbackCounts reads the feedback counts of [from, to) from the
// feedback rollup's three levels.
func (s *Store) rollupFeedbackCounts(ctx context.Context, institution string, from, to time.Time, by By, loc *time.Location) ([]countedFeedback, error) {
	var out []countedFeedback
	for _, p := range rollupParts(feedbackRollup, from, to, by, loc) {
		rows, err := s.queryFeedbackCounts(ctx, periodSums(feedbackRollup, p, institution, by, loc))
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

// queryFeedbackCounts runs a query of unit, channel, instrument, key,
// responses and favourable responses.
func (s *Store) queryFeedbackCounts(ctx context.Context, q *query) ([]countedFeedback, error) {
	rows, err := s.conn.Query(ctx, q.String(), q.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []countedFeedback
	for rows.Next() {
		var r countedFeedback
		if err := scanFeedbackCounts(rows, &r, &r.unit, &r.channel, &r.instrument, &r.key); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// scanFeedbackCounts scans a row of leading columns (into lead) followed by
// responses and favourable responses into r.
func scanFeedbackCounts(rows driver.Rows, r *countedFeedback, lead ...any) error {
	var responses, favourable uint64
	if err := rows.Scan(append(lead, &responses, &favourable)...); err != nil {
		return err
	}
	r.counts = kpi.FeedbackCounts{Responses: float64(responses), Favourable: float64(favourable)}
	return nil
}
