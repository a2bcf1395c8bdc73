// Package dashboards generates ccbench's Grafana dashboards from the
// configuration and the KPI catalogue with the Grafana Foundation SDK: a
// folder of seven dashboards that link to each other, one JSON file each.
// Every KPI fact (title, help, unit, direction, metric, per method, per
// instrument, sampled, scope) comes from kpi.Definition; every rollup is
// computed from summed numerators and denominators; Prometheus panels read
// the exporter and the collector, ClickHouse panels read the registers,
// the quarantine and the checkpoints through Grafana's ClickHouse plugin.
package dashboards

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/ccbench/ccbench/config"
)

// Dashboard is one generated dashboard.
type Dashboard struct {
	UID      string
	Title    string
	FileName string // base name of its JSON file, e.g. ccbench-institutions.json
	JSON     []byte // the dashboard model Grafana imports
}

// spec is one dashboard of the set: its identity and its builder.
type spec struct {
	uid, title string
	build      func(cfg *config.Config, uid, title string) *dashboard.DashboardBuilder
}

// specs lists every dashboard ccbench generates, in order. A new dashboard
// is a new entry here and a builder function in its own file.
func specs() []spec {
	return []spec{
		{uid: "ccbench-overview", title: "Benchmark overview", build: overview},
		{uid: "ccbench-service-levels", title: "Service levels over time", build: serviceLevels},
		{uid: "ccbench-written", title: "Written channels and deadlines", build: written},
		{uid: "ccbench-satisfaction", title: "Satisfaction and feedback", build: satisfaction},
		{uid: "ccbench-practices", title: "Good practices", build: practices},
		{uid: "ccbench-before-after", title: "Before and after", build: beforeAfter},
		{uid: "ccbench-pipeline", title: "Pipeline health", build: pipeline},
	}
}

// Generate builds every dashboard for cfg.
func Generate(cfg *config.Config) ([]Dashboard, error) {
	if cfg == nil {
		return nil, fmt.Errorf("generate dashboards: no configuration")
	}
	var out []Dashboard
	for _, s := range specs() {
		d, err := s.build(cfg, s.uid, s.title).Build()
		if err != nil {
			return nil, fmt.Errorf("generate dashboard %s: %w", s.uid, err)
		}
		js, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("generate dashboard %s: encode JSON: %w", s.uid, err)
		}
		out = append(out, Dashboard{UID: s.uid, Title: s.title, FileName: s.uid + ".json", JSON: append(js, '\n')})
	}
	return out, nil
}

// WriteAll writes every dashboard to dir/<FileName>, creating dir if
// needed. Each file is written to a temporary name first and renamed, so
// Grafana's file provisioner never reads half a file.
func WriteAll(dir string, ds []Dashboard) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write dashboards: %w", err)
	}
	for _, d := range ds {
		if d.FileName == "" || filepath.Base(d.FileName) != d.FileName {
			return fmt.Errorf("write dashboard %s: bad file name %q", d.UID, d.FileName)
		}
		path := filepath.Join(dir, d.FileName)
		tmp, err := os.CreateTemp(dir, "."+d.FileName+".*")
		if err != nil {
			return fmt.Errorf("write dashboard %s: %w", d.UID, err)
		}
		_, werr := tmp.Write(d.JSON)
		cerr := tmp.Close()
		if werr == nil {
			werr = cerr
		}
		if werr == nil {
			werr = os.Chmod(tmp.Name(), 0o644)
		}
		if werr == nil {
			werr = os.Rename(tmp.Name(), path)
		}
		if werr != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("write dashboard %s to %s: %w", d.UID, path, werr)
		}
	}
	return nil
}
