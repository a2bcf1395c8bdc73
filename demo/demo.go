// Package demo runs the local demo stack: a ClickHouse and a Prometheus
// server (Debian's binaries), one simulator per configured source, the
// collector and the exporter, each a child process on 127.0.0.1 with its
// state under one data directory.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/dashboards"
	"github.com/ccbench/ccbench/servers"
	"github.com/ccbench/ccbench/store"
)

// Options configure a demo run.
type Options struct {
	Config     *config.Config // the sample configuration to start from
	DataDir    string         // all state lives here; a second run reuses it
	Executable string         // the ccbench binary, for the child processes
	Seed       int64
	Days       int
	Out        io.Writer // where the summary is printed
	Logger     *slog.Logger
	// Ready, when set, is called once everything is up (tests use it).
	Ready func(Stack)
	// SimulatorArgs, when set, gives extra arguments of a source's
	// simulator: the degradations and stalls of `ccbench demo --degrade`.
	SimulatorArgs func(config.Source) []string
	// ThresholdFor is the `for` of the threshold alerts the demo generates;
	// default DefaultThresholdFor.
	ThresholdFor time.Duration
	// Cluster runs the demo on a loopback ClickHouse cluster (ZooKeeper and
	// 2 shards × 2 replicas) instead of one server.
	Cluster bool
}

// DefaultThresholdFor is shorter in the demo than in production, so that a
// degradation shows within minutes.
const DefaultThresholdFor = 2 * time.Minute

// Stack says where the running demo's parts are.
type Stack struct {
	DataDir       string
	ConfigPath    string // the configuration the children run with
	ClickHouseDSN string
	MetricsURL    string
	PrometheusURL string
	// AlertmanagerURL is the demo's Alertmanager; AlertsDir holds the
	// generated rules, their tests and the Alertmanager configuration.
	AlertmanagerURL string
	AlertsDir       string
	DashboardsDir   string
	Simulators      map[string]string // source name → base URL
}

// Database is the ClickHouse database the demo uses.
const Database = "ccbench"

