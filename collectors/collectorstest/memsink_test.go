package collectorstest

import (
	"context"
	"testing"

	"github.com/ccbench/ccbench/records"
)

func TestMemSinkNewestVersionWins(t *testing.T) {
	ctx := context.Background()
	m := NewMemSink()
	v := func(id string, version int64, outcome string) records.Contact {
		return records.Contact{Source: "s", ID: id, Version: version, Outcome: outcome}
	}
	for _, batch := range [][]records.Contact{
		{v("a", 2, "answered"), v("b", 1, "open")},
		{v("a", 1, "open")}, // older: ignored
		{v("b", 3, "answered"), v("b", 3, "answered")},
	} {
		if err := m.InsertContacts(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	got := m.Contacts()
	if len(got) != 2 || got[0].Outcome != "answered" || got[0].Version != 2 || got[1].Version != 3 {
		t.Fatalf("got %+v", got)
	}
	if m.Written() != 5 {
		t.Errorf("Written = %d, want 5", m.Written())
	}
}

func TestMemSinkFailOnce(t *testing.T) {
	ctx := context.Background()
	m := NewMemSink()
	m.Fail = FailOnce(OpSaveCheckpoint, 2)
	cp := records.Checkpoint{Source: "s", Stream: "contacts", Position: "1"}
	if err := m.SaveCheckpoint(ctx, cp); err != nil {
		t.Fatalf("call 1: %v", err)
	}
	cp.Position = "2"
	if err := m.SaveCheckpoint(ctx, cp); err == nil {
		t.Fatal("call 2 should fail")
	}
	if got, _, _ := m.Checkpoint(ctx, "s", "contacts"); got.Position != "1" {
		t.Fatalf("failed save changed the checkpoint to %q", got.Position)
	}
	cp.Position = "3"
	if err := m.SaveCheckpoint(ctx, cp); err != nil {
		t.Fatalf("call 3: %v", err)
	}
}

func TestMemSinkAggregatesHighestRevision(t *testing.T) {
	ctx := context.Background()
	m := NewMemSink()
	row := func(rev int64, metric string, v float64) records.Aggregate {
		return records.Aggregate{Source: "ind", Batch: "2024-01", Revision: rev, Metric: metric, Value: v}
	}
	m.InsertAggregates(ctx, []records.Aggregate{row(1, "offered", 10), row(1, "answered", 8)})
	m.InsertAggregates(ctx, []records.Aggregate{row(2, "offered", 12)})
	m.InsertAggregates(ctx, []records.Aggregate{row(1, "answered", 9), row(2, "offered", 12)})
	got := m.Aggregates()
	if len(got) != 1 || got[0].Value != 12 || got[0].Revision != 2 {
		t.Fatalf("got %+v, want only revision 2's offered=12", got)
	}
}

func TestMemSinkLiveIDs(t *testing.T) {
	ctx := context.Background()
	m := NewMemSink()
	m.InsertContacts(ctx, []records.Contact{
		{Source: "vmi", ID: "1", Version: 1, Origin: "calls-1.csv"},
		{Source: "vmi", ID: "2", Version: 1, Origin: "calls-1.csv"},
		{Source: "vmi", ID: "3", Version: 1, Origin: "calls-2.csv"},
	})
	m.InsertContacts(ctx, []records.Contact{{Source: "vmi", ID: "2", Version: 2, Origin: "calls-1.csv", Deleted: true}})
	ids, err := m.LiveIDs(ctx, "contacts", "vmi", "calls-1.csv")
	if err != nil || len(ids) != 1 || ids[0] != "1" {
		t.Fatalf("LiveIDs = %v, %v; want [1]", ids, err)
	}
}
