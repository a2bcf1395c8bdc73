package report

import (
	"context"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/store"
)

// WrittenAllReader reads the written-case counts of several institutions'
// queries at once: out[i] are the rows of qs[i]. *store.Store implements
// it; Build uses it when its Reader does.
type WrittenAllReader interface {
	WrittenCountsAll(ctx context.Context, qs []store.WrittenQuery) ([][]store.WrittenRow, error)
}

// writtenAhead is a Reader that serves the written-case counts of a
// report's institutions from one read made ahead (WrittenAllReader), and
// passes everything else, and any other written-case query, through.
type writtenAhead struct {
	Reader
	rows map[string][]store.WrittenRow // by institution
	qs   map[string]store.WrittenQuery // the queries they answer
}

// readWrittenAhead reads the written-case counts of every institution of
// a report in one WrittenCountsAll, when r can; otherwise, or when the
// read fails (each institution's own read will then say why), it returns
// r.
func readWrittenAhead(ctx context.Context, cfg *config.Config, r Reader, q Query, insts []config.Institution) Reader {
	all, ok := r.(WrittenAllReader)
	if !ok || len(insts) < 2 {
		return r
	}
	qs := make([]store.WrittenQuery, len(insts))
	for i, in := range insts {
		_, qs[i], _ = newBuilder(cfg, r, q, in).queries()
	}
	rows, err := all.WrittenCountsAll(ctx, qs)
	if err != nil {
		return r
	}
	ahead := &writtenAhead{Reader: r, rows: map[string][]store.WrittenRow{}, qs: map[string]store.WrittenQuery{}}
	for i, q := range qs {
		ahead.rows[q.Institution], ahead.qs[q.Institution] = rows[i], q
	}
	return ahead
}

// WrittenCounts serves q from the read made ahead when it is the query
// that read made for q's institution.
func (w *writtenAhead) WrittenCounts(ctx context.Context, q store.WrittenQuery) ([]store.WrittenRow, error) {
	if ahead, ok := w.qs[q.Institution]; ok && sameWrittenQuery(ahead, q) {
		return w.rows[q.Institution], nil
	}
	return w.Reader.WrittenCounts(ctx, q)
}

// sameWrittenQuery reports whether a and b ask for the same counts (their
// Params, functions of the same configuration, are not compared).
func sameWrittenQuery(a, b store.WrittenQuery) bool {
	a.Params, b.Params = nil, nil
	return a.Institution == b.Institution && a.Location.String() == b.Location.String() && a.Calendar == b.Calendar &&
		a.From.Equal(b.From) && a.To.Equal(b.To) && a.By == b.By && a.AsOf.Equal(b.AsOf) && a.Raw == b.Raw
}
