package servers_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ccbench/ccbench/servers"
	"github.com/ccbench/ccbench/servers/servertest"
	"gopkg.in/yaml.v3"
)

func TestAlertmanagerStartStop(t *testing.T) {
	am := servertest.Alertmanager(t, []byte("route:\n  receiver: nobody\nreceivers:\n  - name: nobody\n"))
	resp, err := http.Get(am.URL() + "/api/v2/status")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "nobody") {
		t.Fatalf("GET /api/v2/status: %s %s, want 200 and the receiver nobody", resp.Status, body)
	}
	if err := am.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(am.URL() + "/-/ready"); err == nil {
		t.Error("alertmanager still answers after Stop")
	}
}

func TestWithAlerting(t *testing.T) {
	got := servers.WithAlerting(servers.PrometheusConfig(0, nil), []string{"/r/a.yml"}, []string{"127.0.0.1:9093"})
	var cfg struct {
		RuleFiles []string `yaml:"rule_files"`
		Alerting  struct {
			Alertmanagers []struct {
				StaticConfigs []struct {
					Targets []string `yaml:"targets"`
				} `yaml:"static_configs"`
			} `yaml:"alertmanagers"`
		} `yaml:"alerting"`
	}
	if err := yaml.Unmarshal(got, &cfg); err != nil {
		t.Fatalf("does not parse: %v\n%s", err, got)
	}
	if len(cfg.RuleFiles) != 1 || cfg.RuleFiles[0] != "/r/a.yml" ||
		len(cfg.Alerting.Alertmanagers) != 1 || cfg.Alerting.Alertmanagers[0].StaticConfigs[0].Targets[0] != "127.0.0.1:9093" {
		t.Errorf("got %+v from\n%s", cfg, got)
	}
}
