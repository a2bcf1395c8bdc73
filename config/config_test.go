package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/ccbench/ccbench/kpi"
)

func TestSampleConfigLoads(t *testing.T) {
	c, err := Load("../deploy/ccbench.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(c.Institutions), 5; got != want {
		t.Errorf("institutions: got %d, want %d", got, want)
	}
	p := c.Params("sodra", "contact-centre", "facebook")
	if p.Threshold != 15*time.Minute {
		t.Errorf("facebook threshold: got %v, want 15m", p.Threshold)
	}
	if p := c.Params("sodra", "contact-centre", "email"); p.DeadlineDays != 5 || p.Calendar != "LT" {
		t.Errorf("email params: got %+v", p)
	}
	if tg, ok := c.TargetFor(kpi.FavourableShare, "vmi", "tax-information", "", "post_contact"); !ok || tg.Value != 0.89 {
		t.Errorf("vmi post_contact target: got %+v, %v", tg, ok)
	}
}

func TestValidationNamesFileAndKey(t *testing.T) {
	base := `
institutions:
  - {id: sodra, name: SODRA, country: LT, timezone: Europe/Vilnius}
`
	tests := []struct {
		name, yaml, want string
	}{
		{"bad timezone", "institutions:\n  - {id: x, name: X, country: LT, timezone: Mars/Olympus}\n", "cfg.yaml:2: institutions[0].timezone: unknown time zone"},
		{"duplicate institution", base + "  - {id: sodra, name: S, country: LT, timezone: Europe/Vilnius}\n", "institutions[1].id: duplicate"},
		{"unknown style", base + "sources:\n  - {name: s, style: ftp, institution: sodra, base_url: http://x}\n", "sources[0].style: unknown style \"ftp\""},
		{"unknown institution", base + "sources:\n  - {name: s, style: sodra, institution: nope, base_url: http://x}\n", "sources[0].institution: unknown institution"},
		{"relative url", base + "sources:\n  - {name: s, style: sodra, institution: sodra, base_url: /v1}\n", "sources[0].base_url"},
		{"credentials in the url", base + "sources:\n  - {name: s, style: sodra, institution: sodra, base_url: \"https://user:secret@x/\"}\n", "sources[0].base_url: must not hold credentials"},
		{"unknown kpi", base + "targets:\n  - {institution: sodra, kpi: happiness, value: 1}\n", "targets[0].kpi: unknown KPI \"happiness\""},
		{"unknown channel", base + "targets:\n  - {institution: sodra, kpi: service_level, channel: pigeon, value: 1}\n", "targets[0].channel"},
		{"bad method", base + "exporter: {sl_method: optimistic}\n", "exporter.sl_method"},
		{"password in dsn", "clickhouse: {dsn: \"clickhouse://u:secret@h:9000/db\"}\n", "clickhouse.dsn: holds a password"},
		{"unknown key", "clickhous: {}\n", "field clickhous not found"},
		{"unknown practice", base + "registers:\n  practices:\n    - {institution: sodra, country: LT, channels: [pigeon]}\n", "registers.practices[0]: not in the practice catalogue (kpi/practices.go): channels: pigeon"},
		{"share above 1", base + "targets:\n  - {institution: sodra, kpi: service_level, value: 95}\n", "targets[0].value: service_level is a share from 0 to 1"},
		{"negative target", base + "targets:\n  - {institution: sodra, kpi: asa_seconds, value: -1}\n", "targets[0].value: must not be negative"},
		{"reported not a number", base + "registers:\n  reported:\n    - {institution: sodra, kpi: service_level, period: \"2018\", value: .nan, source: report}\n", "registers.reported[0].value: want a number"},
		{"reported share above 1", base + "registers:\n  reported:\n    - {institution: sodra, kpi: service_level, period: \"2018\", value: 95, source: report}\n", "registers.reported[0].value: service_level is a share"},
		{"reported needs source", base + "registers:\n  reported:\n    - {institution: sodra, kpi: service_level, period: \"2018\", value: 0.9}\n", "registers.reported[0].source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), "cfg.yaml")
			if err == nil {
				t.Fatalf("no error, want one containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error leaks the password: %q", err)
			}
		})
	}
}

