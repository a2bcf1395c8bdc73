package servertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
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
	clusterPool.stop()
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
	dropClusterDatabase(tb, c, dsn)
	return dsn
}

// OpenClusterStore opens a cluster-mode store on dsn (a node of the shared
// cluster) with the test timeouts; it is closed when the test ends.
func OpenClusterStore(tb testing.TB, dsn string) *store.Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := openClusterStore(ctx, Cluster(tb), dsn)
	if err != nil {
		tb.Fatalf("open cluster store: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// openClusterStore opens a cluster-mode store on dsn, a node of c, with
// the test timeouts.
func openClusterStore(ctx context.Context, c *servers.Cluster, dsn string) (*store.Store, error) {
	opts := ClusterTimeouts
	opts.Name = c.Name
	return store.OpenCluster(ctx, dsn, "", opts)
}

// NewClusterStore returns a cluster-mode store on a fresh database of the
// shared cluster, migrated to the cluster form of the schema; the database
// is dropped and the store closed when the test ends. The database comes
// from the pool of migrated databases (clusterPool); when the pool could
// not make one (a test had a node down while it migrated, say), the test
// migrates its own.
func NewClusterStore(tb testing.TB) *store.Store {
	tb.Helper()
	c := Cluster(tb)
	dsn, err := clusterPool.take(c)
	pooled := err == nil
	if pooled {
		dropClusterDatabase(tb, c, dsn)
	} else {
		tb.Logf("no database from the pool, migrating one: %v", err)
		dsn = ClusterDSN(tb)
	}
	tb.Logf("cluster database %s", dsn[strings.LastIndex(dsn, "/")+1:])
	s := OpenClusterStore(tb, dsn)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	applied, err := s.Migrate(ctx)
	if err != nil {
		tb.Fatalf("migrate cluster store: %v", err)
	}
	if pooled && len(applied) > 0 {
		tb.Fatalf("the pool's database %s lacked migrations %v", dsn, applied)
	}
	return s
}

// dropClusterDatabase drops the database of dsn on every node of c when
// the test ends.
func dropClusterDatabase(tb testing.TB, c *servers.Cluster, dsn string) {
	tb.Cleanup(func() {
		if err := dropDatabase(c, dsn); err != nil {
			tb.Errorf("drop test database on the cluster: %v", err)
		}
	})
}

// dropDatabase drops the database of dsn on every node of c.
func dropDatabase(c *servers.Cluster, dsn string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return store.DropClusterDatabase(ctx, dsn, "", c.Name)
}

// clusterPool migrates databases on the shared cluster ahead of the tests
// that take them. A migration ON CLUSTER takes about 9 s, most of it spent
// waiting on ZooKeeper and on the other nodes, and three side by side take
// about as long as one; a package runs dozens of tests one after another,
// each on a database of its own.
var clusterPool databasePool

// poolWait is how long a test waits for the pool's next database before
// it migrates one of its own: longer than a migration takes even while
// other tests run (10-30 s).
const poolWait = 3 * time.Minute

// poolAhead is how many databases the pool migrates side by side, and so
// how many it holds ready at most.
const poolAhead = 3

// databasePool is a pool of migrated cluster databases, started by its
// first take and stopped by stopCluster.
type databasePool struct {
	once   sync.Once
	ready  chan pooledDatabase
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// pooledDatabase is a migrated database's DSN, or why one could not be
// made.
type pooledDatabase struct {
	dsn string
	err error
}

// take returns the DSN of the next migrated database, starting the pool on
// first use.
func (p *databasePool) take(c *servers.Cluster) (string, error) {
	p.once.Do(func() { p.start(c) })
	select {
	case d := <-p.ready:
		return d.dsn, d.err
	case <-time.After(poolWait):
		return "", fmt.Errorf("none ready after %v", poolWait)
	}
}

// start runs poolAhead workers, each migrating one database at a time and
// handing it over before it makes the next.
func (p *databasePool) start(c *servers.Cluster) {
	ctx, cancel := context.WithCancel(context.Background())
	p.ready, p.cancel = make(chan pooledDatabase), cancel
	for range poolAhead {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for ctx.Err() == nil {
				dsn, err := migratedDatabase(ctx, c)
				select {
				case p.ready <- pooledDatabase{dsn, err}:
				case <-ctx.Done():
					if dsn != "" {
						dropQuietly(c, dsn)
					}
				}
			}
		}()
	}
}

// stop ends the workers and drops the databases they held, if the pool
// was started.
func (p *databasePool) stop() {
	if p.cancel == nil {
		return
	}
	p.cancel()
	p.wg.Wait()
}

// migratedDatabase creates a database on every node of c and migrates it
// to the cluster form of the schema. It returns the database's DSN; on
// failure (a test may have a node down meanwhile) it drops the database.
func migratedDatabase(ctx context.Context, c *servers.Cluster) (string, error) {
	dsn := c.Nodes[0].DSN(fmt.Sprintf("c_pool_%d_%d", os.Getpid(), dbSeq.Add(1)))
	if err := migrateOnCluster(ctx, c, dsn); err != nil {
		dropQuietly(c, dsn)
		return "", fmt.Errorf("pooled database (migrated while earlier tests ran): %w", err)
	}
	return dsn, nil
}

// migrateOnCluster creates the database of dsn on every node of c and
// migrates it.
func migrateOnCluster(ctx context.Context, c *servers.Cluster, dsn string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := store.EnsureClusterDatabase(ctx, dsn, "", c.Name); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	s, err := openClusterStore(ctx, c, dsn)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// dropQuietly drops the database of dsn on every node of c, reporting a
// failure on stderr: the pool's databases belong to no test.
func dropQuietly(c *servers.Cluster, dsn string) {
	if err := dropDatabase(c, dsn); err != nil {
		fmt.Fprintf(os.Stderr, "servertest: drop pooled database: %v\n", err)
	}
}
