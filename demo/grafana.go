package demo

import (
	"fmt"
	"os"
	"path/filepath"
)

// writeGrafanaProvisioning writes Grafana provisioning files for the demo's
// Prometheus and dashboards, so that a Grafana started by the user (see
// deploy/docker-compose.yml) shows them without clicking.
func writeGrafanaProvisioning(dir, prometheusURL, dashboardsDir string) error {
	files := map[string]string{
		"datasources/ccbench.yaml": fmt.Sprintf(`apiVersion: 1
datasources:
  - name: Prometheus
    uid: prometheus
    type: prometheus
    access: proxy
    url: %s
    isDefault: true
`, prometheusURL),
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
