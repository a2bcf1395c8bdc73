package demo

import (
	"context"
	"io"
	"path/filepath"

	"github.com/ccbench/ccbench/alerts"
	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/dashboards"
	"github.com/ccbench/ccbench/servers"
)

// startAlerting generates the alerting rules and the Alertmanager
// configuration of the running configuration into <dir>/alerts and starts
// Alertmanager in <dir>/alertmanager; it returns the server and the rule
// file for Prometheus.
func startAlerting(ctx context.Context, o Options, run *config.Config, ds []dashboards.Dashboard, dir string, logFile func(string) (io.Writer, error)) (*servers.Alertmanager, string, error) {
	thresholdFor := o.ThresholdFor
	if thresholdFor == 0 {
		thresholdFor = DefaultThresholdFor
	}
	models := map[string][]byte{}
	for _, d := range ds {
		models[d.UID] = d.JSON
	}
	panel, err := alerts.PanelsFromDashboards(models)
	if err != nil {
		return nil, "", err
	}
	res, err := alerts.Generate(alerts.Options{Config: run, ThresholdFor: thresholdFor, Panel: panel})
	if err != nil {
		return nil, "", err
	}
	for _, n := range res.Notes {
		o.Logger.Info("alert rules", "note", n)
	}
	alertsDir := filepath.Join(dir, "alerts")
	if err := res.Write(alertsDir); err != nil {
		return nil, "", err
	}
	w, err := logFile("alertmanager")
	if err != nil {
		return nil, "", err
	}
	o.Logger.Info("starting Alertmanager", "dir", filepath.Join(dir, "alertmanager"))
	am, err := servers.StartAlertmanager(ctx, filepath.Join(dir, "alertmanager"), res.Alertmanager, w)
	if err != nil {
		return nil, "", err
	}
	return am, filepath.Join(alertsDir, alerts.RulesFile), nil
}
