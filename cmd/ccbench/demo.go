package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/ccbench/ccbench/demo"
)

func demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "run a local demo stack: ClickHouse, Prometheus, Alertmanager, simulators, collector and exporter",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "config.file", Aliases: []string{"config"}, Value: "deploy/ccbench.yaml", EnvVars: []string{"CCBENCH_CONFIG"}, Usage: "sample configuration to start from"},
			&cli.StringFlag{Name: "storage.path", Value: "./ccbench-data", EnvVars: envVar("demo", "storage.path"), Usage: "where the demo keeps its state; a second run reuses it"},
			&cli.Int64Flag{Name: "seed", Value: 1, EnvVars: envVar("demo", "seed"), Usage: "simulators' random seed"},
			&cli.IntFlag{Name: "days", Value: 30, EnvVars: envVar("demo", "days"), Usage: "days of simulated history"},
			&cli.BoolFlag{Name: "cluster", EnvVars: envVar("demo", "cluster"), Usage: "run on a loopback ClickHouse cluster (ZooKeeper, 2 shards × 2 replicas) instead of one server"},
		}, demoFaultFlags()...),
		Action: func(c *cli.Context) error {
			logger, err := newLogger(c)
			if err != nil {
				return err
			}
			cfg, err := loadConfig(c)
			if err != nil {
				return err
			}
			simArgs, err := demoSimulatorArgs(c, cfg)
			if err != nil {
				return err
			}
			exe, err := os.Executable()
			if err != nil {
				return fmt.Errorf("finding the ccbench binary: %w", err)
			}
			return demo.Run(c.Context, demo.Options{
				Config:     cfg,
				DataDir:    c.String("storage.path"),
				Executable: exe,
				Seed:       c.Int64("seed"),
				Days:       c.Int("days"),
				Cluster:    c.Bool("cluster"),
				Out:        c.App.Writer,
				Logger:     logger,

				SimulatorArgs: simArgs,
			})
		},
	}
}
