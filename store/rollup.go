package store

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/ext"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"golang.org/x/sync/errgroup"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
)

// BucketSize is the width of a rollup bucket. Every UTC offset in use is a
// multiple of it, so local days and months are whole numbers of buckets.
const BucketSize = 15 * time.Minute

// maxBucketsPerRecount bounds the buckets one recount query covers (a
// month), so that a rebuild over years runs as a sequence of bounded
// queries.
const maxBucketsPerRecount = 31 * 24 * 4

// ParamsFunc gives the KPI parameters of an institution's unit and channel.
type ParamsFunc func(institution, unit, channel string) kpi.Params

// SetParams sets the parameters the rollups are counted with (the
// configuration's, config.Config.Params); until it is called, the
// catalogue's defaults. Call it before the store is used.
func (s *Store) SetParams(p ParamsFunc) { s.params = p }

// paramsOf returns the rollup parameters of an institution.
func (s *Store) paramsOf(institution string) func(unit, channel string) kpi.Params {
	if s.params == nil {
		return paramsOrDefault(nil)
	}
	return func(unit, channel string) kpi.Params { return s.params(institution, unit, channel) }
}

// bucketCeil and bucketFloor round t to rollup buckets.
func bucketFloor(t time.Time) time.Time { return t.UTC().Truncate(BucketSize) }

func bucketCeil(t time.Time) time.Time { return ceilTo(t, BucketSize) }

// ceilTo rounds t up to a multiple of d in UTC.
func ceilTo(t time.Time, d time.Duration) time.Time {
	f := t.UTC().Truncate(d)
	if f.Equal(t) {
		return f
	}
	return f.Add(d)
}

// splitWindow serves [from, to) from the rollups where it can: when they
// are built and hold the seconds the window's ends need, rollup reads them
// (and reports false when they cannot serve the window, having kept
// nothing), else raw reads the raw versions.
func (s *Store) splitWindow(ctx context.Context, institution string, from, to time.Time, forceRaw bool,
	rollup func() (bool, error), raw func() error) error {
	if !forceRaw {
		served, err := s.servedOf(ctx, []string{institution}, []time.Time{from}, to)
		if err != nil {
			return err
		}
		if len(served) == 1 {
			ok, err := rollup()
			if err != nil || ok {
				return err
			}
		}
	}
	return raw()
}

// rollupsBuilt reports whether the institution's rollups cover all its
// data (see RebuildRollups). A positive answer is remembered.
func (s *Store) rollupsBuilt(ctx context.Context, institution string) (bool, error) {
	s.mu.Lock()
	built := s.built[institution]
	s.mu.Unlock()
	if built {
		return true, nil
	}
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM rollup_builds_v2 WHERE institution = ?", institution).Scan(&n); err != nil {
		return false, fmt.Errorf("rollup state of %s: %w", institution, err)
	}
	if n > 0 {
		s.mu.Lock()
		s.built[institution] = true
		s.mu.Unlock()
	}
	return n > 0, nil
}

// rollupContactCounts reads the contact counts of [from, to) from the
// contact rollup's three levels per unit, channel and period. It reports false, with no rows, when a group was counted with
// other thresholds than params gives.
func (s *Store) rollupContactCounts(ctx context.Context, institution string, from, to time.Time, by By, loc *time.Location,
	params func(unit, channel string) kpi.Params) ([]countedContacts, bool, error) {
	var out []countedContacts
	for _, p := range rollupParts(contactRollup, from, to, by, loc) {
		rows, ok, err := s.queryContactSums(ctx, periodSums(contactRollup, p, institution, by, loc), params,
			func(r *countedContacts) []any { return []any{&r.unit, &r.channel, &r.key} })
		if err != nil || !ok {
			return nil, false, err
		}
		out = append(out, rows...)
	}
	return out, true, nil
}

