package dashboards

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/servers/servertest"
)

const testConfig = `
exporter:
  sl_method: ignore
institutions:
  - {id: sodra, name: SODRA, country: LT, timezone: Europe/Vilnius}
  - {id: vmi, name: VMI, country: LT, timezone: Europe/Vilnius}
  - {id: ind, name: IND, country: NL, timezone: Europe/Amsterdam}
targets:
  - {institution: sodra, kpi: service_level, value: 0.95}
  - {institution: vmi, channel: phone, kpi: service_level, value: 0.8}
  - {institution: sodra, kpi: abandon_rate, value: 0.05}
  - {institution: sodra, channel: phone, kpi: abandon_rate, value: 0.03}
`

func loadConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(testConfig), "test.yaml")
	if err != nil {
		t.Fatalf("parse test configuration: %v", err)
	}
	return cfg
}

// wantUIDs are the seven dashboards, in order.
var wantUIDs = []string{
	"ccbench-overview", "ccbench-service-levels", "ccbench-written", "ccbench-satisfaction",
	"ccbench-practices", "ccbench-before-after", "ccbench-pipeline",
}

// generateAll returns the dashboards Generate makes for the test
// configuration, checking that they are the seven.
func generateAll(t *testing.T) []Dashboard {
	t.Helper()
	ds, err := Generate(loadConfig(t))
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	var uids []string
	for _, d := range ds {
		uids = append(uids, d.UID)
	}
	if got, want := strings.Join(uids, ","), strings.Join(wantUIDs, ","); got != want {
		t.Fatalf("Generate returned dashboards %s, want %s", got, want)
	}
	return ds
}

// generate returns dashboard uid.
func generate(t *testing.T, uid string) Dashboard {
	t.Helper()
	for _, d := range generateAll(t) {
		if d.UID == uid {
			return d
		}
	}
	t.Fatalf("no dashboard %s", uid)
	return Dashboard{}
}

func TestMain(m *testing.M) {
	// The SDK needs its panel and query types registered to decode panels.
	plugins.RegisterDefaultPlugins()
	servertest.Main(m)
}

// normalise decodes JSON into generic values, so that two encodings
// compare by content.
func normalise(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode JSON: %v", err)
	}
	return v
}

// TestDashboardsDecodeWithoutLoss decodes every dashboard into the SDK's
// dashboard type and encodes it again: nothing may be lost or changed,
// ClickHouse queries (the SDK's unknown data query variant) included.
func TestDashboardsDecodeWithoutLoss(t *testing.T) {
	for _, d := range generateAll(t) {
		var model dashboard.Dashboard
		if err := json.Unmarshal(d.JSON, &model); err != nil {
			t.Errorf("%s: decode with the SDK's dashboard.Dashboard: %v", d.UID, err)
			continue
		}
		again, err := json.MarshalIndent(model, "", "  ")
		if err != nil {
			t.Errorf("%s: encode again: %v", d.UID, err)
			continue
		}
		if !reflect.DeepEqual(normalise(t, d.JSON), normalise(t, again)) {
			t.Errorf("%s: decoding and encoding again changes the dashboard:\n%s", d.UID, firstDifference(d.JSON, append(again, '\n')))
		}
		if model.Uid == nil || *model.Uid != d.UID || model.Title == nil || *model.Title != d.Title {
			t.Errorf("%s: decoded uid/title = %v/%v", d.UID, model.Uid, model.Title)
		}
		if model.Editable == nil || *model.Editable {
			t.Errorf("%s: editable = %v, want false (provisioned from files)", d.UID, model.Editable)
		}
		if model.SchemaVersion != grafanaSchemaVersion {
			t.Errorf("%s: schemaVersion %d, want %d (deploy/compose's Grafana accepts it)", d.UID, model.SchemaVersion, grafanaSchemaVersion)
		}
	}
}

// grafanaSchemaVersion is the dashboard schema version the SDK writes; the
// Grafana pinned in deploy/compose must understand it.
const grafanaSchemaVersion = 42

func firstDifference(a, b []byte) string {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; i < len(la) && i < len(lb); i++ {
		if !bytes.Equal(la[i], lb[i]) {
			return "line " + strconv.Itoa(i+1) + ":\n  generated: " + string(la[i]) + "\n  decoded:   " + string(lb[i])
		}
	}
	return "lengths differ"
}

// panelModel is what every panel must carry.
type panelModel struct {
	Type        string `json:"type"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Datasource  *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	FieldConfig struct {
		Defaults struct {
			Unit     string   `json:"unit"`
			Decimals *float64 `json:"decimals"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Targets []map[string]any `json:"targets"`
	Panels  []panelModel     `json:"panels"`
}