// Run starts the stack, prints where everything is and blocks until ctx is
// cancelled (Ctrl-C) or a child fails; it then stops every child.
func Run(ctx context.Context, o Options) (err error) {
	dir, err := filepath.Abs(o.DataDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	logger := o.Logger
	var stops []func() error
	defer func() {
		for i := len(stops) - 1; i >= 0; i-- {
			if serr := stops[i](); serr != nil {
				logger.Warn("stopping", "err", serr)
			}
		}
	}()

	logFile := func(name string) (io.Writer, error) {
		f, err := os.OpenFile(filepath.Join(dir, "logs", name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, err
		}
		stops = append(stops, f.Close)
		return f, nil
	}

	// ClickHouse, and the schema before any child writes.
	chLog, err := logFile("clickhouse")
	if err != nil {
		return err
	}
	dsn, cluster, stop, err := startClickHouse(ctx, dir, o.Cluster, chLog, logger)
	if err != nil {
		return err
	}
	stops = append(stops, stop)
	st, err := openStore(ctx, dsn, cluster)
	if err != nil {
		return err
	}
	applied, err := st.Migrate(ctx)
	st.Close()
	if err != nil {
		return err
	}
	logger.Info("schema ready", "applied", len(applied))

	// One simulator per configured source, with a token the collector
	// reads from a file.
	var children []*servers.Child
	// startChild starts `ccbench args...`; a supervised child that exits
	// stops the demo.
	startChild := func(name string, supervise bool, args ...string) (*servers.Child, error) {
		w, err := logFile(name)
		if err != nil {
			return nil, err
		}
		c, err := servers.StartChild(name, o.Executable, args, w)
		if err != nil {
			return nil, err
		}
		stops = append(stops, func() error { return c.Stop(10 * time.Second) })
		if supervise {
			children = append(children, c)
		}
		return c, nil
	}
	run := *o.Config
	run.Sources = append([]config.Source(nil), o.Config.Sources...)
	run.ClickHouse = config.ClickHouse{DSN: dsn, Cluster: cluster}
	stack := Stack{DataDir: dir, ClickHouseDSN: dsn, Simulators: map[string]string{}}
	for i, src := range run.Sources {
		tokenFile, err := ensureToken(filepath.Join(dir, "secrets"), src.Name)
		if err != nil {
			return err
		}
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		args := []string{"simulate", "--style", src.Style, "--web.listen-address", addr,
			"--seed", strconv.FormatInt(o.Seed, 10), "--days", strconv.Itoa(o.Days), "--token.file", tokenFile}
		if o.SimulatorArgs != nil {
			args = append(args, o.SimulatorArgs(src)...)
		}
		c, err := startChild("simulate-"+src.Name, true, args...)
		if err != nil {
			return err
		}
		if err := c.WaitListening(ctx, addr, 30*time.Second); err != nil {
			return err
		}
		run.Sources[i].BaseURL = "http://" + addr
		run.Sources[i].TokenEnv = ""
		run.Sources[i].TokenFile = tokenFile
		stack.Simulators[src.Name] = run.Sources[i].BaseURL
	}

	// The configuration the children (and the user) run with.
	stack.ConfigPath = filepath.Join(dir, "ccbench.yaml")
	if err := writeConfig(stack.ConfigPath, &run); err != nil {
		return err
	}

	// Registers and working-day calendars first, so that the exporter's
	// first refresh finds them; then the collector and the exporter.
	load, err := startChild("register-load", false, "register", "load", "--config.file", stack.ConfigPath)
	if err != nil {
		return err
	}
	select {
	case <-load.Done():
		if load.Err() != nil {
			return fmt.Errorf("loading registers (%v): see %s", load.Err(), filepath.Join(dir, "logs", "register-load.log"))
		}
	case <-ctx.Done():
		return nil
	}
	collectAddr, err := freeAddr()
	if err != nil {
		return err
	}
	if _, err := startChild("collect", true, "collect", "--config.file", stack.ConfigPath, "--web.listen-address", collectAddr); err != nil {
		return err
	}
	metricsAddr, err := freeAddr()
	if err != nil {
		return err
	}
	serve, err := startChild("serve", true, "serve", "--config.file", stack.ConfigPath, "--web.listen-address", metricsAddr)
	if err != nil {
		return err
	}
	stack.MetricsURL = "http://" + metricsAddr + "/metrics"
	if err := serve.WaitHTTP(ctx, "http://"+metricsAddr+"/-/healthy", 30*time.Second); err != nil {
		return err
	}

	// Dashboards and Grafana provisioning.
	stack.DashboardsDir = filepath.Join(dir, "dashboards")
	ds, err := dashboards.Generate(&run)
	if err != nil {
		return err
	}
	if err := dashboards.WriteAll(stack.DashboardsDir, ds); err != nil {
		return err
	}

	// Alerting rules and Alertmanager.
	am, rulesFile, err := startAlerting(ctx, o, &run, ds, dir, logFile)
	if err != nil {
		return err
	}
	stops = append(stops, am.Stop)
	stack.AlertmanagerURL = am.URL()
	stack.AlertsDir = filepath.Dir(rulesFile)

	// Prometheus scrapes the exporter and the collector, evaluates the
	// rules and sends to Alertmanager.
	promLog, err := logFile("prometheus")
	if err != nil {
		return err
	}
	promCfg := servers.WithAlerting(
		servers.PrometheusConfig(15*time.Second, map[string][]string{"ccbench": {metricsAddr}, "ccbench-collect": {collectAddr}}),
		[]string{rulesFile}, []string{am.Addr()})
	prom, err := servers.StartPrometheus(ctx, filepath.Join(dir, "prometheus"), promCfg, promLog)
	if err != nil {
		return err
	}
	stops = append(stops, prom.Stop)
	stack.PrometheusURL = prom.URL()
	if err := writeGrafanaProvisioning(filepath.Join(dir, "grafana"), stack.PrometheusURL, dsn, stack.DashboardsDir); err != nil {
		return err
	}

	printSummary(o.Out, stack)
	if o.Ready != nil {
		o.Ready(stack)
	}

	// Run until Ctrl-C or until a child dies.
	failed := make(chan *servers.Child, len(children))
	for _, c := range children {
		go func(c *servers.Child) {
			<-c.Done()
			failed <- c
		}(c)
	}
	select {
	case <-ctx.Done():
		logger.Info("stopping the demo")
		return nil
	case c := <-failed:
		return fmt.Errorf("%s exited (%v): see %s", c.Name(), c.Err(), filepath.Join(dir, "logs", c.Name()+".log"))
	}
}

// ensureToken returns the path of a source's token file, creating a random
// token the first time.
func ensureToken(dir, source string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("secrets dir: %w", err)
	}
	path := filepath.Join(dir, source+".token")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(b)+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("writing token: %w", err)
	}
	return path, nil
}

