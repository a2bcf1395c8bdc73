package store

import (
	"context"
	"sync/atomic"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// countingConn counts the statements sent to ClickHouse: queries, inserts
// and other statements.
type countingConn struct {
	driver.Conn
	n atomic.Uint64
}

func (c *countingConn) Query(ctx context.Context, query string, args ...any) (driver.Rows, error) {
	c.n.Add(1)
	return c.Conn.Query(ctx, query, args...)
}

func (c *countingConn) QueryRow(ctx context.Context, query string, args ...any) driver.Row {
	c.n.Add(1)
	return c.Conn.QueryRow(ctx, query, args...)
}

func (c *countingConn) Exec(ctx context.Context, query string, args ...any) error {
	c.n.Add(1)
	return c.Conn.Exec(ctx, query, args...)
}

func (c *countingConn) PrepareBatch(ctx context.Context, query string, opts ...driver.PrepareBatchOption) (driver.Batch, error) {
	c.n.Add(1)
	return c.Conn.PrepareBatch(ctx, query, opts...)
}

// Statements returns how many statements the store has sent to ClickHouse
// since it was opened: for benchmarks and for checking that a code path
// sends none.
func (s *Store) Statements() uint64 { return s.conn.n.Load() }
