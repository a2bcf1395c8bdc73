package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
)

// A pass counts its brand-new contacts (records with no stored version)
// itself, from the records it writes, and adds those counts to the rollup
// rows already stored, instead of recounting their buckets from the
// newest versions: a backfill's contacts are nearly all brand new, and the
// recount had to read back everything the pass had just written. Adding is
// exact because a brand-new record only adds to the counts of its second,
// bucket and day (a maximum only grows). Whatever else a pass writes (a new
// version of a stored record, two versions of one record in a batch) makes
// the buckets of its old and new versions dirty, and those are recounted
// from the newest versions as before, dropping the tally's counts for them.

// contactSumColumns are a contact rollup's count columns in table order,
// after its thresholds; the last, max_wait_ms, is a maximum, the others
// are sums.
var contactSumColumns = [...]struct {
	name   string
	signed bool
}{
	{"offered", false}, {"answered", false}, {"abandoned", false}, {"short_abandoned", false},
	{"answered_within_t", false}, {"abandoned_within_t", false}, {"abandoned_not_short", false}, {"long_waits", false},
	{"answer_wait_sum_ms", true}, {"handled", false}, {"handle_sum_s", true}, {"acw_counted", false}, {"acw_sum_s", true},
	{"max_wait_ms", true},
}

// Indexes into contactSums.n, in the order of contactSumColumns.
const (
	sumOffered = iota
	sumAnswered
	sumAbandoned
	sumShortAbandoned
	sumAnsweredWithinT
	sumAbandonedWithinT
	sumAbandonedNotShort
	sumLongWaits
	sumAnswerWaitMS
	sumHandled
	sumHandleS
	sumAcwCounted
	sumAcwS
	sumMaxWaitMS
	numContactSums
)

// contactSums is one row of a contact rollup: the thresholds (ms) it was
// counted with and its counts.
type contactSums struct {
	tMS, sMS, lMS int64
	n             [numContactSums]int64
}

// add adds b's counts to a's, which must have been counted with the same
// thresholds.
func (a *contactSums) add(b *contactSums) {
	for i := range sumMaxWaitMS {
		a.n[i] += b.n[i]
	}
	a.n[sumMaxWaitMS] = max(a.n[sumMaxWaitMS], b.n[sumMaxWaitMS])
}

func (a *contactSums) sameThresholds(b *contactSums) bool {
	return a.tMS == b.tMS && a.sMS == b.sMS && a.lMS == b.lMS
}

// countContact counts one contact version with thresholds p, as
// contactCountColumns counts it in ClickHouse (the rollup equality tests
// hold the two to each other). It reports false for a contact whose counts
// cannot be added to others: a negative wait, whose maximum with a group
// that has no known wait (0) is not the group's.
func countContact(c *records.Contact, p kpi.Params) (contactSums, bool) {
	x := contactSums{tMS: p.Threshold.Milliseconds(), sMS: p.ShortAbandon.Milliseconds(), lMS: p.LongWait.Milliseconds()}
	answered := c.Outcome == records.OutcomeAnswered
	abandoned := c.Outcome == records.OutcomeAbandoned
	var wait int64
	w := waitMS(*c)
	known := (answered || abandoned) && w != nil
	if known {
		wait = *w
		if wait < 0 {
			return x, false
		}
	}
	short := abandoned && known && wait < x.sMS
	x.n[sumOffered] = 1
	x.n[sumAnswered] = one(answered)
	x.n[sumAbandoned] = one(abandoned)
	x.n[sumShortAbandoned] = one(short)
	x.n[sumAnsweredWithinT] = one(answered && known && wait <= x.tMS)
	x.n[sumAbandonedWithinT] = one(abandoned && !short && known && wait <= x.tMS)
	x.n[sumAbandonedNotShort] = one(abandoned && !short)
	x.n[sumLongWaits] = one(known && wait > x.lMS)
	if answered && known {
		x.n[sumAnswerWaitMS] = wait
	}
	if answered && c.Measures&records.MeasureTalk != 0 {
		x.n[sumHandled] = 1
		x.n[sumHandleS] = int64(c.TalkS) + int64(c.HoldS) + int64(c.AcwS)
	}
	if answered && c.Measures&records.MeasureACW != 0 {
		x.n[sumAcwCounted] = 1
		x.n[sumAcwS] = int64(c.AcwS)
	}
	if known {
		x.n[sumMaxWaitMS] = wait
	}
	return x, true
}

