// Package sodra collects a SODRA-style source (contract 1 of
// shared/sources.md): an incremental REST API of contact records and
// feedback, pulled page by page from the last checkpoint.
package sodra

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/ccbench/ccbench/collectors"
	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/records"
)

// Streams of a SODRA-style source.
const (
	StreamContacts = "contacts"
	StreamFeedback = "feedback"
)

// Collector pulls one SODRA-style source.
type Collector struct {
	src   config.Source
	inst  config.Institution
	base  string
	fetch *collectors.Fetcher
	now   func() time.Time
	// batchRows is how many records a write gathers: collectors.BatchRows
	// (tests lower it). The rollups are recounted once per pass, not per
	// batch (store.Pass).
	batchRows int
}

var _ collectors.Collector = (*Collector)(nil)

// New returns the collector of a SODRA-style source; it matches
// collectors.Factory.
func New(src config.Source, inst config.Institution, _ *config.Config, f *collectors.Fetcher) (collectors.Collector, error) {
	base, err := collectors.BaseURL(src)
	if err != nil {
		return nil, err
	}
	if f == nil {
		f = &collectors.Fetcher{Source: src.Name}
	}
	if src.PageSize <= 0 {
		src.PageSize = config.DefaultPageSize // a Source not made by config.Parse
	}
	return &Collector{src: src, inst: inst, base: base, fetch: f, now: time.Now, batchRows: collectors.BatchRows}, nil
}

// Name is the configured source name.
func (c *Collector) Name() string { return c.src.Name }

// Collect pulls both streams from their checkpoints to the end of their
// listings.
func (c *Collector) Collect(ctx context.Context, sink collectors.Sink) (collectors.Stats, error) {
	st, err := pull(ctx, c, sink, StreamContacts, parseContactsPage, sink.InsertContacts)
	if err != nil {
		return st, err
	}
	collectors.SettleContacts(ctx, sink)
	fst, err := pull(ctx, c, sink, StreamFeedback, parseFeedbackPage, sink.InsertFeedback)
	return st.Add(fst), err
}

