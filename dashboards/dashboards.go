// Package dashboards generates ccbench's Grafana dashboards from the
// configuration with the Grafana Foundation SDK: one JSON file per
// dashboard, every panel described from the KPI catalogue, every rollup
// computed from summed numerators and denominators.
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
	build      func(cfg *config.Config, uid, title string) (*dashboard.DashboardBuilder, error)
}

// specs lists every dashboard ccbench generates, in order. A new dashboard
// is a new entry here and a builder function in its own file.
func specs() []spec {
	return []spec{
		{uid: "ccbench-institutions", title: "Institution comparison", build: institutions},
		{uid: "ccbench-quality", title: "Written answers and satisfaction", build: quality},
	}
}

// Generate builds every dashboard for cfg.
func Generate(cfg *config.Config) ([]Dashboard, error) {
	if cfg == nil {
		return nil, fmt.Errorf("generate dashboards: no configuration")
	}
	var out []Dashboard
	for _, s := range specs() {
		b, err := s.build(cfg, s.uid, s.title)
		if err != nil {
			return nil, fmt.Errorf("generate dashboard %s: %w", s.uid, err)
		}
		d, err := b.Build()
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
