package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	collectorsprom "github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/urfave/cli/v2"

	"github.com/ccbench/ccbench/collectors"
	"github.com/ccbench/ccbench/collectors/ind"
	"github.com/ccbench/ccbench/collectors/sodra"
	"github.com/ccbench/ccbench/collectors/vmi"
	"github.com/ccbench/ccbench/config"
)

// styles maps each source style to its collector.
var styles = collectors.Registry{
	config.StyleSODRA: sodra.New,
	config.StyleVMI:   vmi.New,
	config.StyleIND:   ind.New,
}

func collectCommand() *cli.Command {
	return &cli.Command{
		Name:  "collect",
		Usage: "pull every configured source into ClickHouse",
		Flags: []cli.Flag{
			configFlag(true),
			clickHouseWaitFlag(time.Minute),
			&cli.BoolFlag{Name: "once", Usage: "do one full pass and exit (0 when everything was pulled)"},
			&cli.StringFlag{Name: "web.listen-address", Usage: "address to serve the collector's own metrics on /metrics (default: none)"},
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
			if err := migrateAndLoadRegisters(c.Context, st, cfg); err != nil {
				return err
			}
			cs, err := styles.Build(cfg, http.DefaultClient, logger)
			if err != nil {
				return err
			}
			reg := prometheus.NewRegistry()
			reg.MustRegister(collectorsprom.NewGoCollector(), collectorsprom.NewProcessCollector(collectorsprom.ProcessCollectorOpts{}))
			r := &collectors.Runner{
				Sink:       st,
				Collectors: cs,
				Logger:     logger,
				Interval:   pollInterval(cfg),
				Metrics:    collectors.NewMetrics(reg),
			}
			if addr := c.String("web.listen-address"); addr != "" {
				ln, err := listen(addr, "collector metrics")
				if err != nil {
					return err
				}
				ctx, stop := context.WithCancel(c.Context)
				defer stop()
				go func() {
					if err := serve(ctx, ln, metricsHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))); err != nil {
						logger.Error("collector metrics server stopped", "err", err)
					}
				}()
				logger.Info("serving collector metrics", "address", "http://"+ln.Addr().String()+"/metrics")
			}
			if !c.Bool("once") {
				return r.Run(c.Context)
			}
			stats, err := r.RunOnce(c.Context)
			for name, s := range stats {
				fmt.Fprintf(c.App.Writer, "%s: fetched %d, stored %d records, quarantined %d\n", name, s.Fetched, s.Records, s.Quarantined)
			}
			return err
		},
	}
}

// pollInterval returns each source's configured poll interval.
func pollInterval(cfg *config.Config) func(name string) time.Duration {
	return func(name string) time.Duration {
		for _, s := range cfg.Sources {
			if s.Name == name {
				return time.Duration(s.PollInterval)
			}
		}
		return time.Minute
	}
}
