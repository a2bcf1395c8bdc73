package main

import (
	"context"
	"errors"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ccbench/ccbench/exporter"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "expose KPIs and targets on /metrics for Prometheus",
		Flags: []cli.Flag{
			configFlag(true),
			clickHouseWaitFlag(time.Minute),
			&cli.StringFlag{Name: "web.listen-address", Value: "127.0.0.1:9817", Usage: "address to listen on for /metrics"},
		},
		Action: func(c *cli.Context) error {
			logger, err := newLogger(c)
			if err != nil {
				return err
			}
			cfg, st, err := openConfiguredStore(c)
			if err != nil {
				return err
			}
			defer st.Close()
			e := exporter.New(exporter.Options{
				Config:   cfg,
				Reader:   st,
				Totals:   exporter.StoreTotals(st),
				Logger:   logger,
				Version:  version,
				Revision: revision,
			})
			ln, err := listen(c.String("web.listen-address"), "exporter")
			if err != nil {
				return err
			}
			go func() {
				if err := e.Run(c.Context); err != nil && !errors.Is(err, context.Canceled) {
					logger.Error("refresh loop stopped", "err", err)
				}
			}()
			logger.Info("serving metrics", "address", "http://"+ln.Addr().String()+"/metrics")
			return serve(c.Context, ln, e.Handler())
		},
	}
}
