package exporter

import (
	"context"
	"sync"
	"time"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/report"
	"github.com/ccbench/ccbench/store"
)

// WindowsReader reads the counts of several trailing windows that end at
// the same moment, of many institutions at once; *store.Store implements
// it.
type WindowsReader interface {
	ContactCountsWindowsAll(ctx context.Context, qs []store.ContactQuery, froms []time.Time) ([][][]store.ContactRow, error)
	FeedbackCountsWindowsAll(ctx context.Context, qs []store.FeedbackQuery, froms []time.Time) ([][][]store.FeedbackRow, error)
	WrittenCountsWindowsAll(ctx context.Context, qs []store.WrittenQuery, froms []time.Time) ([][][]store.WrittenRow, error)
}

// windowStart is where a window of length w ending at now starts.
func windowStart(now time.Time, w time.Duration) time.Time { return now.Add(-w) }

// windowQuery is the report of the window of length w that ends at now:
// every KPI, every service-level method, open cases judged as of now.
func windowQuery(now time.Time, w time.Duration, institutions ...string) report.Query {
	return report.Query{From: windowStart(now, w), To: now, Exact: true, AllMethods: true, AsOf: now, Institutions: institutions}
}

// refreshReader serves the report reads of one refresh. The contact,
// feedback and written-case counts of every institution's windows come
// from one multi-window read each, for all institutions (when the reader
// can; when such a read fails, each institution's windows are read on
// their own, so that one institution's failure leaves the others served),
// the aggregates from one read of the longest window per institution (the
// report keeps those that overlap each window), and the registers once for
// the whole refresh; everything else passes through. It never serves a
// read of another refresh: one is made per refresh.
type refreshReader struct {
	report.Reader
	multi WindowsReader // nil: every read passes through
	cfg   *config.Config
	to    time.Time
	froms []time.Time

	mu       sync.Mutex
	contacts cached[map[string][][]store.ContactRow]
	feedback cached[map[string][][]store.FeedbackRow]
	written  cached[map[string][][]store.WrittenRow]
	aggs     map[string]*cached[[]records.Aggregate]
	prac     cached[[]records.Practice]
	reported cached[[]records.ReportedFigure]
}

// cached is a value computed once, shared by concurrent callers.
type cached[T any] struct {
	once sync.Once
	v    T
	err  error
}

func (c *cached[T]) get(f func() (T, error)) (T, error) {
	c.once.Do(func() { c.v, c.err = f() })
	return c.v, c.err
}

// entry returns the cache entry of key in m, creating it.
func entry[T any](mu *sync.Mutex, m map[string]*cached[T], key string) *cached[T] {
	mu.Lock()
	defer mu.Unlock()
	c, ok := m[key]
	if !ok {
		c = &cached[T]{}
		m[key] = c
	}
	return c
}

func newRefreshReader(r report.Reader, cfg *config.Config, now time.Time, windows []time.Duration) *refreshReader {
	rr := &refreshReader{Reader: r, cfg: cfg, to: now,
		aggs: map[string]*cached[[]records.Aggregate]{}}
	rr.multi, _ = r.(WindowsReader)
	for _, w := range windows {
		rr.froms = append(rr.froms, windowStart(now, w))
	}
	return rr
}

// window returns the index of the refresh's window [from, to), or -1.
func (r *refreshReader) window(from, to time.Time) int {
	if r.multi == nil || !to.Equal(r.to) {
		return -1
	}
	for i, f := range r.froms {
		if f.Equal(from) {
			return i
		}
	}
	return -1
}

// queries returns the store queries of every configured institution's
// windows, as report.Build makes them (their From is that of the longest
// window; the multi-window reads ignore it).
func (r *refreshReader) queries() (cqs []store.ContactQuery, wqs []store.WrittenQuery, fqs []store.FeedbackQuery) {
	q := windowQuery(r.to, r.to.Sub(r.earliest()))
	for _, in := range r.cfg.Institutions {
		cq, wq, fq := report.Queries(r.cfg, q, in)
		cqs, wqs, fqs = append(cqs, cq), append(wqs, wq), append(fqs, fq)
	}
	return cqs, wqs, fqs
}

// earliest is the start of the longest window.
func (r *refreshReader) earliest() time.Time {
	first := r.froms[0]
	for _, f := range r.froms {
		if f.Before(first) {
			first = f
		}
	}
	return first
}

