package servers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ccbench/ccbench/servers"
	"github.com/ccbench/ccbench/servers/servertest"
)

// TestReadyKnowsItsOwnServer checks that the readiness probes accept the
// server they started and refuse another one answering on the same port,
// as when a port chosen free was taken by another test's server.
func TestReadyKnowsItsOwnServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	zk := servertest.Cluster(t).ZooKeeper
	ch := servertest.ClickHouse(t)
	tests := []struct {
		name  string
		own   func(context.Context) error
		other func(context.Context) error
	}{
		{"zookeeper", zk.Ready, (&servers.ZooKeeper{Dir: t.TempDir(), Port: zk.Port}).Ready},
		{"clickhouse", ch.Ready, (&servers.ClickHouse{Dir: t.TempDir(), TCPPort: ch.TCPPort}).Ready},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.own(ctx); err != nil {
				t.Errorf("own server not ready: %v", err)
			}
			err := tt.other(ctx)
			if err == nil || !strings.Contains(err.Error(), "another") {
				t.Errorf("another directory's probe = %v, want an error saying the server is another one", err)
			}
		})
	}
}
