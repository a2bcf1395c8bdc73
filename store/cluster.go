package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ccbench/ccbench/schema"
)

// ClusterOptions put the store on a replicated, sharded ClickHouse
// cluster (configuration key clickhouse.cluster).
type ClusterOptions struct {
	// Name is the cluster's name in the servers' remote_servers.
	Name string
	// QuorumTimeout is how long an insert waits for the second replica of
	// its shard (insert_quorum_timeout); default 60 s.
	QuorumTimeout time.Duration
	// DDLTimeout is how long an ON CLUSTER statement waits for every node
	// (distributed_ddl_task_timeout); default 180 s, ClickHouse's own.
	DDLTimeout time.Duration
}

// clusterMode is what a store on a cluster does differently.
type clusterMode struct {
	ClusterOptions
	shards [][]string         // native addresses of every shard's replicas, from system.clusters
	quorum int                // insert_quorum: 2 when every shard has two replicas or more, else 0
	conn   clickhouse.Options // how to reach the nodes (the DSN's user and password)

	mu    sync.Mutex
	locks map[string]*sync.Mutex // one per table: ClickHouse 18.16 takes one quorum insert per table and shard at a time
}

// OpenCluster connects to the database of dsn on a node of the cluster
// opts.Name, like Open, and puts the store in cluster mode: migrations
// create the cluster form of the schema (see schema.ClusterForm), and
// inserts return only once the rows are on two replicas of their shard.
func OpenCluster(ctx context.Context, dsn, password string, opts ClusterOptions) (*Store, error) {
	if opts.Name == "" {
		return nil, fmt.Errorf("open ClickHouse cluster: no cluster name")
	}
	if opts.QuorumTimeout == 0 {
		opts.QuorumTimeout = 60 * time.Second
	}
	if opts.DDLTimeout == 0 {
		opts.DDLTimeout = 180 * time.Second
	}
	s, err := Open(ctx, dsn, password)
	if err != nil {
		return nil, err
	}
	if err := checkProductMode(ctx, s.conn); err != nil {
		s.Close()
		return nil, fmt.Errorf("open ClickHouse cluster on %s: %w", s.addr, err)
	}
	shards, err := clusterShards(ctx, s.conn, opts.Name)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("open ClickHouse cluster on %s: %w", s.addr, err)
	}
	connOpts, err := parseDSN(dsn, password)
	if err != nil {
		s.Close()
		return nil, err
	}
	m := &clusterMode{ClusterOptions: opts, shards: shards, conn: *connOpts, locks: map[string]*sync.Mutex{}}
	m.quorum = 2
	for _, replicas := range shards {
		if len(replicas) < 2 {
			m.quorum = 0
		}
	}
	s.cluster = m
	return s, nil
}

// RequiredProductMode is the distributed_product_mode that the profile of
// ccbench's user must set on a cluster. With it, the subquery of an IN (or
// JOIN) over a Distributed table, inside a query over a Distributed table,
// runs on each shard against the shard-local table; without it ClickHouse
// refuses the query. It is right because every table is sharded by
// institution (or by its first key column) and each such subquery of the
// store selects rows of the same institution as the outer query, which
// live on the same shard; GLOBAL IN would ship the subquery's whole result
// to every shard. It is a profile setting because ClickHouse 18.16 takes
// only numeric settings from the native protocol.
const RequiredProductMode = "local"

// checkProductMode refuses a user profile without RequiredProductMode.
func checkProductMode(ctx context.Context, conn driver.Conn) error {
	var mode string
	if err := conn.QueryRow(ctx, "SELECT value FROM system.settings WHERE name = 'distributed_product_mode'").Scan(&mode); err != nil {
		return fmt.Errorf("read distributed_product_mode: %w", err)
	}
	if mode != RequiredProductMode {
		return fmt.Errorf("the user's profile sets distributed_product_mode = %q: set it to %q in the users configuration of every node (README, \"Running on a ClickHouse cluster\")", mode, RequiredProductMode)
	}
	return nil
}

// clusterShards reads the native addresses of every shard's replicas from
// the node's system.clusters.
func clusterShards(ctx context.Context, conn driver.Conn, cluster string) ([][]string, error) {
	rows, err := conn.Query(ctx, "SELECT shard_num, host_address, port FROM system.clusters WHERE cluster = ? ORDER BY shard_num, replica_num", cluster)
	if err != nil {
		return nil, fmt.Errorf("read cluster %s from system.clusters: %w", cluster, err)
	}
	defer rows.Close()
	var (
		shards [][]string
		last   uint32
	)
	for rows.Next() {
		var (
			shard uint32
			host  string
			port  uint16
		)
		if err := rows.Scan(&shard, &host, &port); err != nil {
			return nil, fmt.Errorf("read cluster %s from system.clusters: %w", cluster, err)
		}
		if shard != last || len(shards) == 0 {
			shards = append(shards, nil)
			last = shard
		}
		shards[len(shards)-1] = append(shards[len(shards)-1], net.JoinHostPort(host, strconv.Itoa(int(port))))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read cluster %s from system.clusters: %w", cluster, err)
	}
	if len(shards) == 0 {
		return nil, fmt.Errorf("the server's remote_servers has no cluster %q", cluster)
	}
	return shards, nil
}