// pull walks one stream's listing from its checkpoint. It gathers the valid
// records of consecutive pages (up to c.batchRows, and always the last page),
// inserts them, quarantines the bad ones and only then moves the
// checkpoint, so a failure anywhere repeats those pages on the next pass.
// The listing restarts at updated_since=<checkpoint's updated_at>
// (inclusive); the items at or before the checkpoint's (updated_at, id) were
// taken in by an earlier batch and are skipped, so an idle pass writes
// nothing and a bad record at the checkpoint is quarantined once. The next
// pages are fetched and parsed while a batch is written (see pages).
func pull[T any](ctx context.Context, c *Collector, sink collectors.Sink, stream string,
	parse pageParser[T], insert func(context.Context, []T) error,
) (collectors.Stats, error) {
	var st collectors.Stats
	cp, ok, err := sink.Checkpoint(ctx, c.src.Name, stream)
	if err != nil {
		return st, fmt.Errorf("%s: reading checkpoint: %w", stream, err)
	}
	var start checkpoint
	if ok {
		if start, err = parseCheckpoint(cp.Position); err != nil {
			return st, fmt.Errorf("%s: checkpoint of source %s: %w", stream, c.src.Name, err)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the fetching goroutine when pull returns early
	// The record slices of pages copied into a batch, for the next pages.
	free := make(chan []T, c.prefetchPages()+2)
	fetched := pages(ctx, c, stream, start, parse, free)
	var (
		pos         checkpoint
		pending     []T
		quarantined []records.Quarantined
		last        string // the last page gathered, for messages
	)
	flush := func() error {
		if len(pending) > 0 {
			if err := insert(ctx, pending); err != nil {
				return fmt.Errorf("%s: writing the records of the pages up to %s: %w", stream, last, err)
			}
			st.Records += len(pending)
		}
		if len(quarantined) > 0 {
			if err := sink.Quarantine(ctx, quarantined); err != nil {
				return fmt.Errorf("%s: quarantining records of the pages up to %s: %w", stream, last, err)
			}
			st.Quarantined += len(quarantined)
		}
		clear(pending) // drop the references, so the records can be collected
		pending, quarantined = pending[:0], quarantined[:0]
		if err := sink.SaveCheckpoint(ctx, records.Checkpoint{
			Source: c.src.Name, Stream: stream, Position: pos.String(), UpdatedAt: c.now(),
		}); err != nil {
			return fmt.Errorf("%s: saving checkpoint after page %s: %w", stream, last, err)
		}
		return nil
	}
	for f := range fetched {
		if f.err != nil {
			return st, fmt.Errorf("%s: %w", stream, f.err)
		}
		st.Fetched++
		pending = append(pending, f.page.Records...)
		recycle(free, f.page.Records)
		quarantined = append(quarantined, f.page.Quarantined...)
		last, pos = f.url, f.pos
		if f.page.Next == "" || len(pending) >= c.batchRows {
			if err := flush(); err != nil {
				return st, err
			}
		}
		if f.page.Next == "" {
			return st, nil
		}
	}
	return st, fmt.Errorf("%s: %w", stream, context.Cause(ctx))
}

// pageParser parses a page of a listing into into when it has room (see
// parseContactsPage).
type pageParser[T any] func(body []byte, m meta, into []T) (page[T], error)

// recycle hands the records of a page, once copied into a batch, back to
// the page parser through free, cleared so that they keep nothing alive: a
// page's records then take the room an earlier page's took, instead of a
// new slice for every page (a sixth of a collector's allocations).
func recycle[T any](free chan<- []T, records []T) {
	if records == nil {
		return
	}
	clear(records[:cap(records)])
	select {
	case free <- records[:0]:
	default: // enough are waiting
	}
}

// reused returns a slice recycled through free, or nil when none waits.
func reused[T any](free <-chan []T) []T {
	select {
	case r := <-free:
		return r
	default:
		return nil
	}
}

// fetchedPage is a page of a listing, parsed, with the stream's position
// after it, or the error that ended the listing.
type fetchedPage[T any] struct {
	url  string
	page page[T]
	pos  checkpoint
	err  error
}

// prefetchPages is how many parsed pages pages keeps ready while the
// caller writes a batch: with the page the fetching goroutine holds while
// it waits to hand it over, the pages of the next batch, so that when a
// write returns the next batch is ready and the sink is not left idle
// while pages are fetched and parsed (with two pages ready, every batch
// waited for most of its pages). The collector then holds about two
// batches at a time, flat in the input size; maxPrefetchPages bounds the
// channel for tiny pages.
func (c *Collector) prefetchPages() int {
	pages := (c.batchRows + c.src.PageSize - 1) / c.src.PageSize
	return min(max(pages-1, 1), maxPrefetchPages)
}

const maxPrefetchPages = 256

// pages fetches and parses the pages of one stream's listing from start in
// a goroutine, in order, until the last page, an error or ctx is done;
// each page's items at or before the position reached so far are skipped.
func pages[T any](ctx context.Context, c *Collector, stream string, start checkpoint,
	parse pageParser[T], free <-chan []T,
) <-chan fetchedPage[T] {
	out := make(chan fetchedPage[T], c.prefetchPages())
	go func() {
		defer close(out)
		send := func(f fetchedPage[T]) bool {
			select {
			case out <- f:
				return true
			case <-ctx.Done():
				return false
			}
		}
		pos, since, token := start, start.UpdatedAt, ""
		var body []byte // every page is read into it: parse copies what it keeps
		for {
			u := c.pageURL(stream, since, token)
			var err error
			body, err = c.fetch.GetInto(ctx, u, body)
			if err != nil {
				send(fetchedPage[T]{url: u, err: err})
				return
			}
			p, err := parse(body, meta{
				Institution: c.inst.ID, Source: c.src.Name, Unit: c.src.Unit, Origin: u, ReceivedAt: c.now(),
				After: pos.position(),
			}, reused(free))
			if err != nil {
				send(fetchedPage[T]{url: u, err: err})
				return
			}
			if pos.position().less(p.Max) {
				pos.UpdatedAt, pos.ID = p.Max.UpdatedAt, p.Max.ID
			}
			if p.Next != "" && p.Next == token {
				send(fetchedPage[T]{url: u, err: fmt.Errorf("page %s returned its own page token as the next one", u)})
				return
			}
			if !send(fetchedPage[T]{url: u, page: p, pos: pos}) || p.Next == "" {
				return
			}
			token = p.Next
		}
	}()
	return out
}

// pageURL is the URL of one page of a listing.
func (c *Collector) pageURL(stream string, since time.Time, token string) string {
	q := url.Values{}
	if !since.IsZero() {
		q.Set("updated_since", since.Format(time.RFC3339Nano))
	}
	if token != "" {
		q.Set("page_token", token)
	}
	q.Set("page_size", strconv.Itoa(c.src.PageSize))
	return c.base + "/v1/" + stream + "?" + q.Encode()
}
