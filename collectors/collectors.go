// Package collectors holds what every source-style collector shares: the
// Sink they write to, the Collector interface, the registry of styles, the
// HTTP fetcher with retries, and the runner that polls every configured
// source. One sub-package per source style implements Collector.
package collectors

import (
	"context"

	"github.com/ccbench/ccbench/records"
)

// BatchRows is how many records a collector that reads a listing page by
// page gathers from consecutive pages before it writes them: ClickHouse
// takes few large inserts far better than many small ones. Measured with
// `ccbench bench` on 14 days of the SODRA-style simulator (docs/benchmarks.md):
// the store's pass writes batches of 30,000 at about twice the rate of
// batches of 10,000, and the collector's peak RSS stays near 75 MB, because
// the store sends a batch to ClickHouse in blocks of a few thousand rows.
const BatchRows = 30000

// Sink is where collectors write. *store.Store implements it; tests may use
// an in-memory fake. Every method is idempotent for the same records.
type Sink interface {
	InsertContacts(ctx context.Context, cs []records.Contact) error
	InsertFeedback(ctx context.Context, fs []records.Feedback) error
	InsertAggregates(ctx context.Context, as []records.Aggregate) error
	Quarantine(ctx context.Context, qs []records.Quarantined) error
	// Checkpoint returns the saved position of a source stream; ok is false
	// when the stream has never been pulled.
	Checkpoint(ctx context.Context, source, stream string) (cp records.Checkpoint, ok bool, err error)
	SaveCheckpoint(ctx context.Context, cp records.Checkpoint) error
	// LiveIDs returns the ids of the records of a source whose newest
	// version came from origin (e.g. a file name) and is not deleted; kind
	// is "contacts" or "feedback". Collectors of republished files use it to
	// write tombstones for rows that a new version of the file dropped.
	LiveIDs(ctx context.Context, kind, source, origin string) ([]string, error)
	// BatchAggregates returns the aggregate rows in force of one batch of
	// an institution's source (its highest revision). Collectors of republished batches
	// use it to keep the last valid rows of an item whose new row broke
	// the contract.
	BatchAggregates(ctx context.Context, institution, source, batch string) ([]records.Aggregate, error)
}

// ContactsSettler is implemented by sinks that gain from knowing that a
// collector's pass has written the last contacts it has for now: a
// store.Pass then recounts their rollup buckets while the rest of the pass
// is written, instead of at its end.
type ContactsSettler interface {
	SettleContacts(ctx context.Context)
}

// SettleContacts tells sink, when it is a ContactsSettler, that the caller
// has written the last contacts of its pass for now. A collector whose
// streams come one after the other calls it when its contact stream ends.
func SettleContacts(ctx context.Context, sink Sink) {
	if s, ok := sink.(ContactsSettler); ok {
		s.SettleContacts(ctx)
	}
}

// Stats counts what one pass of a collector did.
type Stats struct {
	Fetched     int // pages or files fetched
	Records     int // records (or aggregate rows) written
	Quarantined int // records quarantined
}

// Add returns the sum of two Stats.
func (s Stats) Add(o Stats) Stats {
	return Stats{Fetched: s.Fetched + o.Fetched, Records: s.Records + o.Records, Quarantined: s.Quarantined + o.Quarantined}
}

// Collector pulls one configured source.
type Collector interface {
	// Name is the configured source name.
	Name() string
	// Collect does one full pass: it pulls everything the source has
	// published since the saved checkpoints, writes it to the sink in
	// batches, and moves each checkpoint only after the sink accepted the
	// batch before it. It returns when the source has nothing more.
	Collect(ctx context.Context, sink Sink) (Stats, error)
}
