package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccbench/ccbench/alerts"
)

func TestAlertsGenerate(t *testing.T) {
	out := t.TempDir()
	got, err := runApp(t, "alerts", "generate", "--config", "../../deploy/ccbench.yaml", "--out", out,
		"--grafana-url", "https://grafana.example", "--webhook-url", "http://127.0.0.1:9/hook")
	if err != nil {
		t.Fatalf("alerts generate: %v\n%s", err, got)
	}
	for _, want := range []string{
		"service_level of sodra/contact-centre/phone, target 0.95: budget 0.05, max burn 20: page 1h/5m ×10.5",
		"answer_rate of vmi/phone, target 0.8: budget 0.2, max burn 5: page 1h/5m ×3",
		"a 100% target leaves no error budget",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	for name, want := range map[string]string{
		alerts.RulesFile:        "https://grafana.example/d/ccbench-service-levels?var-institution=sodra&viewPanel=",
		alerts.TestsFile:        "rule_files:",
		alerts.AlertmanagerFile: "http://127.0.0.1:9/hook",
	} {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %q (%v)", name, want, err)
		}
	}
}
