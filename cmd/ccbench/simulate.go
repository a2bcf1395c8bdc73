package main

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/simulator"
	indsim "github.com/ccbench/ccbench/simulator/ind"
	sodrasim "github.com/ccbench/ccbench/simulator/sodra"
	vmisim "github.com/ccbench/ccbench/simulator/vmi"
)

func simulateCommand() *cli.Command {
	env := func(flag string) []string { return envVar("simulate", flag) }
	return &cli.Command{
		Name:  "simulate",
		Usage: "serve deterministic, seed-calibrated data in one source style",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "style", EnvVars: env("style"), Usage: "sodra, vmi or ind (required)"},
			&cli.StringSliceFlag{Name: "web.listen-address", Value: cli.NewStringSlice("127.0.0.1:18081"), EnvVars: env("web.listen-address"), Usage: "address to listen on; repeat for several"},
			&cli.StringFlag{Name: "web.config.file", EnvVars: env("web.config.file"), Usage: "exporter-toolkit web configuration file, to serve over TLS"},
			&cli.Int64Flag{Name: "seed", Value: 1, EnvVars: env("seed"), Usage: "random seed: the same seed serves the same data"},
			&cli.IntFlag{Name: "days", Value: 30, EnvVars: env("days"), Usage: "days of history before now"},
			&cli.Float64Flag{Name: "scale", Value: 1, EnvVars: env("scale"), Usage: "volume relative to the seed study's"},
			&cli.IntFlag{Name: "fault.bad-record-every", EnvVars: env("fault.bad-record-every"), Usage: "make every Nth record break the contract (0: never)"},
			&cli.Float64Flag{Name: "fault.error-rate", EnvVars: env("fault.error-rate"), Usage: "share of requests, 0 to 1, refused with 503 or 429"},
			&cli.DurationFlag{Name: "fault.latency", EnvVars: env("fault.latency"), Usage: "delay added to every request"},
			&cli.StringFlag{Name: "token.env", Value: "CCBENCH_SIMULATOR_TOKEN", EnvVars: env("token.env"), Usage: "environment variable holding the bearer token clients must send (empty: no token)"},
			&cli.StringFlag{Name: "token.file", EnvVars: env("token.file"), Usage: "file holding the bearer token (instead of --token.env)"},
		}, faultFlags("simulate")...),
		Action: func(c *cli.Context) error {
			if err := mustNotHaveArgs(c); err != nil {
				return err
			}
			logger, err := newLogger(c)
			if err != nil {
				return err
			}
			wc, err := webConfig(c)
			if err != nil {
				return err
			}
			token, err := simulatorToken(c.String("token.env"), c.String("token.file"))
			if err != nil {
				return asUsageError(err)
			}
			incidents, err := simulatorIncidents(c, c.String("style"), time.Now())
			if err != nil {
				return asUsageError(err)
			}
			h, err := simulatorHandler(c.String("style"), c.Int64("seed"), c.Int("days"), c.Float64("scale"), c.Int("fault.bad-record-every"), token, incidents)
			if err != nil {
				return asUsageError(err)
			}
			faults := simulator.Faults{ErrorRate: c.Float64("fault.error-rate"), Latency: c.Duration("fault.latency"), Seed: c.Int64("seed")}
			if faults.ErrorRate < 0 || faults.ErrorRate > 1 {
				return usageErrorf("--fault.error-rate must be between 0 and 1, got %v", faults.ErrorRate)
			}
			listeners, err := wc.Listen("simulator")
			if err != nil {
				return err
			}
			logger.Info("simulator starting", "style", c.String("style"), "seed", c.Int64("seed"), "days", c.Int("days"),
				"error_rate", faults.ErrorRate, "latency", faults.Latency, "bad_record_every", c.Int("fault.bad-record-every"))
			return wc.Serve(c.Context, listeners, withFaults(h, token, faults), logger)
		},
	}
}

// withFaults serves h with the faults, behind the token: a wrong token is
// a 401, a configuration error, never a retryable fault.
func withFaults(h http.Handler, token string, faults simulator.Faults) http.Handler {
	return simulator.RequireToken(token, faults.Wrap(h))
}

func simulatorToken(env, file string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("reading token file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	if env != "" {
		return os.Getenv(env), nil
	}
	return "", nil
}

func simulatorHandler(style string, seed int64, days int, scale float64, badEvery int, token string, incidents *simulator.Incidents) (http.Handler, error) {
	if days < 1 {
		return nil, fmt.Errorf("--days must be at least 1, got %d", days)
	}
	switch style {
	case config.StyleSODRA:
		return incidents.Handler(sodrasim.New(sodrasim.Options{Seed: seed, Days: days, Scale: scale, BadRecordEvery: badEvery, Token: token, Incidents: incidents}).Handler()), nil
	case config.StyleVMI:
		return incidents.Handler(vmisim.New(vmisim.Options{Seed: seed, Days: days, Scale: scale, BadRecordEvery: badEvery, Token: token}).Handler()), nil
	case config.StyleIND:
		return incidents.Handler(indsim.New(indsim.Options{Seed: seed, Days: days, Scale: scale, BadRecordEvery: badEvery, Token: token}).Handler()), nil
	}
	return nil, fmt.Errorf("--style: unknown style %q (want sodra, vmi or ind)", style)
}
