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
		_ = r.each(func(_, id string) error {
			if !seen[id] {
				seen[id] = true
				revised = append(revised, id)
			}
			return nil
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