func one(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// periodGroup is a rollup row's key within an institution: the start of
// its period (Unix seconds) and its group.
type periodGroup struct {
	start         int64
	unit, channel string
}

// contactTally holds a pass's counts of brand-new contacts of one
// institution, per 15-minute bucket (Unix seconds) and then per second and
// group, and per bucket the version taken just before the first batch
// counted in it was written: a rollup row of the bucket with a later version
// may have been counted from the newest versions after that batch was
// written, so it may hold the batch's contacts already.
type contactTally struct {
	buckets map[int64]map[periodGroup]*contactSums
	first   map[int64]uint64
}

func newContactTally() *contactTally {
	return &contactTally{buckets: map[int64]map[periodGroup]*contactSums{}, first: map[int64]uint64{}}
}

// add counts a contact of the group (unit, channel) that arrived at
// arrived and was written after version, into the tally and reports
// whether that added a row.
func (t *contactTally) add(arrived time.Time, unit, channel string, x *contactSums, version uint64) bool {
	b := bucketFloor(arrived).Unix()
	if t.buckets[b] == nil {
		t.buckets[b] = map[periodGroup]*contactSums{}
		t.first[b] = version
	}
	k := periodGroup{arrived.Unix(), unit, channel}
	if have := t.buckets[b][k]; have != nil {
		have.add(x)
		return false
	}
	t.buckets[b][k] = x
	return true
}

// dropSecond removes a second (Unix) from the tally.
func (t *contactTally) dropSecond(sec int64) {
	b := floorUnix(sec, BucketSize)
	for k := range t.buckets[b] {
		if k.start == sec {
			delete(t.buckets[b], k)
		}
	}
	if len(t.buckets[b]) == 0 {
		t.drop(b)
	}
}

// bucketsOf returns the buckets of a set of seconds (Unix).
func bucketsOf(seconds map[int64]bool) map[int64]bool {
	out := map[int64]bool{}
	for sec := range seconds {
		out[floorUnix(sec, BucketSize)] = true
	}
	return out
}

// drop removes a bucket from the tally.
func (t *contactTally) drop(bucket int64) {
	delete(t.buckets, bucket)
	delete(t.first, bucket)
}

// rows returns the tally summed to periods of size (a second, a bucket or
// a day).
func (t *contactTally) rows(size time.Duration) map[periodGroup]*contactSums {
	out := map[periodGroup]*contactSums{}
	for _, seconds := range t.buckets {
		for k, x := range seconds {
			p := periodGroup{floorUnix(k.start, size), k.unit, k.channel}
			if have := out[p]; have != nil {
				have.add(x)
				continue
			}
			y := *x
			out[p] = &y
		}
	}
	return out
}

// firstIn returns, per period of size (buckets or days), the version taken
// before the first batch counted in it was written.
func (t *contactTally) firstIn(size time.Duration) map[int64]uint64 {
	out := map[int64]uint64{}
	for b, v := range t.first {
		p := floorUnix(b, size)
		if have, ok := out[p]; !ok || v < have {
			out[p] = v
		}
	}
	return out
}

func floorUnix(u int64, size time.Duration) int64 {
	secs := int64(size / time.Second)
	return u - u%secs
}

// bucketTimes returns the tally's buckets in order.
func (t *contactTally) bucketTimes() []time.Time {
	set := make(map[int64]bool, len(t.buckets))
	for b := range t.buckets {
		set[b] = true
	}
	return sortedUnix(set)
}

// addTally adds the institution's tally to its contact rollup at all three
// levels. It leaves alone the buckets in whole, which the caller recounts
// whole, and adds to the seconds but not to the buckets in summed, which the
// caller sums from their seconds. It returns the buckets it could not add
// to, which the caller must recount whole too, and the days that must be
// summed from their buckets once those are current. It cannot add to a
// stored row counted with other thresholds, nor to one written after the
// tally's first batch in its bucket (or day).
func (s *Store) addTally(ctx context.Context, institution string, t *contactTally, whole, summed map[int64]bool) (recount []time.Time, days []time.Time, err error) {
	defer s.lockCounting(institution)()
	for b := range whole {
		t.drop(b)
	}
	conflicts := map[int64]bool{}
	for _, size := range []time.Duration{time.Second, BucketSize} {
		rows := t.rows(size)
		if size == BucketSize {
			for k := range rows {
				if summed[k.start] {
					delete(rows, k)
				}
			}
		}
		if len(rows) == 0 {
			continue
		}
		c, err := s.mergeLevel(ctx, contactRollup.table(size), institution, rows, bucketSet(t.bucketTimes()), t.firstIn(BucketSize), BucketSize)
		if err != nil {
			return nil, nil, err
		}
		for b := range c {
			conflicts[b] = true
			t.drop(b)
		}
	}
	first := t.firstIn(daySize)
	rows := t.rows(daySize)
	var dayStarts []time.Time
	for d := range first {
		if holdsAny(d, whole) || holdsAny(d, summed) || holdsAny(d, conflicts) {
			delete(first, d) // summed from its buckets after they are recounted
			continue
		}
		dayStarts = append(dayStarts, time.Unix(d, 0).UTC())
	}
	for k := range rows {
		if _, ok := first[k.start]; !ok {
			delete(rows, k)
		}
	}
	if len(dayStarts) > 0 {
		slices.SortFunc(dayStarts, time.Time.Compare)
		c, err := s.mergeLevel(ctx, contactRollup.dayTable(), institution, rows, periodSet(dayStarts, daySize), first, daySize)
		if err != nil {
			return nil, nil, err
		}
		days = sortedUnix(c)
	}
	return sortedUnix(conflicts), days, nil
}

// holdsAny reports whether the day starting at day (Unix seconds) holds
// any of the buckets.
func holdsAny(day int64, buckets map[int64]bool) bool {
	for b := range buckets {
		if floorUnix(b, daySize) == day {
			return true
		}
	}
	return false
}

// sortedUnix returns a set of Unix times in order, as UTC times.
func sortedUnix(set map[int64]bool) []time.Time {
	out := make([]time.Time, 0, len(set))
	for u := range set {
		out = append(out, time.Unix(u, 0).UTC())
	}
	slices.SortFunc(out, time.Time.Compare)
	return out
}

// mergeLevel adds rows (per period and group) to the institution's stored
// rows of table in window w (read with FINAL) and writes the sums with a
// new version. It cannot add to a stored row of a period of size conflict
// (a bucket or a day) that was counted with other thresholds or written
// after first gives for the period: it writes nothing for such periods,
// and returns them.
func (s *Store) mergeLevel(ctx context.Context, table, institution string, rows map[periodGroup]*contactSums, w window,
	first map[int64]uint64, conflict time.Duration) (map[int64]bool, error) {
	version := s.nextVersion() // before reading: a later recount wins
	conflicts := map[int64]bool{}
	q := &query{}
	q.sql("SELECT bucket, unit, channel, version, t_ms, s_ms, l_ms, ", contactSumNames(), " FROM ", table, " FINAL WHERE institution = ").bind(institution).sql(" AND ")
	w.sql(q, "bucket")
	err := s.scanContactRows(ctx, q, func(k periodGroup, v uint64, x *contactSums) {
		have := rows[k]
		if have == nil || x.n[sumOffered] == 0 {
			return
		}
		p := floorUnix(k.start, conflict)
		if v > first[p] || !have.sameThresholds(x) {
			conflicts[p] = true
			return
		}
		have.add(x)
	})
	if err != nil {
		return nil, fmt.Errorf("add a pass's new contacts to %s of %s: %w", table, institution, err)
	}
	for k := range rows {
		if conflicts[floorUnix(k.start, conflict)] {
			delete(rows, k)
		}
	}
	if err := s.writeContactRows(ctx, table, institution, version, rows); err != nil {
		return nil, fmt.Errorf("add a pass's new contacts to %s of %s: %w", table, institution, err)
	}
	return conflicts, nil
}

// contactSumNames is the column list of contactSumColumns.
func contactSumNames() string {
	var out string
	for i, c := range contactSumColumns {
		if i > 0 {
			out += ", "
		}
		out += c.name
	}
	return out
}

// scanContactRows runs q, which selects bucket, unit, channel, version, the
// thresholds and contactSumColumns, and calls row for every row.
func (s *Store) scanContactRows(ctx context.Context, q *query, row func(periodGroup, uint64, *contactSums)) error {
	rs, err := s.conn.Query(ctx, q.String(), q.args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	var (
		at       time.Time
		k        periodGroup
		version  uint64
		x        contactSums
		unsigned [numContactSums]uint64
	)
	dest := []any{&at, &k.unit, &k.channel, &version, &x.tMS, &x.sMS, &x.lMS}
	for i, c := range contactSumColumns {
		if c.signed {
			dest = append(dest, &x.n[i])
		} else {
			dest = append(dest, &unsigned[i])
		}
	}
	for rs.Next() {
		if err := rs.Scan(dest...); err != nil {
			return err
		}
		for i, c := range contactSumColumns {
			if !c.signed {
				x.n[i] = int64(unsigned[i])
			}
		}
		k.start = at.Unix()
		y := x
		row(k, version, &y)
	}
	return rs.Err()
}

// maxRowsPerWrite bounds the rows of one insert of rollup rows: their
// columns, and the driver's copies of them, are most of a pass's memory
// when it adds its tally.
const maxRowsPerWrite = 16384

// writeContactRows writes rows to a contact rollup table with version, as
// whole columns, at most maxRowsPerWrite at a time.
func (s *Store) writeContactRows(ctx context.Context, table, institution string, version uint64, rows map[periodGroup]*contactSums) error {
	part := make(map[periodGroup]*contactSums, min(len(rows), maxRowsPerWrite))
	for k, x := range rows {
		part[k] = x
		if len(part) == maxRowsPerWrite {
			if err := s.writeContactColumns(ctx, table, institution, version, part); err != nil {
				return err
			}
			clear(part)
		}
	}
	return s.writeContactColumns(ctx, table, institution, version, part)
}

// writeContactColumns writes rows to a contact rollup table with version,
// in one insert of whole columns.
func (s *Store) writeContactColumns(ctx context.Context, table, institution string, version uint64, rows map[periodGroup]*contactSums) error {
	n := len(rows)
	if n == 0 {
		return nil
	}
	starts, units, channels := make([]time.Time, 0, n), make([]string, 0, n), make([]string, 0, n)
	thresholds := [3][]int64{make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n)}
	var counts [numContactSums][]int64
	for j := range counts {
		counts[j] = make([]int64, 0, n)
	}
	for k, x := range rows {
		starts, units, channels = append(starts, time.Unix(k.start, 0).UTC()), append(units, k.unit), append(channels, k.channel)
		for j, v := range [3]int64{x.tMS, x.sMS, x.lMS} {
			thresholds[j] = append(thresholds[j], v)
		}
		for j := range counts {
			counts[j] = append(counts[j], x.n[j])
		}
	}
	columns := []any{slices.Repeat([]string{institution}, n), starts, units, channels, slices.Repeat([]uint64{version}, n),
		thresholds[0], thresholds[1], thresholds[2]}
	for j, c := range contactSumColumns {
		if c.signed {
			columns = append(columns, counts[j])
			continue
		}
		u := make([]uint64, n)
		for i, v := range counts[j] {
			u[i] = uint64(v)
		}
		columns = append(columns, u)
	}
	names := "institution, bucket, unit, channel, version, t_ms, s_ms, l_ms, " + contactSumNames()
	return s.insertBatch(ctx, table, names, n, func(b driver.Batch) error {
		for j, col := range columns {
			if err := b.Column(j).Append(col); err != nil {
				return fmt.Errorf("column %d: %w", j, err)
			}
		}
		return nil
	})
}
