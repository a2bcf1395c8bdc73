// Package compose holds the tests of deploy/compose: no container engine
// runs where ccbench is developed, so the compose file is checked by the
// Compose specification's schema (compose-go, the library docker compose
// itself uses) and by reading it, against the Prometheus and Grafana
// configuration it mounts and against the demo.
package compose

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"

	"github.com/ccbench/ccbench/alerts"
	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/dashboards"
)

// testEnv stands in for deploy/compose/.env.
var testEnv = map[string]string{
	"CCBENCH_CLICKHOUSE_PASSWORD": "p1",
	"GRAFANA_CLICKHOUSE_PASSWORD": "p2",
	"GRAFANA_ADMIN_PASSWORD":      "p3",
	"CCBENCH_SOURCE_TOKEN":        "t",
}

// load validates compose.yaml against the Compose schema and loads it
// with env as its environment.
func load(t *testing.T, env map[string]string) (*types.Project, error) {
	t.Helper()
	b, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	copied := map[string]string{}
	for k, v := range env {
		copied[k] = v
	}
	env = copied
	return loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  wd,
		ConfigFiles: []types.ConfigFile{{Filename: "compose.yaml", Content: b}},
		Environment: env,
	}, func(o *loader.Options) {
		o.SetProjectName("ccbench", true)
		o.SkipResolveEnvironment = true
	})
}

func project(t *testing.T) *types.Project {
	t.Helper()
	p, err := load(t, testEnv)
	if err != nil {
		t.Fatalf("compose.yaml does not load against the Compose schema: %v", err)
	}
	return p
}

func TestComposeFollowsTheSchema(t *testing.T) {
	p := project(t)
	var names []string
	for name := range p.Services {
		names = append(names, name)
	}
	sort.Strings(names)
	want := "alertmanager,clickhouse,collect,grafana,migrate,prometheus,register-load,serve,simulate-ind,simulate-sodra,simulate-vmi"
	if got := strings.Join(names, ","); got != want {
		t.Errorf("services %s, want %s", got, want)
	}
}

// Secrets come from the environment: without them the file must not load.
func TestComposeWantsSecretsFromTheEnvironment(t *testing.T) {
	for name := range testEnv {
		env := map[string]string{}
		for k, v := range testEnv {
			if k != name {
				env[k] = v
			}
		}
		if _, err := load(t, env); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("without %s: error %v, want one naming it", name, err)
		}
	}
}

var (
	exactTag = regexp.MustCompile(`^[a-z0-9./_-]+:v?\d+\.\d+\.\d+(\.\d+)?$`)
	fromLine = regexp.MustCompile(`(?m)^FROM\s+(\S+)`)
)

// TestImagesArePinned wants every image, and every base image of what
// compose builds, at an exact version.
func TestImagesArePinned(t *testing.T) {
	for name, s := range project(t).Services {
		switch {
		case s.Build != nil:
			b, err := os.ReadFile(filepath.Join(s.Build.Context, s.Build.Dockerfile))
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			froms := fromLine.FindAllStringSubmatch(string(b), -1)
			if len(froms) == 0 {
				t.Errorf("%s: %s has no FROM", name, s.Build.Dockerfile)
			}
			for _, f := range froms {
				if !exactTag.MatchString(f[1]) {
					t.Errorf("%s: base image %s is not pinned to an exact version", name, f[1])
				}
			}
		case !exactTag.MatchString(s.Image):
			t.Errorf("%s: image %q is not pinned to an exact version", name, s.Image)
		}
	}
}

// TestHealthchecks wants a healthcheck on every long-running service and
// dependencies that wait for health or completion.
func TestHealthchecks(t *testing.T) {
	p := project(t)
	for name, s := range p.Services {
		oneShot := s.Restart == "no"
		if !oneShot && (s.HealthCheck == nil || len(s.HealthCheck.Test) < 2 || s.HealthCheck.Disable) {
			t.Errorf("%s: no healthcheck", name)
		}
		for dep, d := range s.DependsOn {
			want := types.ServiceConditionHealthy
			if p.Services[dep].Restart == "no" {
				want = types.ServiceConditionCompletedSuccessfully
			}
			if d.Condition != want {
				t.Errorf("%s depends on %s with condition %q, want %q", name, dep, d.Condition, want)
			}
		}
	}
}

