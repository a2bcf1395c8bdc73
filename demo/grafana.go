package demo

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// writeGrafanaProvisioning writes Grafana provisioning files for the demo's
// Prometheus, ClickHouse (the register, quarantine and checkpoint panels
// read it through the grafana-clickhouse-datasource plugin) and dashboards,
// so that a Grafana started by the user shows them without clicking.
func writeGrafanaProvisioning(dir, prometheusURL, clickHouseDSN, dashboardsDir string) error {
	ch, err := url.Parse(clickHouseDSN)
	if err != nil {
		return fmt.Errorf("writing Grafana provisioning: ClickHouse address: %w", err)
	}
	files := map[string]string{
		"datasources/ccbench.yaml": fmt.Sprintf(`apiVersion: 1
datasources:
  - name: Prometheus
    uid: prometheus
    type: prometheus
    access: proxy
    url: %s
    isDefault: true
  - name: ClickHouse
    uid: clickhouse
    type: grafana-clickhouse-datasource
    jsonData:
      defaultDatabase: %s
      host: %s
      port: %s
      protocol: native
      secure: false
      username: default
`, prometheusURL, strings.TrimPrefix(ch.Path, "/"), ch.Hostname(), ch.Port()),
		"dashboards/ccbench.yaml": fmt.Sprintf(`apiVersion: 1
providers:
  - name: ccbench
    folder: ccbench
    type: file
    options:
      path: %s
`, dashboardsDir),
	}
	for name, content := range files {
		path := filepath.Join(dir, "provisioning", name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return fmt.Errorf("writing Grafana provisioning: %w", err)
		}
	}
	return nil
}
