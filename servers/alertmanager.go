package servers

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// AlertmanagerInstallHint tells how to install Alertmanager on these
// machines.
const AlertmanagerInstallHint = "install it with `apt-get install -y prometheus-alertmanager`"

// Alertmanager is a prometheus-alertmanager child process listening on
// 127.0.0.1, alone (clustering off).
type Alertmanager struct {
	Dir  string // alertmanager.yml and the notification log (data/)
	Port int

	proc *process
}

// StartAlertmanager writes configYAML to dir/alertmanager.yml and starts
// Alertmanager (Debian's prometheus-alertmanager) with its state in
// dir/data on a free loopback port, returning once /-/ready answers 200.
// Server output goes to log, which may be nil.
func StartAlertmanager(ctx context.Context, dir string, configYAML []byte, log io.Writer) (*Alertmanager, error) {
	bin, err := findBinary("prometheus-alertmanager", "/usr/bin", "/usr/local/bin")
	if err != nil {
		if bin, err = findBinary("alertmanager", "/usr/local/bin"); err != nil {
			return nil, fmt.Errorf("prometheus-alertmanager not found: %s: %w", AlertmanagerInstallHint, ErrNotInstalled)
		}
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("start alertmanager: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		return nil, fmt.Errorf("start alertmanager: %w", err)
	}
	configPath := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(configPath, configYAML, 0o644); err != nil {
		return nil, fmt.Errorf("start alertmanager: write config: %w", err)
	}
	return onFreshPorts(func() (*Alertmanager, error) { return startAlertmanagerOnce(ctx, bin, dir, configPath, log) })
}

// startAlertmanagerOnce starts Alertmanager in dir on a freshly chosen port.
func startAlertmanagerOnce(ctx context.Context, bin, dir, configPath string, log io.Writer) (*Alertmanager, error) {
	port, err := FreePort()
	if err != nil {
		return nil, fmt.Errorf("start alertmanager: %w", err)
	}
	args := []string{
		"--config.file=" + configPath,
		"--storage.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:" + strconv.Itoa(port),
		"--cluster.listen-address=", // a single instance: no gossip port
	}
	p, err := startProcess("alertmanager", bin, args, dir, log)
	if err != nil {
		return nil, err
	}
	am := &Alertmanager{Dir: dir, Port: port, proc: p}
	ready := func(ctx context.Context) error {
		if err := httpReady(ctx, am.URL()); err != nil {
			return err
		}
		return alertmanagerIsOurs(p.pid(), port)
	}
	if err := p.waitReady(ctx, 30*time.Second, ready); err != nil {
		_ = am.Stop()
		return nil, fmt.Errorf("start alertmanager in %s: %w", dir, err)
	}
	return am, nil
}

// alertmanagerIsOurs checks that the process listening on port is ours
// (its API reports no flags to tell it by): a port chosen free a moment ago
// may have been taken by another test's server.
func alertmanagerIsOurs(pid, port int) error {
	ok, err := listensOn(pid, port)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("another process listens on port %d", port)
	}
	return nil
}

// URL is the base URL of the server, without a trailing slash.
func (a *Alertmanager) URL() string { return "http://127.0.0.1:" + strconv.Itoa(a.Port) }

// Addr is the server's host:port, as Prometheus's alerting configuration
// names it.
func (a *Alertmanager) Addr() string { return "127.0.0.1:" + strconv.Itoa(a.Port) }

// Stop stops the server: SIGTERM, then SIGKILL after 10 s. It is safe to
// call more than once.
func (a *Alertmanager) Stop() error {
	if a == nil || a.proc == nil {
		return nil
	}
	return a.proc.stop(10 * time.Second)
}
