package servers_test

import (
	"context"
	"encoding/xml"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ccbench/ccbench/servers"
	"github.com/ccbench/ccbench/servers/servertest"
)

func TestRenderClusterNodeConfig(t *testing.T) {
	b, err := servers.RenderClusterNodeConfig(servers.ClusterNodeConfig{
		Name: "two_by_two", ZooKeeperPort: 2181, SessionTimeoutMS: 3000, Shard: 2, ReplicaName: "s2r1",
		Shards: [][]int{{9001, 9002}, {9003, 9004}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		ListenHost      string `xml:"listen_host"`
		InterserverHost string `xml:"interserver_http_host"`
		ZooKeeperHost   string `xml:"zookeeper>node>host"`
		ZooKeeperPort   int    `xml:"zookeeper>node>port"`
		DDLPath         string `xml:"distributed_ddl>path"`
		Shard           string `xml:"macros>shard"`
		Replica         string `xml:"macros>replica"`
		Remote          struct {
			Replace string `xml:"replace,attr"`
			Cluster struct {
				Shards []struct {
					Internal bool  `xml:"internal_replication"`
					Ports    []int `xml:"replica>port"`
				} `xml:"shard"`
			} `xml:"two_by_two"`
		} `xml:"remote_servers"`
	}
	if err := xml.Unmarshal(b, &c); err != nil {
		t.Fatalf("cluster.xml does not parse: %v\n%s", err, b)
	}
	sh := c.Remote.Cluster.Shards
	for name, ok := range map[string]bool{
		"listen_host":           c.ListenHost == "127.0.0.1",
		"interserver_http_host": c.InterserverHost == "127.0.0.1",
		"zookeeper":             c.ZooKeeperHost == "127.0.0.1" && c.ZooKeeperPort == 2181,
		"distributed_ddl":       c.DDLPath != "",
		"macros":                c.Shard == "2" && c.Replica == "s2r1",
		"remote_servers":        c.Remote.Replace == "replace" && len(sh) == 2 && sh[0].Internal && sh[1].Internal && len(sh[1].Ports) == 2 && sh[1].Ports[0] == 9003 && sh[1].Ports[1] == 9004,
	} {
		if !ok {
			t.Errorf("cluster.xml: %s is wrong: %+v\n%s", name, c, b)
		}
	}
	if _, err := servers.RenderClusterNodeConfig(servers.ClusterNodeConfig{Name: "a-b"}); err == nil {
		t.Error("a cluster name with a dash: want an error")
	}
}

// TestClusterLifecycle checks the shared cluster's shape as each node sees
// it, then kills a replica, checks that the others go on answering, and
// brings it back.
func TestClusterLifecycle(t *testing.T) {
	c := servertest.Cluster(t)
	ctx := context.Background()
	if len(c.Nodes) != 4 {
		t.Fatalf("cluster has %d nodes, want 2 shards × 2 replicas", len(c.Nodes))
	}
	for _, n := range c.Nodes {
		conn := openNode(t, n)
		var shard, replica string
		if err := conn.QueryRow(ctx, "SELECT anyIf(substitution, macro = 'shard'), anyIf(substitution, macro = 'replica') FROM system.macros").Scan(&shard, &replica); err != nil {
			t.Fatalf("%s: macros: %v", n.Name(), err)
		}
		if want := n.Name(); shard != string(rune('0'+n.Shard)) || replica != want {
			t.Errorf("%s: macros shard=%q replica=%q, want shard=%d replica=%s", n.Name(), shard, replica, n.Shard, want)
		}
		var shards, hosts uint64
		if err := conn.QueryRow(ctx, "SELECT uniqExact(shard_num), count() FROM system.clusters WHERE cluster = ?", c.Name).Scan(&shards, &hosts); err != nil {
			t.Fatalf("%s: system.clusters: %v", n.Name(), err)
		}
		if shards != 2 || hosts != 4 {
			t.Errorf("%s: cluster %s has %d shards and %d hosts, want 2 and 4", n.Name(), c.Name, shards, hosts)
		}
	}
	rss, err := c.RSS()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cluster RSS: %d MB", rss>>20)

	victim := c.Node(2, 2)
	if err := victim.Kill(); err != nil {
		t.Fatal(err)
	}
	if victim.Running() {
		t.Fatal("killed node still running")
	}
	if err := openNode(t, c.Node(2, 1)).Ping(ctx); err != nil {
		t.Errorf("the killed node's peer stopped answering: %v", err)
	}
	start := time.Now()
	if err := victim.Start(ctx); err != nil {
		t.Fatalf("restart after kill: %v", err)
	}
	t.Logf("restart after SIGKILL took %s", time.Since(start).Round(time.Millisecond))
	conn := openNode(t, victim)
	if err := conn.Ping(ctx); err != nil {
		t.Errorf("restarted node: %v", err)
	}
	conn.Close() // an open connection holds a graceful stop up for its whole grace time
	start = time.Now()
	if err := victim.Restart(ctx); err != nil {
		t.Fatalf("graceful restart: %v", err)
	}
	t.Logf("graceful restart took %s", time.Since(start).Round(time.Millisecond))
}

func openNode(t *testing.T, n *servers.ClusterNode) clickhouse.Conn {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{n.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// BenchmarkClusterStart measures how long a 2 × 2 cluster with its
// ZooKeeper takes to start, and its resident memory when idle.
func BenchmarkClusterStart(b *testing.B) {
	for i := 0; i < b.N; i++ {
		c, err := servers.StartCluster(context.Background(), b.TempDir(), servers.ClusterOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		rss, err := c.RSS()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(rss)/(1<<20), "MB-RSS")
		if err := c.Stop(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
