package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"golang.org/x/sync/errgroup"

	"github.com/ccbench/ccbench/records"
)

// maxPassBuckets bounds the rollup buckets a pass keeps pending: past it,
// the pass recounts them before its next batch, so that its memory and the
// staleness of the rollups stay bounded in a long backfill.
const maxPassBuckets = 20000

// Kinds of pending rollup notes (rollup_pending.kind).
const (
	pendingContacts = "contacts"
	pendingFeedback = "feedback"
)

// Pass writes records like the Store, but recounts the rollup buckets its
// batches touch once, when it is finished (or when maxPassBuckets are
// pending), instead of after every batch: a backfill of hundreds of
// batches over the same days recounts each bucket once. Contact buckets
// that earlier batches touched and the latest did not are recounted ahead,
// while the next batches are written (recountAhead), so that the rollups
// of a long backfill follow it and its Finish has little left to do.
// Before a batch is written, the pass notes the span of buckets it touches
// in rollup_pending; Finish recounts them and marks the notes done. A pass
// that never finishes (the process died) leaves its notes pending, and
// RecoverPending, which the collector runs before every pass, recounts
// them: no bucket stays stale. Until a pass finishes, the rollups of the
// buckets it wrote may lag behind the raw versions.
//
// A Pass is the collectors.Sink of one collection pass; its methods are
// safe for concurrent use, and it must not be used after Finish.
type Pass struct {
	*Store
	session string

	mu       sync.Mutex
	contacts touched              // contact buckets to recount
	written  touched              // those of them whose written cases the pass wrote (writtenTouched)
	own      passOwn              // which of them are the pass's own (sortOwn)
	feedback touched              // feedback buckets to recount
	earliest map[string]time.Time // per institution, the earliest contact bucket touched
	since    time.Time            // contacts written from then on are the period's (ingested_at)
	through  map[string]uint64    // per institution, the version of its newest note
	noted    map[noteKey]noteSpan // per institution and kind, the hull of the notes not yet done
	ahead    ahead                // the recount of settled buckets while later batches are written
}

type noteKey struct{ institution, kind string }

type noteSpan struct{ first, last time.Time }

// noteMargin widens every note on both sides. Recovery recounts the hull
// of a pass's notes (the earliest first bucket to the latest last one), so
// a batch whose buckets lie inside the hull needs no note of its own; the
// batches of a backfill move through time a little at a time, and with the
// margin most of them write none (a collector's batch of 30,000 SODRA-size
// contacts spans about three days, and each note is an insert). At recovery the margin
// costs at most a week on either side, and only buckets that hold rows are
// recounted.
const noteMargin = 7 * 24 * time.Hour

// BeginPass starts a pass of writes whose rollup recounts are deferred to
// its Finish.
func (s *Store) BeginPass() *Pass {
	var id [8]byte
	_, _ = rand.Read(id[:]) // crypto/rand.Read never fails
	p := &Pass{Store: s, session: hex.EncodeToString(id[:]), ahead: ahead{min: recountAheadBuckets, lag: recountAheadLag, recount: s.recountPassContacts}}
	p.reset()
	s.mu.Lock()
	if s.live == nil {
		s.live = map[string]bool{}
	}
	s.live[p.session] = true
	s.mu.Unlock()
	return p
}

func (p *Pass) reset() {
	p.contacts, p.written, p.feedback, p.own = touched{}, touched{}, touched{}, newPassOwn(maxRevised)
	p.earliest, p.through = map[string]time.Time{}, map[string]uint64{}
	p.noted = map[noteKey]noteSpan{}
	p.since = time.Now().UTC().Truncate(time.Second) // ingested_at holds whole seconds
}

