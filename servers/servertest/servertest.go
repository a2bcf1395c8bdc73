// Package servertest is the integration-test harness: one real ClickHouse
// server per test binary, a fresh migrated database per test, and
// Prometheus servers per test. Packages that use it declare
//
//	func TestMain(m *testing.M) { servertest.Main(m) }
//
// so that the shared server is stopped when the tests end. When a server
// binary is missing, tests fail with an install hint, or are skipped under
// `go test -short`.
package servertest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccbench/ccbench/servers"
	"github.com/ccbench/ccbench/store"
)

// shared is the one ClickHouse server of this test binary.
var shared struct {
	once sync.Once
	dir  string
	ch   *servers.ClickHouse
	err  error
}

var dbSeq atomic.Int64

// Main runs the tests of m, then stops the shared ClickHouse server (if a
// test started one), removes its directory and exits with m's code.
func Main(m *testing.M) {
	code := m.Run()
	stopCluster(code)
	if shared.ch != nil {
		if err := shared.ch.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "servertest: stop clickhouse: %v\n", err)
		}
	}
	if shared.dir != "" && code == 0 {
		os.RemoveAll(shared.dir)
	} else if shared.dir != "" {
		fmt.Fprintf(os.Stderr, "servertest: clickhouse logs kept in %s\n", shared.dir)
	}
	os.Exit(code)
}

// missing reports the error of a missing binary: a skip under -short, a
// failure otherwise.
func missing(tb testing.TB, err error) {
	tb.Helper()
	if testing.Short() {
		tb.Skipf("skipped under -short: %v", err)
	}
	tb.Fatalf("%v", err)
}

// ClickHouse returns the test binary's shared ClickHouse server, starting it
// on first use in a temporary directory.
func ClickHouse(tb testing.TB) *servers.ClickHouse {
	tb.Helper()
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "ccbench-clickhouse-")
		if err != nil {
			shared.err = fmt.Errorf("clickhouse temp dir: %w", err)
			return
		}
		shared.dir = dir
		logf, err := os.Create(filepath.Join(dir, "server.out"))
		if err != nil {
			shared.err = fmt.Errorf("clickhouse log: %w", err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		shared.ch, shared.err = servers.StartClickHouse(ctx, dir, logf)
	})
	if shared.err != nil {
		if errors.Is(shared.err, servers.ErrNotInstalled) {
			missing(tb, shared.err)
		}
		tb.Fatalf("start shared clickhouse: %v", shared.err)
	}
	return shared.ch
}

// OwnClickHouse starts a ClickHouse server of the test's own in a
// temporary directory, for a test that stops, kills or reconfigures it,
// and stops it when the test ends. Its output goes to log, which Restart
// takes again.
func OwnClickHouse(tb testing.TB, ctx context.Context) (ch *servers.ClickHouse, log io.Writer) {
	tb.Helper()
	dir := tb.TempDir()
	logf, err := os.Create(filepath.Join(dir, "server.out"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { logf.Close() })
	ch, err = servers.StartClickHouse(ctx, filepath.Join(dir, "ch"), logf)
	if errors.Is(err, servers.ErrNotInstalled) {
		missing(tb, err)
	}
	if err != nil {
		tb.Fatalf("start clickhouse: %v (logs in %s)", err, dir)
	}
	tb.Cleanup(func() { ch.Stop() })
	return ch, logf
}

// DSN returns the DSN of a fresh, uniquely named, empty database on the
// shared server, dropped when the test ends. Use it to test code that opens
// the store itself.
func DSN(tb testing.TB) string {
	tb.Helper()
	ch := ClickHouse(tb)
	db := fmt.Sprintf("t_%s_%d_%d", sanitize(tb.Name()), os.Getpid(), dbSeq.Add(1))
	dsn := ch.DSN(db)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := store.EnsureDatabase(ctx, dsn, ""); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := store.DropDatabase(ctx, dsn, ""); err != nil {
			tb.Errorf("drop test database: %v", err)
		}
	})
	return dsn
}

// NewStore returns a store on a fresh, migrated database of the shared
// server; the database is dropped and the store closed when the test ends.
func NewStore(tb testing.TB) *store.Store {
	tb.Helper()
	if OnCluster() {
		return NewClusterStore(tb)
	}
	dsn := DSN(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := store.Open(ctx, dsn, "")
	if err != nil {
		tb.Fatalf("open test store: %v", err)
	}
	tb.Cleanup(func() { s.Close() }) // runs before the drop registered by DSN
	if _, err := s.Migrate(ctx); err != nil {
		tb.Fatalf("migrate test store: %v", err)
	}
	return s
}

// Prometheus starts a Prometheus server with configYAML in a temporary
// directory; it is stopped when the test ends.
func Prometheus(tb testing.TB, configYAML []byte) *servers.Prometheus {
	tb.Helper()
	dir := tb.TempDir()
	logf, err := os.Create(filepath.Join(dir, "server.out"))
	if err != nil {
		tb.Fatalf("prometheus log: %v", err)
	}
	tb.Cleanup(func() { logf.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := servers.StartPrometheus(ctx, dir, configYAML, logf)
	if err != nil {
		if errors.Is(err, servers.ErrNotInstalled) {
			missing(tb, err)
		}
		out, _ := os.ReadFile(filepath.Join(dir, "server.out"))
		tb.Fatalf("start prometheus: %v\n%s", err, tail(out, 2000))
	}
	// Runs after the stop registered below: a failed test shows the end of
	// the server's log, since its directory goes with the test.
	tb.Cleanup(func() {
		if tb.Failed() {
			out, _ := os.ReadFile(filepath.Join(dir, "server.out"))
			tb.Logf("prometheus log (end):\n%s", tail(out, 2000))
		}
	})
	tb.Cleanup(func() {
		if err := p.Stop(); err != nil {
			tb.Errorf("stop prometheus: %v", err)
		}
	})
	return p
}

func sanitize(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		if b.Len() >= 40 {
			break
		}
	}
	return b.String()
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
