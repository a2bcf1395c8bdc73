// Package ind collects an IND-style source (contract 3 of
// shared/sources.md): monthly open-data statistics, published as aggregates
// per period and revised now and then. Each period becomes a batch of
// records.Aggregate rows (see metrics.go); a higher revision replaces the
// batch as a whole.
//
// The listing `GET {base}/v1/periods` names the periods but not their
// revisions, so a pass cannot tell which periods changed without fetching
// them. Periods are small documents and a source lists a few dozen at
// most, so every pass fetches every listed period: a revision of any
// period, however old, is picked up on the next pass. A revision equal to
// or lower than the ingested one is ignored, and a document that breaks the
// contract is quarantined once (StreamRejected remembers its digest), not
// on every pass that fetches it again.
package ind

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"time"

	"github.com/ccbench/ccbench/collectors"
	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/records"
)

// Checkpoint streams of an IND-style source.
const (
	// StreamPeriods holds the revision ingested per period, as a JSON
	// object: {"2024-01": 2, "2024-02": 1}. It moves only after the sink
	// accepted the period's rows. Quarantined period documents and listing
	// entries carry it as their Stream.
	StreamPeriods = "periods"
	// StreamRejected holds, per period (or bad listing entry), a digest of
	// the last document quarantined for it, so that a broken document that
	// is fetched again on every pass is quarantined once, not every pass.
	StreamRejected = "periods-rejected"
)

// Collector pulls one IND-style source.
type Collector struct {
	src    config.Source
	inst   config.Institution
	base   string
	fetch  *collectors.Fetcher
	now    func() time.Time
	logger *slog.Logger
}

var _ collectors.Collector = (*Collector)(nil)

// New returns the collector of an IND-style source; it matches
// collectors.Factory.
func New(src config.Source, inst config.Institution, _ *config.Config, f *collectors.Fetcher) (collectors.Collector, error) {
	base, err := collectors.BaseURL(src)
	if err != nil {
		return nil, err
	}
	if f == nil {
		f = &collectors.Fetcher{Source: src.Name}
	}
	logger := f.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Collector{
		src: src, inst: inst, base: base,
		fetch: f, now: time.Now, logger: logger,
	}, nil
}

// Name is the configured source name.
func (c *Collector) Name() string { return c.src.Name }

