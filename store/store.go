// Package store is the one package that reads and writes ClickHouse. It
// applies the schema migrations, implements collectors.Sink for the
// collectors, and answers the KPI queries of the exporter, the CLI and the
// dashboards. It speaks the native protocol (clickhouse-go/v2), which works
// with ClickHouse 18.16 and with current releases.
package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Store is a connection to ccbench's database. It is safe for concurrent
// use.
type Store struct {
	conn     *countingConn
	database string
	addr     string
	cluster  *clusterMode // nil on a single server (see OpenCluster)

	params ParamsFunc // thresholds the rollups are counted with; see SetParams
	zones  ZonesFunc  // time zones the written rollup's days are counted in; see SetZones

	secondsHorizon time.Duration    // how long the per-second rollup level is kept; see SetSecondsHorizon
	now            func() time.Time // the clock the horizon is counted back from

	mu          sync.Mutex
	lastVersion uint64            // last checkpoint version handed out
	built       map[string]bool   // institutions whose rollups are known to be built
	writtenZone map[string]string // institutions whose written rollup is known to be built, and its zone
	live        map[string]bool   // sessions of the passes running on this store (see BeginPass)

	idTables idTablePool // external tables of lookups' ids (batchIDs)
}

// parseDSN parses a native-protocol DSN and applies password when it is not
// empty. Errors never echo the DSN, which may hold a password.
func parseDSN(dsn, password string) (*clickhouse.Options, error) {
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse ClickHouse DSN: %w", redact(err, dsn, password))
	}
	if password != "" {
		opts.Auth.Password = password
	}
	if opts.Auth.Database == "" {
		opts.Auth.Database = "default"
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = 5 * time.Second
	}
	return opts, nil
}

// redactedError is an error whose message had secrets taken out.
type redactedError struct{ msg string }

func (e redactedError) Error() string { return e.msg }

// redact hides secrets that a driver error might quote.
func redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	changed := false
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			msg = strings.ReplaceAll(msg, s, "<redacted>")
			changed = true
		}
	}
	if !changed {
		return err
	}
	return redactedError{msg}
}

// Open connects to the database of dsn (clickhouse://host:port/database)
// and pings it. A non-empty password overrides the DSN's.
func Open(ctx context.Context, dsn, password string) (*Store, error) {
	opts, err := parseDSN(dsn, password)
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprint(opts.Addr)
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("open ClickHouse %s database %s: %w", addr, opts.Auth.Database, redact(err, password))
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("ping ClickHouse %s database %s: %w", addr, opts.Auth.Database, redact(err, password))
	}
	return &Store{conn: &countingConn{Conn: conn}, database: opts.Auth.Database, addr: addr, built: map[string]bool{}, writtenZone: map[string]string{}}, nil
}

// Close closes the connection.
func (s *Store) Close() error {
	if err := s.conn.Close(); err != nil {
		return fmt.Errorf("close ClickHouse connection: %w", err)
	}
	return nil
}

// Database is the name of the store's database.
func (s *Store) Database() string { return s.database }

// Ping checks that the server answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.conn.Ping(ctx); err != nil {
		return fmt.Errorf("ping ClickHouse %s: %w", s.addr, err)
	}
	return nil
}

// ServerVersion returns the server's version, e.g. "18.16.1".
func (s *Store) ServerVersion(ctx context.Context) (string, error) {
	var v string
	if err := s.conn.QueryRow(ctx, "SELECT version()").Scan(&v); err != nil {
		return "", fmt.Errorf("query server version: %w", err)
	}
	return v, nil
}

// withDefaultDatabase runs f on a connection to the DSN's server in the
// default database, passing the DSN's database name.
func withDefaultDatabase(ctx context.Context, dsn, password string, f func(conn driver.Conn, database string) error) error {
	opts, err := parseDSN(dsn, password)
	if err != nil {
		return err
	}
	database := opts.Auth.Database
	opts.Auth.Database = "default"
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return fmt.Errorf("open ClickHouse %v: %w", opts.Addr, redact(err, password))
	}
	defer conn.Close()
	return redact(f(conn, database), password)
}

// EnsureDatabase creates the DSN's database if it does not exist,
// connecting to the default database to do so.
func EnsureDatabase(ctx context.Context, dsn, password string) error {
	return withDefaultDatabase(ctx, dsn, password, func(conn driver.Conn, database string) error {
		if err := conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+quoteIdent(database)); err != nil {
			return fmt.Errorf("create database %s: %w", database, err)
		}
		return nil
	})
}

// DropDatabase drops the DSN's database and everything in it, if it exists.
// It refuses to drop "default" and "system".
func DropDatabase(ctx context.Context, dsn, password string) error {
	return withDefaultDatabase(ctx, dsn, password, func(conn driver.Conn, database string) error {
		if database == "default" || database == "system" {
			return fmt.Errorf("drop database %s: refusing to drop a built-in database", database)
		}
		if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(database)); err != nil {
			return fmt.Errorf("drop database %s: %w", database, err)
		}
		return nil
	})
}
