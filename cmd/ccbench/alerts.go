package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ccbench/ccbench/alerts"
	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/dashboards"
	"github.com/ccbench/ccbench/kpi"
)

func alertsCommand() *cli.Command {
	return &cli.Command{
		Name:  "alerts",
		Usage: "generate Prometheus alerting rules, their promtool tests and an Alertmanager configuration from the targets",
		Description: `Example:
   ccbench alerts generate --config.file deploy/ccbench.yaml --out /etc/prometheus/ccbench`,
		Subcommands: []*cli.Command{{
			Name:  "generate",
			Usage: "write " + alerts.RulesFile + ", " + alerts.TestsFile + " and " + alerts.AlertmanagerFile + " into a directory",
			Description: `Writes the rules, their promtool test cases and an Alertmanager configuration; check them with
promtool check rules, promtool test rules and amtool check-config.

Example:
   ccbench alerts generate --config.file deploy/ccbench.yaml --out alerts-out --grafana-url https://grafana.example.org`,
			Flags: []cli.Flag{
				configFlag(true),
				&cli.StringFlag{Name: "out", Value: "alerts-out", Usage: "output directory"},
				&cli.StringFlag{Name: "grafana-url", Value: "http://localhost:3000", Usage: "Grafana base URL for the dashboard links in annotations"},
				&cli.StringFlag{Name: "runbook-url", Value: alerts.DefaultRunbookURL, Usage: "page holding the alert catalogue; each alert links to its heading"},
				&cli.StringFlag{Name: "webhook-url", Usage: "webhook every Alertmanager receiver notifies (empty: receivers without integrations)"},
				&cli.IntFlag{Name: "min-events", Value: 20, Usage: "low-traffic guard: events a KPI alert needs in its window"},
				&cli.DurationFlag{Name: "threshold-for", Value: alerts.DefaultThresholdFor, Usage: "how long a KPI must miss its target before the threshold alert fires"},
				&cli.StringFlag{Name: "exporter-job", Value: "ccbench", Usage: "Prometheus job scraping ccbench serve"},
				&cli.StringFlag{Name: "collector-job", Value: "ccbench-collect", Usage: "Prometheus job scraping ccbench collect --web.listen-address (empty: the collector is not scraped; the feed, quarantine and collector-down alerts, which read its metrics, are left out)"},
				&cli.IntFlag{Name: "stale-intervals", Value: 3, Usage: "poll (refresh) intervals without success before a feed (the exporter) is stale"},
				&cli.DurationFlag{Name: "min-stale", Value: 5 * time.Minute, Usage: "least time without success before a feed or the exporter is stale"},
			},
			Action: func(c *cli.Context) error {
				cfg, err := loadConfig(c)
				if err != nil {
					return err
				}
				panel, err := dashboardPanels(cfg)
				if err != nil {
					return err
				}
				res, err := alerts.Generate(alerts.Options{
					Config:       cfg,
					Panel:        panel,
					GrafanaURL:   c.String("grafana-url"),
					RunbookURL:   c.String("runbook-url"),
					WebhookURL:   c.String("webhook-url"),
					MinEvents:    c.Int("min-events"),
					ThresholdFor: c.Duration("threshold-for"),

					StaleIntervals: c.Int("stale-intervals"),
					MinStale:       c.Duration("min-stale"),
					ExporterJob:    c.String("exporter-job"),
					CollectorJob:   c.String("collector-job"),
					NoCollectorJob: c.String("collector-job") == "",
				})
				if err != nil {
					return err
				}
				out := c.String("out")
				if err := res.Write(out); err != nil {
					return err
				}
				w := c.App.Writer
				for _, name := range []string{alerts.RulesFile, alerts.TestsFile, alerts.AlertmanagerFile} {
					fmt.Fprintf(w, "wrote %s\n", filepath.Join(out, name))
				}
				fmt.Fprintln(w, "burn-rate factors:")
				for _, f := range alerts.Factors(res.Targets) {
					fmt.Fprintf(w, "  %s\n", f)
				}
				for _, n := range res.Notes {
					fmt.Fprintf(w, "note: %s\n", n)
				}
				return nil
			},
		}},
	}
}

// dashboardPanels finds, in the dashboards `ccbench dashboards generate`
// writes for cfg, the panel each KPI's alerts link to.
func dashboardPanels(cfg *config.Config) (func(kpi.Definition) (string, string), error) {
	ds, err := dashboards.Generate(cfg)
	if err != nil {
		return nil, err
	}
	models := map[string][]byte{}
	for _, d := range ds {
		models[d.UID] = d.JSON
	}
	return alerts.PanelsFromDashboards(models)
}
