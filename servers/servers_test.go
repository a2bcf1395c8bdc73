package servers_test

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"gopkg.in/yaml.v3"

	"github.com/ccbench/ccbench/servers"
	"github.com/ccbench/ccbench/servers/servertest"
)

func TestMain(m *testing.M) { servertest.Main(m) }

func TestFreePort(t *testing.T) {
	p, err := servers.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	if p <= 0 || p > 65535 {
		t.Fatalf("FreePort() = %d, want a TCP port", p)
	}
}

func TestRenderClickHouseConfig(t *testing.T) {
	cfg := servers.ClickHouseConfig{Dir: "/tmp/ch & co", TCPPort: 19000, HTTPPort: 18123, InterserverHTTPPort: 19009}
	configXML, usersXML, err := servers.RenderClickHouseConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		TCPPort         int      `xml:"tcp_port"`
		HTTPPort        int      `xml:"http_port"`
		InterserverPort int      `xml:"interserver_http_port"`
		ListenHosts     []string `xml:"listen_host"`
		Path            string   `xml:"path"`
		TmpPath         string   `xml:"tmp_path"`
		UserFilesPath   string   `xml:"user_files_path"`
		FormatSchema    string   `xml:"format_schema_path"`
		UsersConfig     string   `xml:"users_config"`
		Log             string   `xml:"logger>log"`
		ErrorLog        string   `xml:"logger>errorlog"`
	}
	if err := xml.Unmarshal(configXML, &c); err != nil {
		t.Fatalf("config.xml does not parse: %v\n%s", err, configXML)
	}
	for name, ok := range map[string]bool{
		"tcp_port":              c.TCPPort == 19000,
		"http_port":             c.HTTPPort == 18123,
		"interserver_http_port": c.InterserverPort == 19009,
		"listen_host":           len(c.ListenHosts) == 1 && c.ListenHosts[0] == "127.0.0.1",
		"path":                  c.Path == "/tmp/ch & co/data/",
		"tmp_path":              c.TmpPath == "/tmp/ch & co/tmp/",
		"user_files_path":       c.UserFilesPath == "/tmp/ch & co/user_files/",
		"format_schema_path":    c.FormatSchema == "/tmp/ch & co/format_schemas/",
		"users_config":          c.UsersConfig == "users.xml",
		"log":                   c.Log == "/tmp/ch & co/log/clickhouse-server.log",
		"errorlog":              c.ErrorLog == "/tmp/ch & co/log/clickhouse-server.err.log",
	} {
		if !ok {
			t.Errorf("config.xml: %s has the wrong value: %+v", name, c)
		}
	}

	var u struct {
		Users struct {
			Default struct {
				Password string   `xml:"password"`
				IPs      []string `xml:"networks>ip"`
				Profile  string   `xml:"profile"`
			} `xml:"default"`
		} `xml:"users"`
	}
	if err := xml.Unmarshal(usersXML, &u); err != nil {
		t.Fatalf("users.xml does not parse: %v", err)
	}
	d := u.Users.Default
	if d.Password != "" || strings.Join(d.IPs, ",") != "::1,127.0.0.1" || d.Profile != "default" {
		t.Errorf("users.xml default user = %+v, want no password, loopback networks, default profile", d)
	}

	if _, _, err := servers.RenderClickHouseConfig(servers.ClickHouseConfig{Dir: "relative"}); err == nil {
		t.Error("a relative directory: want an error")
	}
}

