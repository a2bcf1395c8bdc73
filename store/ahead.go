package store

import (
	"context"
	"slices"
	"sort"
	"sync/atomic"
	"time"
)

// recountAheadBuckets is how many settled contact buckets start a recount
// ahead (recountAhead): about eleven days. Every recount has a fixed cost
// of a dozen small queries, so a pass recounts ahead a few times per month
// of data rather than after every batch.
const recountAheadBuckets = 1024

// recountAheadLag is how many of the latest batches keep the buckets they
// touch out of a recount ahead. The batches of a backfill revise records
// a few days behind their own (e-mails answered later): with the latest
// batch alone, 6 of the 28 batches of a 90-day SODRA-style pass touched a
// bucket being recounted ahead and waited 0.3-0.7 s for it, and the bucket
// was counted twice; with three, none did (docs/benchmarks.md).
const recountAheadLag = 3

// ahead is a pass's recount of settled contact buckets that runs while its
// later batches are written.
type ahead struct {
	min     int                                         // settled buckets that start one
	lag     int                                         // latest batches whose buckets are not settled (recountAheadLag)
	recent  []touched                                   // the buckets of those batches, oldest first
	settled bool                                        // no contacts since SettleContacts: every pending bucket is settled
	recount func(context.Context, contactRecount) error // Store.recountPassContacts
	done    chan struct{}                               // closed when the running one ends; nil when none runs
	cancel  context.CancelFunc                          // ends the running one
	counts  touched                                     // the buckets the running one recounts
	waits   atomic.Int64                                // batches that waited for one (waitAheadOf), for tests
	err     error                                       // why the running one failed, read once done is closed
	runs    int                                         // recounts started, for tests
}

// recountAhead starts, unless one runs, a recount of the contact buckets
// the pass touched that none of its latest p.ahead.lag batches touched (the
// latest's buckets are latest), once there are at least p.ahead.min of
// them. A backfill moves through time, so those buckets are settled, and
// recounting them while the next batches are written takes most of the
// recount off the path of Finish, on a second core. A later batch that
// touches one of those buckets waits for the recount first (waitAheadOf),
// and the bucket is recounted again, later and with a greater version. A
// recount ahead that fails gives its buckets back to the pass, whose
// Finish recounts them (and reports what fails then).
//
// It must be called with p.mu held; the recount itself holds nothing of the
// pass that later batches change (planContactRecount).
func (p *Pass) recountAhead(ctx context.Context, latest touched) {
	p.ahead.settled = false
	p.ahead.recent = append(p.ahead.recent, latest)
	if extra := len(p.ahead.recent) - max(p.ahead.lag, 1); extra > 0 {
		p.ahead.recent = slices.Delete(p.ahead.recent, 0, extra)
	}
	p.startAhead(ctx, p.ahead.min)
}

// settleContacts takes every contact bucket the pass has pending as
// settled, those of its latest batches too: the caller has written its
// last contacts for now (SettleContacts; a SODRA-style collector's contact
// stream ends before its feedback stream begins), and the buckets of the
// last batches would otherwise wait for Finish, to be recounted there next
// to the feedback. It starts their recount ahead, or, when one runs, the
// next batch of other records does (keepSettling); a contact batch ends
// that. A contact batch that touches one of the buckets waits for the
// recount (waitAheadOf), as any other. Called with p.mu held.
func (p *Pass) settleContacts(ctx context.Context) {
	p.ahead.recent, p.ahead.settled = nil, true
	p.startAhead(ctx, 1)
}

// keepSettling starts the recount ahead of the settled contact buckets
// that settleContacts could not start, after a batch of records other than
// contacts. Called with p.mu held.
func (p *Pass) keepSettling(ctx context.Context) {
	if p.ahead.settled {
		p.startAhead(ctx, 1)
	}
}

