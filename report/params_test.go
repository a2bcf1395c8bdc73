package report_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/report"
)

// TestPhoneBlockParams: an IND-style phone block is judged by its own
// threshold (60 s in indAggregates), not the configured 20 s, and its rows
// say so; blocks with different thresholds make T mixed.
func TestPhoneBlockParams(t *testing.T) {
	build := func(aggs []records.Aggregate) []report.Row {
		rep, err := report.Build(context.Background(), testCfg(t), &fakeReader{aggs: aggs},
			report.Query{From: day(2024, 1, 1), To: day(2024, 3, 1), AsOf: day(2024, 4, 1)})
		if err != nil {
			t.Fatal(err)
		}
		return rep.Rows
	}
	rows := build(indAggregates())
	for _, lvl := range []struct{ unit, channel *string }{{s("ind"), s("phone")}, {all, s("phone")}, {all, all}} {
		sl := one(t, rows, sel{"ind", lvl.unit, lvl.channel, nil, kpi.ServiceLevel})
		if sl.Params == nil || sl.Params.ThresholdS == nil || *sl.Params.ThresholdS != 60 || sl.Params.SLMethod != kpi.MethodNegative {
			t.Errorf("service_level params %+v, want T 60 s, method negative", sl.Params)
		}
		ab := one(t, rows, sel{"ind", lvl.unit, lvl.channel, nil, kpi.AbandonRate})
		if ab.Params == nil || ab.Params.ThresholdS != nil || ab.Params.ShortAbandonS == nil {
			t.Errorf("abandon_rate params %+v, want S only", ab.Params)
		}
	}
	// A February block judged by 30 s: T is mixed over the window.
	aggs := indAggregates()
	for i, a := range aggs {
		if a.Metric == records.AggThresholdS && a.Batch == "2024-02" {
			aggs[i].Value = 30
		}
	}
	sl := one(t, build(aggs), sel{"ind", all, s("phone"), nil, kpi.ServiceLevel})
	if sl.Params == nil || sl.Params.ThresholdS != nil || !reflect.DeepEqual(sl.Params.Mixed, []kpi.Parameter{kpi.ParamThreshold}) {
		t.Errorf("service_level params %+v, want T mixed", sl.Params)
	}
}
