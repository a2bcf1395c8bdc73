package ind

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ccbench/ccbench/collectors"
	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/simulator"
	indsim "github.com/ccbench/ccbench/simulator/ind"
	"github.com/ccbench/ccbench/store"
)

// TestRevisionsInClickHouse collects two revisions of the running month,
// and a bad third one, into a real ClickHouse store, and checks that
// reading the highest revision of each batch gives the newest good
// revision's rows alone, although the table keeps the older rows.
//
// The store has no aggregate reader yet, so the test reads the aggregates
// table itself with the rule the store's reads must follow (only the rows
// of the highest revision of each batch).
func TestRevisionsInClickHouse(t *testing.T) {
	ctx := context.Background()
	dsn := servertest.DSN(t)
	st, err := store.Open(ctx, dsn, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })

	clock := simulator.NewClock(march10)
	sim := indsim.New(indsim.Options{Seed: 9, Days: 0, Now: clock.Now, Token: token, BadRecordEvery: 5}).Handler()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	e := &env{clock: clock, h: sim, srv: srv}
	src := config.Source{Name: "ind-open-data", Style: config.StyleIND, Institution: "ind", BaseURL: srv.URL}
	col, err := New(src, config.Institution{ID: "ind"}, nil,
		&collectors.Fetcher{Source: src.Name, Token: token, InitialInterval: time.Millisecond, MaxElapsed: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}

	// Two good revisions in a row followed by a bad one.
	var good []doc
	for i := 0; len(good) < 2 || e.doc(t, "2024-03").OverCapAt < 0; i++ {
		if i > 72 {
			t.Fatal("found no two good revisions followed by a bad one")
		}
		d := e.doc(t, "2024-03")
		if d.OverCapAt >= 0 {
			good = nil
		} else {
			good = append(good, d)
			if len(good) > 2 {
				good = good[1:]
			}
		}
		clock.Advance(time.Hour)
	}
	bad := e.doc(t, "2024-03")
	clock.Advance(-2 * time.Hour)
	for range 3 {
		if _, err := col.Collect(ctx, st); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour)
	}

	type row struct {
		revision int64
		value    float64
	}
	const q = `SELECT revision, channel, instrument, item, metric, value FROM aggregates FINAL
		WHERE source = 'ind-open-data' AND batch = '2024-03'
		  AND (batch, revision) IN (SELECT batch, max(revision) FROM aggregates WHERE source = 'ind-open-data' GROUP BY batch)`
	rows, err := conn.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	got := map[rowKey]row{}
	for rows.Next() {
		var k rowKey
		var r row
		if err := rows.Scan(&r.revision, &k.channel, &k.instrument, &k.item, &k.metric, &r.value); err != nil {
			t.Fatal(err)
		}
		if _, dup := got[k]; dup {
			t.Errorf("row %+v read twice", k)
		}
		got[k] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := good[1]
	if len(got) != len(want.Rows) {
		t.Errorf("read %d rows of 2024-03, want %d", len(got), len(want.Rows))
	}
	for k, v := range want.Rows {
		if r := got[k]; r.revision != want.Revision || r.value != v {
			t.Errorf("%+v: read %+v, want revision %d value %v", k, r, want.Revision, v)
		}
	}

	var older, total uint64
	if err := conn.QueryRow(ctx, fmt.Sprintf("SELECT countIf(revision = %d), count() FROM aggregates FINAL WHERE batch = '2024-03'", good[0].Revision)).Scan(&older, &total); err != nil {
		t.Fatal(err)
	}
	if older != uint64(len(good[0].Rows)) || total != uint64(len(good[0].Rows)+len(good[1].Rows)) {
		t.Errorf("table holds %d rows of revision %d and %d in all; want %d and %d",
			older, good[0].Revision, total, len(good[0].Rows), len(good[0].Rows)+len(good[1].Rows))
	}

	qs, err := st.ListQuarantine(ctx, "ind-open-data", 10)
	if err != nil {
		t.Fatal(err)
	}
	wantID := fmt.Sprintf("2024-03@r%d", bad.Revision)
	if len(qs) != 1 || qs[0].RecordID != wantID || qs[0].Field != fmt.Sprintf("decisions[%d].penalties_eur", bad.OverCapAt) {
		t.Errorf("quarantine holds %+v, want %s", qs, wantID)
	}
	cp, ok, err := st.Checkpoint(ctx, "ind-open-data", StreamPeriods)
	if err != nil || !ok || cp.Position != fmt.Sprintf(`{"2024-02":%d,"2024-03":%d}`, e.doc(t, "2024-02").Revision, want.Revision) {
		t.Errorf("checkpoint %q, %v, %v", cp.Position, ok, err)
	}
}
