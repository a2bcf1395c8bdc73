// Command ccbench collects public-service contact-centre data into
// ClickHouse, exports KPIs to Prometheus, generates Grafana dashboards and
// compares institutions from the command line.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"
)

// Set by the linker: -ldflags "-X main.version=... -X main.revision=...".
var (
	version  = "dev"
	revision = "unknown"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newApp().RunContext(ctx, os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "ccbench:", err)
		os.Exit(1)
	}
}

func newApp() *cli.App {
	return &cli.App{
		Name:    "ccbench",
		Usage:   "benchmark public-service contact centres: collect, export, compare",
		Version: version + " (" + revision + ")",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "log.level", Value: "info", Usage: "debug, info, warn or error"},
			&cli.StringFlag{Name: "log.format", Value: "logfmt", Usage: "logfmt or json"},
		},
		Commands: []*cli.Command{
			schemaCommand(),
			simulateCommand(),
			collectCommand(),
			serveCommand(),
			dashboardsCommand(),
			registerCommand(),
			compareCommand(),
			staffingCommand(),
			benchCommand(),
			quarantineCommand(),
			demoCommand(),
		},
	}
}

// configFlag is the --config flag every command that reads the
// configuration takes.
func configFlag(required bool) cli.Flag {
	return &cli.StringFlag{
		Name:     "config",
		Usage:    "configuration file",
		EnvVars:  []string{"CCBENCH_CONFIG"},
		Required: required,
	}
}

// newLogger builds the logger from the global flags.
func newLogger(c *cli.Context) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String("log.level"))); err != nil {
		return nil, fmt.Errorf("--log.level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.String("log.format") {
	case "logfmt":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	default:
		return nil, fmt.Errorf("--log.format: want logfmt or json, got %q", c.String("log.format"))
	}
}
