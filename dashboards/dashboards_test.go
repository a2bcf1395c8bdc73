package dashboards

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
)

const testConfig = `
exporter:
  sl_method: ignore
institutions:
  - {id: sodra, name: SODRA, country: LT, timezone: Europe/Vilnius}
  - {id: vmi, name: VMI, country: LT, timezone: Europe/Vilnius}
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

// generateOne returns the institution-comparison dashboard.
func generateOne(t *testing.T) Dashboard {
	t.Helper()
	return generate(t, "ccbench-institutions")
}

// generate returns the dashboard uid of the set Generate makes.
func generate(t *testing.T, uid string) Dashboard {
	t.Helper()
	ds, err := Generate(loadConfig(t))
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	var uids []string
	for _, d := range ds {
		uids = append(uids, d.UID)
	}
	if got, want := strings.Join(uids, ","), "ccbench-institutions,ccbench-quality"; got != want {
		t.Fatalf("Generate returned dashboards %s, want %s", got, want)
	}
	for _, d := range ds {
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
	os.Exit(m.Run())
}

func TestInstitutionDashboardDecodes(t *testing.T) {
	d := generateOne(t)
	if d.UID != "ccbench-institutions" || d.Title != "Institution comparison" || d.FileName != "ccbench-institutions.json" {
		t.Errorf("identity = %q %q %q", d.UID, d.Title, d.FileName)
	}
	var model dashboard.Dashboard
	if err := json.Unmarshal(d.JSON, &model); err != nil {
		t.Fatalf("decode with the SDK's dashboard.Dashboard: %v", err)
	}
	if model.Uid == nil || *model.Uid != "ccbench-institutions" || model.Title == nil || *model.Title != "Institution comparison" {
		t.Errorf("decoded uid/title = %v/%v", model.Uid, model.Title)
	}

	vars := map[string]dashboard.VariableModel{}
	var names []string
	for _, v := range model.Templating.List {
		vars[v.Name] = v
		names = append(names, v.Name)
	}
	if got, want := strings.Join(names, ","), "datasource,institution,channel,window,method"; got != want {
		t.Errorf("variables = %s, want %s", got, want)
	}
	if v := vars["datasource"]; v.Type != dashboard.VariableTypeDatasource || v.Query == nil || v.Query.String == nil || *v.Query.String != "prometheus" {
		t.Errorf("datasource variable = %+v, want a prometheus data source variable", v)
	}
	inst := vars["institution"]
	if inst.Type != dashboard.VariableTypeQuery || inst.Multi == nil || !*inst.Multi || inst.IncludeAll == nil || !*inst.IncludeAll ||
		inst.Query == nil || inst.Query.String == nil || *inst.Query.String != "label_values(ccbench_service_level_ratio, institution)" {
		t.Errorf("institution variable = %+v", inst)
	}
	if ch := vars["channel"]; ch.Multi == nil || !*ch.Multi || ch.IncludeAll == nil || !*ch.IncludeAll {
		t.Errorf("channel variable is not multi-value with All: %+v", ch)
	}
	for _, tc := range []struct{ name, values, current string }{
		{"window", "1h,1d,7d,30d", "1d"},                 // the default windows; 1d by default
		{"method", "negative,ignore,positive", "ignore"}, // exporter.sl_method
	} {
		v := vars[tc.name]
		if v.Type != dashboard.VariableTypeCustom || v.Query == nil || v.Query.String == nil || *v.Query.String != tc.values {
			t.Errorf("%s variable = %+v, want custom %s", tc.name, v, tc.values)
			continue
		}
		if v.Current == nil || v.Current.Value.String == nil || *v.Current.Value.String != tc.current {
			t.Errorf("%s current = %+v, want %s", tc.name, v.Current, tc.current)
		}
	}

	// Expected panels: title → type and unit.
	want := map[string]struct{ typ, unit string }{
		"Service level vs target":                 {"timeseries", "percentunit"},
		"Service level by institution (now)":      {"bargauge", "percentunit"},
		"Abandon rate vs target":                  {"timeseries", "percentunit"},
		"Answer rate vs target":                   {"timeseries", "percentunit"},
		"Long-wait share vs target":               {"timeseries", "percentunit"},
		"Average speed of answer (ASA) vs target": {"timeseries", "s"},
		"Average handling time (AHT) vs target":   {"timeseries", "s"},
		"Contacts offered per day vs target":      {"timeseries", "short"},
		"KPIs vs targets":                         {"table", ""},
	}
	rows := 0
	seen := map[string]bool{}
	for _, p := range model.Panels {
		if p.RowPanel != nil {
			rows++
			continue
		}
		panel := p.Panel
		if panel == nil || panel.Title == nil {
			t.Fatalf("panel without title: %+v", p)
		}
		title := *panel.Title
		w, ok := want[title]
		if !ok {
			t.Errorf("unexpected panel %q", title)
			continue
		}
		seen[title] = true
		if panel.Type != w.typ {
			t.Errorf("panel %q type = %s, want %s", title, panel.Type, w.typ)
		}
		unit := ""
		if panel.FieldConfig != nil && panel.FieldConfig.Defaults.Unit != nil {
			unit = *panel.FieldConfig.Defaults.Unit
		}
		if unit != w.unit {
			t.Errorf("panel %q unit = %q, want %q", title, unit, w.unit)
		}
		if panel.Description == nil || *panel.Description == "" {
			t.Errorf("panel %q has no description", title)
		}
		if panel.Datasource == nil || panel.Datasource.Uid == nil || *panel.Datasource.Uid != "${datasource}" {
			t.Errorf("panel %q data source = %+v, want ${datasource}", title, panel.Datasource)
		}
		if len(panel.Targets) == 0 {
			t.Errorf("panel %q has no queries", title)
		}
		if panel.GridPos == nil || panel.GridPos.W == 0 || panel.GridPos.H == 0 {
			t.Errorf("panel %q has no size: %+v", title, panel.GridPos)
		}
	}
	for title := range want {
		if !seen[title] {
			t.Errorf("missing panel %q", title)
		}
	}
	if rows != 5 {
		t.Errorf("rows = %d, want 5", rows)
	}
}

// TestPanelDescriptionsComeFromCatalogue checks that each KPI panel is
// described by its catalogue help text.
func TestPanelDescriptionsComeFromCatalogue(t *testing.T) {
	d := generateOne(t)
	var model struct {
		Panels []struct {
			Title       string `json:"title"`
			Description string `json:"description"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(d.JSON, &model); err != nil {
		t.Fatal(err)
	}
	desc := map[string]string{}
	for _, p := range model.Panels {
		desc[p.Title] = p.Description
	}
	for title, id := range map[string]kpi.ID{
		"Service level vs target":                 kpi.ServiceLevel,
		"Service level by institution (now)":      kpi.ServiceLevel,
		"Abandon rate vs target":                  kpi.AbandonRate,
		"Answer rate vs target":                   kpi.AnswerRate,
		"Long-wait share vs target":               kpi.LongWaitShare,
		"Average speed of answer (ASA) vs target": kpi.ASASeconds,
		"Average handling time (AHT) vs target":   kpi.AHTSeconds,
		"Contacts offered per day vs target":      kpi.ContactsOffered,
		"KPIs vs targets":                         kpi.AHTSeconds,
	} {
		if help := kpi.MustLookup(id).Help; !strings.Contains(desc[title], help) {
			t.Errorf("panel %q description %q lacks the help of %s", title, desc[title], id)
		}
	}
}