// TestClickHouseLogins: current ClickHouse images refuse network logins as
// default without a password, so the image must get a user and password
// (or CLICKHOUSE_SKIP_USER_SETUP=1), and ccbench must log in as that user.
func TestClickHouseLogins(t *testing.T) {
	p := project(t)
	env := p.Services["clickhouse"].Environment
	user := value(env, "CLICKHOUSE_USER")
	if value(env, "CLICKHOUSE_SKIP_USER_SETUP") != "1" && (user == "" || value(env, "CLICKHOUSE_PASSWORD") == "") {
		t.Fatalf("clickhouse: neither CLICKHOUSE_USER and CLICKHOUSE_PASSWORD nor CLICKHOUSE_SKIP_USER_SETUP=1")
	}
	cfg, err := config.Load("ccbench.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cfg.ClickHouse.DSN, "clickhouse://"+user+"@clickhouse:9000/"+value(env, "CLICKHOUSE_DB")) {
		t.Errorf("ccbench.yaml DSN %s, want user %s on clickhouse:9000/%s", cfg.ClickHouse.DSN, user, value(env, "CLICKHOUSE_DB"))
	}
	if got := value(p.Services["serve"].Environment, "CCBENCH_CLICKHOUSE_PASSWORD"); got != value(env, "CLICKHOUSE_PASSWORD") || got == "" {
		t.Errorf("ccbench's ClickHouse password %q differs from the server's", got)
	}
	// Grafana's read-only user is defined in the users.d file the server
	// mounts, with its password from the server's environment.
	b, err := os.ReadFile("clickhouse/grafana-user.xml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `<password from_env="GRAFANA_CLICKHOUSE_PASSWORD"/>`) || value(env, "GRAFANA_CLICKHOUSE_PASSWORD") == "" {
		t.Error("the grafana ClickHouse user does not take its password from GRAFANA_CLICKHOUSE_PASSWORD")
	}
}

func value(env types.MappingWithEquals, key string) string {
	if v := env[key]; v != nil {
		return *v
	}
	return ""
}