// Collect fetches the listing, then every listed period in order (see the
// package doc). A period whose revision is newer than the ingested one is
// written whole and then checkpointed; an older or equal revision is
// ignored; a document that breaks the contract is quarantined, and the
// revision ingested before stays in force. A period that cannot be fetched
// does not stop the others: the pass returns the joined errors at the end.
// Configuration errors, sink errors and a done ctx stop the pass at once.
func (c *Collector) Collect(ctx context.Context, sink collectors.Sink) (collectors.Stats, error) {
	var st collectors.Stats
	ingested, err := collectors.LoadMapCheckpoint[int64](ctx, sink, c.src.Name, StreamPeriods)
	if err != nil {
		return st, err
	}
	rejected, err := collectors.LoadMapCheckpoint[string](ctx, sink, c.src.Name, StreamRejected)
	if err != nil {
		return st, err
	}

	listURL := c.base + "/v1/periods"
	body, err := c.fetch.Get(ctx, listURL)
	if err != nil {
		return st, fmt.Errorf("periods listing: %w", err)
	}
	st.Fetched++
	names, badEntries, err := parseListing(body)
	if err != nil {
		return st, fmt.Errorf("periods listing %s: %w", listURL, err)
	}
	for _, b := range badEntries {
		written, err := c.reject(ctx, sink, rejected, b.key, b.id, b.field, b.reason, b.raw, listURL)
		if err != nil {
			return st, fmt.Errorf("periods listing: %w", err)
		}
		if written {
			st.Quarantined++
		}
	}

	var errs []error
	for _, name := range names {
		u := c.base + "/v1/periods/" + url.PathEscape(name)
		body, err := c.fetch.Get(ctx, u)
		if err != nil {
			if collectors.IsConfigError(err) || ctx.Err() != nil {
				return st, fmt.Errorf("period %s: %w", name, err)
			}
			errs = append(errs, fmt.Errorf("period %s: %w", name, err))
			continue
		}
		st.Fetched++
		p, err := ParsePeriod(body, name)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				return st, fmt.Errorf("period %s: %w", name, err) // ParsePeriod returns nothing else
			}
			if ve.Revision > 0 && ve.Revision <= ingested[name] {
				continue // an old revision: what was ingested stays, broken or not
			}
			written, err := c.reject(ctx, sink, rejected, name, ve.RecordID(), ve.Field, ve.Reason, body, u)
			if err != nil {
				return st, fmt.Errorf("period %s: %w", name, err)
			}
			if written {
				st.Quarantined++
				c.logger.Warn("period quarantined; the revision ingested before stays in force",
					"period", name, "revision", ve.Revision, "ingested", ingested[name], "field", ve.Field, "reason", ve.Reason)
			}
			continue
		}
		if p.Revision <= ingested[name] {
			continue
		}
		rows := p.Aggregates(c.inst.ID, c.src.Name, c.src.Unit)
		if err := sink.InsertAggregates(ctx, rows); err != nil {
			return st, fmt.Errorf("period %s revision %d: writing %d rows: %w", name, p.Revision, len(rows), err)
		}
		st.Records += len(rows)
		ingested[name] = p.Revision
		if err := collectors.SaveMapCheckpoint(ctx, sink, c.src.Name, StreamPeriods, ingested, c.now()); err != nil {
			return st, fmt.Errorf("period %s revision %d: %w", name, p.Revision, err)
		}
		c.logger.Debug("period ingested", "period", name, "revision", p.Revision, "rows", len(rows))
	}
	return st, errors.Join(errs...)
}

// reject quarantines raw under key and remembers its digest in
// StreamRejected; it writes nothing when the same raw was quarantined under
// key before, and reports whether it wrote.
func (c *Collector) reject(ctx context.Context, sink collectors.Sink, rejected map[string]string,
	key, id, field, reason string, raw []byte, origin string,
) (bool, error) {
	if rejected[key] == digest(raw) {
		return false, nil
	}
	q := records.Quarantined{
		Institution: c.inst.ID, Source: c.src.Name, Stream: StreamPeriods, RecordID: id,
		Field: field, Reason: reason, Raw: string(raw), Origin: origin, ReceivedAt: c.now(),
	}
	if err := sink.Quarantine(ctx, []records.Quarantined{q}); err != nil {
		return false, fmt.Errorf("quarantining %s: %w", id, err)
	}
	rejected[key] = digest(raw)
	if err := collectors.SaveMapCheckpoint(ctx, sink, c.src.Name, StreamRejected, rejected, c.now()); err != nil {
		return true, fmt.Errorf("after quarantining %s: %w", id, err)
	}
	return true, nil
}

// badEntry is a listing entry that breaks the contract.
type badEntry struct {
	key, id, field, reason string
	raw                    []byte
}

// parseListing reads `["2024-01", ...]`: the valid period names, sorted and
// without duplicates, and the entries that are not period names. A body
// that is not a JSON array is an error.
func parseListing(body []byte) ([]string, []badEntry, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, nil, fmt.Errorf("not the contract's JSON array of periods: %w", err)
	}
	var names []string
	var bads []badEntry
	for i, r := range raw {
		var s string
		field := fmt.Sprintf("periods[%d]", i)
		if err := json.Unmarshal(r, &s); err != nil {
			bads = append(bads, badEntry{key: "listing:" + string(r), field: field, reason: "want a period name as a string, got " + snippet(r), raw: r})
			continue
		}
		if _, _, err := PeriodBounds(s); err != nil {
			bads = append(bads, badEntry{key: "listing:" + s, id: s, field: field, reason: err.Error(), raw: r})
			continue
		}
		names = append(names, s)
	}
	slices.Sort(names)
	return slices.Compact(names), bads, nil
}

func digest(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:12])
}
