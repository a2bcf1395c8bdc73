package dashboards

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"
)

// The rules of grafana/dashboard-linter (its default rule set plus
// uneditable-dashboard-rule), written as tests: the linter cannot be
// installed from the module proxy here. Exclusions live beside the
// dashboards in deploy/grafana/dashboards/.lint, in the linter's own
// format, each with its reason; an exclusion that no longer matches a
// finding fails the test, so none outlives its cause.

// lintFile is the linter's configuration file format.
type lintFile struct {
	Exclusions map[string]*struct {
		Reason  string `yaml:"reason"`
		Entries []struct {
			Reason    string `yaml:"reason"`
			Dashboard string `yaml:"dashboard"`
			Panel     string `yaml:"panel"`
			TargetIdx string `yaml:"targetIdx"`
		} `yaml:"entries"`
	} `yaml:"exclusions"`
}

// finding is one rule violation.
type finding struct {
	rule, dashboard, panel string
	target                 int // -1 when not about a target
	msg                    string
}

func (f finding) String() string {
	s := fmt.Sprintf("%s: dashboard %q", f.rule, f.dashboard)
	if f.panel != "" {
		s += fmt.Sprintf(", panel %q", f.panel)
	}
	if f.target >= 0 {
		s += fmt.Sprintf(", target %d", f.target)
	}
	return s + ": " + f.msg
}

// promqlParser parses PromQL with Prometheus's default options.
var promqlParser = parser.NewParser(parser.Options{})

// lintModel is the part of a dashboard the rules read.
type lintModel struct {
	Title      string `json:"title"`
	Editable   bool   `json:"editable"`
	Templating struct {
		List []lintVariable `json:"list"`
	} `json:"templating"`
	Panels []lintPanel `json:"panels"`
}

type lintVariable struct {
	Name       string `json:"name"`
	Label      string `json:"label"`
	Type       string `json:"type"`
	Query      any    `json:"query"`
	Multi      bool   `json:"multi"`
	AllValue   string `json:"allValue"`
	Refresh    int    `json:"refresh"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
}

func (v lintVariable) query() string { s, _ := v.Query.(string); return s }

type lintPanel struct {
	Type        string `json:"type"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Datasource  *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
		Overrides []struct {
			Properties []struct {
				ID    string `json:"id"`
				Value any    `json:"value"`
			} `json:"properties"`
		} `json:"overrides"`
	} `json:"fieldConfig"`
	Targets []struct {
		Expr       string `json:"expr"`
		Datasource *struct {
			Type string `json:"type"`
		} `json:"datasource"`
	} `json:"targets"`
	Panels []lintPanel `json:"panels"`
}

// Magic durations the linter substitutes for Grafana's interval variables;
// a range equal to rateIntervalMagic was written as $__rate_interval.
const rateIntervalMagic = 211*24*time.Hour + 12*time.Hour + 44*time.Minute + 22*time.Second

var intervalVars = map[string]string{
	"$__rate_interval": "211d12h44m22s",
	"$__interval":      "130d12h46m4s",
	"$__range":         "130d12h46m5s",
}

// expandForParse replaces Grafana's interval variables by magic durations,
// as the linter does, and leaves variables inside label values alone, so
// that the parsed selectors still say job=~"$job".
func expandForParse(expr string) string {
	for v, d := range intervalVars {
		expr = strings.ReplaceAll(expr, v, d)
	}
	return expr
}

// validUnits are Grafana's unit ids (the linter's list, abridged to the
// categories a benchmark may use).
var validUnits = strings.Fields(`none string short percent percentunit humidity dB hex0x hex sci locale
currencyUSD currencyGBP currencyEUR currencyJPY currencySEK currencyNOK currencyDKK currencyPLN currencyCZK currencyCHF
bytes decbytes bits decbits hertz ns µs ms s m h d dtdurationms dtdurations dthms dtdhms timeticks clockms clocks
dateTimeAsIso dateTimeAsIsoNoDateIfToday dateTimeAsUS dateTimeAsUSNoDateIfToday dateTimeAsLocal dateTimeAsLocalNoDateIfToday
dateTimeAsSystem dateTimeFromNow cps ops reqps rps wps iops cpm opm rpm wpm bool bool_yes_no bool_on_off`)