// InsertContacts writes a batch of contact versions; the rollups follow
// at Finish.
func (p *Pass) InsertContacts(ctx context.Context, cs []records.Contact) error {
	if len(cs) == 0 {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	// Where the batch's records are counted now, and which of its buckets
	// hold no row yet: two reads, side by side.
	var (
		before contactBatch
		empty  touched
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { before, err = p.beforeContacts(gctx, cs); return err })
	g.Go(func() (err error) { empty, err = p.emptyBuckets(gctx, cs); return err })
	if err := g.Wait(); err != nil {
		return err
	}
	p.sortOwn(cs, before, empty)
	if err := p.note(ctx, pendingContacts, before.touched); err != nil {
		return err
	}
	if err := p.waitAheadOf(ctx, before.touched); err != nil {
		return err
	}
	// The two tables take their rows at the same time: each insert has a
	// fixed cost on the server that is worth overlapping.
	g, gctx = errgroup.WithContext(ctx)
	g.Go(func() error { return p.insertContacts(gctx, cs) })
	g.Go(func() error { return p.insertWrittenCases(gctx, cs, before.written) })
	if err := g.Wait(); err != nil {
		return err
	}
	writtenTouched(cs, before, p.written)
	for institution, buckets := range before.touched {
		for b := range buckets {
			p.contacts.add(institution, time.Unix(b, 0))
		}
		if e, ok := p.earliest[institution]; !ok || before.earliest.Before(e) {
			p.earliest[institution] = before.earliest
		}
	}
	if err := p.flushIfFull(ctx); err != nil {
		return err
	}
	p.recountAhead(ctx, before.touched)
	return nil
}

// writtenTouched adds to t the buckets whose written cases batch cs
// changed, once its rows are in written_cases (see insertWrittenCases,
// which added the batch's written cases to b.written): those of the
// versions it wrote there and of their records' newest versions stored
// before. The written rollup of no other bucket's local day changed.
func writtenTouched(cs []records.Contact, b contactBatch, t touched) {
	for _, c := range cs {
		k := recordKey{c.Institution, c.Source, c.ID}
		if !b.written[k] {
			continue
		}
		t.add(c.Institution, c.ArrivedAt)
		if stored, ok := b.stored[k]; ok {
			t.add(c.Institution, stored)
		}
	}
}

// InsertFeedback writes a batch of feedback versions; the rollups follow
// at Finish.
func (p *Pass) InsertFeedback(ctx context.Context, fs []records.Feedback) error {
	if len(fs) == 0 {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	before, err := p.beforeFeedback(ctx, fs)
	if err != nil {
		return err
	}
	if err := p.note(ctx, pendingFeedback, before); err != nil {
		return err
	}
	if err := p.insertFeedback(ctx, fs); err != nil {
		return err
	}
	for institution, buckets := range before {
		for b := range buckets {
			p.feedback.add(institution, time.Unix(b, 0))
		}
	}
	if err := p.flushIfFull(ctx); err != nil {
		return err
	}
	p.keepSettling(ctx)
	return nil
}

// SettleContacts tells the pass that its caller has written the last
// contacts it has for now (collectors.ContactsSettler): it recounts the
// buckets of all of them ahead, while the rest of the pass (a source's
// feedback) is written (settleContacts).
func (p *Pass) SettleContacts(ctx context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.settleContacts(ctx)
}

// note records in rollup_pending, before a batch is written, the span of
// the buckets it touches per institution.
func (p *Pass) note(ctx context.Context, kind string, t touched) error {
	spans := map[string]noteSpan{}
	for institution, buckets := range t {
		first, last := span(buckets)
		k := noteKey{institution, kind}
		hull, ok := p.noted[k]
		if ok && !first.Before(hull.first) && !last.After(hull.last) {
			continue // recovery would recount these buckets already
		}
		first, last = first.Add(-noteMargin), last.Add(noteMargin)
		if ok {
			first, last = earliest(first, hull.first), latest(last, hull.last)
		}
		spans[institution] = noteSpan{first, last}
	}
	if len(spans) == 0 {
		return nil
	}
	now := time.Now().UTC()
	version := p.nextVersion()
	err := p.insertBatch(ctx, "rollup_pending", "institution, session, kind, first_bucket, last_bucket, version, noted_at", len(spans),
		func(b driver.Batch) error {
			for institution, sp := range spans {
				if err := b.Append(institution, p.session, kind, sp.first, sp.last, version, now); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("note pending rollup buckets: %w", err)
	}
	for institution, sp := range spans {
		p.through[institution] = version
		p.noted[noteKey{institution, kind}] = sp
	}
	return nil
}

// span returns the first and last of a set of buckets.
func span(buckets map[int64]bool) (first, last time.Time) {
	var lo, hi int64
	n := 0
	for b := range buckets {
		if n == 0 || b < lo {
			lo = b
		}
		if n == 0 || b > hi {
			hi = b
		}
		n++
	}
	return time.Unix(lo, 0).UTC(), time.Unix(hi, 0).UTC()
}

func (p *Pass) flushIfFull(ctx context.Context) error {
	n := 0
	for _, t := range []touched{p.contacts, p.feedback} {
		for _, buckets := range t {
			n += len(buckets)
		}
	}
	if n < maxPassBuckets {
		return nil
	}
	return p.flush(ctx)
}

// Finish recounts every rollup bucket the pass touched and marks its notes
// done. On an error the notes stay pending, for RecoverPending.
func (p *Pass) Finish(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	defer func() {
		p.Store.mu.Lock()
		delete(p.Store.live, p.session) // from now on, RecoverPending takes what is left
		p.Store.mu.Unlock()
	}()
	return p.flush(ctx)
}

// flush recounts the pending buckets: the contact buckets and, side by
// side, the feedback buckets of the feedback written and of the responses
// about the contacts written since the last flush (their unit and channel
// come from the contact); then it marks the notes done. A recount ahead
// that still runs counts other contact buckets than those pending, and
// they are recounted alongside it (see leftContacts); buckets it failed to
// recount come back pending and are recounted once it has ended.
func (p *Pass) flush(ctx context.Context) error {
	left := p.leftContacts()
	// The contact rollup and the feedback rollup are counted from the raw
	// versions, not from each other: they are recounted side by side.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return p.waitAhead(gctx) })
	g.Go(func() error { return p.recountAll(gctx, left) })
	g.Go(func() error {
		for institution := range p.earliest { // every institution the pass wrote contacts of
			if err := p.feedbackAbout(gctx, institution, p.earliest[institution], p.since, p.feedback); err != nil {
				return err
			}
		}
		for institution := range p.feedback {
			if err := p.recountFeedback(gctx, institution, p.feedback.sorted(institution)); err != nil {
				return err
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return err
	}
	if err := p.recountAll(ctx, p.leftContacts()); err != nil { // those a failed recount ahead gave back
		return err
	}
	if err := p.markDone(ctx, p.session, p.through); err != nil {
		return err
	}
	p.reset()
	return nil
}

// leftContacts takes the pending contact buckets out of the pass and
// returns the plans of their recount. They never include a bucket that a
// running recount ahead counts (settledPlans took those out), so the two
// recounts may run at the same time: each writes only its own buckets'
// seconds and 15-minute rows, and a day (or local day of the written
// rollup) that both touch is summed by each with a version taken after
// its own rows were written, so the one with the greater version, which
// replaces the other, read both.
func (p *Pass) leftContacts() []contactRecount {
	var plans []contactRecount
	for institution := range p.contacts {
		for _, part := range halves(p.contacts.sorted(institution)) {
			plans = append(plans, p.planContactRecount(institution, part))
		}
	}
	p.contacts = touched{}
	return plans
}

// halves splits sorted buckets into two runs, earlier and later, when
// there are enough of them that counting them on two cores pays for a
// second recount's fixed queries.
func halves(buckets []time.Time) [][]time.Time {
	switch {
	case len(buckets) == 0:
		return nil
	case len(buckets) < minHalf*2:
		return [][]time.Time{buckets}
	}
	return [][]time.Time{buckets[:len(buckets)/2], buckets[len(buckets)/2:]}
}

// minHalf is the fewest buckets (a day) worth a recount of their own.
const minHalf = 96

// recountAll recounts the plans, two at a time: they cover different
// buckets (see leftContacts for the days they share).
func (s *Store) recountAll(ctx context.Context, plans []contactRecount) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(levelRecounts)
	for _, r := range plans {
		g.Go(func() error { return s.recountPassContacts(gctx, r) })
	}
	return g.Wait()
}

// feedbackAbout adds to t the buckets of the institution's responses about
// the contacts written (ingested) since then whose arrival is not before
// earliest: a response is submitted after the contact it is about arrived.
// The contacts are matched by a hash of their key, which ClickHouse 18.16
// matches about seven times faster than the (source, id) tuple (1.07 s
// against 0.14 s for a pass of 829,000 contacts); a collision only adds a
// bucket to recount, which leaves it as it was. An institution with no
// response about a contact submitted since earliest (no feedback source, or
// none that names contacts) has none to find, and its contacts are not read.
func (s *Store) feedbackAbout(ctx context.Context, institution string, earliest, since time.Time, t touched) error {
	if found, err := s.anyResponseAbout(ctx, institution, earliest); err != nil || !found {
		return err
	}
	q := &query{}
	q.sql("SELECT DISTINCT toStartOfFifteenMinutes(submitted_at) FROM feedback WHERE institution = ").bind(institution).
		sql(" AND submitted_at >= ").time(earliest).
		sql(" AND cityHash64(source, contact_id) IN (SELECT cityHash64(source, id) FROM contacts WHERE institution = ").bind(institution).
		sql(" AND arrived_at >= ").time(earliest).sql(" AND ingested_at >= ").time(since).sql(")")
	return s.collectBuckets(ctx, q, institution, t)
}

// anyResponseAbout reports whether the institution has a response about a
// contact submitted since earliest.
func (s *Store) anyResponseAbout(ctx context.Context, institution string, earliest time.Time) (bool, error) {
	q := &query{}
	q.sql("SELECT count() FROM feedback WHERE institution = ").bind(institution).
		sql(" AND submitted_at >= ").time(earliest).sql(" AND contact_id != ''")
	var n uint64
	if err := s.conn.QueryRow(ctx, q.String(), q.args...).Scan(&n); err != nil {
		return false, fmt.Errorf("responses about contacts of %s: %w", institution, err)
	}
	return n > 0, nil
}

// collectBuckets runs q, which selects buckets, and adds them to t.
func (s *Store) collectBuckets(ctx context.Context, q *query, institution string, t touched) error {
	ctx, err := q.context(ctx)
	if err != nil {
		return fmt.Errorf("rollup buckets to recount of %s: %w", institution, err)
	}
	rows, err := s.conn.Query(ctx, q.String(), q.args...)
	if err != nil {
		return fmt.Errorf("rollup buckets to recount of %s: %w", institution, err)
	}
	defer rows.Close()
	for rows.Next() {
		var b time.Time
		if err := rows.Scan(&b); err != nil {
			return fmt.Errorf("rollup buckets to recount of %s: %w", institution, err)
		}
		t.add(institution, b)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("rollup buckets to recount of %s: %w", institution, err)
	}
	return nil
}

// markDone records that the session's notes up to through (per
// institution) are recounted.
func (s *Store) markDone(ctx context.Context, session string, through map[string]uint64) error {
	now := time.Now().UTC()
	err := s.insertBatch(ctx, "rollup_pending_done", "institution, session, through, done_at", len(through), func(b driver.Batch) error {
		for institution, v := range through {
			if err := b.Append(institution, session, v, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark pending rollup buckets done: %w", err)
	}
	return nil
}

// pendingNote is the span of buckets of the notes of one session,
// institution and kind that are not done.
type pendingNote struct {
	institution, session, kind string
	first, last                time.Time
	through                    uint64
}

// RecoverPending recounts the rollup buckets that passes noted but never
// recounted (they died between writing a batch and finishing) and marks
// them done; the passes of this store that are still running are left to
// finish. It assumes that no other process is writing passes to the same
// database at the same time: one collector per database.
func (s *Store) RecoverPending(ctx context.Context) error {
	notes, err := s.pendingNotes(ctx)
	if err != nil {
		return err
	}
	done := map[string]map[string]uint64{} // session → institution → through
	for _, n := range notes {
		s.mu.Lock()
		live := s.live[n.session]
		s.mu.Unlock()
		if live {
			continue
		}
		if err := s.recoverNote(ctx, n); err != nil {
			return err
		}
		if done[n.session] == nil {
			done[n.session] = map[string]uint64{}
		}
		done[n.session][n.institution] = max(done[n.session][n.institution], n.through)
	}
	sessions := make([]string, 0, len(done))
	for session := range done {
		sessions = append(sessions, session)
	}
	sort.Strings(sessions)
	for _, session := range sessions {
		if err := s.markDone(ctx, session, done[session]); err != nil {
			return err
		}
	}
	return nil
}

// pendingNotes returns the notes that are not done.
func (s *Store) pendingNotes(ctx context.Context) ([]pendingNote, error) {
	rows, err := s.conn.Query(ctx, `SELECT institution, session, kind, min(first_bucket), max(last_bucket), max(version)
FROM rollup_pending
ANY LEFT JOIN (
    SELECT institution, session, max(through) AS through FROM rollup_pending_done GROUP BY institution, session
) USING (institution, session)
WHERE version > through
GROUP BY institution, session, kind
ORDER BY institution, session, kind`)
	if err != nil {
		return nil, fmt.Errorf("pending rollup buckets: %w", err)
	}
	defer rows.Close()
	var out []pendingNote
	for rows.Next() {
		var n pendingNote
		if err := rows.Scan(&n.institution, &n.session, &n.kind, &n.first, &n.last, &n.through); err != nil {
			return nil, fmt.Errorf("pending rollup buckets: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pending rollup buckets: %w", err)
	}
	return out, nil
}

// recoverNote recounts every bucket in a note's span that has rows or
// rollup rows. For contacts, that also recounts the feedback buckets of
// every response about a contact with a version in the span (each record of
// a noted batch had its old and new version there).
func (s *Store) recoverNote(ctx context.Context, n pendingNote) error {
	end := n.last.Add(BucketSize)
	t := touched{}
	table, column, rollup := "contacts", "arrived_at", contactRollup.bucketTable()
	if n.kind == pendingFeedback {
		table, column, rollup = "feedback", "submitted_at", feedbackRollup.bucketTable()
	}
	for _, q := range []*query{
		(&query{}).sql("SELECT DISTINCT toStartOfFifteenMinutes(", column, ") FROM ", table, " WHERE institution = ").bind(n.institution).
			sql(" AND ", column, " >= ").time(n.first).sql(" AND ", column, " < ").time(end),
		(&query{}).sql("SELECT DISTINCT bucket FROM ", rollup, " WHERE institution = ").bind(n.institution).
			sql(" AND bucket >= ").time(n.first).sql(" AND bucket < ").time(end),
	} {
		if err := s.collectBuckets(ctx, q, n.institution, t); err != nil {
			return err
		}
	}
	if n.kind == pendingFeedback {
		return s.recountFeedback(ctx, n.institution, t.sorted(n.institution))
	}
	if err := s.recountContacts(ctx, n.institution, t.sorted(n.institution)); err != nil {
		return err
	}
	fb := touched{}
	q := &query{}
	q.sql("SELECT DISTINCT toStartOfFifteenMinutes(submitted_at) FROM feedback WHERE institution = ").bind(n.institution).
		sql(" AND submitted_at >= ").time(n.first).
		sql(" AND (source, contact_id) IN (SELECT source, id FROM contacts WHERE institution = ").bind(n.institution).
		sql(" AND arrived_at >= ").time(n.first).sql(" AND arrived_at < ").time(end).sql(")")
	if err := s.collectBuckets(ctx, q, n.institution, fb); err != nil {
		return err
	}
	return s.recountFeedback(ctx, n.institution, fb.sorted(n.institution))
}
