package exporter

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/store"
)

// fakeTotalsReader returns rows, or err, and records what it was asked.
type fakeTotalsReader struct {
	rows        []store.ContactRow
	err         error
	institution string
	upTo        time.Time
	threshold   time.Duration // of the params it was given, for unit u, phone
}

func (f *fakeTotalsReader) ContactTotals(_ context.Context, institution string, upTo time.Time, params func(unit, channel string) kpi.Params) ([]store.ContactRow, error) {
	f.institution, f.upTo = institution, upTo
	f.threshold = params("u", "phone").Threshold
	return f.rows, f.err
}

func TestStoreTotals(t *testing.T) {
	upTo := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	params := func(_, _ string) kpi.Params { return kpi.Params{Threshold: 30 * time.Second} }
	r := &fakeTotalsReader{rows: []store.ContactRow{
		{Institution: "sodra", Unit: "cc", Channel: "phone", Counts: kpi.ContactCounts{Offered: 10, Answered: 8}},
		{Institution: "sodra", Unit: "cc", Channel: "chat", Counts: kpi.ContactCounts{Offered: 3}},
	}}
	got, err := StoreTotals(r).ContactTotals(context.Background(), "sodra", upTo, params)
	if err != nil {
		t.Fatal(err)
	}
	want := []GroupCounts{
		{Unit: "cc", Channel: "phone", Counts: kpi.ContactCounts{Offered: 10, Answered: 8}},
		{Unit: "cc", Channel: "chat", Counts: kpi.ContactCounts{Offered: 3}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if r.institution != "sodra" || !r.upTo.Equal(upTo) || r.threshold != 30*time.Second {
		t.Errorf("store asked for %q up to %v with threshold %v, want sodra up to %v with 30s", r.institution, r.upTo, r.threshold, upTo)
	}

	boom := errors.New("boom")
	if _, err := StoreTotals(&fakeTotalsReader{err: boom}).ContactTotals(context.Background(), "sodra", upTo, params); !errors.Is(err, boom) {
		t.Errorf("err = %v, want the store's", err)
	}
}
