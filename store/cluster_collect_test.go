package store_test

import (
	"context"

	"github.com/ClickHouse/clickhouse-go/v2"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/ccbench/ccbench/collectors"
	"github.com/ccbench/ccbench/collectors/sodra"
	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/servers"
	"github.com/ccbench/ccbench/servers/servertest"
	sodrasim "github.com/ccbench/ccbench/simulator/sodra"
	"github.com/ccbench/ccbench/store"
)

// killingSink kills a node right after the n-th contact batch was
// accepted: a crash in the middle of a collection, at a known point.
type killingSink struct {
	*store.Store
	t      *testing.T
	node   *servers.ClusterNode
	n      int
	calls  int
	killed bool
}

func (k *killingSink) InsertContacts(ctx context.Context, cs []records.Contact) error {
	if err := k.Store.InsertContacts(ctx, cs); err != nil {
		return err
	}
	k.calls++
	if k.calls == k.n && !k.killed {
		servertest.KillNode(k.t, k.node)
		k.killed = true
	}
	return nil
}

// sodraCollector returns a SODRA-style collector of institution sodra
// against a simulator with a fixed clock.
func sodraCollector(t *testing.T) collectors.Collector {
	t.Helper()
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	sim := sodrasim.New(sodrasim.Options{Seed: 13, Days: 1, Scale: 0.2, Now: func() time.Time { return now }})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	src := config.Source{Name: "sodra-api", Style: config.StyleSODRA, Institution: "sodra", BaseURL: srv.URL, PageSize: 500, Unit: "contact-centre"}
	f := &collectors.Fetcher{Source: src.Name, InitialInterval: time.Millisecond, MaxElapsed: 10 * time.Second}
	col, err := sodra.New(src, config.Institution{ID: "sodra"}, nil, f)
	if err != nil {
		t.Fatal(err)
	}
	return col
}

// TestClusterReplicaKilledDuringCollection kills a replica of the shard
// that holds the institution in the middle of a collection. The pass fails
// without moving the checkpoint past what is durable; after the replica is
// back the next pass finishes, both replicas hold the same rows, and the
// KPI counts equal those of the same collection on one server.
func TestClusterReplicaKilledDuringCollection(t *testing.T) {
	ctx := testContext(t)
	c := servertest.Cluster(t)

	// The same collection on one server: the reference.
	single, err := store.Open(ctx, servertest.DSN(t), "")
	if err != nil {
		t.Fatal(err)
	}
	defer single.Close()
	if _, err := single.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	stats, err := sodraCollector(t).Collect(ctx, single)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Records == 0 {
		t.Fatal("the reference collection stored nothing")
	}

	s := servertest.NewClusterStore(t)
	shard := expectedShard(t, nodeConn(t, c.Nodes[0], "default"), "sodra")
	victim := c.Node(shard, 2)
	sink := &killingSink{Store: s, t: t, node: victim, n: 1}
	col := sodraCollector(t)
	if _, err := col.Collect(ctx, sink); err == nil {
		t.Fatal("collection with a replica of the institution's shard killed: want an error")
	}
	if !sink.killed {
		t.Fatal("the replica was never killed: the collection wrote no contacts")
	}
	t.Logf("the failed pass wrote %d contact batches (the replica was killed after the first)", sink.calls)
	if err := victim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var passes int
	for {
		passes++
		_, err := col.Collect(ctx, sink)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("collection after the restart still fails after %d passes: %v", passes, err)
		}
		time.Sleep(200 * time.Millisecond) // the collector's next poll
	}
	if err := nodeConn(t, victim, s.Database()).Exec(ctx, "SYSTEM SYNC REPLICA contacts_local"); err != nil {
		t.Fatal(err)
	}

	const fingerprint = "SELECT count(), groupBitXor(cityHash64(institution, source, id, version, ingested_at)) FROM contacts_local"
	var n1, n2, h1, h2 uint64
	if err := nodeConn(t, c.Node(shard, 1), s.Database()).QueryRow(ctx, fingerprint).Scan(&n1, &h1); err != nil {
		t.Fatal(err)
	}
	if err := nodeConn(t, victim, s.Database()).QueryRow(ctx, fingerprint).Scan(&n2, &h2); err != nil {
		t.Fatal(err)
	}
	if n1 == 0 || n1 != n2 || h1 != h2 {
		t.Errorf("shard %d: replica 1 has %d rows (hash %x), the restarted replica %d (hash %x)", shard, n1, h1, n2, h2)
	}

	upTo := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	want, err := single.ContactTotals(ctx, "sodra", upTo, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.ContactTotals(ctx, "sodra", upTo, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("KPI counts on the cluster after the kill:\n%+v\nwant, as on one server:\n%+v", got, want)
	}
	singleConn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{servertest.ClickHouse(t).Addr()}, Auth: clickhouse.Auth{Database: single.Database()}})
	if err != nil {
		t.Fatal(err)
	}
	defer singleConn.Close()
	// The same records with the same newest versions. (Older versions may
	// differ: the collector keeps the newest version of a record within a
	// page, and the interrupted collection was paged differently.)
	for _, table := range []string{"contacts", "feedback"} {
		q := "SELECT count(), groupBitXor(cityHash64(source, id, v)) FROM (SELECT source, id, max(version) AS v FROM " + table + " GROUP BY source, id)"
		var wn, wh, gn, gh uint64
		if err := singleConn.QueryRow(ctx, q).Scan(&wn, &wh); err != nil {
			t.Fatal(err)
		}
		if err := nodeConn(t, c.Nodes[0], s.Database()).QueryRow(ctx, q).Scan(&gn, &gh); err != nil {
			t.Fatal(err)
		}
		if wn == 0 || gn != wn || gh != wh {
			t.Errorf("%s: %d records (hash %x) on the cluster, %d (hash %x) on one server", table, gn, gh, wn, wh)
		}
	}
}
