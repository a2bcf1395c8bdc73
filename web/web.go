// Package web serves ccbench's HTTP endpoints (the exporter's and the
// collector's /metrics) the way Prometheus exporters do, through
// github.com/prometheus/exporter-toolkit: one or more listen addresses, TLS
// and basic authentication from a --web.config.file, the toolkit's landing
// page, /-/healthy and /-/ready.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	toolkit "github.com/prometheus/exporter-toolkit/web"
)

// ShutdownGrace is how long requests in flight get when the server stops.
const ShutdownGrace = 5 * time.Second

// Config says where and how a server listens.
type Config struct {
	// ListenAddresses are the host:port pairs to listen on; at least one.
	ListenAddresses []string
	// ConfigFile is the exporter-toolkit web configuration (TLS, basic
	// auth, HTTP headers); empty serves plain HTTP without authentication.
	ConfigFile string
}

// Validate checks the configuration before anything listens: at least one
// address, and a web configuration file that the toolkit accepts.
func (c Config) Validate() error {
	if len(c.ListenAddresses) == 0 {
		return errors.New("--web.listen-address: at least one address is needed")
	}
	if c.ConfigFile != "" {
		if err := toolkit.Validate(c.ConfigFile); err != nil {
			return fmt.Errorf("--web.config.file %s: %w", c.ConfigFile, err)
		}
	}
	return nil
}

// Listen opens every listen address; on error it closes the ones already
// open. what names the server in errors.
func (c Config) Listen(what string) ([]net.Listener, error) {
	var out []net.Listener
	for _, addr := range c.ListenAddresses {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			for _, l := range out {
				l.Close()
			}
			return nil, fmt.Errorf("%s: listening on %s: %w", what, addr, err)
		}
		out = append(out, ln)
	}
	return out, nil
}

// Serve serves h on every listener, with the TLS and authentication of
// c.ConfigFile, until ctx ends; then it shuts the server down gracefully
// and returns nil. It returns the first serving error otherwise.
func (c Config) Serve(ctx context.Context, listeners []net.Listener, h http.Handler, logger *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	file := c.ConfigFile
	addrs := make([]string, len(listeners))
	for i, l := range listeners {
		addrs[i] = l.Addr().String()
	}
	flags := &toolkit.FlagConfig{WebListenAddresses: &addrs, WebSystemdSocket: new(bool), WebConfigFile: &file}
	done := make(chan error, 1)
	go func() { done <- toolkit.ServeMultiple(listeners, srv, flags, logger) }()
	select {
	case err := <-done:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Page describes the landing page and probes of a server.
type Page struct {
	Name        string // e.g. "ccbench exporter"
	Description string
	Version     string
	// Ready reports readiness for /-/ready; nil means always ready.
	Ready func() bool
	// NotReady explains a 503 from /-/ready.
	NotReady string
}

// Handler routes /metrics to metrics, serves /-/healthy, /-/ready and the
// toolkit's landing page on /.
func Handler(metrics http.Handler, p Page) (http.Handler, error) {
	landing, err := toolkit.NewLandingPage(toolkit.LandingConfig{
		RoutePrefix: "/",
		Name:        p.Name,
		Description: p.Description,
		Version:     p.Version,
		Profiling:   "false", // no /debug/pprof is served
		Links: []toolkit.LandingLinks{
			{Address: "metrics", Text: "Metrics"},
			{Address: "-/healthy", Text: "Health", Description: "200 while the process runs"},
			{Address: "-/ready", Text: "Readiness", Description: "200 once it can serve"},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("landing page: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics)
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "%s is healthy.\n", p.Name)
	})
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if p.Ready != nil && !p.Ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "%s is not ready: %s\n", p.Name, p.NotReady)
			return
		}
		fmt.Fprintf(w, "%s is ready.\n", p.Name)
	})
	mux.Handle("/", landing)
	return mux, nil
}
