package main

import (
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/common/promslog"
	"github.com/urfave/cli/v2"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/web"
)

// Flags follow Prometheus's style: dotted groups, dashes inside words
// (--web.listen-address, --log.level, --config.file). Every flag of a
// long-running command (serve, collect, simulate, demo) also reads an
// environment variable, named by envVar and shown in --help.

// envVar names the environment variable of a flag: CCBENCH_, then the
// command (for flags that differ between commands) and the flag name, upper
// case, with dots and dashes as underscores; e.g. envVar("serve",
// "web.listen-address") is CCBENCH_SERVE_WEB_LISTEN_ADDRESS.
func envVar(command, flag string) []string {
	parts := []string{"CCBENCH"}
	if command != "" {
		parts = append(parts, command)
	}
	parts = append(parts, flag)
	name := strings.Join(parts, "_")
	return []string{strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(name))}
}

// logFlags are --log.level and --log.format; every command takes them, before
// or after its name.
func logFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "log.level", Value: "info", EnvVars: envVar("", "log.level"), Usage: "only log messages with at least this severity: debug, info, warn or error"},
		&cli.StringFlag{Name: "log.format", Value: "logfmt", EnvVars: envVar("", "log.format"), Usage: "output format of log messages: logfmt or json"},
	}
}

// configFlag is the --config.file flag every command that reads the
// configuration takes (--config is kept as an alias). A missing file is a
// usage error reported by loadConfig; required only changes the help text.
func configFlag(required bool) cli.Flag {
	usage := "configuration file"
	if required {
		usage += " (required)"
	}
	return &cli.StringFlag{
		Name:    "config.file",
		Aliases: []string{"config"},
		Usage:   usage,
		EnvVars: []string{config.EnvConfig},
	}
}

// clickHouseWaitFlag says how long a command waits for ClickHouse to answer
// when it starts: long for the daemons, short for one-shot commands.
func clickHouseWaitFlag(d time.Duration) cli.Flag {
	return &cli.DurationFlag{Name: "clickhouse.wait", Value: d, EnvVars: envVar("", "clickhouse.wait"), Usage: "how long to retry ClickHouse at start before giving up"}
}

// webFlags are the flags of a command's HTTP server, in the style of the
// Prometheus exporters: --web.listen-address (repeatable) and
// --web.config.file (TLS and basic authentication).
func webFlags(command string, usage string, defaults ...string) []cli.Flag {
	listen := &cli.StringSliceFlag{
		Name:    "web.listen-address",
		Usage:   usage + "; repeat the flag (or separate with commas) for several addresses",
		EnvVars: envVar(command, "web.listen-address"),
	}
	if len(defaults) > 0 {
		listen.Value = cli.NewStringSlice(defaults...)
	}
	return []cli.Flag{
		listen,
		&cli.StringFlag{
			Name:    "web.config.file",
			Usage:   "exporter-toolkit web configuration file for TLS and basic authentication (see the README's operations section)",
			EnvVars: envVar(command, "web.config.file"),
		},
	}
}

// webConfig reads the web flags; a bad --web.config.file is a usage error.
func webConfig(c *cli.Context) (web.Config, error) {
	wc := web.Config{ListenAddresses: c.StringSlice("web.listen-address"), ConfigFile: c.String("web.config.file")}
	if err := wc.Validate(); err != nil {
		return wc, asUsageError(err)
	}
	return wc, nil
}

// flagString returns a flag's value wherever on the command line it was
// given: after the command (which wins) or before it; failing that, its
// environment variable or default.
func flagString(c *cli.Context, name string) string {
	for _, ctx := range c.Lineage() {
		set := false
		for _, n := range ctx.LocalFlagNames() {
			if n == name {
				set = true
			}
		}
		if set {
			return ctx.String(name)
		}
	}
	return c.String(name)
}

// newLogger builds the promslog logger of --log.level and --log.format,
// writing to the app's error stream.
func newLogger(c *cli.Context) (*slog.Logger, error) {
	cfg := &promslog.Config{Level: promslog.NewLevel(), Format: promslog.NewFormat(), Writer: c.App.ErrWriter}
	if err := cfg.Level.Set(flagString(c, "log.level")); err != nil {
		return nil, usageErrorf("--log.level: %w (want debug, info, warn or error)", err)
	}
	if err := cfg.Format.Set(flagString(c, "log.format")); err != nil {
		return nil, usageErrorf("--log.format: %w (want logfmt or json)", err)
	}
	return promslog.New(cfg), nil
}

// mustNotHaveArgs rejects positional arguments a command does not take.
func mustNotHaveArgs(c *cli.Context) error {
	if c.Args().Present() {
		return usageErrorf("unexpected argument %q; see '%s --help'", c.Args().First(), c.Command.HelpName)
	}
	return nil
}