// TestGrafana checks the Grafana service against the dashboards and the
// provisioning it mounts.
func TestGrafana(t *testing.T) {
	p := project(t)
	g := p.Services["grafana"]
	// The SDK writes schemaVersion 42, which Grafana reads from 12.1.
	m := regexp.MustCompile(`:(\d+)\.(\d+)\.`).FindStringSubmatch(g.Image)
	if m == nil {
		t.Fatalf("grafana image %s", g.Image)
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	if major < 12 || (major == 12 && minor < 1) {
		t.Errorf("grafana %s cannot read schemaVersion 42 dashboards; want 12.1 or later", g.Image)
	}
	if got, want := value(g.Environment, "GF_PLUGINS_PREINSTALL_SYNC"), dashboards.ClickHouseType+"@"+dashboards.ClickHousePluginVersion; got != want {
		t.Errorf("grafana installs %q, want %q (the plugin version the dashboards' queries name)", got, want)
	}

	mounts := map[string]string{} // target → source relative to deploy/compose
	wd, _ := os.Getwd()
	for _, v := range g.Volumes {
		if v.Type == types.VolumeTypeBind {
			rel, _ := filepath.Rel(wd, v.Source)
			mounts[v.Target] = rel
		}
	}
	if mounts["/etc/grafana/provisioning"] != "../grafana/provisioning" {
		t.Errorf("grafana mounts %v, want ../grafana/provisioning at /etc/grafana/provisioning", mounts)
	}

	// Data sources.
	var ds struct {
		Datasources []struct {
			Name, Type, URL string
			JSONData        map[string]any    `yaml:"jsonData"`
			Secure          map[string]string `yaml:"secureJsonData"`
		}
	}
	readYAML(t, "../grafana/provisioning/datasources/ccbench.yaml", &ds)
	types := map[string]bool{}
	for _, d := range ds.Datasources {
		types[d.Type] = true
		switch d.Type {
		case "prometheus":
			if d.URL != "http://prometheus:9090" {
				t.Errorf("Prometheus data source URL %s, want the prometheus service", d.URL)
			}
		case dashboards.ClickHouseType:
			cfg, err := config.Load("ccbench.yaml")
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]any{"host": "clickhouse", "port": 9000, "protocol": "native", "username": "grafana",
				"defaultDatabase": cfg.ClickHouse.DSN[strings.LastIndex(cfg.ClickHouse.DSN, "/")+1:]}
			for k, v := range want {
				if d.JSONData[k] != v {
					t.Errorf("ClickHouse data source jsonData.%s = %v, want %v", k, d.JSONData[k], v)
				}
			}
			pw := d.Secure["password"]
			if !strings.HasPrefix(pw, "$") || value(g.Environment, strings.Trim(pw, "${}")) == "" {
				t.Errorf("ClickHouse data source password %q: want a reference to a variable of the grafana service's environment", pw)
			}
		}
	}
	if !types["prometheus"] || !types[dashboards.ClickHouseType] {
		t.Errorf("data sources %v, want prometheus and %s", types, dashboards.ClickHouseType)
	}

	// Dashboard provider: saves from the UI are refused exactly when the
	// dashboards are not editable.
	var prov struct {
		Providers []struct {
			AllowUIUpdates bool `yaml:"allowUiUpdates"`
			Options        struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		}
	}
	readYAML(t, "../grafana/provisioning/dashboards/ccbench.yaml", &prov)
	if len(prov.Providers) != 1 {
		t.Fatalf("dashboard providers %+v, want one", prov.Providers)
	}
	pr := prov.Providers[0]
	if mounts[pr.Options.Path] != "../grafana/dashboards" {
		t.Errorf("provider path %s is not where grafana mounts ../grafana/dashboards (%v)", pr.Options.Path, mounts)
	}
	files, _ := filepath.Glob("../grafana/dashboards/*.json")
	if len(files) != 7 {
		t.Errorf("%d committed dashboards, want 7", len(files))
	}
	for _, f := range files {
		var d struct {
			Editable bool `json:"editable"`
		}
		b, _ := os.ReadFile(f)
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		if d.Editable != pr.AllowUIUpdates {
			t.Errorf("%s: editable %v but the provider's allowUiUpdates %v", f, d.Editable, pr.AllowUIUpdates)
		}
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestPrometheusScrapesTheStack: Prometheus scrapes the exporter and the
// collector where compose runs them, under the job names the demo uses,
// and sends alerts to the Alertmanager service.
func TestPrometheusScrapesTheStack(t *testing.T) {
	p := project(t)
	var prom struct {
		Alerting struct {
			Alertmanagers []struct {
				StaticConfigs []struct{ Targets []string } `yaml:"static_configs"`
			}
		}
		ScrapeConfigs []struct {
			JobName       string                       `yaml:"job_name"`
			StaticConfigs []struct{ Targets []string } `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	readYAML(t, "../prometheus/prometheus.yml", &prom)
	jobs := map[string]string{}
	for _, sc := range prom.ScrapeConfigs {
		for _, s := range sc.StaticConfigs {
			for _, target := range s.Targets {
				jobs[sc.JobName] = target
			}
		}
	}
	// Where compose runs each: the service name and its listen port.
	listen := func(service string) string {
		cmd := p.Services[service].Command
		for i, a := range cmd {
			if a == "--web.listen-address" && i+1 < len(cmd) {
				return service + ":" + cmd[i+1][strings.LastIndex(cmd[i+1], ":")+1:]
			}
		}
		t.Errorf("%s has no --web.listen-address", service)
		return ""
	}
	// The demo's jobs: read from demo/demo.go, where it configures its
	// Prometheus.
	b, err := os.ReadFile("../../demo/demo.go")
	if err != nil {
		t.Fatal(err)
	}
	call := regexp.MustCompile(`PrometheusConfig\([^\n]*map\[string\]\[\]string\{([^\n]*)\}\)`).FindSubmatch(b)
	if call == nil {
		t.Fatal("demo/demo.go: no PrometheusConfig call with its jobs")
	}
	demoJobs := map[string]string{}
	for _, m := range regexp.MustCompile(`"([^"]+)": \{(\w+)\}`).FindAllSubmatch(call[1], -1) {
		demoJobs[string(m[1])] = string(m[2])
	}
	want := map[string]string{"ccbench": listen("serve"), "ccbench-collect": listen("collect")}
	for job, target := range want {
		if jobs[job] != target {
			t.Errorf("Prometheus job %s scrapes %q, want %q", job, jobs[job], target)
		}
		if _, ok := demoJobs[job]; !ok {
			t.Errorf("the demo has no job %s (its jobs: %v)", job, demoJobs)
		}
	}
	if len(jobs) != len(want) || len(demoJobs) != len(want) {
		t.Errorf("jobs %v and the demo's %v, want exactly %v", jobs, demoJobs, want)
	}
	am := prom.Alerting.Alertmanagers
	if len(am) != 1 || len(am[0].StaticConfigs) != 1 || strings.Join(am[0].StaticConfigs[0].Targets, ",") != "alertmanager:9093" {
		t.Errorf("alertmanagers %+v, want alertmanager:9093", am)
	}
}

// binds maps the bind mounts of a service: target in the container →
// source relative to deploy/compose.
func binds(t *testing.T, s types.ServiceConfig) map[string]string {
	t.Helper()
	wd, _ := os.Getwd()
	out := map[string]string{}
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeBind {
			rel, err := filepath.Rel(wd, v.Source)
			if err != nil {
				t.Fatal(err)
			}
			out[v.Target] = rel
		}
	}
	return out
}

