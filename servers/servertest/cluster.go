package servertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ccbench/ccbench/servers"
	"github.com/ccbench/ccbench/store"
)

// ClusterTimeouts are the store's cluster timeouts in tests: short, so that
// a test with a node down fails in seconds rather than minutes.
var ClusterTimeouts = store.ClusterOptions{QuorumTimeout: 5 * time.Second, DDLTimeout: 30 * time.Second}

// EnvCluster, set to 1, makes NewStore return stores on the shared cluster
// (NewClusterStore), so that every integration test that takes its store
// from NewStore runs against the cluster.
const EnvCluster = "CCBENCH_TEST_CLUSTER"

// OnCluster reports whether NewStore gives cluster stores.
func OnCluster() bool { return os.Getenv(EnvCluster) == "1" }

// sharedCluster is the one loopback ClickHouse cluster (2 shards × 2
// replicas and a ZooKeeper) of this test binary, started on first use.
var sharedCluster struct {
	once    sync.Once
	dir     string
	c       *servers.Cluster
	err     error
	started time.Duration // how long the start took
}

// Cluster returns the test binary's shared cluster, starting it on first
// use in a temporary directory. A test that stops or kills a node must
// start it again before it ends (KillNode does).
func Cluster(tb testing.TB) *servers.Cluster {
	tb.Helper()
	sharedCluster.once.Do(func() {
		dir, err := os.MkdirTemp("", "ccbench-cluster-")
		if err != nil {
			sharedCluster.err = fmt.Errorf("cluster temp dir: %w", err)
			return
		}
		sharedCluster.dir = dir
		ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
		defer cancel()
		start := time.Now()
		sharedCluster.c, sharedCluster.err = servers.StartCluster(ctx, dir, servers.ClusterOptions{})
		sharedCluster.started = time.Since(start)
		if sharedCluster.err == nil {
			tb.Logf("shared cluster %s started in %s", sharedCluster.c.Name, sharedCluster.started.Round(time.Millisecond))
		}
	})
	if sharedCluster.err != nil {
		if errors.Is(sharedCluster.err, servers.ErrNotInstalled) {
			missing(tb, sharedCluster.err)
		}
		tb.Fatalf("start shared cluster: %v (logs in %s)", sharedCluster.err, sharedCluster.dir)
	}
	return sharedCluster.c
}

// KillNode kills a node of the shared cluster with SIGKILL and makes sure
// it runs again when the test ends, so that later tests find the whole
// cluster.
func KillNode(tb testing.TB, n *servers.ClusterNode) {
	tb.Helper()
	if err := n.Kill(); err != nil {
		tb.Fatalf("kill %s: %v", n.Name(), err)
	}
	tb.Cleanup(func() {
		if n.Running() {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := n.Start(ctx); err != nil {
			tb.Errorf("restart %s after the test: %v", n.Name(), err)
		}
	})
}

// stopCluster stops the shared cluster, if a test started one, and removes
// its directory when the tests passed (keeps it, with every server's logs,
// when they failed).
func stopCluster(code int) {
	if sharedCluster.c != nil {
		if err := sharedCluster.c.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "servertest: stop cluster: %v\n", err)
		}
	}
	if sharedCluster.dir == "" {
		return
	}
	if code == 0 && sharedCluster.err == nil {
		os.RemoveAll(sharedCluster.dir)
		return
	}
	fmt.Fprintf(os.Stderr, "servertest: cluster logs kept in %s\n", sharedCluster.dir)
}

// ClusterDSN returns the DSN, on the first node of the shared cluster, of
// a fresh, uniquely named, empty database created on every node and
// dropped on every node when the test ends.
func ClusterDSN(tb testing.TB) string {
	tb.Helper()
	c := Cluster(tb)
	db := fmt.Sprintf("c_%s_%d_%d", sanitize(tb.Name()), os.Getpid(), dbSeq.Add(1))
	dsn := c.Nodes[0].DSN(db)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := store.EnsureClusterDatabase(ctx, dsn, "", c.Name); err != nil {
		tb.Fatalf("create test database on the cluster: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := store.DropClusterDatabase(ctx, dsn, "", c.Name); err != nil {
			tb.Errorf("drop test database on the cluster: %v", err)
		}
	})
	return dsn
}

// OpenClusterStore opens a cluster-mode store on dsn (a node of the shared
// cluster) with the test timeouts; it is closed when the test ends.
func OpenClusterStore(tb testing.TB, dsn string) *store.Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	opts := ClusterTimeouts
	opts.Name = Cluster(tb).Name
	s, err := store.OpenCluster(ctx, dsn, "", opts)
	if err != nil {
		tb.Fatalf("open cluster store: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// NewClusterStore returns a cluster-mode store on a fresh database of the
// shared cluster, migrated to the cluster form of the schema; the database
// is dropped and the store closed when the test ends.
func NewClusterStore(tb testing.TB) *store.Store {
	tb.Helper()
	s := OpenClusterStore(tb, ClusterDSN(tb))
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	if _, err := s.Migrate(ctx); err != nil {
		tb.Fatalf("migrate cluster store: %v", err)
	}
	return s
}