func TestThresholdsFollowStrictestTarget(t *testing.T) {
	d := generateOne(t)
	var model dashboard.Dashboard
	if err := json.Unmarshal(d.JSON, &model); err != nil {
		t.Fatal(err)
	}
	steps := map[string][]dashboard.Threshold{}
	for _, p := range model.Panels {
		if p.Panel != nil && p.Panel.FieldConfig != nil && p.Panel.FieldConfig.Defaults.Thresholds != nil {
			steps[*p.Panel.Title] = p.Panel.FieldConfig.Defaults.Thresholds.Steps
		}
	}
	check := func(title string, wantColors []string, wantValue float64) {
		t.Helper()
		s := steps[title]
		if len(s) != 2 || s[0].Color != wantColors[0] || s[1].Color != wantColors[1] || s[1].Value == nil || *s[1].Value != wantValue {
			t.Errorf("%s thresholds = %+v, want %v at %v", title, s, wantColors, wantValue)
		}
	}
	// service_level targets 0.95 and 0.8: at_least, the strictest is 0.95.
	check("Service level vs target", []string{"red", "green"}, 0.95)
	// abandon_rate targets 0.05 and 0.03: at_most, the strictest is 0.03.
	check("Abandon rate vs target", []string{"green", "red"}, 0.03)
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
	values := map[string]string{"institution": ".*", "window": "1d", "win": "WRONG", "__rate_interval": "5m"}
	for _, tc := range []struct {
		in, want, err string
	}{
		{`x{institution=~"$institution",window="$window"}`, `x{institution=~".*",window="1d"}`, ""},
		{`x{window="${window}"}`, `x{window="1d"}`, ""},
		{`x{window="[[window]]"}`, `x{window="1d"}`, ""},
		{`x{window="${window:raw}"}`, `x{window="1d"}`, ""},
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

func TestQueriesUseDefaults(t *testing.T) {
	qs, err := Queries(generateOne(t))
	if err != nil {
		t.Fatalf("Queries: %v", err)
	}
	// 2 (service level) + 1 (bar gauge) + 6 × 2 (rollups with targets) + 7 × 2 (table).
	if len(qs) != 2+1+6*2+7*2 {
		t.Errorf("queries = %d, want %d", len(qs), 2+1+6*2+7*2)
	}
	for _, q := range qs {
		if strings.Contains(q.Expr, "$") {
			t.Errorf("%s/%s still has a variable: %s", q.Panel, q.RefID, q.Expr)
		}
	}
	first := qs[0]
	want := `ccbench_service_level_ratio{institution=~".*",channel=~".*",window="1d",method="ignore"}`
	if first.Panel != "Service level vs target" || first.Expr != want {
		t.Errorf("first query = %+v, want %s", first, want)
	}
}

func TestQualityDashboard(t *testing.T) {
	d := generate(t, "ccbench-quality")
	if d.Title != "Written answers and satisfaction" || d.FileName != "ccbench-quality.json" {
		t.Errorf("identity = %q %q", d.Title, d.FileName)
	}
	var model dashboard.Dashboard
	if err := json.Unmarshal(d.JSON, &model); err != nil {
		t.Fatalf("decode with the SDK's dashboard.Dashboard: %v", err)
	}
	var names []string
	for _, v := range model.Templating.List {
		names = append(names, v.Name)
	}
	// No service-level method: no panel here depends on it.
	if got, want := strings.Join(names, ","), "datasource,institution,channel,window"; got != want {
		t.Errorf("variables = %s, want %s", got, want)
	}

	// Expected panels: title → type, unit and the KPI whose help describes it.
	want := map[string]struct {
		typ, unit string
		kpi       kpi.ID
	}{
		"Deadlines met vs target":                                 {"timeseries", "percentunit", kpi.DeadlineMetRate},
		"Correction rate vs target":                               {"timeseries", "percentunit", kpi.CorrectionRate},
		"Favourable responses by instrument vs target":            {"timeseries", "percentunit", kpi.FavourableShare},
		"Favourable responses with sample size and 95 % interval": {"table", "", kpi.FavourableShare},
		"Would recommend vs target":                               {"timeseries", "percentunit", kpi.RecommendShare},
		"Useful votes vs target":                                  {"timeseries", "percentunit", kpi.UsefulShare},
		"Decisions on time vs target":                             {"timeseries", "percentunit", kpi.DecisionsOnTimeRate},
		"Penalties vs target":                                     {"timeseries", "currencyEUR", kpi.PenaltyEUR},
	}
	rows := 0
	seen := map[string]bool{}
	for _, p := range model.Panels {
		if p.RowPanel != nil {
			rows++
			continue
		}
		panel := p.Panel
		if panel == nil || panel.Title == nil {
			t.Fatalf("panel without title: %+v", p)
		}
		title := *panel.Title
		w, ok := want[title]
		if !ok {
			t.Errorf("unexpected panel %q", title)
			continue
		}
		seen[title] = true
		if panel.Type != w.typ {
			t.Errorf("panel %q type = %s, want %s", title, panel.Type, w.typ)
		}
		unit := ""
		if panel.FieldConfig != nil && panel.FieldConfig.Defaults.Unit != nil {
			unit = *panel.FieldConfig.Defaults.Unit
		}
		if unit != w.unit {
			t.Errorf("panel %q unit = %q, want %q", title, unit, w.unit)
		}
		if panel.Description == nil || !strings.Contains(*panel.Description, kpi.MustLookup(w.kpi).Help) {
			t.Errorf("panel %q description %v lacks the help of %s", title, panel.Description, w.kpi)
		}
		if panel.GridPos == nil || panel.GridPos.W == 0 || panel.GridPos.H == 0 {
			t.Errorf("panel %q has no size: %+v", title, panel.GridPos)
		}
	}
	for title := range want {
		if !seen[title] {
			t.Errorf("missing panel %q", title)
		}
	}
	if rows != 3 {
		t.Errorf("rows = %d, want 3", rows)
	}

	qs, err := Queries(d)
	if err != nil {
		t.Fatalf("Queries: %v", err)
	}
	// 7 × 2 (rollups with targets) + 2 (confidence bounds) + 4 (table).
	if len(qs) != 7*2+2+4 {
		t.Errorf("queries = %d, want %d", len(qs), 7*2+2+4)
	}
	byPanel := map[string]string{}
	for _, q := range qs {
		if strings.Contains(q.Expr, "$") {
			t.Errorf("%s/%s still has a variable: %s", q.Panel, q.RefID, q.Expr)
		}
		byPanel[q.Panel+"/"+q.RefID] = q.Expr
	}
	for key, want := range map[string]string{
		"Deadlines met vs target/A": `sum by (institution) (ccbench_kpi_numerator{kpi="deadline_met_rate",institution=~".*",channel=~".*",window="1d",method=""})` +
			` / (sum by (institution) (ccbench_kpi_denominator{kpi="deadline_met_rate",institution=~".*",channel=~".*",window="1d",method=""}) > 0)`,
		// Decisions have no channel: the channel variable does not apply.
		"Penalties vs target/A": `sum by (institution) (ccbench_kpi_numerator{kpi="penalty_eur",institution=~".*",window="1d",method=""})`,
		"Favourable responses with sample size and 95 % interval/N": `max by (institution, unit, channel, instrument) (ccbench_kpi_sample_size{kpi="favourable_share",institution=~".*",channel=~".*",window="1d"})`,
	} {
		if got := byPanel[key]; got != want {
			t.Errorf("%s = %s\nwant %s", key, got, want)
		}
	}
}
