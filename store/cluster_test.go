package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/schema"
	"github.com/ccbench/ccbench/servers"
	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/store"
)

// clusterInstitutions are institutions of the cluster tests: cityHash64
// puts SODRA and VMI on one shard and IND and NAV on the other
// (TestClusterInstitutionsCoverBothShards checks it on the servers).
var clusterInstitutions = []string{"SODRA", "VMI", "IND", "NAV"}

// nodeConn opens a connection to one node of the cluster, in database.
func nodeConn(t *testing.T, n *servers.ClusterNode, database string) clickhouse.Conn {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{n.Addr()}, Auth: clickhouse.Auth{Database: database}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// expectedShard asks ClickHouse which shard the Distributed engine sends
// an institution to: the remainder of the sharding key by the total weight
// (two shards of weight 1), shard 1 first.
func expectedShard(t *testing.T, conn clickhouse.Conn, institution string) int {
	t.Helper()
	var shard uint64
	if err := conn.QueryRow(context.Background(), "SELECT toUInt64(cityHash64(?) % 2 + 1)", institution).Scan(&shard); err != nil {
		t.Fatal(err)
	}
	return int(shard)
}

func TestClusterInstitutionsCoverBothShards(t *testing.T) {
	c := servertest.Cluster(t)
	conn := nodeConn(t, c.Nodes[0], "default")
	seen := map[int][]string{}
	for _, in := range clusterInstitutions {
		s := expectedShard(t, conn, in)
		seen[s] = append(seen[s], in)
	}
	t.Logf("institutions by shard: %v", seen)
	if len(seen[1]) == 0 || len(seen[2]) == 0 {
		t.Fatalf("institutions by shard %v: both shards must hold data; choose other institutions", seen)
	}
}

func TestClusterMigrateIsIdempotent(t *testing.T) {
	ctx := testContext(t)
	c := servertest.Cluster(t)
	dsn := servertest.ClusterDSN(t)
	s := servertest.OpenClusterStore(t, dsn)
	migrations, err := schema.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatalf("first migrate: %v", err)
	}
	if len(applied) != len(migrations) {
		t.Fatalf("first migrate applied %v, want all %d migrations", applied, len(migrations))
	}
	applied, err = s.Migrate(ctx)
	if err != nil || len(applied) != 0 {
		t.Fatalf("second migrate applied %v (%v), want nothing", applied, err)
	}
	// Through another node of the other shard: the record of applied
	// migrations is the cluster's, not the first node's.
	other := servertest.OpenClusterStore(t, c.Node(2, 2).DSN(s.Database()))
	applied, err = other.Migrate(ctx)
	if err != nil || len(applied) != 0 {
		t.Fatalf("migrate through s2r2 applied %v (%v), want nothing", applied, err)
	}

	// Every node has each table twice: replicated, shard-local, and
	// Distributed over it.
	for _, n := range c.Nodes {
		engines := map[string]string{}
		rows, err := nodeConn(t, n, "default").Query(ctx, "SELECT name, engine FROM system.tables WHERE database = ?", s.Database())
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name, engine string
			if err := rows.Scan(&name, &engine); err != nil {
				t.Fatal(err)
			}
			engines[name] = engine
		}
		rows.Close()
		for _, table := range []string{"schema_migrations", "contacts", "feedback", "aggregates", "checkpoints", "quarantine", "practices", "reported_figures", "calendar_days", "register_loads", "targets"} {
			if engines[table] != "Distributed" || !strings.HasPrefix(engines[table+"_local"], "Replicated") {
				t.Errorf("%s: %s is %q over %q, want Distributed over Replicated*MergeTree", n.Name(), table, engines[table], engines[table+"_local"])
			}
		}
		// After ALTERs too, each Distributed table has its local table's
		// columns.
		var differ uint64
		err = nodeConn(t, n, "default").QueryRow(ctx, `SELECT countIf(variants != 1) FROM (
    SELECT replaceRegexpOne(table, '_local$', '') AS t, uniqExact(cols) AS variants FROM (
        SELECT table, groupArray((name, type)) AS cols
        FROM (SELECT table, name, type FROM system.columns WHERE database = ? ORDER BY table, name)
        GROUP BY table
    ) GROUP BY t)`, s.Database()).Scan(&differ)
		if err != nil {
			t.Fatal(err)
		}
		if differ != 0 {
			t.Errorf("%s: %d tables whose Distributed and local columns differ", n.Name(), differ)
		}
	}
}

