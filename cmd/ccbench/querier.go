package main

import (
	"context"
	"time"

	"github.com/ccbench/ccbench/exporter"
	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/store"
)

// storeTotals lets the exporter read the cumulative contact counters from
// the store; the windowed KPIs it reads through report.Build from the store
// itself.
type storeTotals struct{ st *store.Store }

func (q storeTotals) ContactTotals(ctx context.Context, institution string, upTo time.Time, params func(unit, channel string) kpi.Params) ([]exporter.GroupCounts, error) {
	rows, err := q.st.ContactTotals(ctx, institution, upTo, params)
	if err != nil {
		return nil, err
	}
	out := make([]exporter.GroupCounts, len(rows))
	for i, r := range rows {
		out[i] = exporter.GroupCounts{Unit: r.Unit, Channel: r.Channel, Counts: r.Counts}
	}
	return out, nil
}
