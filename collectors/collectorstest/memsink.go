// Package collectorstest helps test collectors: an in-memory Sink with the
// store's newest-version-wins semantics and injectable failures.
package collectorstest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/ccbench/ccbench/collectors"
	"github.com/ccbench/ccbench/records"
)

// Operations of a Sink, as passed to MemSink.Fail.
const (
	OpInsertContacts   = "InsertContacts"
	OpInsertFeedback   = "InsertFeedback"
	OpInsertAggregates = "InsertAggregates"
	OpQuarantine       = "Quarantine"
	OpCheckpoint       = "Checkpoint"
	OpSaveCheckpoint   = "SaveCheckpoint"
	OpLiveIDs          = "LiveIDs"
	OpBatchAggregates  = "BatchAggregates"
)

// MemSink is an in-memory collectors.Sink. For each record the version with
// the greatest Version wins (tombstones included); for aggregates only the
// rows of a batch's highest revision count. It is safe for concurrent use.
type MemSink struct {
	// Fail, when set, is called before every operation with the
	// operation's name and how many times (1-based) it has been called,
	// this call included; a non-nil error fails the call and nothing is
	// written.
	Fail func(op string, call int) error

	mu          sync.Mutex
	calls       map[string]int
	contacts    map[key]records.Contact
	feedback    map[key]records.Feedback
	aggregates  map[batchKey][]records.Aggregate
	revisions   map[batchKey]int64
	quarantined []records.Quarantined
	checkpoints map[key]records.Checkpoint
	written     int
}

type key struct{ source, id string }

type batchKey struct{ source, batch string }

var _ collectors.Sink = (*MemSink)(nil)

// NewMemSink returns an empty MemSink.
func NewMemSink() *MemSink {
	return &MemSink{
		calls:       map[string]int{},
		contacts:    map[key]records.Contact{},
		feedback:    map[key]records.Feedback{},
		aggregates:  map[batchKey][]records.Aggregate{},
		revisions:   map[batchKey]int64{},
		checkpoints: map[key]records.Checkpoint{},
	}
}

// FailOnce returns a Fail function that fails the call-th call of op, once.
func FailOnce(op string, call int) func(string, int) error {
	return func(o string, n int) error {
		if o == op && n == call {
			return fmt.Errorf("injected failure of %s call %d", op, n)
		}
		return nil
	}
}

// begin counts the call and asks Fail; callers hold mu.
func (m *MemSink) begin(op string) error {
	m.calls[op]++
	if m.Fail != nil {
		return m.Fail(op, m.calls[op])
	}
	return nil
}

// InsertContacts keeps each contact unless a newer version is stored.
func (m *MemSink) InsertContacts(_ context.Context, cs []records.Contact) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.begin(OpInsertContacts); err != nil {
		return err
	}
	for _, c := range cs {
		k := key{c.Source, c.ID}
		if old, ok := m.contacts[k]; !ok || c.Version >= old.Version {
			m.contacts[k] = c
		}
	}
	m.written += len(cs)
	return nil
}

// InsertFeedback keeps each response unless a newer version is stored.
func (m *MemSink) InsertFeedback(_ context.Context, fs []records.Feedback) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.begin(OpInsertFeedback); err != nil {
		return err
	}
	for _, f := range fs {
		k := key{f.Source, f.ID}
		if old, ok := m.feedback[k]; !ok || f.Version >= old.Version {
			m.feedback[k] = f
		}
	}
	m.written += len(fs)
	return nil
}

// InsertAggregates keeps the rows of each batch's highest revision; rows of
// the same revision are deduplicated by their identity.
func (m *MemSink) InsertAggregates(_ context.Context, as []records.Aggregate) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.begin(OpInsertAggregates); err != nil {
		return err
	}
	for _, a := range as {
		k := batchKey{a.Source, a.Batch}
		switch rev, ok := m.revisions[k]; {
		case ok && a.Revision < rev:
			continue
		case !ok || a.Revision > rev:
			m.revisions[k] = a.Revision
			m.aggregates[k] = nil
		}
		rows := m.aggregates[k]
		i := slices.IndexFunc(rows, func(r records.Aggregate) bool { return sameRow(r, a) })
		if i >= 0 {
			rows[i] = a
		} else {
			m.aggregates[k] = append(rows, a)
		}
	}
	m.written += len(as)
	return nil
}