// batchOf builds n contacts per institution, ids prefixed by tag.
func batchOf(tag string, n int) []records.Contact {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var out []records.Contact
	for _, in := range clusterInstitutions {
		for i := 0; i < n; i++ {
			c := answered(fmt.Sprintf("%s-%d", tag, i), "u1", "phone", at.Add(time.Duration(i)*time.Minute), 10, 60, 0, 5)
			c.Institution = in
			c.Source = strings.ToLower(in) + "-cc"
			out = append(out, c)
		}
	}
	return out
}

// localCounts counts a node's shard-local contacts per institution.
func localCounts(t *testing.T, n *servers.ClusterNode, database string) map[string]uint64 {
	t.Helper()
	rows, err := nodeConn(t, n, database).Query(testContext(t), "SELECT institution, count() FROM contacts_local GROUP BY institution")
	if err != nil {
		t.Fatalf("%s: %v", n.Name(), err)
	}
	defer rows.Close()
	out := map[string]uint64{}
	for rows.Next() {
		var in string
		var c uint64
		if err := rows.Scan(&in, &c); err != nil {
			t.Fatal(err)
		}
		out[in] = c
	}
	return out
}

// TestClusterShardPlacement inserts through the Distributed table and
// finds every institution's rows on both replicas of its shard, and on no
// other, as soon as the insert returns (insert_quorum).
func TestClusterShardPlacement(t *testing.T) {
	c := servertest.Cluster(t)
	s := servertest.NewClusterStore(t)
	const perInstitution = 7
	mustInsert(t, s, batchOf("a", perInstitution)...)

	shardOf := map[string]int{}
	conn := nodeConn(t, c.Nodes[0], "default")
	for _, in := range clusterInstitutions {
		shardOf[in] = expectedShard(t, conn, in)
	}
	for _, n := range c.Nodes {
		got := localCounts(t, n, s.Database())
		for _, in := range clusterInstitutions {
			want := uint64(0)
			if shardOf[in] == n.Shard {
				want = perInstitution
			}
			if got[in] != want {
				t.Errorf("%s (shard %d): %d rows of %s (shard %d), want %d", n.Name(), n.Shard, got[in], in, shardOf[in], want)
			}
		}
	}
	total, err := s.Count(testContext(t), "SELECT count() FROM contacts")
	if err != nil {
		t.Fatal(err)
	}
	if want := uint64(perInstitution * len(clusterInstitutions)); total != want {
		t.Errorf("contacts through the Distributed table: %d, want %d", total, want)
	}
}

