package sodra

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/ccbench/ccbench/collectors"
	"github.com/ccbench/ccbench/servers/servertest"
	sodrasim "github.com/ccbench/ccbench/simulator/sodra"
	"github.com/ccbench/ccbench/store"
)

// sameDatabase returns two stores on one fresh, migrated database: two
// collector processes, one after the other.
func sameDatabase(t *testing.T) (*store.Store, *store.Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	open := func(dsn string) *store.Store {
		if servertest.OnCluster() {
			return servertest.OpenClusterStore(t, dsn)
		}
		s, err := store.Open(ctx, dsn, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	var dsn string
	if servertest.OnCluster() {
		dsn = servertest.ClusterDSN(t)
	} else {
		dsn = servertest.DSN(t)
	}
	first := open(dsn)
	if _, err := first.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return first, open(dsn)
}

// TestPassKilledBeforeRecountIsRecoveredByNextRun collects a SODRA-style
// source through a store pass that never finishes, as when the collector
// is killed after its last batch and checkpoint but before the pass
// recounts the rollups: its buckets are stale (the rollups do not give the
// raw versions' counts). The next collector process, run as `ccbench
// collect` runs it, recounts them before its pass, and the rollups again
// give exactly the raw counts, which are the simulator's.
func TestPassKilledBeforeRecountIsRecoveredByNextRun(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test with a real ClickHouse; skipped under -short")
	}
	ctx := context.Background()
	killed, next := sameDatabase(t)
	if err := killed.RebuildRollups(ctx, "sodra"); err != nil { // reads use the rollups
		t.Fatal(err)
	}
	e := newEnv(t, sodrasim.Options{Seed: 6, Days: 1}, nil, token)
	// Never finished, and killed before any recount: the pass is hidden
	// behind the Sink interface, so it is not told that its contacts are
	// written (collectors.ContactsSettler), which would recount them ahead.
	if _, err := e.col.Collect(ctx, struct{ collectors.Sink }{killed.BeginPass()}); err != nil {
		t.Fatal(err)
	}
	q := store.ContactQuery{Institution: "sodra", From: monday.AddDate(0, 0, -3), To: monday.AddDate(0, 0, 1)}
	counts := func(s *store.Store, raw bool) map[group]float64 {
		t.Helper()
		q := q
		q.Raw = raw
		rows, err := s.ContactCounts(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		out := map[group]float64{}
		for _, r := range rows {
			if r.Counts.Offered > 0 {
				out[group{r.Unit, r.Channel}] = r.Counts.Offered
			}
		}
		return out
	}
	wantOffered, _ := e.expectedCounts(t)
	if raw := counts(next, true); !reflect.DeepEqual(raw, wantOffered) {
		t.Fatalf("raw counts %v, the simulator served %v", raw, wantOffered)
	}
	if rolled := counts(next, false); reflect.DeepEqual(rolled, wantOffered) {
		t.Fatal("the rollups are exact before the killed pass was recounted: the test shows nothing")
	}

	r := &collectors.Runner{Sink: next, Collectors: []collectors.Collector{e.col},
		BeginPass: func(ctx context.Context) (collectors.PassSink, error) { // as cmd/ccbench/collect.go
			if err := next.RecoverPending(ctx); err != nil {
				return nil, err
			}
			return next.BeginPass(), nil
		}}
	if _, err := r.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if rolled := counts(next, false); !reflect.DeepEqual(rolled, wantOffered) {
		t.Errorf("after the next run, the rollups give %v; the simulator served %v", rolled, wantOffered)
	}
}
