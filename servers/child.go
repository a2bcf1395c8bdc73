package servers

import (
	"context"
	"io"
	"net"
	"time"
)

// Child is any program started as a child process in its own process
// group, such as a ccbench sub-command that `ccbench demo` supervises.
type Child struct{ p *process }

// StartChild starts bin with args; its output goes to log.
func StartChild(name, bin string, args []string, log io.Writer) (*Child, error) {
	p, err := startProcess(name, bin, args, "", log)
	if err != nil {
		return nil, err
	}
	return &Child{p: p}, nil
}

// Name is the name the child was started with.
func (c *Child) Name() string { return c.p.name }

// Done is closed when the child has exited.
func (c *Child) Done() <-chan struct{} { return c.p.done }

// Err is the child's exit error, valid after Done is closed.
func (c *Child) Err() error { return c.p.err }

// Stop sends SIGTERM, waits up to grace, then kills the child.
func (c *Child) Stop(grace time.Duration) error { return c.p.stop(grace) }

// WaitListening waits until addr (host:port) accepts TCP connections.
func (c *Child) WaitListening(ctx context.Context, addr string, timeout time.Duration) error {
	return c.p.waitReady(ctx, timeout, func(ctx context.Context) error {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return conn.Close()
	})
}

// WaitHTTP waits until url answers 200.
func (c *Child) WaitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	return c.p.waitReady(ctx, timeout, func(ctx context.Context) error {
		resp, err := httpGet(ctx, url)
		if err != nil {
			return err
		}
		return resp.Body.Close()
	})
}
