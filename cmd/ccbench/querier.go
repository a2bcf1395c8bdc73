package main

import (
	"context"
	"time"

	"github.com/ccbench/ccbench/exporter"
	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/store"
)

// storeQuerier lets the exporter read contact counts from the store.
type storeQuerier struct{ st *store.Store }

func (q storeQuerier) Contacts(ctx context.Context, institution string, loc *time.Location, from, to time.Time, params func(unit, channel string) kpi.Params) ([]exporter.GroupCounts, error) {
	rows, err := q.st.ContactCounts(ctx, store.ContactQuery{Institution: institution, Location: loc, From: from, To: to, By: store.ByTotal, Params: params})
	return groupCounts(rows), err
}

func (q storeQuerier) ContactTotals(ctx context.Context, institution string, upTo time.Time, params func(unit, channel string) kpi.Params) ([]exporter.GroupCounts, error) {
	rows, err := q.st.ContactTotals(ctx, institution, upTo, params)
	return groupCounts(rows), err
}

func groupCounts(rows []store.ContactRow) []exporter.GroupCounts {
	out := make([]exporter.GroupCounts, len(rows))
	for i, r := range rows {
		out[i] = exporter.GroupCounts{Unit: r.Unit, Channel: r.Channel, Counts: r.Counts}
	}
	return out
}
