// Package vmi collects a VMI-style source (contract 2 of shared/sources.md):
// daily CSV exports listed in an index, one file per day and kind, which may
// be republished with corrections.
//
// The collector keeps one checkpoint stream, "index", whose position is a
// JSON map from file name to the sha256 of the version it ingested. A pass
// downloads every listed file that is new or whose sha256 changed, checks
// the bytes against the index, writes the file's records with the file's
// published_at (Unix ms) as their version so that a republished file wins,
// and only then records the file's sha256 in the checkpoint.
//
// When a republished file no longer holds a record that an earlier version
// of it held, the collector writes a tombstone for it: the ids come from the
// sink's LiveIDs(kind, source, file name). The old version is not at hand,
// so the tombstone's arrival (or submission) time is the file's date at
// local noon. That is enough for window reads: the store takes the newest
// version of every (source, id) that has any version in the window, so the
// tombstone hides the old version in every window that holds the old one
// (which arrived on the file's day too), and a window that only holds the
// tombstone's noon finds the record deleted. Seminar rows are aggregates of
// a batch (the file) that a higher revision replaces whole, so they need no
// tombstones.
package vmi

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
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ccbench/ccbench/collectors"
	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/records"
)

// StreamIndex is the checkpoint stream of a VMI-style source.
const StreamIndex = "index"

// Kinds of records, as Sink.LiveIDs takes them.
const (
	liveContacts = "contacts"
	liveFeedback = "feedback"
)

// IndexEntry is one file listed in {base}/exports/index.json.
type IndexEntry struct {
	Name        string    `json:"name"`
	Kind        string    `json:"kind"`
	Date        string    `json:"date"` // YYYY-MM-DD, the local day the file covers
	SHA256      string    `json:"sha256"`
	PublishedAt time.Time `json:"published_at"`
}

// Collector pulls one VMI-style source.
type Collector struct {
	src    config.Source
	inst   config.Institution
	base   string
	fetch  *collectors.Fetcher
	logger *slog.Logger
	now    func() time.Time
}

var _ collectors.Collector = (*Collector)(nil)

// New returns the collector of a VMI-style source; it matches
// collectors.Factory.
func New(src config.Source, inst config.Institution, _ *config.Config, f *collectors.Fetcher) (collectors.Collector, error) {
	base, err := collectors.BaseURL(src)
	if err != nil {
		return nil, err
	}
	if f == nil {
		f = &collectors.Fetcher{Source: src.Name}
	}
	if src.Unit == "" {
		src.Unit = DefaultUnit
	}
	logger := f.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Collector{
		src: src, inst: inst, base: base,
		fetch: f, logger: logger, now: time.Now,
	}, nil
}

// Name is the configured source name.
func (c *Collector) Name() string { return c.src.Name }

// Collect reads the index and ingests every file that is new or changed
// since the checkpoint. A file that fails (download, checksum) is retried on
// the next pass while the others go on; the errors are returned together.
// A configuration error, a cancelled context or a failing sink end the pass.
func (c *Collector) Collect(ctx context.Context, sink collectors.Sink) (collectors.Stats, error) {
	var st collectors.Stats
	done, err := collectors.LoadMapCheckpoint[string](ctx, sink, c.src.Name, StreamIndex)
	if err != nil {
		return st, err
	}
	index, err := c.index(ctx)
	if err != nil {
		return st, err
	}
	st.Fetched++
	var errs []error
	for _, e := range index {
		sum, published := parseDone(done[e.Name])
		if strings.EqualFold(sum, e.SHA256) {
			continue
		}
		if !published.IsZero() && !e.PublishedAt.After(published) {
			// A new content must win over the one it replaces: its
			// versions come after the earlier publication's.
			c.logger.Warn("file republished with a publication time not after the one ingested", "file", e.Name,
				"published_at", e.PublishedAt, "ingested", published)
			e.PublishedAt = published.Add(time.Millisecond)
		}
		fst, err := c.ingest(ctx, sink, e)
		st = st.Add(fst)
		if err != nil {
			var fe *fileFailure
			if !errors.As(err, &fe) {
				return st, err
			}
			c.logger.Warn("file not ingested, will retry on the next pass", "file", e.Name, "err", err)
			errs = append(errs, err)
			continue
		}
		done[e.Name] = formatDone(e.SHA256, e.PublishedAt)
		if err := collectors.SaveMapCheckpoint(ctx, sink, c.src.Name, StreamIndex, done, c.now()); err != nil {
			return st, fmt.Errorf("after file %s: %w", e.Name, err)
		}
	}
	return st, errors.Join(errs...)
}

