package main

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/common/version"
	"github.com/urfave/cli/v2"

	"github.com/ccbench/ccbench/exporter"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "expose KPIs and targets on /metrics for Prometheus",
		Flags: append([]cli.Flag{
			configFlag(true),
			clickHouseWaitFlag(time.Minute),
		}, webFlags("serve", "address to listen on for /metrics", "127.0.0.1:9817")...),
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
			cfg, err := loadConfig(c)
			if err != nil {
				return err
			}
			logger.Info("starting ccbench exporter", "version", version.Info(), "build_context", version.BuildContext())
			st, err := openStore(c, cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			e := exporter.New(exporter.Options{
				Config:     cfg,
				Reader:     st,
				Totals:     exporter.StoreTotals(st),
				ClickHouse: st,
				Logger:     logger,
			})
			listeners, err := wc.Listen("exporter")
			if err != nil {
				return err
			}
			go func() {
				if err := e.Run(c.Context); err != nil && !errors.Is(err, context.Canceled) {
					logger.Error("refresh loop stopped", "err", err)
				}
			}()
			return wc.Serve(c.Context, listeners, e.Handler(), logger)
		},
	}
}