// onEachShard runs a statement on one replica of every shard, trying the
// shard's replicas in turn; the replicated table passes it to the others.
// "Column already exists" counts as done (a re-run).
func (m *clusterMode) onEachShard(ctx context.Context, stmt string) error {
	for i, replicas := range m.shards {
		var errs []error
		for _, addr := range replicas {
			err := m.execOn(ctx, addr, stmt)
			if err == nil || columnAlreadyAdded(stmt, err) {
				errs = nil
				break
			}
			errs = append(errs, fmt.Errorf("%s: %w", addr, err))
		}
		if len(errs) > 0 {
			return fmt.Errorf("shard %d: %w", i+1, errors.Join(errs...))
		}
	}
	return nil
}

// execOn runs a statement on the node at addr.
func (m *clusterMode) execOn(ctx context.Context, addr, stmt string) error {
	opts := m.conn
	opts.Addr = []string{addr}
	conn, err := clickhouse.Open(&opts)
	if err != nil {
		return redact(err, opts.Auth.Password)
	}
	defer conn.Close()
	return redact(conn.Exec(ctx, stmt), opts.Auth.Password)
}

// Cluster is the name of the store's cluster, empty on a single server.
func (s *Store) Cluster() string {
	if s.cluster == nil {
		return ""
	}
	return s.cluster.Name
}

// insertSettings are the settings of every insert on a cluster: the
// Distributed table sends the rows to their shards before the INSERT
// returns (insert_distributed_sync), and each shard's replicated table
// returns only when a second replica holds them (insert_quorum). So when a
// collector's insert returns, its batch survives the loss of any one
// server and any replica answers a read of it, and only then does the
// collector move its checkpoint.
func (m *clusterMode) insertSettings() clickhouse.Settings {
	st := clickhouse.Settings{"insert_distributed_sync": 1}
	if m.quorum > 0 {
		st["insert_quorum"] = m.quorum
		st["insert_quorum_timeout"] = int(m.QuorumTimeout / time.Millisecond)
	}
	return st
}

// clusterInsert prepares an insert into table: on a cluster it adds the
// insert settings and holds the table's lock until done is called; on a
// single server it changes nothing.
func (s *Store) clusterInsert(ctx context.Context, table string) (_ context.Context, done func()) {
	m := s.cluster
	if m == nil {
		return ctx, func() {}
	}
	m.mu.Lock()
	l, ok := m.locks[table]
	if !ok {
		l = &sync.Mutex{}
		m.locks[table] = l
	}
	m.mu.Unlock()
	l.Lock()
	return clickhouse.Context(ctx, clickhouse.WithSettings(m.insertSettings())), l.Unlock
}

// ddlContext bounds how long an ON CLUSTER statement waits for the nodes.
// Backfills in migrations (INSERT ... SELECT) run with the insert
// settings.
func (m *clusterMode) ddlContext(ctx context.Context) context.Context {
	st := m.insertSettings()
	st["distributed_ddl_task_timeout"] = int(m.DDLTimeout / time.Second)
	return clickhouse.Context(ctx, clickhouse.WithSettings(st))
}

// EnsureClusterDatabase creates the DSN's database on every node of
// cluster if the DSN's node does not have it.
func EnsureClusterDatabase(ctx context.Context, dsn, password, cluster string) error {
	return withDefaultDatabase(ctx, dsn, password, func(conn driver.Conn, database string) error {
		// An ON CLUSTER statement waits for every node: with one down it
		// would hold every command up for distributed_ddl_task_timeout.
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM system.databases WHERE name = ?", database).Scan(&n); err != nil {
			return fmt.Errorf("look database %s up: %w", database, err)
		}
		if n > 0 {
			return nil
		}
		if err := conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+quoteIdent(database)+" ON CLUSTER "+quoteIdent(cluster)); err != nil {
			return fmt.Errorf("create database %s on cluster %s: %w", database, cluster, err)
		}
		return nil
	})
}

// DropClusterDatabase drops the DSN's database on every node of cluster,
// with its replicated tables' ZooKeeper entries. It refuses to drop
// "default" and "system".
func DropClusterDatabase(ctx context.Context, dsn, password, cluster string) error {
	return withDefaultDatabase(ctx, dsn, password, func(conn driver.Conn, database string) error {
		if database == "default" || database == "system" {
			return fmt.Errorf("drop database %s: refusing to drop a built-in database", database)
		}
		if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(database)+" ON CLUSTER "+quoteIdent(cluster)); err != nil {
			return fmt.Errorf("drop database %s on cluster %s: %w", database, cluster, err)
		}
		return nil
	})
}

// hasMigrationsTable reports whether the store's node has the cluster form
// of schema_migrations, so that Migrate runs no ON CLUSTER statement when
// nothing is pending (one would wait for a node that is down).
func (s *Store) hasMigrationsTable(ctx context.Context) (bool, error) {
	var n uint64
	err := s.conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name IN (?, ?)",
		s.database, schema.MigrationsTable, schema.MigrationsTable+schema.LocalSuffix).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look %s up: %w", schema.MigrationsTable, err)
	}
	return n == 2, nil
}