func has(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

var labelFunc = regexp.MustCompile(`^([a-z_]+)\((.+)\)$`)

// lint runs every rule on m.
func lint(m lintModel) []finding {
	var out []finding
	dash := func(rule, format string, args ...any) {
		out = append(out, finding{rule: rule, dashboard: m.Title, target: -1, msg: fmt.Sprintf(format, args...)})
	}
	var dsVars []lintVariable
	for _, v := range m.Templating.List {
		if v.Type == "datasource" {
			dsVars = append(dsVars, v)
		}
	}

	// template-datasource-rule
	if len(dsVars) == 0 {
		dash("template-datasource-rule", "no templated data source")
	}
	for _, v := range dsVars {
		specific := strings.ToLower(v.query()) + "_datasource"
		okName := v.Name == specific || (len(dsVars) == 1 && v.Name == "datasource")
		if !okName {
			dash("template-datasource-rule", "data source variable %q should be named %q", v.Name, specific)
		}
	}
	prom := len(dsVars) > 0 && dsVars[0].query() == "prometheus"

	// template-job-rule, template-instance-rule
	if prom {
		for _, name := range []string{"job", "instance"} {
			rule := "template-" + name + "-rule"
			var v *lintVariable
			for i := range m.Templating.List {
				if m.Templating.List[i].Name == name {
					v = &m.Templating.List[i]
				}
			}
			switch {
			case v == nil:
				dash(rule, "missing the %s template", name)
			case v.Datasource == nil || !has([]string{"$datasource", "${datasource}", "$prometheus_datasource", "${prometheus_datasource}"}, v.Datasource.UID):
				dash(rule, "%s template should use datasource $datasource", name)
			case v.Type != "query":
				dash(rule, "%s template should be a Prometheus query, is %s", name, v.Type)
			case v.Label != strings.ToUpper(name[:1])+name[1:]:
				dash(rule, "%s template label %q", name, v.Label)
			case !v.Multi:
				dash(rule, "%s template should be a multi select", name)
			case v.AllValue != ".+":
				dash(rule, "%s template allValue should be '.+', is %q", name, v.AllValue)
			}
		}
	}

	for _, v := range m.Templating.List {
		if v.Type != "query" {
			continue
		}
		// template-on-time-change-reload
		if v.Refresh != 2 {
			dash("template-on-time-change-reload", "variable %s refresh %d, want 2 (on time range change)", v.Name, v.Refresh)
		}
		// template-label-promql-rule
		if prom {
			tok := labelFunc.FindStringSubmatch(v.query())
			if tok == nil || !has([]string{"label_names", "label_values", "metrics", "query_result"}, tok[1]) {
				dash("template-label-promql-rule", "variable %s: invalid query %q", v.Name, v.query())
				continue
			}
			arg := tok[2]
			if tok[1] == "label_values" {
				if i := strings.LastIndex(arg, ","); i >= 0 {
					arg = arg[:i]
				}
			}
			if _, err := promqlParser.ParseExpr(expandForParse(arg)); err != nil {
				dash("template-label-promql-rule", "variable %s: %v", v.Name, err)
			}
		}
	}

	// uneditable-dashboard-rule
	if m.Editable {
		dash("uneditable-dashboard-rule", "is editable, it should be set to 'editable: false'")
	}

	for _, p := range flatten(m.Panels) {
		pan := func(rule, format string, args ...any) {
			out = append(out, finding{rule: rule, dashboard: m.Title, panel: p.Title, target: -1, msg: fmt.Sprintf(format, args...)})
		}
		// panel-datasource-rule
		ok := false
		for _, v := range dsVars {
			if p.Datasource != nil && (p.Datasource.UID == "$"+v.Name || p.Datasource.UID == "${"+v.Name+"}") {
				ok = true
			}
		}
		if !ok {
			pan("panel-datasource-rule", "does not use a templated data source: %+v", p.Datasource)
		}
		// panel-title-description-rule
		if strings.TrimSpace(p.Title) == "" || strings.TrimSpace(p.Description) == "" {
			pan("panel-title-description-rule", "missing title or description")
		}
		// panel-units-rule
		if has([]string{"stat", "singlestat", "graph", "table", "timeseries", "gauge", "bargauge"}, p.Type) && !has(validUnits, p.FieldConfig.Defaults.Unit) {
			pan("panel-units-rule", "no or invalid unit %q", p.FieldConfig.Defaults.Unit)
		}
		for _, o := range p.FieldConfig.Overrides {
			for _, prop := range o.Properties {
				if u, isString := prop.Value.(string); prop.ID == "unit" && (!isString || !has(validUnits, u)) {
					pan("panel-units-rule", "invalid unit %v in an override", prop.Value)
				}
			}
		}
		// panel-no-targets-rule
		if len(p.Targets) == 0 {
			pan("panel-no-targets-rule", "has no targets")
		}
		if !prom {
			continue
		}
		for i, t := range p.Targets {
			if t.Datasource == nil || t.Datasource.Type != "prometheus" {
				continue // the linter has no rules for other data sources
			}
			tgt := func(rule, format string, args ...any) {
				out = append(out, finding{rule: rule, dashboard: m.Title, panel: p.Title, target: i, msg: fmt.Sprintf(format, args...)})
			}
			node, err := promqlParser.ParseExpr(expandForParse(t.Expr))
			if err != nil {
				// target-promql-rule
				tgt("target-promql-rule", "invalid PromQL %q: %v", t.Expr, err)
				continue
			}
			lintTarget(node, tgt)
		}
	}
	return out
}

// lintTarget applies the target rules to a parsed PromQL expression.
func lintTarget(node parser.Expr, tgt func(rule, format string, args ...any)) {
	// target-job-rule, target-instance-rule
	for _, sel := range parser.ExtractSelectors(node) {
		for _, name := range []string{"job", "instance"} {
			found := false
			for _, m := range sel {
				if m.Name == name && m.Type == labels.MatchRegexp && m.Value == "$"+name {
					found = true
				}
			}
			if !found {
				tgt("target-"+name+"-rule", "a selector lacks %s=~\"$%s\": %v", name, name, sel)
			}
		}
	}
	parser.Inspect(node, func(n parser.Node, path []parser.Node) error {
		switch n := n.(type) {
		case *parser.MatrixSelector:
			// target-rate-interval-rule
			if n.Range != rateIntervalMagic && len(path) > 0 {
				if call, ok := path[len(path)-1].(*parser.Call); ok && (call.Func.Name == "rate" || call.Func.Name == "irate") {
					tgt("target-rate-interval-rule", "%s should use $__rate_interval", call)
				}
			}
		case *parser.VectorSelector:
			// target-counter-agg-rule
			if strings.HasSuffix(n.Name, "_total") {
				ok := len(path) >= 2
				if ok {
					_, ok = path[len(path)-1].(*parser.MatrixSelector)
				}
				if ok {
					call, isCall := path[len(path)-2].(*parser.Call)
					ok = isCall && has([]string{"rate", "irate", "increase"}, call.Func.Name)
				}
				if !ok {
					tgt("target-counter-agg-rule", "counter %s is not aggregated with rate, irate or increase", n.Name)
				}
			}
		}
		return nil
	})
}

func flatten(ps []lintPanel) []lintPanel {
	var out []lintPanel
	for _, p := range ps {
		if p.Type != "row" {
			out = append(out, p)
		}
		out = append(out, flatten(p.Panels)...)
	}
	return out
}

// lintDir is where the dashboards and the exclusions are committed.
var lintDir = filepath.Join("..", "deploy", "grafana", "dashboards")

func loadExclusions(t *testing.T) lintFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(lintDir, ".lint"))
	if err != nil {
		t.Fatalf("read the linter's exclusions: %v", err)
	}
	var f lintFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("parse %s/.lint: %v", lintDir, err)
	}
	for rule, ex := range f.Exclusions {
		if ex == nil || strings.TrimSpace(ex.Reason) == "" {
			t.Errorf(".lint: the exclusion of %s gives no reason", rule)
		}
	}
	return f
}