// hostPath is where the file a container sees at path comes from, through
// the service's bind mounts ("" when no mount covers it).
func hostPath(mounts map[string]string, path string) string {
	best := ""
	for target := range mounts {
		if (path == target || strings.HasPrefix(path, target+"/")) && len(target) > len(best) {
			best = target
		}
	}
	if best == "" {
		return ""
	}
	return filepath.Join(mounts[best], strings.TrimPrefix(path, best))
}

// flagValue is the value of --name=value or --name value in a command.
func flagValue(cmd []string, name string) string {
	for i, a := range cmd {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
		if a == name && i+1 < len(cmd) {
			return cmd[i+1]
		}
	}
	return ""
}

// TestPrometheusLoadsTheRules: every rule file pattern of the Prometheus
// configuration matches, through the prometheus service's mounts, at
// least one file, and each file it matches parses as Prometheus parses
// rule files (rulefmt): a pattern that also matched the promtool test
// file or the Alertmanager configuration beside the rules would stop
// Prometheus from starting, and one that matched nothing would leave the
// stack without alerts. The Alertmanager service runs the configuration
// generated with the rules, whose inhibitions name alerts of those rules.
func TestPrometheusLoadsTheRules(t *testing.T) {
	p := project(t)
	var prom struct {
		RuleFiles []string `yaml:"rule_files"`
	}
	readYAML(t, "../prometheus/prometheus.yml", &prom)
	if len(prom.RuleFiles) == 0 {
		t.Fatal("prometheus.yml loads no rule files")
	}
	mounts := binds(t, p.Services["prometheus"])
	loaded := map[string]bool{} // alert names
	for _, pattern := range prom.RuleFiles {
		if !filepath.IsAbs(pattern) {
			pattern = filepath.Join(filepath.Dir(flagValue(p.Services["prometheus"].Command, "--config.file")), pattern)
		}
		host := hostPath(mounts, pattern)
		if host == "" {
			t.Errorf("rule files %s: no bind mount of the prometheus service holds them (%v)", pattern, mounts)
			continue
		}
		files, err := filepath.Glob(host)
		if err != nil || len(files) == 0 {
			t.Errorf("rule files %s (%s on the host) match no file: %v", pattern, host, err)
			continue
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := alerts.ValidateRules(b); err != nil {
				t.Errorf("%s, loaded by Prometheus as %s, is not a valid rule file: %v", f, pattern, err)
				continue
			}
			var rules struct {
				Groups []struct {
					Rules []struct{ Alert string }
				}
			}
			readYAML(t, f, &rules)
			for _, g := range rules.Groups {
				for _, r := range g.Rules {
					if r.Alert != "" {
						loaded[r.Alert] = true
					}
				}
			}
		}
	}
	if len(loaded) == 0 {
		t.Fatal("the rule files Prometheus loads hold no alert")
	}

	am := p.Services["alertmanager"]
	cfgPath := flagValue(am.Command, "--config.file")
	host := hostPath(binds(t, am), cfgPath)
	if host != filepath.Join("..", "prometheus", "rules", alerts.AlertmanagerFile) {
		t.Fatalf("alertmanager reads %s from %q, want the generated ../prometheus/rules/%s", cfgPath, host, alerts.AlertmanagerFile)
	}
	var amCfg struct {
		Route struct {
			Routes []any `yaml:"routes"`
		} `yaml:"route"`
		InhibitRules []struct {
			SourceMatchers []string `yaml:"source_matchers"`
		} `yaml:"inhibit_rules"`
	}
	readYAML(t, host, &amCfg)
	if len(amCfg.Route.Routes) == 0 || len(amCfg.InhibitRules) == 0 {
		t.Errorf("%s has %d routes and %d inhibit rules, want the generated routes and inhibitions", host, len(amCfg.Route.Routes), len(amCfg.InhibitRules))
	}
	names := regexp.MustCompile(`^alertname=~?"([^"]*)"$`)
	for _, r := range amCfg.InhibitRules {
		for _, m := range r.SourceMatchers {
			if sub := names.FindStringSubmatch(m); sub != nil {
				for _, a := range strings.Split(sub[1], "|") {
					if !loaded[a] {
						t.Errorf("%s inhibits on %s, which no loaded rule file defines", host, a)
					}
				}
			}
		}
	}
}