func freeAddr() (string, error) {
	p, err := servers.FreePort()
	if err != nil {
		return "", err
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(p)), nil
}

func writeConfig(path string, c *config.Config) error {
	b, err := c.Marshal()
	if err != nil {
		return fmt.Errorf("rendering configuration: %w", err)
	}
	header := "# Written by `ccbench demo`: the configuration its children run with.\n# Use it with collect, serve or compare while the demo runs.\n"
	return os.WriteFile(path, append([]byte(header), b...), 0o644)
}

func printSummary(w io.Writer, s Stack) {
	fmt.Fprintf(w, `
ccbench demo is running (Ctrl-C stops it)

  metrics       %s
  prometheus    %s  (try: %s/graph?g0.expr=ccbench_service_level_ratio)
  clickhouse    %s
  alertmanager  %s  (firing alerts: %s/#/alerts; rules: %s/alerts)
  alert rules   %s
  dashboards    %s
  data dir      %s
  config        %s  (ccbench compare|collect|serve --config.file %s)
`, s.MetricsURL, s.PrometheusURL, s.PrometheusURL, s.ClickHouseDSN, s.AlertmanagerURL, s.AlertmanagerURL, s.PrometheusURL,
		s.AlertsDir, s.DashboardsDir, s.DataDir, s.ConfigPath, s.ConfigPath)
	for name, url := range s.Simulators {
		fmt.Fprintf(w, "  simulator     %s  %s\n", name, url)
	}
	fmt.Fprintln(w)
}

// startClickHouse starts the demo's ClickHouse under dir: one server, or a
// loopback cluster whose name it returns. The DSN names the demo's database
// on the first (or only) server.
func startClickHouse(ctx context.Context, dir string, cluster bool, log io.Writer, logger *slog.Logger) (dsn, name string, stop func() error, err error) {
	if !cluster {
		logger.Info("starting ClickHouse", "dir", filepath.Join(dir, "clickhouse"))
		ch, err := servers.StartClickHouse(ctx, filepath.Join(dir, "clickhouse"), log)
		if err != nil {
			return "", "", nil, err
		}
		return ch.DSN(Database), "", ch.Stop, nil
	}
	logger.Info("starting a ClickHouse cluster: ZooKeeper, 2 shards × 2 replicas", "dir", filepath.Join(dir, "cluster"))
	c, err := servers.StartCluster(ctx, filepath.Join(dir, "cluster"), servers.ClusterOptions{})
	if err != nil {
		return "", "", nil, err
	}
	return c.Nodes[0].DSN(Database), c.Name, c.Stop, nil
}

// openStore creates the demo's database and opens it, on the cluster when
// it has a name.
func openStore(ctx context.Context, dsn, cluster string) (*store.Store, error) {
	if cluster == "" {
		if err := store.EnsureDatabase(ctx, dsn, ""); err != nil {
			return nil, err
		}
		return store.Open(ctx, dsn, "")
	}
	if err := store.EnsureClusterDatabase(ctx, dsn, "", cluster); err != nil {
		return nil, err
	}
	return store.OpenCluster(ctx, dsn, "", store.ClusterOptions{Name: cluster})
}
