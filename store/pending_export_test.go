package store

import (
	"context"
	"sort"
	"time"
)

// Abandon drops the pass as a process that dies does: its pending notes
// stay, and the store no longer counts it as running.
func (p *Pass) Abandon() {
	p.Store.mu.Lock()
	delete(p.Store.live, p.session)
	p.Store.mu.Unlock()
}

// PendingNotes returns how many (institution, session, kind) notes wait
// for a recount.
func (s *Store) PendingNotes(ctx context.Context) (int, error) {
	ns, err := s.pendingNotes(ctx)
	return len(ns), err
}

// OwnBuckets returns the institution's contact buckets that are the pass's
// own (see sortOwn), in order, and its revised records' ids.
func (p *Pass) OwnBuckets(institution string) (buckets []time.Time, revised []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	seen := map[string]bool{}
	if r := p.own.revised[institution]; r != nil {
		r.walk(func(key []byte, sourceEnd int, _ uint32) {
			if id := string(key[sourceEnd:]); !seen[id] {
				seen[id] = true
				revised = append(revised, id)
			}
		})
	}
	sort.Strings(revised)
	return p.own.buckets.sorted(institution), revised
}

// SetMaxRevised sets how many revised records the pass keeps per
// institution before it counts the institution's own buckets as any other.
func (p *Pass) SetMaxRevised(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.own.maxRevised = n
}

// SetRecountAhead sets how many settled contact buckets start a recount
// ahead (see recountAhead), and settles a batch's buckets as soon as the
// next batch does not touch them, so that a test's batches are recounted
// ahead one by one.
func (p *Pass) SetRecountAhead(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ahead.min, p.ahead.lag = n, 1
}

// RecountsAhead returns how many recounts ahead the pass started.
func (p *Pass) RecountsAhead() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ahead.runs
}

// FailRecountsAhead makes the pass's recounts ahead fail with err.
func (p *Pass) FailRecountsAhead(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ahead.recount = func(context.Context, contactRecount) error { return err }
}

// WaitAhead waits for the pass's recount ahead, if one runs, to end.
func (p *Pass) WaitAhead() {
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.waitAhead(context.Background())
}

// RecountingAhead reports whether the pass has a recount ahead that it
// has not waited for.
func (p *Pass) RecountingAhead() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ahead.done != nil
}

// BlockRecountsAhead makes the pass's recounts ahead signal started, then
// wait until release is closed before they count.
func (p *Pass) BlockRecountsAhead(started chan<- struct{}, release <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	recount := p.ahead.recount
	p.ahead.recount = func(ctx context.Context, r contactRecount) error {
		started <- struct{}{}
		<-release
		return recount(ctx, r)
	}
}

// AheadWaits returns how many batches waited for a recount ahead that
// counted a bucket they touch. It does not take the pass's lock, which a
// waiting batch holds.
func (p *Pass) AheadWaits() int64 { return p.ahead.waits.Load() }
