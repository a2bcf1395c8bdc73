package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ccbench/ccbench/records"
)

const contactColumns = "institution, source, id, version, updated_at, unit, channel, queue, arrived_at, answered_at, ended_at, outcome, talk_s, hold_s, acw_s, measures, wait_ms, complex, resolved_at, corrected, origin, deleted, ingested_at"

const feedbackColumns = "institution, source, id, version, updated_at, instrument, subject, contact_id, unit, channel, submitted_at, scale, score, origin, deleted, ingested_at"

const aggregateColumns = "institution, source, batch, revision, period_start, period_end, unit, channel, instrument, item, metric, value, ingested_at"

const quarantineColumns = "institution, source, stream, record_id, field, reason, raw, origin, received_at"

// insertBatch prepares an INSERT into table with the given column list,
// lets add append every row, and sends the batch.
func (s *Store) insertBatch(ctx context.Context, table, columns string, n int, add func(b driver.Batch) error) error {
	if n == 0 {
		return nil
	}
	ctx, done := s.clusterInsert(ctx, table) // no-op on a single server
	defer done()
	ctx, stop := batchContext(ctx)
	defer stop()
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+columns+")")
	if err != nil {
		return fmt.Errorf("insert into %s: prepare: %w", table, err)
	}
	if err := add(b); err != nil {
		_ = b.Abort()
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert into %s: send %d rows: %w", table, n, err)
	}
	return nil
}

// batchContext returns the context of a batch insert: it ends with ctx
// while the insert runs, and never once stop is called. clickhouse-go
// closes a batch's connection when the batch's context ends, from a
// goroutine that a busy machine may run only after Send has put the
// connection back in the pool; a context that ended right after the insert
// (an errgroup's, when Wait returns; a caller's deferred cancel) then
// closed a connection that another query had taken ("use of closed
// network connection", seen once in the tests).
func batchContext(ctx context.Context) (batchCtx context.Context, stop func()) {
	batchCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	unregister := context.AfterFunc(ctx, cancel)
	return batchCtx, func() { unregister() }
}

func utc(t time.Time) time.Time { return t.UTC() }

