package servertest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ccbench/ccbench/servers"
)

// Alertmanager starts an Alertmanager with configYAML for the test and
// stops it when the test ends; a failed test shows the end of its log.
func Alertmanager(tb testing.TB, configYAML []byte) *servers.Alertmanager {
	tb.Helper()
	dir := tb.TempDir()
	logf, err := os.Create(filepath.Join(dir, "server.out"))
	if err != nil {
		tb.Fatalf("alertmanager log: %v", err)
	}
	tb.Cleanup(func() { logf.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	am, err := servers.StartAlertmanager(ctx, dir, configYAML, logf)
	if err != nil {
		if errors.Is(err, servers.ErrNotInstalled) {
			missing(tb, err)
		}
		out, _ := os.ReadFile(filepath.Join(dir, "server.out"))
		tb.Fatalf("start alertmanager: %v\n%s", err, tail(out, 2000))
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			out, _ := os.ReadFile(filepath.Join(dir, "server.out"))
			tb.Logf("alertmanager log (end):\n%s", tail(out, 2000))
		}
	})
	tb.Cleanup(func() {
		if err := am.Stop(); err != nil {
			tb.Errorf("stop alertmanager: %v", err)
		}
	})
	return am
}
