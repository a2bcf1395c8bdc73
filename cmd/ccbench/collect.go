package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	collectorsprom "github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/version"
	"github.com/urfave/cli/v2"

	"github.com/ccbench/ccbench/collectors"
	"github.com/ccbench/ccbench/collectors/ind"
	"github.com/ccbench/ccbench/collectors/sodra"
	"github.com/ccbench/ccbench/collectors/vmi"
	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/web"
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
		Flags: append([]cli.Flag{
			configFlag(true),
			clickHouseWaitFlag(time.Minute),
			&cli.BoolFlag{Name: "once", EnvVars: envVar("collect", "once"), Usage: "do one full pass and exit (0 when everything was pulled)"},
		}, webFlags("collect", "address to serve the collector's own metrics on /metrics (default: none)")...),
		Action: func(c *cli.Context) error {
			if err := mustNotHaveArgs(c); err != nil {
				return err
			}
			logger, err := newLogger(c)
			if err != nil {
				return err
			}
			wc, err := webConfig(c)
			serveMetrics := len(wc.ListenAddresses) > 0
			if err != nil && serveMetrics {
				return err
			}
			cfg, err := loadConfig(c)
			if err != nil {
				return err
			}
			logger.Info("starting ccbench collector", "version", version.Info(), "build_context", version.BuildContext())
			defer limitMemory(len(cfg.Sources))()
			cs, err := styles.Build(cfg, http.DefaultClient, logger)
			if err != nil {
				return asUsageError(err)
			}
			reg := prometheus.NewRegistry()
			reg.MustRegister(
				versioncollector.NewCollector("ccbench"),
				collectorsprom.NewGoCollector(),
				collectorsprom.NewProcessCollector(collectorsprom.ProcessCollectorOpts{}),
			)
			metrics := collectors.NewMetrics(reg)
			ctx, stop := context.WithCancel(c.Context)
			defer stop()
			if serveMetrics {
				// The metrics server comes up before ClickHouse is reached,
				// so that a collector waiting for it can be seen.
				listeners, err := wc.Listen("collector metrics")
				if err != nil {
					return err
				}
				h, err := web.Handler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{
					ErrorLog:          slogErrorLog{logger},
					Registry:          reg,
					EnableOpenMetrics: true,
				}), web.Page{
					Name:        "ccbench collector",
					Description: "Passes, records, fetches and quarantined records of every configured source.",
					Version:     version.Version,
					Ready:       metrics.Ready,
					NotReady:    "no source has completed a pass yet.",
				})
				if err != nil {
					return err
				}
				served := make(chan error, 1)
				go func() { served <- wc.Serve(ctx, listeners, h, logger) }()
				defer func() {
					stop()
					if err := <-served; err != nil {
						logger.Error("collector metrics server stopped", "err", err)
					}
				}()
			}
			st, err := openStore(c, cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := migrateAndLoadRegisters(ctx, st, cfg); err != nil {
				return err
			}
			r := &collectors.Runner{
				Sink:       st,
				Collectors: cs,
				Logger:     logger,
				Interval:   pollInterval(cfg),
				Metrics:    metrics,
				// Each pass recounts the rollups it touched once, at its
				// end; before it starts, whatever a pass that died left
				// pending is recounted.
				BeginPass: func(ctx context.Context) (collectors.PassSink, error) {
					if err := st.RecoverPending(ctx); err != nil {
						return nil, err
					}
					return st.BeginPass(), nil
				},
			}
			if !c.Bool("once") {
				return r.Run(ctx)
			}
			stats, err := r.RunOnce(ctx)
			for name, s := range stats {
				fmt.Fprintf(c.App.Writer, "%s: fetched %d, stored %d records, quarantined %d\n", name, s.Fetched, s.Records, s.Quarantined)
			}
			return err
		},
	}
}

// memoryPerSource is the collector's soft memory limit per configured
// source. A collector holds about two batches of collectors.BatchRows
// records at a time (the one being written and the next, fetched and parsed
// meanwhile; collectors/sodra), some 25-40 MB live with SODRA-size records;
// the Go runtime's default heap goal, twice the live heap, let the heap
// reach 75 MB and the process's RSS 100 MB (`ccbench bench`). With the
// limit the runtime collects garbage sooner instead, and the RSS stays near
// 80 MB.
const memoryPerSource = 64 << 20

// limitMemory sets the Go runtime's soft memory limit for a collector of
// the given number of sources, unless one is set already (GOMEMLIMIT), and
// returns the function that restores the previous limit.
func limitMemory(sources int) (restore func()) {
	prev := debug.SetMemoryLimit(-1) // reads the limit
	if prev != math.MaxInt64 {
		return func() {}
	}
	debug.SetMemoryLimit(int64(max(sources, 1)) * memoryPerSource)
	return func() { debug.SetMemoryLimit(prev) }
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
