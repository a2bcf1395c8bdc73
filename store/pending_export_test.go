package store

import (
	"context"
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

// FreshBuckets returns the institution's contact buckets that the pass
// counts as fresh (see sortFresh), in order.
func (p *Pass) FreshBuckets(institution string) []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fresh.sorted(institution)
}
