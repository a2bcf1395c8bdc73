package store

import (
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/ext"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
)

// TestIDTableReuseLeavesNoIDBehind builds the ids table of a lookup of
// three ids, gives it back, and builds the next lookup's of one id: the
// reused table must hold that one id only, or the lookup would find
// records of an earlier batch stored.
func TestIDTableReuseLeavesNoIDBehind(t *testing.T) {
	s := &Store{}
	build, done := s.batchIDs([]string{"a", "b", "c"})
	first, err := build()
	if err != nil {
		t.Fatal(err)
	}
	done()
	build, done = s.batchIDs([]string{"d"})
	second, err := build()
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	if second != first {
		t.Fatal("the second lookup did not reuse the table given back")
	}
	col := second.Block().Columns[0].(*column.String)
	if col.Rows() != 1 || col.Row(0, false) != "d" {
		t.Fatalf("reused table holds %d ids, the first %v; want only d", col.Rows(), col.Row(0, false))
	}
}

// TestIDTablePoolKeepsAFew gives back more tables than the pool keeps.
func TestIDTablePoolKeepsAFew(t *testing.T) {
	var p idTablePool
	var tables []*ext.Table
	for range maxIDTables + 3 {
		tbl, err := p.get()
		if err != nil {
			t.Fatal(err)
		}
		tables = append(tables, tbl)
	}
	for _, tbl := range tables {
		p.put(tbl)
	}
	if len(p.free) != maxIDTables {
		t.Errorf("pool keeps %d tables, want %d", len(p.free), maxIDTables)
	}
}