// TestEveryProblemAtOnce checks that a file with several problems reports
// them all, in file order, each with its file, line and key; the lines are
// those of the YAML below, counted by hand.
func TestEveryProblemAtOnce(t *testing.T) {
	yaml := `institutions:
  - id: sodra
    name: SODRA
    country: LT
    timezone: Mars/Olympus
sources:
  - name: s
    style: ftp
    institution: nope
    base_url: http://x
    pool_interval: 1m
targets:
  - {institution: sodra, kpi: happiness, value: 1}
`
	_, err := Parse([]byte(yaml), "cfg.yaml")
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("error %v (%T), want Errors", err, err)
	}
	want := []string{
		`cfg.yaml:5: institutions[0].timezone: unknown time zone "Mars/Olympus"`,
		`cfg.yaml:8: sources[0].style: unknown style "ftp" (want sodra, vmi or ind)`,
		`cfg.yaml:9: sources[0].institution: unknown institution "nope"`,
		`cfg.yaml:11: field pool_interval not found in type config.Source`,
		`cfg.yaml:13: targets[0].kpi: unknown KPI "happiness"`,
	}
	if len(es) != len(want) {
		t.Fatalf("%d problems, want %d:\n%v", len(es), len(want), err)
	}
	for i, w := range want {
		if got := es[i].Error(); !strings.HasPrefix(got, w) {
			t.Errorf("problem %d = %q, want it to start with %q", i, got, w)
		}
	}
	if !strings.HasPrefix(err.Error(), "5 problems in the configuration:") {
		t.Errorf("message %q does not say how many problems", err)
	}
}

func TestMissingKeyIsReportedAtItsParent(t *testing.T) {
	_, err := Parse([]byte("institutions:\n  - id: a\n    country: LT\n    timezone: UTC\n"), "c.yaml")
	if err == nil || !strings.Contains(err.Error(), "c.yaml:2: institutions[0].name: is required") {
		t.Errorf("error %v, want c.yaml:2: institutions[0].name: is required", err)
	}
}

func TestNotYAML(t *testing.T) {
	_, err := Parse([]byte("a: [1, 2\n"), "c.yaml")
	if err == nil || !strings.HasPrefix(err.Error(), "c.yaml:") {
		t.Errorf("error %v, want one naming c.yaml", err)
	}
}

func TestParamsDefaultsAndOverrides(t *testing.T) {
	c, err := Parse([]byte(`
institutions:
  - {id: a, name: A, country: LT, timezone: Europe/Vilnius}
targets:
  - {institution: a, kpi: service_level, value: 0.8, threshold: 30s}
  - {institution: a, channel: phone, kpi: service_level, value: 0.9, threshold: 10s, short_abandon: 3s}
`), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		channel             string
		threshold, shortAbn time.Duration
	}{
		{"phone", 10 * time.Second, 3 * time.Second}, // channel target wins over the general one
		{"chat", 30 * time.Second, 5 * time.Second},  // general target overrides the 60 s default
	}
	for _, tt := range tests {
		p := c.Params("a", "u", tt.channel)
		if p.Threshold != tt.threshold || p.ShortAbandon != tt.shortAbn {
			t.Errorf("%s: got T=%v S=%v, want T=%v S=%v", tt.channel, p.Threshold, p.ShortAbandon, tt.threshold, tt.shortAbn)
		}
	}
}

// The compose stack's configuration is the sample one with the services'
// host names: everything but the DSN and base URLs must agree.
func TestComposeConfigMatchesSample(t *testing.T) {
	sample, err := Load("../deploy/ccbench.yaml")
	if err != nil {
		t.Fatal(err)
	}
	compose, err := Load("../deploy/compose/ccbench.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*Config{sample, compose} {
		c.ClickHouse.DSN = ""
		c.path = ""
		for i := range c.Sources {
			c.Sources[i].BaseURL = ""
		}
	}
	a, _ := sample.Marshal()
	b, _ := compose.Marshal()
	if string(a) != string(b) {
		t.Errorf("deploy/compose/ccbench.yaml differs from deploy/ccbench.yaml beyond DSN and base URLs:\n%s\n---\n%s", a, b)
	}
}

func TestSecondsHorizon(t *testing.T) {
	day := 24 * time.Hour
	for _, tc := range []struct {
		windows []model.Duration
		want    time.Duration
	}{
		{nil, 0 + day},
		{[]model.Duration{model.Duration(time.Hour)}, time.Hour + day},
		{[]model.Duration{model.Duration(30 * day), model.Duration(5 * time.Minute), model.Duration(7 * day)}, 31 * day},
	} {
		if got := (Exporter{Windows: tc.windows}).SecondsHorizon(); got != tc.want {
			t.Errorf("windows %v: horizon %s, want %s", tc.windows, got, tc.want)
		}
	}
}