func boolByte(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func version(kind, source, id string, v int64) (uint64, error) {
	if v < 0 {
		return 0, fmt.Errorf("%s %s/%s: field version: negative (%d)", kind, source, id, v)
	}
	return uint64(v), nil
}

// waitMS returns the wait of c in milliseconds, from the full-precision
// times of the record (shared/kpis.md): AnsweredAt − ArrivedAt of an
// answered contact, EndedAt − ArrivedAt of an abandoned one, truncated to
// the millisecond. It has none (ok false) for other outcomes and when the
// end time is missing. The stored DateTime columns hold whole seconds only,
// so the wait KPIs are computed from this value, not from the stored times.
func waitMS(c records.Contact) (ms int64, ok bool) {
	var end *time.Time
	switch c.Outcome {
	case records.OutcomeAnswered:
		end = c.AnsweredAt
	case records.OutcomeAbandoned:
		end = c.EndedAt
	}
	if end == nil {
		return 0, false
	}
	return end.Sub(c.ArrivedAt).Milliseconds(), true
}

// InsertContacts writes one row per contact version. Writing the same
// versions again is harmless: reads take one row per (source, id).
//
// It returns once the rollups of every bucket the versions touch are
// recounted, so a caller that moves its checkpoint after it never leaves a
// stale bucket behind: a failure before that makes it write the batch
// again, which recounts them.
func (s *Store) InsertContacts(ctx context.Context, cs []records.Contact) error {
	if len(cs) == 0 {
		return nil
	}
	before, err := s.beforeContacts(ctx, cs)
	if err != nil {
		return err
	}
	if err := s.insertContacts(ctx, cs); err != nil {
		return err
	}
	if err := s.insertWrittenCases(ctx, cs, before.written); err != nil {
		return err
	}
	return s.afterContacts(ctx, before)
}

// InsertContactsWithoutRollups writes one row per contact version and
// nothing else: no lookup of the records' stored versions, no written
// cases, no rollup recount. It is for `ccbench bench`, which measures what
// the insert of the raw versions costs by itself, the floor under
// InsertContacts; the institution's rollups and written cases do not
// follow it, so it must only write institutions that nothing reads.
func (s *Store) InsertContactsWithoutRollups(ctx context.Context, cs []records.Contact) error {
	if err := checkVersions(cs); err != nil {
		return err
	}
	return s.insertContacts(ctx, cs)
}

// checkVersions refuses contacts with a negative version, naming the
// first, before any row is sent: blocks already sent stay when a later row
// fails (see rowsPerBlock).
func checkVersions(cs []records.Contact) error {
	for _, c := range cs {
		if _, err := version("contact", c.Source, c.ID, c.Version); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) insertContacts(ctx context.Context, cs []records.Contact) error {
	return s.insertBatch(ctx, "contacts", contactColumns, len(cs), func(b driver.Batch) error {
		return appendContactBlocks(b, cs, (*contactCols).contactsColumns)
	})
}

// appendContactBlocks appends cs to b and sends them, rowsPerBlock rows at
// a time, as the columns that columns picks (in the order of the batch's
// INSERT), through one contactCols.
func appendContactBlocks(b driver.Batch, cs []records.Contact, columns func(*contactCols) []any) error {
	var cols contactCols
	for start := 0; start < len(cs); start += rowsPerBlock {
		if err := cols.fill(cs[start:min(len(cs), start+rowsPerBlock)]); err != nil {
			return err
		}
		for i, col := range columns(&cols) {
			if err := b.Column(i).Append(col); err != nil {
				return fmt.Errorf("column %d: %w", i, err)
			}
		}
		if err := b.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// rowsPerBlock is how many rows an insert sends to ClickHouse at a time:
// one INSERT of a large batch goes as blocks of this size, which the
// server gathers into the same parts, so that the driver's copy of the
// batch's columns stays small (a batch of 20,000 contacts held about 40 MB
// of columns and their encoding at once). Blocks already sent stay when a
// later row fails, so a batch's records are checked before any is sent
// (beforeContacts, beforeFeedback).
const rowsPerBlock = 4096

// flushEvery sends the rows appended to b so far after every rowsPerBlock
// rows; i is the index of the row just appended.
func flushEvery(b driver.Batch, i int) error {
	if (i+1)%rowsPerBlock != 0 {
		return nil
	}
	return b.Flush()
}

// contactCols holds a block of contacts column by column, in the order of
// contactColumns: the native protocol is columnar, so appending whole
// columns costs far less than appending row by row. One contactCols serves
// every block of a batch (fill reuses its slices), since the driver copies
// what is appended.
type contactCols struct {
	institution, source, id               []string
	version                               []uint64
	updatedAt, arrivedAt, ingestedAt      []time.Time
	unit, channel, queue, outcome, origin []string
	answeredAt, endedAt, resolvedAt       []*time.Time
	talk, hold, acw                       []uint32
	measures, complex, deleted            []uint8
	waitMS                                []*int64
	corrected                             []*uint8

	// What the nullable columns point into, three times and once per row,
	// instead of a small allocation per value.
	times []time.Time
	waits []int64
	flags []uint8
}

// fill sets the columns to the contacts cs, reusing their storage.
func (c *contactCols) fill(cs []records.Contact) error {
	n := len(cs)
	for _, col := range []*[]string{&c.institution, &c.source, &c.id, &c.unit, &c.channel, &c.queue, &c.outcome, &c.origin} {
		*col = resize(*col, n)
	}
	for _, col := range []*[]time.Time{&c.updatedAt, &c.arrivedAt, &c.ingestedAt} {
		*col = resize(*col, n)
	}
	for _, col := range []*[]*time.Time{&c.answeredAt, &c.endedAt, &c.resolvedAt} {
		*col = resize(*col, n)
	}
	for _, col := range []*[]uint32{&c.talk, &c.hold, &c.acw} {
		*col = resize(*col, n)
	}
	for _, col := range []*[]uint8{&c.measures, &c.complex, &c.deleted} {
		*col = resize(*col, n)
	}
	c.version, c.waitMS, c.corrected = resize(c.version, n), resize(c.waitMS, n), resize(c.corrected, n)
	c.times, c.waits, c.flags = resize(c.times, 3*n), resize(c.waits, n), resize(c.flags, n)
	now := time.Now().UTC()
	for i, r := range cs {
		v, err := version("contact", r.Source, r.ID, r.Version)
		if err != nil {
			return err
		}
		c.institution[i], c.source[i], c.id[i], c.version[i] = r.Institution, r.Source, r.ID, v
		c.updatedAt[i], c.arrivedAt[i], c.ingestedAt[i] = utc(r.UpdatedAt), utc(r.ArrivedAt), now
		c.unit[i], c.channel[i], c.queue[i], c.outcome[i], c.origin[i] = r.Unit, r.Channel, r.Queue, r.Outcome, r.Origin
		c.answeredAt[i] = utcInto(&c.times[3*i], r.AnsweredAt)
		c.endedAt[i] = utcInto(&c.times[3*i+1], r.EndedAt)
		c.resolvedAt[i] = utcInto(&c.times[3*i+2], r.ResolvedAt)
		c.talk[i], c.hold[i], c.acw[i] = r.TalkS, r.HoldS, r.AcwS
		c.measures[i], c.complex[i], c.deleted[i] = uint8(r.Measures), boolByte(r.Complex), boolByte(r.Deleted)
		c.waitMS[i], c.corrected[i] = nil, nil
		if ms, ok := waitMS(r); ok {
			c.waits[i] = ms
			c.waitMS[i] = &c.waits[i]
		}
		if r.Corrected != nil {
			c.flags[i] = boolByte(*r.Corrected)
			c.corrected[i] = &c.flags[i]
		}
	}
	return nil
}

// resize returns s with length n, reusing its storage when it is large
// enough. The elements are left as they were: the caller sets them all.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// utcInto returns nil for nil, and otherwise dst set to t in UTC.
func utcInto(dst, t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	*dst = t.UTC()
	return dst
}

// contactsColumns returns the columns of contacts (contactColumns).
func (c *contactCols) contactsColumns() []any {
	return []any{c.institution, c.source, c.id, c.version, c.updatedAt, c.unit, c.channel, c.queue,
		c.arrivedAt, c.answeredAt, c.endedAt, c.outcome, c.talk, c.hold, c.acw, c.measures, c.waitMS,
		c.complex, c.resolvedAt, c.corrected, c.origin, c.deleted, c.ingestedAt}
}

// writtenColumns returns the columns of written_cases (writtenCaseColumns).
func (c *contactCols) writtenColumns() []any {
	return []any{c.institution, c.source, c.id, c.version, c.unit, c.channel, c.arrivedAt, c.answeredAt,
		c.complex, c.resolvedAt, c.corrected, c.deleted, c.ingestedAt}
}

// InsertFeedback writes one row per feedback version and recounts the
// rollup buckets they touch, as InsertContacts does.
func (s *Store) InsertFeedback(ctx context.Context, fs []records.Feedback) error {
	if len(fs) == 0 {
		return nil
	}
	before, err := s.beforeFeedback(ctx, fs)
	if err != nil {
		return err
	}
	if err := s.insertFeedback(ctx, fs); err != nil {
		return err
	}
	return s.refreshFeedbackRollups(ctx, before)
}

func (s *Store) insertFeedback(ctx context.Context, fs []records.Feedback) error {
	now := time.Now().UTC()
	return s.insertBatch(ctx, "feedback", feedbackColumns, len(fs), func(b driver.Batch) error {
		for i, f := range fs {
			v, err := version("feedback", f.Source, f.ID, f.Version)
			if err != nil {
				return err
			}
			err = b.Append(f.Institution, f.Source, f.ID, v, utc(f.UpdatedAt), f.Instrument, f.Subject, f.ContactID, f.Unit, f.Channel,
				utc(f.SubmittedAt), f.Scale, int32(f.Score), f.Origin, boolByte(f.Deleted), now)
			if err != nil {
				return fmt.Errorf("feedback %s/%s version %d: %w", f.Source, f.ID, f.Version, err)
			}
			if err := flushEvery(b, i); err != nil {
				return err
			}
		}
		return nil
	})
}

// dateOf returns the calendar date of t as written in its own location, at
// midnight UTC, which is how ClickHouse's Date type stores it.
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// InsertAggregates writes aggregate rows. Only the highest revision of each
// (institution, source, batch) counts when reading.
func (s *Store) InsertAggregates(ctx context.Context, as []records.Aggregate) error {
	now := time.Now().UTC()
	return s.insertBatch(ctx, "aggregates", aggregateColumns, len(as), func(b driver.Batch) error {
		for _, a := range as {
			err := b.Append(a.Institution, a.Source, a.Batch, a.Revision, dateOf(a.PeriodStart), dateOf(a.PeriodEnd),
				a.Unit, a.Channel, a.Instrument, a.Item, a.Metric, a.Value, now)
			if err != nil {
				return fmt.Errorf("aggregate %s/%s revision %d metric %s: %w", a.Source, a.Batch, a.Revision, a.Metric, err)
			}
		}
		return nil
	})
}

// Quarantine writes records that broke their source's contract. A zero
// ReceivedAt is set to now.
func (s *Store) Quarantine(ctx context.Context, qs []records.Quarantined) error {
	qs, err := s.notQuarantined(ctx, qs)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	return s.insertBatch(ctx, "quarantine", quarantineColumns, len(qs), func(b driver.Batch) error {
		for _, q := range qs {
			at := q.ReceivedAt
			if at.IsZero() {
				at = now
			}
			if err := b.Append(q.Institution, q.Source, q.Stream, q.RecordID, q.Field, q.Reason, q.Raw, q.Origin, utc(at)); err != nil {
				return fmt.Errorf("quarantined record %s/%s %q: %w", q.Source, q.Stream, q.RecordID, err)
			}
		}
		return nil
	})
}

// Checkpoint returns the newest saved position of a source stream; ok is
// false when none was saved.
func (s *Store) Checkpoint(ctx context.Context, source, stream string) (records.Checkpoint, bool, error) {
	rows, err := s.conn.Query(ctx,
		"SELECT source, stream, position, updated_at FROM checkpoints WHERE source = ? AND stream = ? ORDER BY version DESC LIMIT 1",
		source, stream)
	if err != nil {
		return records.Checkpoint{}, false, fmt.Errorf("read checkpoint %s/%s: %w", source, stream, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return records.Checkpoint{}, false, fmt.Errorf("read checkpoint %s/%s: %w", source, stream, err)
		}
		return records.Checkpoint{}, false, nil
	}
	var cp records.Checkpoint
	if err := rows.Scan(&cp.Source, &cp.Stream, &cp.Position, &cp.UpdatedAt); err != nil {
		return records.Checkpoint{}, false, fmt.Errorf("read checkpoint %s/%s: %w", source, stream, err)
	}
	cp.UpdatedAt = cp.UpdatedAt.UTC()
	return cp, true, nil
}

// nextVersion returns a checkpoint version: the current time in Unix
// nanoseconds, but always greater than the last one this store handed out.
func (s *Store) nextVersion() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := uint64(time.Now().UnixNano())
	if v <= s.lastVersion {
		v = s.lastVersion + 1
	}
	s.lastVersion = v
	return v
}

// SaveCheckpoint saves a source stream's position; the newest save wins. A
// zero UpdatedAt is set to now.
func (s *Store) SaveCheckpoint(ctx context.Context, cp records.Checkpoint) error {
	if cp.Source == "" || cp.Stream == "" {
		return fmt.Errorf("save checkpoint: source %q and stream %q must not be empty", cp.Source, cp.Stream)
	}
	at := cp.UpdatedAt
	if at.IsZero() {
		at = time.Now()
	}
	v := s.nextVersion()
	return s.insertBatch(ctx, "checkpoints", "source, stream, position, updated_at, version", 1, func(b driver.Batch) error {
		if err := b.Append(cp.Source, cp.Stream, cp.Position, at.UTC(), v); err != nil {
			return fmt.Errorf("checkpoint %s/%s: %w", cp.Source, cp.Stream, err)
		}
		return nil
	})
}

// LiveIDs returns, in id order, the ids of the records of source whose
// newest version came from origin and is not deleted; kind is "contacts" or
// "feedback".
func (s *Store) LiveIDs(ctx context.Context, kind, source, origin string) ([]string, error) {
	if kind != "contacts" && kind != "feedback" {
		return nil, fmt.Errorf("live ids of %s: kind %q must be contacts or feedback", source, kind)
	}
	q := `SELECT id FROM (
    SELECT id, origin, deleted FROM ` + kind + `
    WHERE source = ?
    ORDER BY version DESC, ingested_at DESC
    LIMIT 1 BY institution, id
) WHERE origin = ? AND deleted = 0
ORDER BY id`
	rows, err := s.conn.Query(ctx, q, source, origin)
	if err != nil {
		return nil, fmt.Errorf("live %s ids of %s from %s: %w", kind, source, origin, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("live %s ids of %s from %s: %w", kind, source, origin, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("live %s ids of %s from %s: %w", kind, source, origin, err)
	}
	return ids, nil
}
