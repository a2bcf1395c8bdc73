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
	return &cli.Command{
		Name:  "simulate",
		Usage: "serve deterministic, seed-calibrated data in one source style",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "style", Required: true, Usage: "sodra, vmi or ind"},
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:18081", Usage: "address to listen on"},
			&cli.Int64Flag{Name: "seed", Value: 1, Usage: "random seed: the same seed serves the same data"},
			&cli.IntFlag{Name: "days", Value: 30, Usage: "days of history before now"},
			&cli.Float64Flag{Name: "scale", Value: 1, Usage: "volume relative to the seed study's"},
			&cli.IntFlag{Name: "bad-record-every", Usage: "make every Nth record break the contract (0: never)"},
			&cli.StringFlag{Name: "token-env", Value: "CCBENCH_SIMULATOR_TOKEN", Usage: "environment variable holding the bearer token clients must send (empty: no token)"},
			&cli.StringFlag{Name: "token-file", Usage: "file holding the bearer token (instead of --token-env)"},
		}, faultFlags()...),
		Action: func(c *cli.Context) error {
			logger, err := newLogger(c)
			if err != nil {
				return err
			}
			token, err := simulatorToken(c.String("token-env"), c.String("token-file"))
			if err != nil {
				return err
			}
			faults, err := simulatorFaults(c, c.String("style"), time.Now())
			if err != nil {
				return err
			}
			h, err := simulatorHandler(c.String("style"), c.Int64("seed"), c.Int("days"), c.Float64("scale"), c.Int("bad-record-every"), token, faults)
			if err != nil {
				return err
			}
			ln, err := listen(c.String("listen"), "simulator")
			if err != nil {
				return err
			}
			logger.Info("simulator listening", "style", c.String("style"), "url", "http://"+ln.Addr().String(), "seed", c.Int64("seed"), "days", c.Int("days"))
			return serve(c.Context, ln, h)
		},
	}
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

func simulatorHandler(style string, seed int64, days int, scale float64, badEvery int, token string, faults *simulator.Faults) (http.Handler, error) {
	if days < 1 {
		return nil, fmt.Errorf("--days must be at least 1, got %d", days)
	}
	switch style {
	case config.StyleSODRA:
		return faults.Handler(sodrasim.New(sodrasim.Options{Seed: seed, Days: days, Scale: scale, BadRecordEvery: badEvery, Token: token, Faults: faults}).Handler()), nil
	case config.StyleVMI:
		return faults.Handler(vmisim.New(vmisim.Options{Seed: seed, Days: days, Scale: scale, BadRecordEvery: badEvery, Token: token}).Handler()), nil
	case config.StyleIND:
		return faults.Handler(indsim.New(indsim.Options{Seed: seed, Days: days, Scale: scale, BadRecordEvery: badEvery, Token: token}).Handler()), nil
	}
	return nil, fmt.Errorf("--style: unknown style %q (want sodra, vmi or ind)", style)
}