func sameRow(a, b records.Aggregate) bool {
	return a.Institution == b.Institution && a.PeriodStart.Equal(b.PeriodStart) && a.PeriodEnd.Equal(b.PeriodEnd) &&
		a.Unit == b.Unit && a.Channel == b.Channel && a.Instrument == b.Instrument && a.Item == b.Item && a.Metric == b.Metric
}

// Quarantine appends the records.
func (m *MemSink) Quarantine(_ context.Context, qs []records.Quarantined) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.begin(OpQuarantine); err != nil {
		return err
	}
	m.quarantined = append(m.quarantined, qs...)
	return nil
}

// Checkpoint returns the saved checkpoint of a stream.
func (m *MemSink) Checkpoint(_ context.Context, source, stream string) (records.Checkpoint, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.begin(OpCheckpoint); err != nil {
		return records.Checkpoint{}, false, err
	}
	cp, ok := m.checkpoints[key{source, stream}]
	return cp, ok, nil
}

// SaveCheckpoint replaces the checkpoint of a stream.
func (m *MemSink) SaveCheckpoint(_ context.Context, cp records.Checkpoint) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.begin(OpSaveCheckpoint); err != nil {
		return err
	}
	m.checkpoints[key{cp.Source, cp.Stream}] = cp
	return nil
}

// LiveIDs returns the ids of a source's records whose newest version came
// from origin and is not deleted, sorted.
func (m *MemSink) LiveIDs(_ context.Context, kind, source, origin string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.begin(OpLiveIDs); err != nil {
		return nil, err
	}
	var ids []string
	switch kind {
	case "contacts":
		for k, c := range m.contacts {
			if k.source == source && c.Origin == origin && !c.Deleted {
				ids = append(ids, c.ID)
			}
		}
	case "feedback":
		for k, f := range m.feedback {
			if k.source == source && f.Origin == origin && !f.Deleted {
				ids = append(ids, f.ID)
			}
		}
	default:
		return nil, fmt.Errorf("LiveIDs: unknown kind %q (want contacts or feedback)", kind)
	}
	slices.Sort(ids)
	return ids, nil
}

// BatchAggregates returns the rows in force of one batch of an
// institution's source (its highest revision), in insertion order.
func (m *MemSink) BatchAggregates(_ context.Context, institution, source, batch string) ([]records.Aggregate, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.begin(OpBatchAggregates); err != nil {
		return nil, err
	}
	var out []records.Aggregate
	for _, a := range m.aggregates[batchKey{source, batch}] {
		if a.Institution == institution {
			out = append(out, a)
		}
	}
	return out, nil
}

// Contacts returns the newest version of every contact that is not
// deleted, by source and id.
func (m *MemSink) Contacts() []records.Contact {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []records.Contact
	for _, c := range m.contacts {
		if !c.Deleted {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b records.Contact) int {
		return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// Contact returns the newest version of one contact, tombstones included.
func (m *MemSink) Contact(source, id string) (records.Contact, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.contacts[key{source, id}]
	return c, ok
}

// Feedback returns the newest version of every response that is not
// deleted, by source and id.
func (m *MemSink) Feedback() []records.Feedback {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []records.Feedback
	for _, f := range m.feedback {
		if !f.Deleted {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b records.Feedback) int {
		return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// Aggregates returns the rows of the highest revision of every batch, by
// source, batch and insertion order.
func (m *MemSink) Aggregates() []records.Aggregate {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := make([]batchKey, 0, len(m.aggregates))
	for k := range m.aggregates {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b batchKey) int { return cmp.Or(cmp.Compare(a.source, b.source), cmp.Compare(a.batch, b.batch)) })
	var out []records.Aggregate
	for _, k := range keys {
		out = append(out, m.aggregates[k]...)
	}
	return out
}

// Quarantined returns every quarantined record in the order received.
func (m *MemSink) Quarantined() []records.Quarantined {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.quarantined)
}

// SavedCheckpoint returns the checkpoint of a stream without counting a call.
func (m *MemSink) SavedCheckpoint(source, stream string) (records.Checkpoint, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cp, ok := m.checkpoints[key{source, stream}]
	return cp, ok
}

// Written is how many records (duplicates included) the inserts accepted.
func (m *MemSink) Written() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.written
}

// Calls is how many times op was called, failed calls included.
func (m *MemSink) Calls(op string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[op]
}
