package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/report"
	"github.com/ccbench/ccbench/store"
)

func compareCommand() *cli.Command {
	return &cli.Command{
		Name:  "compare",
		Usage: "compute every KPI for a fixed window and compare institutions",
		Flags: []cli.Flag{
			configFlag(true),
			clickHouseWaitFlag(5 * time.Second),
			&cli.StringFlag{Name: "from", Required: true, Usage: "first local day, YYYY-MM-DD (in each institution's time zone)"},
			&cli.StringFlag{Name: "to", Required: true, Usage: "day after the last, YYYY-MM-DD (exclusive)"},
			&cli.StringFlag{Name: "by", Value: "total", Usage: "total, day or month"},
			&cli.StringFlag{Name: "as-of", Usage: "RFC3339 moment at which open cases are judged due (default: now), so that a report can be reproduced"},
			&cli.StringFlag{Name: "institutions", Usage: "comma-separated institution ids (default: all)"},
			&cli.StringFlag{Name: "kpis", Usage: "comma-separated KPI ids (default: all)"},
			&cli.StringFlag{Name: "sl-method", Usage: "service-level method: negative, ignore or positive (default: exporter.sl_method)"},
			&cli.StringFlag{Name: "format", Value: "table", Usage: "json or table"},
		},
		Action: func(c *cli.Context) error {
			q, err := compareQuery(c)
			if err != nil {
				return err
			}
			format := c.String("format")
			if format != "json" && format != "table" {
				return fmt.Errorf("--format: want json or table, got %q", format)
			}
			cfg, st, err := openConfiguredStore(c)
			if err != nil {
				return err
			}
			defer st.Close()
			rep, err := report.Build(c.Context, cfg, st, q)
			if err != nil {
				return err
			}
			if format == "json" {
				return report.WriteJSON(c.App.Writer, rep)
			}
			return report.WriteTable(c.App.Writer, rep)
		},
	}
}

func compareQuery(c *cli.Context) (report.Query, error) {
	var q report.Query
	var err error
	if q.From, err = time.Parse(time.DateOnly, c.String("from")); err != nil {
		return q, fmt.Errorf("--from: want YYYY-MM-DD, got %q", c.String("from"))
	}
	if q.To, err = time.Parse(time.DateOnly, c.String("to")); err != nil {
		return q, fmt.Errorf("--to: want YYYY-MM-DD, got %q", c.String("to"))
	}
	if !q.To.After(q.From) {
		return q, fmt.Errorf("--to %s must be after --from %s", c.String("to"), c.String("from"))
	}
	switch by := store.By(c.String("by")); by {
	case store.ByTotal, store.ByDay, store.ByMonth:
		q.By = by
	default:
		return q, fmt.Errorf("--by: want total, day or month, got %q", c.String("by"))
	}
	q.AsOf = time.Now()
	if s := c.String("as-of"); s != "" {
		if q.AsOf, err = time.Parse(time.RFC3339, s); err != nil {
			return q, fmt.Errorf("--as-of: want an RFC3339 time such as 2024-02-01T00:00:00Z, got %q", s)
		}
	}
	q.Institutions = splitList(c.String("institutions"))
	for _, s := range splitList(c.String("kpis")) {
		id, err := kpi.ParseID(s)
		if err != nil {
			return q, fmt.Errorf("--kpis: %w", err)
		}
		q.KPIs = append(q.KPIs, id)
	}
	if s := c.String("sl-method"); s != "" {
		if q.Method, err = kpi.ParseMethod(s); err != nil {
			return q, fmt.Errorf("--sl-method: %w", err)
		}
	}
	return q, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
