package servers

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
)

// TestListensOn: this process holds the socket it listens on, and no
// other process (pid 1) does.
func TestListensOn(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	for _, tc := range []struct {
		pid  int
		want bool
	}{{os.Getpid(), true}, {1, false}} {
		got, err := listensOn(tc.pid, port)
		if err != nil || got != tc.want {
			t.Errorf("listensOn(%d, %d) = %v, %v; want %v", tc.pid, port, got, err, tc.want)
		}
	}
	l.Close()
	if got, err := listensOn(os.Getpid(), port); err != nil || got {
		t.Errorf("listensOn after close = %v, %v; want false", got, err)
	}
}

// TestPrometheusIsOurs: a Prometheus answering on the port with another
// configuration file is not ours.
func TestPrometheusIsOurs(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"status": "success", "data": {"config.file": "/tmp/a/prometheus.yml"}}`)
	}))
	defer srv.Close()
	for _, tc := range []struct {
		config string
		ours   bool
	}{{"/tmp/a/prometheus.yml", true}, {"/tmp/b/prometheus.yml", false}} {
		if err := prometheusIsOurs(context.Background(), srv.URL, tc.config); (err == nil) != tc.ours {
			t.Errorf("prometheusIsOurs(%s) = %v, want ours %v", tc.config, err, tc.ours)
		}
	}
}