type dashboardModel struct {
	Title      string       `json:"title"`
	Editable   bool         `json:"editable"`
	Panels     []panelModel `json:"panels"`
	Templating struct {
		List []variableModel `json:"list"`
	} `json:"templating"`
	Links []struct {
		Type string   `json:"type"`
		Tags []string `json:"tags"`
	} `json:"links"`
}

type variableModel struct {
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

func decodeModel(t *testing.T, d Dashboard) dashboardModel {
	t.Helper()
	var m dashboardModel
	if err := json.Unmarshal(d.JSON, &m); err != nil {
		t.Fatalf("%s: %v", d.UID, err)
	}
	return m
}

// panels returns the panels of m that are not rows, rows' panels included.
func (m dashboardModel) panels() []panelModel {
	var out []panelModel
	var walk func([]panelModel)
	walk = func(ps []panelModel) {
		for _, p := range ps {
			if p.Type != "row" {
				out = append(out, p)
			}
			walk(p.Panels)
		}
	}
	walk(m.Panels)
	return out
}

// TestEveryPanelIsComplete checks that every panel has a title, a
// description, a data source, at least one query of that data source's
// kind, a unit and decimals.
func TestEveryPanelIsComplete(t *testing.T) {
	for _, d := range generateAll(t) {
		m := decodeModel(t, d)
		if len(m.panels()) == 0 {
			t.Errorf("%s has no panels", d.UID)
		}
		for _, p := range m.panels() {
			where := d.UID + "/" + p.Title
			switch {
			case p.Title == "":
				t.Errorf("%s: a panel has no title", d.UID)
			case len(p.Description) < 40:
				t.Errorf("%s: description %q is missing or too short", where, p.Description)
			case p.Datasource == nil || (p.Datasource.UID != "${datasource}" && p.Datasource.UID != "${clickhouse}"):
				t.Errorf("%s: datasource %+v, want one of the dashboard's data source variables", where, p.Datasource)
			case p.FieldConfig.Defaults.Unit == "":
				t.Errorf("%s: no unit", where)
			case p.FieldConfig.Defaults.Decimals == nil:
				t.Errorf("%s: no decimals", where)
			case len(p.Targets) == 0:
				t.Errorf("%s: no query", where)
			}
			for _, q := range p.Targets {
				ds, _ := q["datasource"].(map[string]any)
				switch typ, _ := ds["type"].(string); typ {
				case prometheusType:
					if e, _ := q["expr"].(string); e == "" {
						t.Errorf("%s/%v: Prometheus query without expr", where, q["refId"])
					}
				case ClickHouseType:
					// The plugin's query model.
					want := map[string]any{"editorType": "sql", "pluginVersion": ClickHousePluginVersion}
					for k, v := range want {
						if q[k] != v {
							t.Errorf("%s/%v: %s = %v, want %v", where, q["refId"], k, q[k], v)
						}
					}
					sql, _ := q["rawSql"].(string)
					qt, _ := q["queryType"].(string)
					f, ok := q["format"].(float64)
					if sql == "" || !ok || (qt != "table" && qt != "timeseries") || (qt == "table") != (f == 1) {
						t.Errorf("%s/%v: rawSql %q, format %v, queryType %q: want SQL, format 1 table or 0 timeseries", where, q["refId"], sql, q["format"], qt)
					}
				default:
					t.Errorf("%s/%v: query data source %v", where, q["refId"], q["datasource"])
				}
			}
		}
		if len(m.Links) != 1 || m.Links[0].Type != "dashboards" || len(m.Links[0].Tags) != 1 || m.Links[0].Tags[0] != Tag {
			t.Errorf("%s: links %+v, want the dropdown of dashboards tagged %s", d.UID, m.Links, Tag)
		}
	}
}

// TestVariables checks every dashboard's template variables.
func TestVariables(t *testing.T) {
	for _, d := range generateAll(t) {
		m := decodeModel(t, d)
		vars := map[string]variableModel{}
		var names []string
		for _, v := range m.Templating.List {
			vars[v.Name] = v
			names = append(names, v.Name)
		}
		want := []string{"datasource", "job", "instance", "institution", "channel", "window"}
		if d.UID == "ccbench-overview" || d.UID == "ccbench-practices" || d.UID == "ccbench-before-after" || d.UID == "ccbench-pipeline" {
			want = append([]string{"datasource", "clickhouse"}, want[1:]...)
		}
		if d.UID == "ccbench-overview" || d.UID == "ccbench-service-levels" {
			want = append(want, "method")
		}
		if d.UID == "ccbench-pipeline" {
			want = append(want, "source")
		}
		if got := strings.Join(names, ","); got != strings.Join(want, ",") {
			t.Errorf("%s: variables %s, want %s", d.UID, got, strings.Join(want, ","))
		}
		if v := vars["institution"]; v.Type != "query" || !v.Multi || v.Refresh != 2 {
			t.Errorf("%s: institution variable %+v, want a multi-value query reloaded on time change", d.UID, v)
		}
		if v := vars["window"]; v.Type != "custom" || v.Query != "1h,1d,7d,30d" {
			t.Errorf("%s: window variable %+v, want custom 1h,1d,7d,30d", d.UID, v)
		}
		if v, ok := vars["method"]; ok && v.Query != "negative,ignore,positive" {
			t.Errorf("%s: method variable %+v", d.UID, v)
		}
		if v, ok := vars["clickhouse"]; ok && (v.Type != "datasource" || v.Query != ClickHouseType) {
			t.Errorf("%s: clickhouse variable %+v, want a %s data source variable", d.UID, v, ClickHouseType)
		}
	}
}

// TestKPIFactsComeFromCatalogue checks that the overview has one ranking
// per KPI of the catalogue, titled, described, united and coloured from
// its definition.
func TestKPIFactsComeFromCatalogue(t *testing.T) {
	var model dashboard.Dashboard
	if err := json.Unmarshal(generate(t, "ccbench-overview").JSON, &model); err != nil {
		t.Fatal(err)
	}
	byTitle := map[string]*dashboard.Panel{}
	for _, p := range model.Panels {
		if p.Panel != nil {
			byTitle[*p.Panel.Title] = p.Panel
		}
	}
	for _, d := range kpi.Catalogue() {
		title := d.Title + " by institution"
		if d.PerMethod {
			title = d.Title + " (method $method) by institution"
		}
		p, ok := byTitle[title]
		if !ok {
			t.Errorf("overview has no panel %q", title)
			continue
		}
		if p.Description == nil || !strings.Contains(*p.Description, d.Help) {
			t.Errorf("%q: description lacks the KPI's help", title)
		}
		if u := p.FieldConfig.Defaults.Unit; u == nil || *u != grafanaUnit(d.Unit) {
			t.Errorf("%q: unit %v, want %s", title, u, grafanaUnit(d.Unit))
		}
		if p.FieldConfig.Defaults.Decimals == nil || *p.FieldConfig.Defaults.Decimals != decimals(d.Unit) {
			t.Errorf("%q: decimals %v, want %v", title, p.FieldConfig.Defaults.Decimals, decimals(d.Unit))
		}
		if len(p.Targets) != 1 {
			t.Errorf("%q: %d queries, want 1", title, len(p.Targets))
		}
		if uid, _ := detail(d); uid != "" && (len(p.Links) != 1 || p.Links[0].Url == nil || !strings.HasPrefix(*p.Links[0].Url, "/d/"+uid+"?")) {
			t.Errorf("%q: links %+v, want one to %s", title, p.Links, uid)
		}
	}
}

// TestThresholdsFollowEachInstitutionsTarget checks the colouring: every
// institution is judged against its own strictest target, in the KPI's
// direction.
func TestThresholdsFollowEachInstitutionsTarget(t *testing.T) {
	var model dashboard.Dashboard
	if err := json.Unmarshal(generate(t, "ccbench-overview").JSON, &model); err != nil {
		t.Fatal(err)
	}
	overrides := map[string]map[string][]dashboard.Threshold{} // panel → institution → steps
	for _, p := range model.Panels {
		if p.Panel == nil || p.Panel.FieldConfig == nil {
			continue
		}
		// An institution without a target of its own is not judged
		// against another's: the panel's own steps are neutral.
		if th := p.Panel.FieldConfig.Defaults.Thresholds; p.Panel.Type == "bargauge" && (th == nil || len(th.Steps) != 1 || th.Steps[0].Color != "blue") {
			t.Errorf("%s: panel thresholds %+v, want one neutral step", *p.Panel.Title, th)
		}
		byInst := map[string][]dashboard.Threshold{}
		for _, o := range p.Panel.FieldConfig.Overrides {
			for _, prop := range o.Properties {
				if prop.Id != "thresholds" {
					continue
				}
				b, _ := json.Marshal(prop.Value)
				var th dashboard.ThresholdsConfig
				if err := json.Unmarshal(b, &th); err != nil {
					t.Fatal(err)
				}
				name, _ := o.Matcher.Options.(string)
				byInst[name] = th.Steps
			}
		}
		overrides[*p.Panel.Title] = byInst
	}
	check := func(panel, inst string, colors []string, at float64) {
		t.Helper()
		s := overrides[panel][inst]
		if len(s) != 2 || s[0].Color != colors[0] || s[1].Color != colors[1] || s[1].Value == nil || *s[1].Value-at > 1e-6 || at-*s[1].Value > 1e-6 {
			t.Errorf("%s/%s thresholds = %+v, want %v at %v", panel, inst, s, colors, at)
		}
	}
	// SODRA 0.95 institution-wide; VMI 0.8 on the phone: at_least.
	check("Service level (method $method) by institution", "sodra", []string{"red", "green"}, 0.95)
	check("Service level (method $method) by institution", "vmi", []string{"red", "green"}, 0.8)
	// SODRA abandons: 0.05 and 0.03 on the phone, at_most: the strictest is 0.03.
	check("Abandon rate by institution", "sodra", []string{"green", "red"}, 0.03)
	if _, ok := overrides["Abandon rate by institution"]["vmi"]; ok {
		t.Error("VMI has no abandon target, yet an override")
	}
}

// TestCommittedDashboardsAreUpToDate fails when deploy/grafana/dashboards
// differs from what the generator makes of deploy/ccbench.yaml. Refresh
// them with
//
//	go run ./cmd/ccbench dashboards generate --config deploy/ccbench.yaml --out deploy/grafana/dashboards
func TestCommittedDashboardsAreUpToDate(t *testing.T) {
	cfg, err := config.Load(filepath.Join("..", "deploy", "ccbench.yaml"))
	if err != nil {
		t.Fatalf("load deploy/ccbench.yaml: %v", err)
	}
	ds, err := Generate(cfg)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	dir := filepath.Join("..", "deploy", "grafana", "dashboards")
	want := map[string]bool{}
	for _, d := range ds {
		want[d.FileName] = true
		b, err := os.ReadFile(filepath.Join(dir, d.FileName))
		if err != nil {
			t.Errorf("%v (regenerate the committed dashboards)", err)
			continue
		}
		if !bytes.Equal(b, d.JSON) {
			t.Errorf("%s/%s is out of date with the generator: %s", dir, d.FileName, firstDifference(b, d.JSON))
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") && !want[e.Name()] {
			t.Errorf("%s/%s is not generated any more", dir, e.Name())
		}
	}
}

func TestWriteAll(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "provisioning", "dashboards")
	ds := []Dashboard{
		{UID: "a", FileName: "a.json", JSON: []byte(`{"uid":"a"}`)},
		{UID: "b", FileName: "b.json", JSON: []byte(`{"uid":"b"}`)},
	}
	if err := WriteAll(dir, ds); err != nil {
		t.Fatalf("WriteAll: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("files in %s = %d, want 2 (no temporary files left)", dir, len(entries))
	}
	for _, d := range ds {
		b, err := os.ReadFile(filepath.Join(dir, d.FileName))
		if err != nil || string(b) != string(d.JSON) {
			t.Errorf("%s = %q, %v; want %q", d.FileName, b, err, d.JSON)
		}
	}
	if err := WriteAll(dir, []Dashboard{{UID: "x", FileName: "../x.json"}}); err == nil {
		t.Error("WriteAll accepted a file name outside the directory")
	}
}

func TestSubstitute(t *testing.T) {
	values := map[string]string{"institution": ".+", "window": "1d", "win": "WRONG", "__rate_interval": "5m"}
	for _, tc := range []struct {
		in, want, err string
	}{
		{`x{institution=~"$institution",window="$window"}`, `x{institution=~".+",window="1d"}`, ""},
		{`x{window="${window}"}`, `x{window="1d"}`, ""},
		{`x{window="[[window]]"}`, `x{window="1d"}`, ""},
		{`x{window="${window:raw}"}`, `x{window="1d"}`, ""},
		{`match(institution, '^(${institution:regex})$')`, `match(institution, '^(.+)$')`, ""},
		{`rate(x[$__rate_interval])`, `rate(x[5m])`, ""},
		{`x{a=~"foo$"}`, `x{a=~"foo$"}`, ""},
		{`x{a="$nope"}`, "", "undefined variables nope"},
	} {
		got, err := substitute(tc.in, values)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("substitute(%s) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("substitute(%s) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// TestExpandMacros checks the expansion against the plugin's (v4) own
// output for the same range: toDateTime of Unix seconds.
func TestExpandMacros(t *testing.T) {
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) // 1793491200
	to := from.Add(24 * time.Hour)
	for _, tc := range []struct{ in, want, err string }{
		{"WHERE $__timeFilter(received_at)", "WHERE received_at >= toDateTime(1793491200) AND received_at <= toDateTime(1793577600)", ""},
		{"x >= $__fromTime AND x <= $__toTime", "x >= toDateTime(1793491200) AND x <= toDateTime(1793577600)", ""},
		{"intDiv(toUInt32(ts), $__interval_s) * $__interval_s", "intDiv(toUInt32(ts), 300) * 300", ""},
		{"$__timeInterval(ts)", "", "$__timeInterval"},
		{"$__timeFilter_ms(ts)", "", "$__timeFilter_ms"},
		{"$__timeGroup(ts, 1h)", "", "$__timeGroup"},
	} {
		got, err := ExpandMacros(tc.in, from, to, 300)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ExpandMacros(%s) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ExpandMacros(%s) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