func (r *refreshReader) ContactCounts(ctx context.Context, q store.ContactQuery) ([]store.ContactRow, error) {
	i := r.window(q.From, q.To)
	if i < 0 || (q.By != "" && q.By != store.ByTotal) {
		return r.Reader.ContactCounts(ctx, q)
	}
	all, err := r.contacts.get(func() (map[string][][]store.ContactRow, error) {
		qs, _, _ := r.queries()
		rows, err := r.multi.ContactCountsWindowsAll(ctx, qs, r.froms)
		return byInstitution(qs, rows, func(q store.ContactQuery) string { return q.Institution }), err
	})
	if err != nil { // read institution by institution, so that one cannot fail the others
		return r.Reader.ContactCounts(ctx, q)
	}
	if windows, ok := all[q.Institution]; ok {
		return windows[i], nil
	}
	return r.Reader.ContactCounts(ctx, q)
}

func (r *refreshReader) FeedbackCounts(ctx context.Context, q store.FeedbackQuery) ([]store.FeedbackRow, error) {
	i := r.window(q.From, q.To)
	if i < 0 || (q.By != "" && q.By != store.ByTotal) {
		return r.Reader.FeedbackCounts(ctx, q)
	}
	all, err := r.feedback.get(func() (map[string][][]store.FeedbackRow, error) {
		_, _, qs := r.queries()
		rows, err := r.multi.FeedbackCountsWindowsAll(ctx, qs, r.froms)
		return byInstitution(qs, rows, func(q store.FeedbackQuery) string { return q.Institution }), err
	})
	if err != nil { // see ContactCounts
		return r.Reader.FeedbackCounts(ctx, q)
	}
	if windows, ok := all[q.Institution]; ok {
		return windows[i], nil
	}
	return r.Reader.FeedbackCounts(ctx, q)
}

// byInstitution maps each query's institution to its rows.
func byInstitution[Q, R any](qs []Q, rows []R, institution func(Q) string) map[string]R {
	out := make(map[string]R, len(qs))
	for i, q := range qs {
		if i < len(rows) {
			out[institution(q)] = rows[i]
		}
	}
	return out
}

func (r *refreshReader) WrittenCounts(ctx context.Context, q store.WrittenQuery) ([]store.WrittenRow, error) {
	i := r.window(q.From, q.To)
	if i < 0 || (q.By != "" && q.By != store.ByTotal) {
		return r.Reader.WrittenCounts(ctx, q)
	}
	all, err := r.written.get(func() (map[string][][]store.WrittenRow, error) {
		_, qs, _ := r.queries()
		rows, err := r.multi.WrittenCountsWindowsAll(ctx, qs, r.froms)
		return byInstitution(qs, rows, func(q store.WrittenQuery) string { return q.Institution }), err
	})
	if err != nil { // see ContactCounts
		return r.Reader.WrittenCounts(ctx, q)
	}
	if windows, ok := all[q.Institution]; ok && q.AsOf.Equal(r.to) {
		return windows[i], nil
	}
	return r.Reader.WrittenCounts(ctx, q)
}

func (r *refreshReader) Aggregates(ctx context.Context, institution string, from, to time.Time) ([]records.Aggregate, error) {
	if r.window(from.UTC(), to) < 0 {
		return r.Reader.Aggregates(ctx, institution, from, to)
	}
	first := r.froms[0]
	for _, f := range r.froms {
		if f.Before(first) {
			first = f
		}
	}
	// The report keeps the aggregates whose period overlaps its window, so
	// those of the longest window serve every window.
	return entry(&r.mu, r.aggs, institution).get(func() ([]records.Aggregate, error) {
		return r.Reader.Aggregates(ctx, institution, first.In(from.Location()), to)
	})
}

func (r *refreshReader) Practices(ctx context.Context) ([]records.Practice, error) {
	return r.prac.get(func() ([]records.Practice, error) { return r.Reader.Practices(ctx) })
}

// ReportedFigures reads the figures of every institution once per
// refresh (sorted by institution, as the store gives them) and keeps those
// of the institutions asked for.
func (r *refreshReader) ReportedFigures(ctx context.Context, institutions []string) ([]records.ReportedFigure, error) {
	all, err := r.reported.get(func() ([]records.ReportedFigure, error) { return r.Reader.ReportedFigures(ctx, nil) })
	if err != nil || len(institutions) == 0 {
		return all, err
	}
	want := map[string]bool{}
	for _, in := range institutions {
		want[in] = true
	}
	var out []records.ReportedFigure
	for _, f := range all {
		if want[f.Institution] {
			out = append(out, f)
		}
	}
	return out, nil
}
