package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccbench/ccbench/web"
	"github.com/ccbench/ccbench/web/webtest"
)

// serve starts c on 127.0.0.1:0 (twice when two is true) with a handler
// that answers "metrics here" on /metrics; it returns the addresses and
// stops the server when the test ends, checking that Serve returned nil.
func serve(t *testing.T, c web.Config, ready func() bool, listeners int) []string {
	t.Helper()
	for range listeners {
		c.ListenAddresses = append(c.ListenAddresses, "127.0.0.1:0")
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	lns, err := c.Listen("test server")
	if err != nil {
		t.Fatal(err)
	}
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "metrics here\n") })
	h, err := web.Handler(metrics, web.Page{Name: "test server", Version: "9.9.9", Ready: ready, NotReady: "not yet"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Serve(ctx, lns, h, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve returned %v after cancel, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return 10 s after cancel")
		}
	})
	var addrs []string
	for _, l := range lns {
		addrs = append(addrs, l.Addr().String())
	}
	return addrs
}

func TestTLSAndBasicAuthAreEnforced(t *testing.T) {
	s := webtest.NewServer(t, t.TempDir(), "prometheus", "s3cret-pass")
	addrs := serve(t, web.Config{ConfigFile: s.ConfigFile}, nil, 2)
	for _, addr := range addrs {
		for _, path := range []string{"/metrics", "/", "/-/healthy", "/-/ready"} {
			url := "https://" + addr + path
			if code, _ := s.Get(t, url, false); code != http.StatusUnauthorized {
				t.Errorf("GET %s without credentials = %d, want 401", url, code)
			}
			if code, _ := s.Get(t, url, true); code != http.StatusOK {
				t.Errorf("GET %s with credentials = %d, want 200", url, code)
			}
		}
		wrong := s
		wrong.Password = "not-the-password"
		if code, _ := wrong.Get(t, "https://"+addr+"/metrics", true); code != http.StatusUnauthorized {
			t.Errorf("GET /metrics with a wrong password = %d, want 401", code)
		}
		if code, body := s.Get(t, "https://"+addr+"/metrics", true); code != http.StatusOK || body != "metrics here\n" {
			t.Errorf("/metrics = %d %q, want the handler's answer", code, body)
		}
		// Plain HTTP to a TLS listener is refused.
		resp, err := http.Get("http://" + addr + "/metrics")
		if err == nil {
			if resp.StatusCode == http.StatusOK {
				t.Errorf("plain HTTP to the TLS listener %s answered 200", addr)
			}
			resp.Body.Close()
		}
	}
}

func TestPlainHTTPWithoutConfigFile(t *testing.T) {
	var ready atomic.Bool
	addr := serve(t, web.Config{}, ready.Load, 1)[0]
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/"); code != http.StatusOK || !strings.Contains(body, `href="/metrics"`) || !strings.Contains(body, "9.9.9") {
		t.Errorf("/ = %d %q, want the landing page with a link to /metrics and the version", code, body)
	}
	if code, _ := get("/-/healthy"); code != http.StatusOK {
		t.Errorf("/-/healthy = %d, want 200", code)
	}
	if code, body := get("/-/ready"); code != http.StatusServiceUnavailable || !strings.Contains(body, "not yet") {
		t.Errorf("/-/ready before ready = %d %q, want 503 saying why", code, body)
	}
	ready.Store(true)
	if code, _ := get("/-/ready"); code != http.StatusOK {
		t.Errorf("/-/ready when ready = %d, want 200", code)
	}
	if code, _ := get("/nope"); code != http.StatusNotFound {
		t.Errorf("/nope = %d, want 404", code)
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(bad, []byte("tls_server_config:\n  cert_file: /nonexistent.crt\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	unknown := filepath.Join(dir, "unknown.yml")
	if err := os.WriteFile(unknown, []byte("basic_auth_userz: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		c    web.Config
		want string
	}{
		"no address":   {web.Config{}, "at least one address"},
		"missing file": {web.Config{ListenAddresses: []string{":0"}, ConfigFile: filepath.Join(dir, "none.yml")}, "no such file"},
		"bad tls":      {web.Config{ListenAddresses: []string{":0"}, ConfigFile: bad}, "key_file"},
		"unknown key":  {web.Config{ListenAddresses: []string{":0"}, ConfigFile: unknown}, "basic_auth_userz"},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
