package exporter

import (
	"context"
	"time"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/store"
)

// ContactTotalsReader reads cumulative contact counts per unit and channel;
// *store.Store implements it.
type ContactTotalsReader interface {
	ContactTotals(ctx context.Context, institution string, upTo time.Time, params func(unit, channel string) kpi.Params) ([]store.ContactRow, error)
}

// AllTotalsQuerier is a TotalsQuerier that also reads the totals of many
// institutions at once: out[i] are those of institutions[i]. A refresh then
// reads every institution's totals in one call. StoreTotals returns one
// when its reader can (the store can).
type AllTotalsQuerier interface {
	TotalsQuerier
	ContactTotalsAll(ctx context.Context, institutions []string, upTo time.Time, params func(institution, unit, channel string) kpi.Params) ([][]GroupCounts, error)
}

// StoreTotals returns the TotalsQuerier that reads the cumulative contact
// counters from r, as `ccbench serve` does with its store.
func StoreTotals(r ContactTotalsReader) TotalsQuerier {
	if all, ok := r.(ContactTotalsAllReader); ok {
		return storeAllTotals{storeTotals{r}, all}
	}
	return storeTotals{r}
}

// ContactTotalsAllReader reads the cumulative contact counts of many
// institutions at once; *store.Store implements it.
type ContactTotalsAllReader interface {
	ContactTotalsAll(ctx context.Context, institutions []string, upTo time.Time, params func(institution, unit, channel string) kpi.Params) ([][]store.ContactRow, error)
}

type storeTotals struct{ r ContactTotalsReader }

type storeAllTotals struct {
	storeTotals
	all ContactTotalsAllReader
}

func (q storeAllTotals) ContactTotalsAll(ctx context.Context, institutions []string, upTo time.Time, params func(institution, unit, channel string) kpi.Params) ([][]GroupCounts, error) {
	rows, err := q.all.ContactTotalsAll(ctx, institutions, upTo, params)
	if err != nil {
		return nil, err
	}
	out := make([][]GroupCounts, len(rows))
	for i := range rows {
		out[i] = groupCounts(rows[i])
	}
	return out, nil
}

// groupCounts converts the store's rows.
func groupCounts(rows []store.ContactRow) []GroupCounts {
	out := make([]GroupCounts, len(rows))
	for i, r := range rows {
		out[i] = GroupCounts{Unit: r.Unit, Channel: r.Channel, Counts: r.Counts}
	}
	return out
}

func (q storeTotals) ContactTotals(ctx context.Context, institution string, upTo time.Time, params func(unit, channel string) kpi.Params) ([]GroupCounts, error) {
	rows, err := q.r.ContactTotals(ctx, institution, upTo, params)
	if err != nil {
		return nil, err
	}
	return groupCounts(rows), nil
}

// refreshTotals serves the totals of one refresh: every configured
// institution's in one read when the querier can, as of now.
type refreshTotals struct {
	TotalsQuerier
	all AllTotalsQuerier // nil: every read passes through
	cfg *config.Config
	now time.Time
	got cached[map[string][]GroupCounts]
}

func newRefreshTotals(t TotalsQuerier, cfg *config.Config, now time.Time) *refreshTotals {
	r := &refreshTotals{TotalsQuerier: t, cfg: cfg, now: now}
	r.all, _ = t.(AllTotalsQuerier)
	return r
}

func (r *refreshTotals) ContactTotals(ctx context.Context, institution string, upTo time.Time, params func(unit, channel string) kpi.Params) ([]GroupCounts, error) {
	if r.all == nil || !upTo.Equal(r.now) {
		return r.TotalsQuerier.ContactTotals(ctx, institution, upTo, params)
	}
	all, err := r.got.get(func() (map[string][]GroupCounts, error) {
		ids := make([]string, len(r.cfg.Institutions))
		for i, in := range r.cfg.Institutions {
			ids[i] = in.ID
		}
		rows, err := r.all.ContactTotalsAll(ctx, ids, upTo, r.cfg.Params)
		out := map[string][]GroupCounts{}
		for i := range rows {
			out[ids[i]] = rows[i]
		}
		return out, err
	})
	if err != nil { // read institution by institution, so that one cannot fail the others
		return r.TotalsQuerier.ContactTotals(ctx, institution, upTo, params)
	}
	if rows, ok := all[institution]; ok {
		return rows, nil
	}
	return r.TotalsQuerier.ContactTotals(ctx, institution, upTo, params)
}