// startAhead starts, unless one runs, a recount of the pending contact
// buckets that none of p.ahead.recent touched, once there are atLeast of
// them. Called with p.mu held.
func (p *Pass) startAhead(ctx context.Context, atLeast int) {
	if p.ahead.done != nil {
		select {
		case <-p.ahead.done:
			p.endAhead()
		default:
			return // one at a time: the settled buckets wait for the next
		}
	}
	plans := p.settledPlans(p.ahead.recent, atLeast)
	if len(plans) == 0 {
		return
	}
	// The recount outlives the batch's context, which its caller may end
	// as soon as the batch returns; Finish ends it with its own.
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	p.ahead.done, p.ahead.cancel, p.ahead.counts = done, cancel, bucketsOf(plans)
	p.ahead.runs++
	go func() {
		defer close(done)
		for _, r := range plans {
			if err := p.ahead.recount(ctx, r); err != nil {
				p.ahead.err = err
				return
			}
		}
	}()
}

// settledPlans takes out of the pass's pending contact buckets those that
// none of the recent batches touched, when there are atLeast of them or
// more, and returns the plans of their recount.
func (p *Pass) settledPlans(recent []touched, atLeast int) []contactRecount {
	latest := func(institution string, b int64) bool {
		for _, t := range recent {
			if t[institution][b] {
				return true
			}
		}
		return false
	}
	n := 0
	for institution, buckets := range p.contacts {
		for b := range buckets {
			if !latest(institution, b) {
				n++
			}
		}
	}
	if n == 0 || n < atLeast {
		return nil
	}
	var plans []contactRecount
	for institution, buckets := range p.contacts {
		var settled []time.Time
		for b := range buckets {
			if !latest(institution, b) {
				settled = append(settled, time.Unix(b, 0).UTC())
				delete(buckets, b)
			}
		}
		if len(settled) > 0 {
			sort.Slice(settled, func(i, j int) bool { return settled[i].Before(settled[j]) })
			plans = append(plans, p.planContactRecount(institution, settled))
		}
	}
	return plans
}

// waitAhead waits until the recount ahead, if one runs, has ended; when
// ctx ends first, it ends the recount and returns ctx's error once the
// recount has stopped. Called with p.mu held.
func (p *Pass) waitAhead(ctx context.Context) error {
	if p.ahead.done == nil {
		return nil
	}
	stop := context.AfterFunc(ctx, p.ahead.cancel)
	<-p.ahead.done
	stop()
	p.endAhead()
	return ctx.Err()
}

// endAhead takes the end of the recount ahead, whose done is closed: when
// it failed, its buckets go back to the pass's pending ones.
func (p *Pass) endAhead() {
	p.ahead.cancel()
	if p.ahead.err != nil {
		for institution, buckets := range p.ahead.counts {
			for b := range buckets {
				p.contacts.add(institution, time.Unix(b, 0))
				p.written.add(institution, time.Unix(b, 0)) // as if its written cases changed: some may have
			}
		}
	}
	p.ahead.done, p.ahead.cancel, p.ahead.counts, p.ahead.err = nil, nil, nil, nil
}

// waitAheadOf waits for the recount ahead, if one runs, when a batch is
// about to write to a bucket it counts: its rows' buckets and those of its
// records' stored versions (t). A recount ahead so never reads a bucket
// while rows are written into it or records in it revised; it could count
// a record revised meanwhile twice, since it does not know it revised. The
// rollups of a pass are stale until it recounts, never wrong. A backfill
// moves through time, and with the buckets of its latest recountAheadLag
// batches held back, its batches seldom touch settled buckets.
func (p *Pass) waitAheadOf(ctx context.Context, t touched) error {
	if p.ahead.done == nil {
		return nil
	}
	for institution, buckets := range t {
		for b := range buckets {
			if p.ahead.counts[institution][b] {
				p.ahead.waits.Add(1)
				return p.waitAhead(ctx)
			}
		}
	}
	return nil
}

// bucketsOf returns the buckets the plans recount.
func bucketsOf(plans []contactRecount) touched {
	t := touched{}
	for _, r := range plans {
		for _, bs := range [][]time.Time{r.own, r.other} {
			for _, b := range bs {
				t.add(r.institution, b)
			}
		}
	}
	return t
}