func TestPrometheusConfig(t *testing.T) {
	got := servers.PrometheusConfig(5*time.Second, map[string][]string{
		"exporter": {"127.0.0.1:9101", "127.0.0.1:9100"},
		"alpha":    {"localhost:1"},
	})
	var cfg struct {
		Global struct {
			ScrapeInterval     string `yaml:"scrape_interval"`
			EvaluationInterval string `yaml:"evaluation_interval"`
		} `yaml:"global"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(got, &cfg); err != nil {
		t.Fatalf("prometheus.yml does not parse: %v\n%s", err, got)
	}
	if cfg.Global.ScrapeInterval != "5s" || cfg.Global.EvaluationInterval != "5s" {
		t.Errorf("global = %+v, want 5s intervals", cfg.Global)
	}
	if len(cfg.ScrapeConfigs) != 2 {
		t.Fatalf("scrape_configs = %+v, want 2 jobs", cfg.ScrapeConfigs)
	}
	a, e := cfg.ScrapeConfigs[0], cfg.ScrapeConfigs[1]
	if a.JobName != "alpha" || e.JobName != "exporter" {
		t.Errorf("jobs = %s, %s; want alpha, exporter (sorted)", a.JobName, e.JobName)
	}
	if len(e.StaticConfigs) != 1 || strings.Join(e.StaticConfigs[0].Targets, " ") != "127.0.0.1:9100 127.0.0.1:9101" {
		t.Errorf("exporter targets = %+v, want both, sorted", e.StaticConfigs)
	}

	for d, want := range map[time.Duration]string{time.Minute: "1m", 90 * time.Second: "90s", 1500 * time.Millisecond: "1500ms", 2 * time.Hour: "2h"} {
		if !strings.Contains(string(servers.PrometheusConfig(d, nil)), "scrape_interval: "+want+"\n") {
			t.Errorf("interval %s: want %q in\n%s", d, want, servers.PrometheusConfig(d, nil))
		}
	}
}

func TestPrometheusStartStop(t *testing.T) {
	cfg := servers.PrometheusConfig(time.Second, map[string][]string{"nothing": {"127.0.0.1:1"}})
	p := servertest.Prometheus(t, cfg)

	resp, err := http.Get(p.URL() + "/api/v1/status/config")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "nothing") {
		t.Fatalf("GET /api/v1/status/config: %s %s, want 200 and the job named nothing", resp.Status, body)
	}
	if _, err := os.Stat(filepath.Join(p.Dir, "data")); err != nil {
		t.Errorf("TSDB directory: %v", err)
	}

	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(); err != nil { // idempotent
		t.Fatal(err)
	}
	if _, err := http.Get(p.URL() + "/-/ready"); err == nil {
		t.Error("prometheus still answers after Stop")
	}
}

func TestClickHouseRestartKeepsData(t *testing.T) {
	servertest.ClickHouse(t) // fails or skips with the install hint when missing
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dir := t.TempDir()

	query := func(ch *servers.ClickHouse, f func(conn clickhouse.Conn) error) {
		t.Helper()
		opts, err := clickhouse.ParseDSN(ch.DSN("default"))
		if err != nil {
			t.Fatal(err)
		}
		conn, err := clickhouse.Open(opts)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if err := f(conn); err != nil {
			t.Fatal(err)
		}
	}

	ch, err := servers.StartClickHouse(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ch.Stop() })
	if want := fmt.Sprintf("clickhouse://127.0.0.1:%d/ccbench", ch.TCPPort); ch.DSN("ccbench") != want {
		t.Errorf("DSN = %s, want %s", ch.DSN("ccbench"), want)
	}
	query(ch, func(conn clickhouse.Conn) error {
		if err := conn.Exec(ctx, "CREATE TABLE kept (x UInt32) ENGINE = MergeTree() ORDER BY x"); err != nil {
			return err
		}
		b, err := conn.PrepareBatch(ctx, "INSERT INTO kept (x)")
		if err != nil {
			return err
		}
		for _, x := range []uint32{1, 2, 3} {
			if err := b.Append(x); err != nil {
				return err
			}
		}
		return b.Send()
	})
	pid := ch.PID()
	if err := ch.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("clickhouse-server pid %d still exists after Stop (kill 0: %v)", pid, err)
	}

	again, err := servers.StartClickHouse(ctx, dir, nil)
	if err != nil {
		t.Fatalf("second start in the same directory: %v", err)
	}
	t.Cleanup(func() { again.Stop() })
	query(again, func(conn clickhouse.Conn) error {
		var sum uint64
		if err := conn.QueryRow(ctx, "SELECT sum(x) FROM kept").Scan(&sum); err != nil {
			return err
		}
		if sum != 1+2+3 {
			return fmt.Errorf("sum after restart = %d, want 6", sum)
		}
		return nil
	})
}
