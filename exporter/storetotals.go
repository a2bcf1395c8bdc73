package exporter

import (
	"context"
	"time"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/store"
)

// ContactTotalsReader reads cumulative contact counts per unit and channel;
// *store.Store implements it.
type ContactTotalsReader interface {
	ContactTotals(ctx context.Context, institution string, upTo time.Time, params func(unit, channel string) kpi.Params) ([]store.ContactRow, error)
}

// StoreTotals returns the TotalsQuerier that reads the cumulative contact
// counters from r, as `ccbench serve` does with its store.
func StoreTotals(r ContactTotalsReader) TotalsQuerier { return storeTotals{r} }

type storeTotals struct{ r ContactTotalsReader }

func (q storeTotals) ContactTotals(ctx context.Context, institution string, upTo time.Time, params func(unit, channel string) kpi.Params) ([]GroupCounts, error) {
	rows, err := q.r.ContactTotals(ctx, institution, upTo, params)
	if err != nil {
		return nil, err
	}
	out := make([]GroupCounts, len(rows))
	for i, r := range rows {
		out[i] = GroupCounts{Unit: r.Unit, Channel: r.Channel, Counts: r.Counts}
	}
	return out, nil
}