// queryContactSums runs a query of leading columns (scanned into lead(r))
// followed by contactRollupSums. It reports false, with no rows, when a
// group was counted with other thresholds than params gives.
func (s *Store) queryContactSums(ctx context.Context, q *query, params func(unit, channel string) kpi.Params,
	lead func(r *countedContacts) []any) ([]countedContacts, bool, error) {
	rows, err := s.conn.Query(ctx, q.String(), q.args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var out []countedContacts
	for rows.Next() {
		var r countedContacts
		ok, err := scanContactSums(rows, params, &r, lead(&r)...)
		if err != nil || !ok {
			return nil, false, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	return out, true, nil
}

// contactRollupSums is the part of a SELECT over a contact rollup that sums
// its counts, after the grouping columns; see scanContactSums.
const contactRollupSums = `t_ms, s_ms, l_ms,
    sum(offered) AS o, sum(answered), sum(abandoned), sum(short_abandoned), sum(answered_within_t), sum(abandoned_within_t),
    sum(abandoned_not_short), sum(long_waits), sum(answer_wait_sum_ms), sum(handled), sum(handle_sum_s), sum(acw_counted),
    sum(acw_sum_s), max(max_wait_ms)`

// scanContactSums scans a row of leading columns (into lead) followed by
// contactRollupSums into r, and reports false when the row was counted with
// other thresholds than params gives for r's group. Waits stay in
// milliseconds until contactRows.
func scanContactSums(rows driver.Rows, params func(unit, channel string) kpi.Params, r *countedContacts, lead ...any) (bool, error) {
	var (
		tMS, sMS, lMS                                   int64
		offered, answered, abandoned, short, aT, bT, nS uint64
		long, handled, acwCounted                       uint64
		waitSum, handleSum, acwSum, maxWait             int64
	)
	dest := append(lead, &tMS, &sMS, &lMS, &offered, &answered, &abandoned, &short, &aT, &bT, &nS,
		&long, &waitSum, &handled, &handleSum, &acwCounted, &acwSum, &maxWait)
	if err := rows.Scan(dest...); err != nil {
		return false, err
	}
	p := params(r.unit, r.channel)
	if tMS != p.Threshold.Milliseconds() || sMS != p.ShortAbandon.Milliseconds() || lMS != p.LongWait.Milliseconds() {
		return false, nil
	}
	r.counts = kpi.ContactCounts{
		Offered: float64(offered), Answered: float64(answered), Abandoned: float64(abandoned),
		ShortAbandoned: float64(short), AnsweredWithinT: float64(aT), AbandonedWithinT: float64(bT),
		AbandonedNotShort: float64(nS), LongWaits: float64(long), AnswerWaitSumS: float64(waitSum),
		Handled: float64(handled), HandleSumS: float64(handleSum), AcwCounted: float64(acwCounted),
		AcwSumS: float64(acwSum), MaxWaitS: float64(maxWait),
	}
	return true, nil
}

// recountContacts recounts the rollups of the institution's contact
// buckets: the contact rollup (recountContactLevels) and the written
// rollup of the local days that hold them (recountWritten).
func (s *Store) recountContacts(ctx context.Context, institution string, buckets []time.Time) error {
	if err := s.recountContactLevels(ctx, institution, buckets); err != nil {
		return err
	}
	return s.recountWritten(ctx, institution, buckets)
}

// recountContactLevels recounts the contact rollup of the institution's
// buckets from the newest versions of its contacts, with the store's
// parameters, replacing the previous rows (see recountLevels).
func (s *Store) recountContactLevels(ctx context.Context, institution string, buckets []time.Time) error {
	return s.recountLevels(ctx, contactRollup, institution, buckets, s.contactCounts(ctx, institution, newestContacts, nil))
}

// contactCounts counts the institution's contacts (those rows yields) with
// the store's parameters; known, when not nil, holds every group they may
// have (see contactCountsQuery).
func (s *Store) contactCounts(ctx context.Context, institution string, rows contactsIn, known []group) countsFunc {
	params := s.paramsOf(institution)
	return func(w window, key func(q *query) *query) (*query, error) {
		return s.contactCountsQuery(ctx, institution, w, params, key, rows, known)
	}
}

// feedbackCounts counts the institution's feedback.
func feedbackCounts(institution string) countsFunc {
	return func(w window, key func(q *query) *query) (*query, error) {
		return feedbackCountsQuery(institution, w, key), nil
	}
}

// countsFunc returns the query of a rollup's counts of the newest versions
// in w per group and key (nil when w has no records).
type countsFunc func(w window, key func(q *query) *query) (*query, error)

// recountLevels recounts r's levels of the institution's buckets, keeping
// the seconds the horizon asks for (secondsFrom; see recountLevelsFrom).
func (s *Store) recountLevels(ctx context.Context, r rollup, institution string, buckets []time.Time, counts countsFunc) error {
	secondsFrom, err := s.secondsFrom(ctx, institution)
	if err != nil {
		return err
	}
	return s.recountLevelsFrom(ctx, r, institution, buckets, counts, secondsFrom)
}

// recountLevelsFrom recounts r's levels of the institution's buckets inside
// ClickHouse, from one read of the newest versions per chunk: the buckets
// from secondsFrom on as seconds, then the buckets as their sums; older
// buckets straight as buckets; then the days as the sums of the buckets.
// The reads of different chunks, and of the older and the recent buckets of
// one, cover different buckets and run levelRecounts at a time; the days
// are summed once they are all done.
func (s *Store) recountLevelsFrom(ctx context.Context, r rollup, institution string, buckets []time.Time, counts countsFunc,
	secondsFrom time.Time) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(levelRecounts)
	for _, chunk := range chunks(buckets) {
		older, recent := splitAt(chunk, secondsFrom)
		if len(older) > 0 {
			g.Go(func() error {
				return s.recountLevel(gctx, r, r.bucketTable(), institution, older, s.nextVersion(), counts)
			})
		}
		if len(recent) > 0 {
			g.Go(func() error { return s.recountSeconds(gctx, r, institution, recent, counts) })
		}
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return s.recountDays(ctx, r, institution, buckets)
}

// levelRecounts is how many reads of one recount run at a time: the two
// cores of the machines measured here (docs/benchmarks.md) are kept busy
// by two, where one left the second idle while the other counted.
const levelRecounts = 2

// recountSeconds recounts the seconds of the institution's buckets (at
// most a chunk), then the buckets as their sums.
func (s *Store) recountSeconds(ctx context.Context, r rollup, institution string, buckets []time.Time, counts countsFunc) error {
	version := s.nextVersion() // before reading: a later recount wins
	if err := s.recountLevel(ctx, r, r.secondTable(), institution, buckets, version, counts); err != nil {
		return err
	}
	return s.sumLevel(ctx, r, r.secondTable(), r.bucketTable(), "toStartOfFifteenMinutes", institution, bucketSet(buckets), version)
}

// recountLevel writes the rows of the institution's buckets (chunk) to
// table (r's seconds or buckets) with version: the counts of the newest
// versions per key (the second or the bucket) and r's groups, and a row of
// zeros for every key of those buckets that had counts and that the counts
// lack.
func (s *Store) recountLevel(ctx context.Context, r rollup, table, institution string, chunk []time.Time, version uint64, counts countsFunc) error {
	key := func(q *query) *query { return q.sql(r.time) }
	if table == r.bucketTable() {
		key = func(q *query) *query { return q.sql("toStartOfFifteenMinutes(", r.time, ")") }
	}
	c, err := counts(bucketSet(chunk), key)
	if err != nil {
		return fmt.Errorf("recount %s of %s: %w", table, institution, err)
	}
	if c != nil {
		q := &query{}
		q.sql("INSERT INTO ", table, "\nSELECT ").bind(institution).sql(", key, ", r.keys, ", ").bind(version).sql(", ", r.counts, "\nFROM (").subquery(c).sql(")")
		if err := s.exec(ctx, table, q); err != nil {
			return fmt.Errorf("recount %s of %s: %w", table, institution, err)
		}
	}
	// Keys that this recount did not write have an older version.
	q := &query{}
	q.sql("INSERT INTO ", table, "\nSELECT institution, bucket, ", r.keys, ", ").bind(version).sql(", ", r.zeros, "\nFROM ", table, " FINAL\nWHERE institution = ").bind(institution).sql(" AND ")
	bucketSet(chunk).sql(q, "bucket").sql(" AND version < ").bind(version).sql(" AND ", r.nonZero, " > 0")
	if err := s.exec(ctx, table, q); err != nil {
		return fmt.Errorf("recount %s of %s: %w", table, institution, err)
	}
	return nil
}

// chunks splits sorted buckets into runs of at most maxBucketsPerRecount.
func chunks(buckets []time.Time) [][]time.Time {
	var out [][]time.Time
	for len(buckets) > maxBucketsPerRecount {
		out = append(out, buckets[:maxBucketsPerRecount])
		buckets = buckets[maxBucketsPerRecount:]
	}
	if len(buckets) > 0 {
		out = append(out, buckets)
	}
	return out
}

// touched collects the buckets per institution that a batch changes.
type touched map[string]map[int64]bool

func (t touched) add(institution string, at time.Time) {
	if t[institution] == nil {
		t[institution] = map[int64]bool{}
	}
	t[institution][bucketFloor(at).Unix()] = true
}

// sorted returns the institution's buckets in order.
func (t touched) sorted(institution string) []time.Time {
	out := make([]time.Time, 0, len(t[institution]))
	for b := range t[institution] {
		out = append(out, time.Unix(b, 0).UTC())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// keysBySource groups record ids by institution and source.
type keysBySource map[string]map[string][]string

// add adds a record's id; room is how many ids at most are still to come,
// which a source's first id makes room for (a batch's ids are mostly of
// one source: this saves growing its slice afresh for every batch).
func (k keysBySource) add(institution, source, id string, room int) {
	if k[institution] == nil {
		k[institution] = map[string][]string{}
	}
	ids, ok := k[institution][source]
	if !ok {
		ids = make([]string, 0, room)
	}
	k[institution][source] = append(ids, id)
}

// earlierBuckets adds to t the buckets (of timeColumn) of the stored
// versions of the given records. Called before a batch is written, it finds
// the bucket of each record's newest stored version, where the rollup
// counts it now (ClickHouse may merge older versions away at any time, but
// never the newest): a new version may move the record out of it.
//
// since, when not zero, bounds timeColumn from below, so that a lookup by a
// column outside the table's key reads only recent partitions.
func (s *Store) earlierBuckets(ctx context.Context, table, timeColumn, idColumn string, keys keysBySource, since time.Time, t touched) error {
	for institution, bySource := range keys {
		for source, ids := range bySource {
			build, done := s.batchIDs(ids)
			q := (&query{}).external(build)
			q.sql("SELECT DISTINCT toStartOfFifteenMinutes(", timeColumn, ") FROM ", table, " WHERE institution = ").bind(institution).
				sql(" AND source = ").bind(source).sql(" AND ", idColumn, " IN ", idTable)
			if !since.IsZero() {
				q.sql(" AND ", timeColumn, " >= ").time(since)
			}
			err := s.collectBuckets(ctx, q, institution, t)
			done()
			if err != nil {
				return fmt.Errorf("earlier %s buckets: %w", table, err)
			}
		}
	}
	return nil
}

// contactBatch is what InsertContacts finds out before it writes a batch:
// the rollup buckets the batch's records are counted in now, which of them
// are stored already, and which of those are written cases.
type contactBatch struct {
	touched  touched
	keys     keysBySource
	stored   map[recordKey]time.Time // the bucket of each stored record's newest version
	written  map[recordKey]bool
	earliest time.Time // the earliest arrival of the batch's records, old or new
}

type recordKey struct{ institution, source, id string }

// beforeContacts looks up, before a batch is written, where its records
// are counted now: the bucket of each record's newest stored version (the
// only one the rollup counts; ClickHouse may merge older versions away at
// any time, but never the newest), and whether that version is a written
// case (so that a new version that is not one withdraws it from
// written_cases).
func (s *Store) beforeContacts(ctx context.Context, cs []records.Contact) (contactBatch, error) {
	b := contactBatch{touched: touched{}, keys: keysBySource{}, stored: map[recordKey]time.Time{}, written: map[recordKey]bool{}}
	if err := checkVersions(cs); err != nil {
		return b, err
	}
	for i, c := range cs {
		b.touched.add(c.Institution, c.ArrivedAt)
		b.keys.add(c.Institution, c.Source, c.ID, len(cs)-i)
		if b.earliest.IsZero() || c.ArrivedAt.Before(b.earliest) {
			b.earliest = c.ArrivedAt
		}
	}
	for institution, bySource := range b.keys {
		for source, ids := range bySource {
			if err := s.storedContacts(ctx, institution, source, ids, &b); err != nil {
				return b, err
			}
		}
	}
	return b, nil
}

// idTable is the name of the external table of ids a lookup sends with
// its query.
const idTable = "batch_ids"

// batchIDs returns the builder of the external table idTable (one String
// column, id) that holds ids, so that a query looks up any number of
// records with `id IN batch_ids`: one query, with the ids sent as a column
// rather than parsed from its text. The table comes from the store's pool
// (see idTables); done gives it back once the query's rows are closed,
// when the driver has sent it.
func (s *Store) batchIDs(ids []string) (build func() (*ext.Table, error), done func()) {
	var t *ext.Table
	build = func() (*ext.Table, error) {
		var err error
		if t, err = s.idTables.get(); err != nil {
			return nil, err
		}
		if _, err := t.Block().Columns[0].Append(ids); err != nil { // a whole column: no value boxed per row
			return nil, err
		}
		return t, nil
	}
	return build, func() {
		if t != nil {
			s.idTables.put(t)
		}
	}
}

// idTablePool keeps the external tables of lookups' ids for reuse: a
// table's column keeps the room its last ids took, where a new one grew
// it afresh for every batch (a tenth of a collector's allocations). It
// keeps a few, in a list of its own: a sync.Pool drops them at every
// garbage collection, which a collector runs several times a batch.
type idTablePool struct {
	mu   sync.Mutex
	free []*ext.Table
}

// maxIDTables is how many tables the pool keeps: as many as lookups run
// at once.
const maxIDTables = 4

func (p *idTablePool) get() (*ext.Table, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		t := p.free[n-1]
		p.free = p.free[:n-1]
		t.Block().Reset()
		return t, nil
	}
	return ext.NewTable(idTable, ext.Column("id", "String"))
}

func (p *idTablePool) put(t *ext.Table) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) < maxIDTables {
		p.free = append(p.free, t)
	}
}

// storedContacts adds to b where the stored records ids are counted now.
func (s *Store) storedContacts(ctx context.Context, institution, source string, ids []string, b *contactBatch) error {
	build, done := s.batchIDs(ids)
	defer done() // after the rows are closed: deferred first, run last
	q := (&query{}).external(build)
	q.sql("SELECT id, argMax(toStartOfFifteenMinutes(arrived_at), tuple(version, ingested_at)), ",
		"argMax(channel IN (").list(channels(records.IsWritten)).sql(") OR complex = 1, tuple(version, ingested_at))",
		" FROM contacts WHERE institution = ").bind(institution).sql(" AND source = ").bind(source).
		sql(" AND id IN ", idTable, " GROUP BY id")
	ctx, err := q.context(ctx)
	if err != nil {
		return fmt.Errorf("stored contacts of %s: %w", institution, err)
	}
	rows, err := s.conn.Query(ctx, q.String(), q.args...)
	if err != nil {
		return fmt.Errorf("stored contacts of %s: %w", institution, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id      string
			bucket  time.Time
			written uint8
		)
		if err := rows.Scan(&id, &bucket, &written); err != nil {
			return fmt.Errorf("stored contacts of %s: %w", institution, err)
		}
		b.touched.add(institution, bucket)
		if bucket.Before(b.earliest) {
			b.earliest = bucket // where the record arrived until now
		}
		k := recordKey{institution, source, id}
		b.stored[k] = bucket
		if written == 1 {
			b.written[k] = true
		}
	}
	return rows.Err()
}

// afterContacts brings the rollups up to date after a batch of contact
// versions was written: the contact buckets the records were and are now
// counted in, and the feedback buckets of the responses about them (whose
// unit and channel they give).
func (s *Store) afterContacts(ctx context.Context, b contactBatch) error {
	for institution := range b.touched {
		if err := s.recountContacts(ctx, institution, b.touched.sorted(institution)); err != nil {
			return err
		}
	}
	fb := touched{}
	// A response about a contact is submitted after the contact arrived.
	if err := s.earlierBuckets(ctx, "feedback", "submitted_at", "contact_id", b.keys, b.earliest, fb); err != nil {
		return err
	}
	for institution := range fb {
		if err := s.recountFeedback(ctx, institution, fb.sorted(institution)); err != nil {
			return err
		}
	}
	return nil
}

// refreshFeedbackRollups brings the feedback rollup up to date after a
// batch of feedback versions was written; before are the buckets its
// records were counted in before.
func (s *Store) refreshFeedbackRollups(ctx context.Context, before touched) error {
	for institution := range before {
		if err := s.recountFeedback(ctx, institution, before.sorted(institution)); err != nil {
			return err
		}
	}
	return nil
}

// beforeFeedback returns the buckets a batch of feedback versions will
// touch: theirs, and those their records are counted in now.
func (s *Store) beforeFeedback(ctx context.Context, fs []records.Feedback) (touched, error) {
	t, keys := touched{}, keysBySource{}
	for _, f := range fs {
		if _, err := version("feedback", f.Source, f.ID, f.Version); err != nil {
			return t, err // before anything is sent: see rowsPerBlock
		}
	}
	for i, f := range fs {
		t.add(f.Institution, f.SubmittedAt)
		keys.add(f.Institution, f.Source, f.ID, len(fs)-i)
	}
	return t, s.earlierBuckets(ctx, "feedback", "submitted_at", "id", keys, time.Time{}, t)
}

// recountFeedback recounts the feedback rollup of the institution's
// buckets, as recountContactLevels does for contacts.
func (s *Store) recountFeedback(ctx context.Context, institution string, buckets []time.Time) error {
	return s.recountLevels(ctx, feedbackRollup, institution, buckets, feedbackCounts(institution))
}

// RebuildRollups recounts every rollup bucket of the institution from its
// raw versions, with the store's parameters, and its written rollup in its
// zone, and records that its rollups are built: from then on reads use
// them and every write keeps them current. It reads the institution's
// history once, a month at a time.
func (s *Store) RebuildRollups(ctx context.Context, institution string) error {
	for _, r := range []struct {
		table, column string
		recount       func(context.Context, string, []time.Time) error
	}{
		{"contacts", "arrived_at", s.recountContactLevels},
		{"feedback", "submitted_at", s.recountFeedback},
	} {
		buckets, err := s.allBuckets(ctx, r.table, r.column, institution)
		if err != nil {
			return err
		}
		if err := r.recount(ctx, institution, buckets); err != nil {
			return err
		}
	}
	if err := s.rebuildWritten(ctx, institution); err != nil {
		return err
	}
	err := s.insertBatch(ctx, "rollup_builds_v2", "institution, version, built_at", 1, func(b driver.Batch) error {
		return b.Append(institution, s.nextVersion(), time.Now().UTC())
	})
	if err != nil {
		return fmt.Errorf("record rollup build of %s: %w", institution, err)
	}
	s.mu.Lock()
	s.built[institution] = true
	s.mu.Unlock()
	return nil
}

// allBuckets returns every bucket of the institution's rows in table.
func (s *Store) allBuckets(ctx context.Context, table, column, institution string) ([]time.Time, error) {
	q := &query{}
	q.sql("SELECT DISTINCT toStartOfFifteenMinutes(", column, ") AS b FROM ", table, " WHERE institution = ").bind(institution).sql(" ORDER BY b")
	rows, err := s.conn.Query(ctx, q.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("%s buckets of %s: %w", table, institution, err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var b time.Time
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("%s buckets of %s: %w", table, institution, err)
		}
		out = append(out, b.UTC())
	}
	return out, rows.Err()
}

// EnsureRollups rebuilds the rollups of every institution that has none
// yet, or whose contact rollup was counted with other thresholds than the
// store's parameters give (the configuration changed), and the written
// rollup of every other institution whose written rollup is missing or was
// counted in another time zone than the store's; it writes the seconds of
// any institution whose horizon grew (extendSeconds). It returns the
// institutions it rebuilt or extended.
func (s *Store) EnsureRollups(ctx context.Context, institutions []string) ([]string, error) {
	var rebuilt []string
	for _, in := range institutions {
		all, written, err := s.staleRollups(ctx, in)
		if err != nil {
			return rebuilt, err
		}
		switch {
		case all:
			err = s.RebuildRollups(ctx, in)
		case written:
			err = s.rebuildWritten(ctx, in)
		}
		if err != nil {
			return rebuilt, err
		}
		extended, err := s.extendSeconds(ctx, in)
		if err != nil {
			return rebuilt, err
		}
		if all || written || extended {
			rebuilt = append(rebuilt, in)
		}
	}
	return rebuilt, nil
}

// staleRollups reports whether all of the institution's rollups need a
// rebuild (none was built, or with other thresholds), or else its written
// rollup (none was built, or in another zone).
func (s *Store) staleRollups(ctx context.Context, institution string) (all, written bool, err error) {
	built, err := s.rollupsBuilt(ctx, institution)
	if err != nil || !built {
		return !built, false, err
	}
	current, err := s.rollupParamsCurrent(ctx, institution)
	if err != nil || !current {
		return !current, false, err
	}
	zone, err := s.builtWrittenZone(ctx, institution)
	return false, zone != s.zoneOf(institution).String(), err
}

// rollupParamsCurrent reports whether every group of the institution's
// contact rollup was counted with the store's parameters.
func (s *Store) rollupParamsCurrent(ctx context.Context, institution string) (bool, error) {
	q := (&query{}).sql("SELECT DISTINCT unit, channel, t_ms, s_ms, l_ms FROM ", contactRollup.bucketTable(), " FINAL WHERE institution = ").bind(institution).sql(" AND offered > 0")
	rows, err := s.conn.Query(ctx, q.String(), q.args...)
	if err != nil {
		return false, fmt.Errorf("rollup parameters of %s: %w", institution, err)
	}
	defer rows.Close()
	params := s.paramsOf(institution)
	for rows.Next() {
		var (
			unit, channel string
			t, sh, l      int64
		)
		if err := rows.Scan(&unit, &channel, &t, &sh, &l); err != nil {
			return false, fmt.Errorf("rollup parameters of %s: %w", institution, err)
		}
		p := params(unit, channel)
		if t != p.Threshold.Milliseconds() || sh != p.ShortAbandon.Milliseconds() || l != p.LongWait.Milliseconds() {
			return false, nil
		}
	}
	return true, rows.Err()
}
