package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ccbench/ccbench/servers"
	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/web/webtest"
)

// TestClickHouseOverTLS reaches a ClickHouse server that serves its native
// protocol over TLS (tcp_port_secure, a certificate from a CA made for the
// test) with `?secure=true` in the DSN and the CA in SSL_CERT_FILE; without
// the CA the connection is refused, so TLS is really spoken.
func TestClickHouseOverTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own ClickHouse server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bin := buildBinary(t)
	dir := t.TempDir()
	certs := filepath.Join(dir, "certs")
	if err := os.Mkdir(certs, 0o700); err != nil {
		t.Fatal(err)
	}
	webtest.NewServer(t, certs, "unused", "unused") // writes ca.crt, server.crt, server.key
	ch, logf := servertest.OwnClickHouse(t, ctx)
	port, err := servers.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	// config.d is merged into config.xml when the server starts.
	tlsXML := fmt.Sprintf(`<?xml version="1.0"?>
<yandex>
  <tcp_port_secure>%d</tcp_port_secure>
  <openSSL><server>
    <certificateFile>%s</certificateFile>
    <privateKeyFile>%s</privateKeyFile>
    <verificationMode>none</verificationMode>
    <loadDefaultCAFile>false</loadDefaultCAFile>
    <disableProtocols>sslv2,sslv3</disableProtocols>
  </server></openSSL>
</yandex>
`, port, filepath.Join(certs, "server.crt"), filepath.Join(certs, "server.key"))
	if err := os.MkdirAll(filepath.Join(ch.Dir, "config.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ch.Dir, "config.d", "tls.xml"), []byte(tlsXML), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ch.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := ch.Restart(ctx, logf); err != nil {
		t.Fatal(err)
	}

	migrate := func(dsn string, env ...string) (int, string) {
		t.Helper()
		cfg := filepath.Join(t.TempDir(), "ccbench.yaml")
		if err := os.WriteFile(cfg, []byte(fmt.Sprintf("clickhouse: {dsn: %q}\n", dsn)), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "schema", "migrate", "--config.file", cfg, "--clickhouse.wait", "2s")
		cmd.Env = append(os.Environ(), env...)
		out, _ := cmd.CombinedOutput()
		return cmd.ProcessState.ExitCode(), string(out)
	}
	secure := fmt.Sprintf("clickhouse://127.0.0.1:%d/tls?secure=true", port)
	if code, out := migrate(secure, "SSL_CERT_FILE="+filepath.Join(certs, "ca.crt")); code != exitOK {
		t.Errorf("over TLS with the CA: exit %d, want 0:\n%s", code, out)
	}
	if code, out := migrate(secure, "SSL_CERT_FILE="+filepath.Join(certs, "server.key")); code != exitFailure || !strings.Contains(out, "certificate") {
		t.Errorf("over TLS without the CA: exit %d, want 1 and a certificate error:\n%s", code, out)
	}
	if code, out := migrate(fmt.Sprintf("clickhouse://127.0.0.1:%d/tls", port)); code != exitFailure {
		t.Errorf("plain protocol to the TLS port: exit %d, want 1:\n%s", code, out)
	}
}