// formatDone writes a file's entry in the checkpoint: its sha256 and the
// publication time its versions were written with, as "<sha256>@<Unix ms>"
// (before that time was kept, the sha256 alone).
func formatDone(sum string, published time.Time) string {
	return strings.ToLower(sum) + "@" + strconv.FormatInt(published.UnixMilli(), 10)
}

// parseDone returns a checkpoint entry's sha256, and its publication time
// (zero when the entry has none).
func parseDone(v string) (sum string, published time.Time) {
	sum, ms, ok := strings.Cut(v, "@")
	if n, err := strconv.ParseInt(ms, 10, 64); ok && err == nil {
		published = time.UnixMilli(n).UTC()
	}
	return sum, published
}

// fileFailure is a failure of one file that leaves the others to go on.
type fileFailure struct{ err error }

func (f *fileFailure) Error() string { return f.err.Error() }
func (f *fileFailure) Unwrap() error { return f.err }

// index fetches and checks the index. Entries that break the contract are
// logged and skipped (they come back on every pass until fixed); files of
// kinds this collector does not know are ignored.
func (c *Collector) index(ctx context.Context) ([]IndexEntry, error) {
	u := c.base + "/exports/index.json"
	body, err := c.fetch.Get(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(body, &entries); err != nil {
		return nil, fmt.Errorf("index %s: want a JSON array of files: %w", u, err)
	}
	var out []IndexEntry
	for i, raw := range entries {
		var e IndexEntry
		err := json.Unmarshal(raw, &e)
		if err != nil {
			err = fmt.Errorf("want an object of name, kind, date, sha256 and published_at (RFC3339): %w", err)
		} else {
			if _, known := Columns[e.Kind]; !known {
				c.logger.Debug("ignoring file of unknown kind", "file", e.Name, "kind", e.Kind)
				continue
			}
			err = checkEntry(e)
		}
		if err != nil {
			c.logger.Warn("skipping index entry that breaks the contract", "entry", i, "file", e.Name, "err", err)
			continue
		}
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b IndexEntry) int {
		if c := a.PublishedAt.Compare(b.PublishedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

func checkEntry(e IndexEntry) error {
	switch {
	case e.Name == "" || strings.ContainsAny(e.Name, "/\\") || e.Name == "." || e.Name == ".." || !utf8.ValidString(e.Name):
		return fmt.Errorf("field name: want a plain file name, got %q", e.Name)
	case len(e.SHA256) != sha256.Size*2 || !isHex(e.SHA256):
		return fmt.Errorf("field sha256: want 64 hex digits, got %q", e.SHA256)
	case e.PublishedAt.IsZero():
		return fmt.Errorf("field published_at: missing")
	}
	if _, err := time.Parse(dateLayout, e.Date); err != nil {
		return fmt.Errorf("field date: want YYYY-MM-DD, got %q", e.Date)
	}
	return nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// ingest downloads, checks and writes one file, tombstones what a
// republication dropped, and returns what it did.
func (c *Collector) ingest(ctx context.Context, sink collectors.Sink, e IndexEntry) (collectors.Stats, error) {
	var st collectors.Stats
	u := c.base + "/exports/" + url.PathEscape(e.Name)
	body, err := c.fetch.Get(ctx, u)
	if err != nil {
		if collectors.IsConfigError(err) || ctx.Err() != nil {
			return st, fmt.Errorf("file %s: %w", e.Name, err)
		}
		return st, &fileFailure{fmt.Errorf("file %s: %w", e.Name, err)}
	}
	st.Fetched++
	sum := sha256.Sum256(body)
	if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, e.SHA256) {
		return st, &fileFailure{fmt.Errorf("file %s: sha256 of the %d bytes downloaded is %s, the index says %s", e.Name, len(body), got, e.SHA256)}
	}
	meta := Meta{Institution: c.inst.ID, Source: c.src.Name, Unit: c.src.Unit, Location: c.inst.Location(), ReceivedAt: c.now()}
	p, err := Parse(body, File{Name: e.Name, Kind: e.Kind, PublishedAt: e.PublishedAt}, meta)
	var fe *FileError
	if errors.As(err, &fe) {
		// The whole file breaks the contract: quarantine it once and keep
		// what an earlier version of it gave, until it is republished.
		c.logger.Warn("file rejected", "file", e.Name, "err", err)
		q := records.Quarantined{
			Institution: c.inst.ID, Source: c.src.Name, Stream: e.Kind, Field: fe.Column,
			Reason: err.Error(), Raw: firstLine(body), Origin: e.Name, ReceivedAt: meta.ReceivedAt,
		}
		if err := sink.Quarantine(ctx, []records.Quarantined{q}); err != nil {
			return st, fmt.Errorf("file %s: quarantining: %w", e.Name, err)
		}
		st.Quarantined++
		return st, nil
	}
	if err != nil {
		return st, &fileFailure{fmt.Errorf("file %s: %w", e.Name, err)}
	}
	if len(p.Contacts) > 0 {
		if err := sink.InsertContacts(ctx, p.Contacts); err != nil {
			return st, fmt.Errorf("file %s: writing contacts: %w", e.Name, err)
		}
		st.Records += len(p.Contacts)
	}
	if len(p.Feedback) > 0 {
		if err := sink.InsertFeedback(ctx, p.Feedback); err != nil {
			return st, fmt.Errorf("file %s: writing feedback: %w", e.Name, err)
		}
		st.Records += len(p.Feedback)
	}
	if n := len(p.Aggregates); n > 0 || e.Kind == KindSeminars {
		// The seminars of a file are its newest revision's rows: the
		// marker, which counts nothing, makes a republication that
		// dropped every row replace the earlier ones as well, and a
		// seminar whose new row broke the contract keeps its rows.
		kept, err := c.keptItems(ctx, sink, e, p.BrokenItems)
		if err != nil {
			return st, err
		}
		rows := append(append(p.Aggregates, kept...), revisionMarker(meta, e))
		if err := sink.InsertAggregates(ctx, rows); err != nil {
			return st, fmt.Errorf("file %s: writing seminar rows: %w", e.Name, err)
		}
		st.Records += n
	}
	if len(p.Quarantined) > 0 {
		if err := sink.Quarantine(ctx, p.Quarantined); err != nil {
			return st, fmt.Errorf("file %s: quarantining rows: %w", e.Name, err)
		}
		st.Quarantined += len(p.Quarantined)
	}
	n, err := c.tombstone(ctx, sink, e, p)
	st.Records += n
	return st, err
}

// keptItems returns the rows in force of the items whose row in the file's
// new revision broke the contract, moved to that revision.
func (c *Collector) keptItems(ctx context.Context, sink collectors.Sink, e IndexEntry, broken map[string]bool) ([]records.Aggregate, error) {
	if len(broken) == 0 {
		return nil, nil
	}
	inForce, err := sink.BatchAggregates(ctx, c.inst.ID, c.src.Name, e.Name)
	if err != nil {
		return nil, fmt.Errorf("file %s: reading the seminars in force: %w", e.Name, err)
	}
	var out []records.Aggregate
	for _, a := range inForce {
		if broken[a.Item] && a.Metric != records.AggRevision {
			a.Revision = e.PublishedAt.UnixMilli()
			out = append(out, a)
		}
	}
	return out, nil
}

// revisionMarker is the row that marks a file's revision among the
// aggregates (records.AggRevision).
func revisionMarker(m Meta, e IndexEntry) records.Aggregate {
	d, _ := time.Parse(dateLayout, e.Date) // checked by checkEntry
	day := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, m.Location)
	return records.Aggregate{
		Institution: m.Institution, Source: m.Source, Batch: e.Name, Revision: e.PublishedAt.UnixMilli(),
		PeriodStart: day, PeriodEnd: day.AddDate(0, 0, 1), Unit: m.Unit, Metric: records.AggRevision,
	}
}

// tombstone deletes the records that an earlier version of the file held
// and this one no longer does.
func (c *Collector) tombstone(ctx context.Context, sink collectors.Sink, e IndexEntry, p Parsed) (int, error) {
	day, _ := time.Parse(dateLayout, e.Date) // checked by checkEntry
	loc := c.inst.Location()
	noon := time.Date(day.Year(), day.Month(), day.Day(), 12, 0, 0, 0, loc).UTC()
	version := e.PublishedAt.UnixMilli()
	n := 0
	if e.Kind == KindCalls || e.Kind == KindChats || e.Kind == KindWritten {
		ids, err := c.dropped(ctx, sink, liveContacts, e.Name, p.KeepContacts)
		if err != nil {
			return n, err
		}
		var ts []records.Contact
		for _, id := range ids {
			t := records.Contact{
				Institution: c.inst.ID, Source: c.src.Name, ID: id, Version: version,
				UpdatedAt: e.PublishedAt.UTC(), Unit: c.src.Unit, ArrivedAt: noon, Origin: e.Name, Deleted: true,
			}
			switch {
			case strings.HasPrefix(id, prefixCall):
				t.Channel, t.Outcome = records.ChannelPhone, records.OutcomeAbandoned
			case strings.HasPrefix(id, prefixChat):
				t.Channel, t.Outcome = records.ChannelChat, records.OutcomeAbandoned
			default:
				t.Outcome = records.OutcomeOpen
			}
			ts = append(ts, t)
		}
		if len(ts) > 0 {
			if err := sink.InsertContacts(ctx, ts); err != nil {
				return n, fmt.Errorf("file %s: writing %d contact tombstones: %w", e.Name, len(ts), err)
			}
			n += len(ts)
		}
	}
	if e.Kind == KindCalls || e.Kind == KindWritten || e.Kind == KindWrittenSurvey {
		ids, err := c.dropped(ctx, sink, liveFeedback, e.Name, p.KeepFeedback)
		if err != nil {
			return n, err
		}
		var ts []records.Feedback
		for _, id := range ids {
			t := records.Feedback{
				Institution: c.inst.ID, Source: c.src.Name, ID: id, Version: version,
				UpdatedAt: e.PublishedAt.UTC(), Unit: c.src.Unit, SubmittedAt: noon,
				Scale: records.Scale1to5, Origin: e.Name, Deleted: true,
			}
			switch {
			case strings.HasPrefix(id, prefixCall):
				t.Instrument, t.Channel = records.InstrumentPostContact, records.ChannelPhone
			case strings.HasPrefix(id, prefixAudit):
				t.Instrument = records.InstrumentWrittenAudit
			case strings.HasPrefix(id, prefixSurvey):
				t.Instrument = records.InstrumentWrittenSurvey
			}
			ts = append(ts, t)
		}
		if len(ts) > 0 {
			if err := sink.InsertFeedback(ctx, ts); err != nil {
				return n, fmt.Errorf("file %s: writing %d feedback tombstones: %w", e.Name, len(ts), err)
			}
			n += len(ts)
		}
	}
	if n > 0 {
		c.logger.Info("republished file dropped records", "file", e.Name, "tombstones", n)
	}
	return n, nil
}

// dropped returns the live ids from the file that it no longer keeps.
func (c *Collector) dropped(ctx context.Context, sink collectors.Sink, kind, name string, keep map[string]bool) ([]string, error) {
	live, err := sink.LiveIDs(ctx, kind, c.src.Name, name)
	if err != nil {
		return nil, fmt.Errorf("file %s: reading live %s ids: %w", name, kind, err)
	}
	var out []string
	for _, id := range live {
		if !keep[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

// firstLine is the start of a body, for the quarantine of a rejected file.
func firstLine(b []byte) string {
	s := string(b)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if len(s) > 1000 {
		s = s[:1000]
	}
	return strings.ToValidUTF8(s, "?")
}