// TestClusterReplicaKilledDuringInserts kills a replica between two
// batches of inserts. The next insert touching its shard fails (no quorum)
// rather than returning with the rows on one server only; retried after
// the replica is back, it succeeds, and once the replica has caught up both
// replicas of the shard hold the same rows.
func TestClusterReplicaKilledDuringInserts(t *testing.T) {
	ctx := testContext(t)
	c := servertest.Cluster(t)
	s := servertest.NewClusterStore(t)
	const per = 5
	mustInsert(t, s, batchOf("before", per)...)

	victim := c.Node(2, 2)
	servertest.KillNode(t, victim)
	// With a node down, opening and migrating a migrated database runs no
	// ON CLUSTER statement (one would wait for the dead node and fail).
	if err := store.EnsureClusterDatabase(ctx, c.Nodes[0].DSN(s.Database()), "", c.Name); err != nil {
		t.Fatalf("ensure database with a node down: %v", err)
	}
	if applied, err := s.Migrate(ctx); err != nil || len(applied) != 0 {
		t.Fatalf("migrate with a node down: applied %v, %v; want nothing, no error", applied, err)
	}
	err := s.InsertContacts(ctx, batchOf("during", per))
	if err == nil {
		t.Fatal("insert with a replica of shard 2 killed: want an error (quorum of 2 not reachable)")
	}
	if msg := strings.ToLower(err.Error()); !strings.Contains(msg, "quorum") && !strings.Contains(msg, "replicas") {
		t.Fatalf("insert with a replica of shard 2 killed: got %v, want a quorum error", err)
	}

	start := time.Now()
	if err := victim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// Retry as the collector would: the batch is not checkpointed until an
	// insert of it succeeds. The restarted replica is refused as "already
	// active" until its old ZooKeeper session expires.
	var retries int
	for {
		err := s.InsertContacts(ctx, batchOf("during", per))
		if err == nil {
			break
		}
		retries++
		if ctx.Err() != nil {
			t.Fatalf("insert after the restart still fails after %d retries: %v", retries, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	mustInsert(t, s, batchOf("after", per)...)
	if err := nodeConn(t, victim, s.Database()).Exec(ctx, "SYSTEM SYNC REPLICA contacts_local"); err != nil {
		t.Fatalf("sync replica: %v", err)
	}
	t.Logf("replica back and caught up %s after its restart began (%d retries)", time.Since(start).Round(time.Millisecond), retries)

	// Both replicas of each shard hold the same rows.
	const fingerprint = "SELECT count(), groupBitXor(cityHash64(institution, source, id, version, ingested_at)) FROM contacts_local"
	for shard := 1; shard <= 2; shard++ {
		var n1, n2, h1, h2 uint64
		if err := nodeConn(t, c.Node(shard, 1), s.Database()).QueryRow(ctx, fingerprint).Scan(&n1, &h1); err != nil {
			t.Fatal(err)
		}
		if err := nodeConn(t, c.Node(shard, 2), s.Database()).QueryRow(ctx, fingerprint).Scan(&n2, &h2); err != nil {
			t.Fatal(err)
		}
		if n1 != n2 || h1 != h2 {
			t.Errorf("shard %d: replica 1 has %d rows (hash %x), replica 2 %d (hash %x)", shard, n1, h1, n2, h2)
		}
	}
	// Every record of every batch is there once, whatever the retries wrote
	// twice.
	records, err := s.Count(ctx, "SELECT uniqExact(institution, source, id, version) FROM contacts")
	if err != nil {
		t.Fatal(err)
	}
	if want := uint64(3 * per * len(clusterInstitutions)); records != want {
		t.Errorf("distinct contact versions: %d, want %d", records, want)
	}
}

// TestClusterConcurrentInserts inserts from several goroutines at once, as
// the collectors of several sources do: ClickHouse 18.16 refuses a quorum
// insert into a shard's table while the previous one waits for its quorum,
// so the store takes them one table at a time.
func TestClusterConcurrentInserts(t *testing.T) {
	s := servertest.NewClusterStore(t)
	ctx := testContext(t)
	const workers, per = 4, 3
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func() {
			errs <- s.InsertContacts(ctx, batchOf(fmt.Sprintf("w%d", w), per))
		}()
	}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			t.Errorf("concurrent insert: %v", err)
		}
	}
	n, err := s.Count(ctx, "SELECT count() FROM contacts")
	if err != nil {
		t.Fatal(err)
	}
	if want := uint64(workers * per * len(clusterInstitutions)); n != want {
		t.Errorf("contacts: %d, want %d", n, want)
	}
}

// TestClusterOwnBuckets runs the passes of TestOwnBuckets on the cluster,
// where the count of a pass's own buckets reads the Distributed table
// with the revised records sent as an external table (merges run there).
func TestClusterOwnBuckets(t *testing.T) {
	servertest.Cluster(t)
	ownBuckets(t, servertest.NewClusterStore(t), "SODRA")
}