// excluded reports which exclusion entry (rule/index) covers f, if any.
func (lf lintFile) excluded(f finding) (string, bool) {
	ex := lf.Exclusions[f.rule]
	if ex == nil {
		return "", false
	}
	for i, e := range ex.Entries {
		if e.Dashboard != f.dashboard || (e.Panel != "" && e.Panel != f.panel) {
			continue
		}
		if e.TargetIdx != "" && strconv.Itoa(f.target) != e.TargetIdx {
			continue
		}
		return fmt.Sprintf("%s/%d", f.rule, i), true
	}
	return "", false
}

// TestDashboardLinterRules runs the rules on every generated dashboard.
func TestDashboardLinterRules(t *testing.T) {
	exclusions := loadExclusions(t)
	used := map[string]bool{}
	total := 0
	for _, d := range generateAll(t) {
		var m lintModel
		if err := json.Unmarshal(d.JSON, &m); err != nil {
			t.Fatalf("%s: %v", d.UID, err)
		}
		for _, f := range lint(m) {
			total++
			if key, ok := exclusions.excluded(f); ok {
				used[key] = true
				continue
			}
			t.Error(f)
		}
	}
	for rule, ex := range exclusions.Exclusions {
		for i, e := range ex.Entries {
			if !used[fmt.Sprintf("%s/%d", rule, i)] {
				t.Errorf(".lint: exclusion %s for dashboard %q panel %q matches no finding; remove it", rule, e.Dashboard, e.Panel)
			}
		}
	}
	t.Logf("%d findings, all excluded with a reason", total)
}

// TestLinterRulesCatchViolations shows that the rules fail on what the
// linter reported on the former dashboards.
func TestLinterRulesCatchViolations(t *testing.T) {
	m := lintModel{Title: "old", Editable: true}
	m.Templating.List = []lintVariable{{Name: "datasource", Type: "datasource", Query: "prometheus"}}
	m.Panels = []lintPanel{{Type: "timeseries", Title: "p", Description: "d"}}
	m.Panels[0].Datasource = &struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	}{"prometheus", "${datasource}"}
	m.Panels[0].FieldConfig.Defaults.Unit = "percentunit"
	m.Panels[0].Targets = append(m.Panels[0].Targets, struct {
		Expr       string `json:"expr"`
		Datasource *struct {
			Type string `json:"type"`
		} `json:"datasource"`
	}{Expr: `sum(rate(x_total{institution=~"$institution"}[5m])) + y_total`, Datasource: &struct {
		Type string `json:"type"`
	}{"prometheus"}})
	got := map[string]bool{}
	for _, f := range lint(m) {
		got[f.rule] = true
	}
	for _, rule := range []string{"template-job-rule", "template-instance-rule", "uneditable-dashboard-rule",
		"target-job-rule", "target-instance-rule", "target-rate-interval-rule", "target-counter-agg-rule"} {
		if !got[rule] {
			t.Errorf("%s did not fire", rule)
		}
	}
}
