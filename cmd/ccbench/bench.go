package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/ccbench/ccbench/bench"
)

func benchCommand() *cli.Command {
	def := bench.DefaultOptions()
	return &cli.Command{
		Name:  "bench",
		Usage: "measure ingest, KPI queries and the exporter on this machine, each next to its baseline",
		Description: `Starts its own ClickHouse in a temporary directory and prints, from one run:
the collector's rows/s against clickhouse-client loading the same rows as CSV
(the median of three loads per run; and each one's CPU time per 100,000 rows, the ClickHouse server's included),
the store's sink alone, and the same contacts written as raw versions with no
rollup upkeep (the floor under the sink), compare over a year of N institutions from the rollups against the raw
versions (results checked identical), one exporter refresh of M institutions,
scrape latency, and the collector's peak RSS. The defaults are the scale of
docs/benchmarks.md and take several minutes; smaller values run in seconds.
Each figure with a target says whether it is met, or, in a run smaller than
the scale the target is stated at, at what scale it is judged.

Example:
   ccbench bench --institutions 2 --days 30 --exporter.institutions 5 --out /tmp/bench.md`,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "institutions", Value: def.Institutions, Usage: "institutions with a history of --days days, for compare"},
			&cli.IntFlag{Name: "days", Value: def.Days, Usage: "days of history of each of those institutions"},
			&cli.IntFlag{Name: "per-day", Value: def.PerDay, Usage: "contacts per institution per day (SODRA size is about 9,000)"},
			&cli.IntFlag{Name: "exporter.institutions", Value: def.ExporterInstitutions, Usage: "institutions the exporter refreshes"},
			&cli.IntFlag{Name: "exporter.days", Value: def.ExporterDays, Usage: "days of history of the institutions added for the exporter"},
			&cli.IntFlag{Name: "ingest.days", Value: def.IngestDays, Usage: "days of history of the SODRA-style simulator the collector reads"},
			&cli.Float64Flag{Name: "ingest.scale", Value: def.IngestScale, Usage: "volume of that simulator (1 = SODRA size)"},
			&cli.IntFlag{Name: "ingest.runs", Value: def.IngestRuns, Usage: "times the ingest is measured; its figures are the medians, with the range of the ratios"},
			&cli.StringFlag{Name: "out", Usage: "also write the Markdown table to this file"},
		},
		Action: func(c *cli.Context) error {
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			logger, err := newLogger(c)
			if err != nil {
				return err
			}
			rep, err := bench.Run(c.Context, bench.Options{
				Executable: exe, Logger: logger,
				Institutions: c.Int("institutions"), Days: c.Int("days"), PerDay: c.Int("per-day"),
				ExporterInstitutions: c.Int("exporter.institutions"), ExporterDays: c.Int("exporter.days"),
				IngestDays: c.Int("ingest.days"), IngestScale: c.Float64("ingest.scale"), IngestRuns: c.Int("ingest.runs"),
			})
			if rep != nil {
				if werr := rep.WriteMarkdown(c.App.Writer); werr != nil && err == nil {
					err = werr
				}
				if out := c.String("out"); out != "" {
					f, ferr := os.Create(out)
					if ferr != nil {
						return ferr
					}
					defer f.Close()
					if werr := rep.WriteMarkdown(f); werr != nil {
						return werr
					}
				}
			}
			if err != nil {
				return fmt.Errorf("bench: %w", err)
			}
			return nil
		},
	}
}
