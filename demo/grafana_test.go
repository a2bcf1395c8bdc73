package demo

import (
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestGrafanaProvisioning checks that the demo provisions both data
// sources, with the ClickHouse plugin pointed at the demo's server.
func TestGrafanaProvisioning(t *testing.T) {
	dir := t.TempDir()
	if err := writeGrafanaProvisioning(dir, "http://127.0.0.1:9090", "clickhouse://127.0.0.1:39000/ccbench", "/d"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "provisioning", "datasources", "ccbench.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Datasources []struct {
			Type     string         `yaml:"type"`
			URL      string         `yaml:"url"`
			JSONData map[string]any `yaml:"jsonData"`
		} `yaml:"datasources"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if len(f.Datasources) != 2 || f.Datasources[0].URL != "http://127.0.0.1:9090" {
		t.Fatalf("data sources %+v", f.Datasources)
	}
	ch := f.Datasources[1]
	if ch.Type != "grafana-clickhouse-datasource" || ch.JSONData["host"] != "127.0.0.1" || ch.JSONData["port"] != 39000 ||
		ch.JSONData["defaultDatabase"] != "ccbench" || ch.JSONData["protocol"] != "native" {
		t.Errorf("ClickHouse data source %+v", ch)
	}
}
