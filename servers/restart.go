package servers

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"syscall"
	"time"
)

// Kill crashes the server: SIGKILL to its process group, no shutdown. It
// returns once the process has exited. Restart brings it back.
func (c *ClickHouse) Kill() error {
	p := c.proc
	if done, _ := p.exited(); done {
		return nil
	}
	if err := syscall.Kill(-p.pid(), syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill clickhouse (pid %d): %w", p.pid(), err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("kill clickhouse (pid %d): still running 10 s after SIGKILL", p.pid())
	}
}

// Restart starts a stopped or killed server again in the same directory, on
// the same ports and with the configuration of its first start, so that its
// DSN stays valid; it returns once the server answers a ping. Server output
// goes to log, which may be nil.
func (c *ClickHouse) Restart(ctx context.Context, log io.Writer) error {
	if done, _ := c.proc.exited(); !done {
		return fmt.Errorf("restart clickhouse: pid %d is still running; Stop or Kill it first", c.proc.pid())
	}
	bin, err := findBinary("clickhouse-server", "/usr/sbin", "/usr/bin")
	if err != nil {
		return fmt.Errorf("clickhouse-server not found: %s: %w", ClickHouseInstallHint, ErrNotInstalled)
	}
	p, err := startProcess("clickhouse-server", bin, []string{"--config-file=" + filepath.Join(c.Dir, "config.xml")}, c.Dir, log)
	if err != nil {
		return err
	}
	c.proc = p
	if err := p.waitReady(ctx, 60*time.Second, c.Ready); err != nil {
		_ = c.Stop()
		return fmt.Errorf("restart clickhouse in %s: %w (see %s)", c.Dir, err, filepath.Join(c.Dir, "log", "clickhouse-server.err.log"))
	}
	return nil
}
