package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/report"
	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/store"
)

// compareConfig is the configuration of the compare tests; %s is the DSN.
const compareConfig = `
clickhouse:
  dsn: %s
institutions:
  - {id: sodra, name: SODRA, country: LT, timezone: Europe/Vilnius}
  - {id: ind, name: IND, country: NL, timezone: Europe/Amsterdam}
targets:
  - {institution: sodra, kpi: service_level, value: 0.3}
registers:
  practices:
    - institution: ind
      country: NL
      languages: [nl, en]
      channels: [phone, email]
  reported:
    - {institution: sodra, kpi: service_level, channel: phone, period: "2024-03", value: 0.9, source: annual report}
`

// runApp runs ccbench in-process with args and returns what it wrote.
func runApp(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	app := newApp()
	app.Writer, app.ErrWriter = &out, &out
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := app.RunContext(ctx, append([]string{"ccbench"}, args...))
	return out.String(), err
}

// compareSetup writes a configuration for a fresh database, loads its
// registers with `ccbench register load` and inserts four SODRA calls,
// all on Tuesday 2024-03-05, local time:
//
//	answered after 10 s (within T = 20 s: A), answered after 30 s,
//	abandoned after 2 s (short), abandoned after 10 s (within T: B).
//
// So O = 4 − 1 = 3 and the service level is 1/3 (negative), 1/(3 − 1)
// (ignore) or (1 + 1)/3 (positive).
func compareSetup(t *testing.T) string {
	t.Helper()
	t.Setenv("CCBENCH_CLICKHOUSE_DSN", "")
	t.Setenv("CCBENCH_CONFIG", "")
	dsn := servertest.DSN(t)
	path := filepath.Join(t.TempDir(), "ccbench.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(compareConfig, dsn)), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := runApp(t, "register", "load", "--config", path); err != nil {
		t.Fatalf("register load: %v\n%s", err, out)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	vilnius, err := time.LoadLocation("Europe/Vilnius")
	if err != nil {
		t.Fatal(err)
	}
	var cs []records.Contact
	for i, c := range []struct {
		outcome string
		waitS   int
	}{{records.OutcomeAnswered, 10}, {records.OutcomeAnswered, 30}, {records.OutcomeAbandoned, 2}, {records.OutcomeAbandoned, 10}} {
		arrived := time.Date(2024, 3, 5, 9, i, 0, 0, vilnius)
		end := arrived.Add(time.Duration(c.waitS) * time.Second)
		rec := records.Contact{Institution: "sodra", Source: "sodra-cc", ID: fmt.Sprint("call-", i), Version: 1, UpdatedAt: end,
			Unit: "vilnius", Channel: records.ChannelPhone, Queue: "general", ArrivedAt: arrived, EndedAt: &end, Outcome: c.outcome, Origin: "test"}
		if c.outcome == records.OutcomeAnswered {
			rec.AnsweredAt = &end
			rec.TalkS = 60
			rec.Measures = records.HandlingMeasures // talk 60 s, after-call work 0 s
		}
		cs = append(cs, rec)
	}
	if err := st.InsertContacts(ctx, cs); err != nil {
		t.Fatal(err)
	}
	return path
}

type compareDoc struct {
	From        string           `json:"from"`
	To          string           `json:"to"`
	By          string           `json:"by"`
	AsOf        string           `json:"as_of"`
	SLMethod    string           `json:"sl_method"`
	Rows        []map[string]any `json:"rows"`
	Comparisons []map[string]any `json:"comparisons"`
}

func compareJSON(t *testing.T, args ...string) compareDoc {
	t.Helper()
	out, err := runApp(t, append([]string{"compare", "--format", "json"}, args...)...)
	if err != nil {
		t.Fatalf("compare: %v\n%s", err, out)
	}
	var doc compareDoc
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("decode compare output: %v\n%s", err, out)
	}
	return doc
}

// rollUp returns the measured row of a KPI summed over units and channels.
func rollUp(t *testing.T, doc compareDoc, institution, id string) map[string]any {
	t.Helper()
	var got []map[string]any
	for _, r := range doc.Rows {
		if r["institution"] == institution && r["kpi"] == id && r["unit"] == nil && r["channel"] == nil && r["instrument"] == nil {
			got = append(got, r)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%s %s roll-up: %d rows, want 1", institution, id, len(got))
	}
	return got[0]
}

func TestCompareJSON(t *testing.T) {
	cfg := compareSetup(t)
	const asOf = "2024-03-16T12:00:00Z"
	doc := compareJSON(t, "--config", cfg, "--from", "2024-03-04", "--to", "2024-03-11", "--as-of", asOf)
	if doc.From != "2024-03-04" || doc.To != "2024-03-11" || doc.By != "total" || doc.AsOf != asOf || doc.SLMethod != "negative" {
		t.Errorf("envelope: from %q to %q by %q as_of %q sl_method %q", doc.From, doc.To, doc.By, doc.AsOf, doc.SLMethod)
	}
	sl := rollUp(t, doc, "sodra", "service_level")
	if sl["numerator"] != 1.0 || sl["denominator"] != 3.0 || sl["value"] != 1.0/3 || sl["source"] != "measured" {
		t.Errorf("service_level: %v, want 1/3 measured", sl)
	}
	if sl["target"] != 0.3 || sl["met"] != true {
		t.Errorf("service_level target %v met %v, want 0.3 true", sl["target"], sl["met"])
	}
	// 4 calls over 7 days.
	co := rollUp(t, doc, "sodra", "contacts_offered")
	if co["numerator"] != 4.0 || co["denominator"] != 7.0 {
		t.Errorf("contacts_offered: %v/%v, want 4/7", co["numerator"], co["denominator"])
	}
	// From the registers `ccbench register load` loaded: IND has phone,
	// email and two languages (nl, en) of the practice catalogue.
	ps := rollUp(t, doc, "ind", "practice_score")
	if want := 4.0 / float64(len(kpi.PracticeCatalogue())); ps["value"] != want || ps["source"] != "reported" {
		t.Errorf("practice_score: %v, want %v reported", ps, want)
	}
	var reported int
	for _, r := range doc.Rows {
		if r["kpi"] == "service_level" && r["source"] == "reported" && r["value"] == 0.9 && r["channel"] == "phone" {
			reported++
		}
	}
	if reported != 1 {
		t.Errorf("reported service_level rows: %d, want 1", reported)
	}

	t.Run("method and filters", func(t *testing.T) {
		doc := compareJSON(t, "--config", cfg, "--from", "2024-03-04", "--to", "2024-03-11", "--as-of", asOf,
			"--sl-method", "ignore", "--institutions", "sodra", "--kpis", "service_level,answer_rate")
		if doc.SLMethod != "ignore" {
			t.Errorf("sl_method %q, want ignore", doc.SLMethod)
		}
		for _, r := range doc.Rows {
			if r["institution"] != "sodra" || (r["kpi"] != "service_level" && r["kpi"] != "answer_rate") {
				t.Errorf("row outside the filters: %v", r)
			}
		}
		sl := rollUp(t, doc, "sodra", "service_level")
		if sl["numerator"] != 1.0 || sl["denominator"] != 2.0 {
			t.Errorf("service_level (ignore): %v/%v, want 1/2", sl["numerator"], sl["denominator"])
		}
		ar := rollUp(t, doc, "sodra", "answer_rate")
		if ar["numerator"] != 2.0 || ar["denominator"] != 4.0 {
			t.Errorf("answer_rate: %v/%v, want 2/4", ar["numerator"], ar["denominator"])
		}
	})
	t.Run("by day", func(t *testing.T) {
		doc := compareJSON(t, "--config", cfg, "--from", "2024-03-04", "--to", "2024-03-11", "--as-of", asOf,
			"--by", "day", "--institutions", "sodra", "--kpis", "contacts_offered")
		if doc.By != "day" {
			t.Errorf("by %q, want day", doc.By)
		}
		r := rollUp(t, doc, "sodra", "contacts_offered")
		if r["period_start"] != "2024-03-05T00:00:00+02:00" || r["period_end"] != "2024-03-06T00:00:00+02:00" || r["value"] != 4.0 {
			t.Errorf("contacts_offered by day: %v", r)
		}
	})
	// The service level roll-up carries its parameters: T 20 s, S 5 s.
	if p, _ := sl["params"].(map[string]any); p["threshold_s"] != 20.0 || p["short_abandon_s"] != 5.0 || p["sl_method"] != "negative" {
		t.Errorf("service_level params %v", sl["params"])
	}
	if doc.Comparisons == nil {
		t.Error("comparisons missing: want an array")
	}
	t.Run("table", func(t *testing.T) {
		out, err := runApp(t, "compare", "--config", cfg, "--from", "2024-03-04", "--to", "2024-03-11", "--as-of", asOf, "--institutions", "sodra")
		if err != nil {
			t.Fatalf("compare: %v\n%s", err, out)
		}
		// Side by side: 1/3 against the target 30 %: met, +3.3 pp.
		for _, want := range []string{"service level method negative", "Service level (phone, negative)", "33.3%", "≥ 30.0%", "yes", "+3.3 pp"} {
			if !strings.Contains(out, want) {
				t.Errorf("table lacks %q:\n%s", want, out)
			}
		}
		out, err = runApp(t, "compare", "--config", cfg, "--from", "2024-03-04", "--to", "2024-03-11", "--as-of", asOf, "--institutions", "sodra", "--long")
		if err != nil {
			t.Fatalf("compare --long: %v\n%s", err, out)
		}
		for _, want := range []string{"INSTITUTION", "33.3%", "threshold T 20 s"} {
			if !strings.Contains(out, want) {
				t.Errorf("long table lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("formats", func(t *testing.T) {
		dir := t.TempDir()
		for format, want := range map[string]string{
			"markdown": "| Service level (phone, negative) | 33.3% | ≥ 30.0% | yes |",
			"csv":      "sodra,,phone,,service_level,2024-03-04T00:00:00+02:00,2024-03-11T00:00:00+02:00,0.3333333333333333,1,3,,,,0.3,true,measured,,negative,negative,20,5,,,",
			"html":     `<rect class="bar" data-institution="sodra"`,
		} {
			path := filepath.Join(dir, "report."+format)
			out, err := runApp(t, "compare", "--config", cfg, "--from", "2024-03-04", "--to", "2024-03-11", "--as-of", asOf,
				"--institutions", "sodra", "--channels", "phone", "--format", format, "--out", path)
			if err != nil {
				t.Fatalf("compare --format %s: %v\n%s", format, err, out)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), want) {
				t.Errorf("%s lacks %q:\n%s", format, want, b)
			}
		}
	})
	t.Run("include reported", func(t *testing.T) {
		out, err := runApp(t, "compare", "--config", cfg, "--from", "2024-03-04", "--to", "2024-03-11", "--as-of", asOf, "--include-reported", "--format", "markdown")
		if err != nil {
			t.Fatalf("compare: %v\n%s", err, out)
		}
		// The register's March figure, whatever the window, with its
		// method unknown.
		if !strings.Contains(out, "| Service level (phone, reported 2024-03) |  |  |  |  |  | 90.0% (method unknown) |") {
			t.Errorf("reported figure missing:\n%s", out)
		}
		// A window without data still shows the registers, with a note.
		out, err = runApp(t, "compare", "--config", cfg, "--from", "2023-01-02", "--to", "2023-01-09", "--as-of", asOf, "--include-reported", "--format", "markdown")
		if err != nil {
			t.Fatalf("compare without data: %v\n%s", err, out)
		}
		for _, want := range []string{"showing the registers only", "| Service level (phone, reported 2024-03) |", "≥ 30.0%"} {
			if !strings.Contains(out, want) {
				t.Errorf("registers-only table lacks %q:\n%s", want, out)
			}
		}
	})
}

func TestCompareBadFlags(t *testing.T) {
	cfg := compareSetup(t)
	base := []string{"compare", "--config", cfg, "--as-of", "2024-03-16T12:00:00Z", "--format", "json"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad from", []string{"--from", "2024-13-01", "--to", "2024-03-11"}, `--from: want YYYY-MM-DD, got "2024-13-01"`},
		{"bad to", []string{"--from", "2024-03-04", "--to", "next week"}, `--to: want YYYY-MM-DD`},
		{"to before from", []string{"--from", "2024-03-11", "--to", "2024-03-04"}, "--to 2024-03-04 must be after --from 2024-03-11"},
		{"empty window", []string{"--from", "2024-03-04", "--to", "2024-03-04"}, "must be after"},
		{"by fortnight", []string{"--from", "2024-03-04", "--to", "2024-03-11", "--by", "fortnight"}, `--by: want total, day, week or month, got "fortnight"`},
		{"unknown KPI", []string{"--from", "2024-03-04", "--to", "2024-03-11", "--kpis", "service_level,happiness"}, `--kpis: unknown KPI "happiness"`},
		{"unknown institution", []string{"--from", "2024-03-04", "--to", "2024-03-11", "--institutions", "sodra,nope"}, `--institutions: unknown institution "nope"`},
		{"bad method", []string{"--from", "2024-03-04", "--to", "2024-03-11", "--sl-method", "best"}, `--sl-method: unknown service-level method "best"`},
		{"bad as-of", []string{"--from", "2024-03-04", "--to", "2024-03-11", "--as-of", "yesterday"}, `--as-of: want an RFC3339 time`},
		{"bad format", []string{"--from", "2024-03-04", "--to", "2024-03-11", "--format", "xml"}, `--format: want one of table, markdown, html, csv, json, got "xml"`},
		{"unknown channel", []string{"--from", "2024-03-04", "--to", "2024-03-11", "--channels", "phone,telex"}, `--channels: unknown channel "telex"`},
		{"no data in the window", []string{"--from", "2023-01-02", "--to", "2023-01-09"}, "no data of sodra, ind from 2023-01-02 to 2023-01-09 (exclusive)"},
		{"no data on the channel", []string{"--from", "2024-03-04", "--to", "2024-03-11", "--channels", "chat"}, "no data on channels chat"},
		{"missing from", []string{"--to", "2024-03-11"}, `"from"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runApp(t, append(append([]string{}, base...), tc.args...)...)
			if strings.Contains(out, "panic") {
				t.Errorf("panic:\n%s", out)
			}
			if err == nil {
				t.Fatalf("no error; output:\n%s", out)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestStaffing(t *testing.T) {
	cfg := compareSetup(t)
	base := []string{"staffing", "--config", cfg, "--institution", "sodra", "--from", "2024-03-04", "--to", "2024-03-11"}
	out, err := runApp(t, append(base, "--target", "0.95", "--threshold", "20s", "--format", "json")...)
	if err != nil {
		t.Fatalf("staffing: %v\n%s", err, out)
	}
	var doc struct {
		Target     float64 `json:"target"`
		ThresholdS float64 `json:"threshold_s"`
		Summary    string  `json:"summary"`
		Hours      []struct {
			Weekday       string   `json:"weekday"`
			Hour          int      `json:"hour"`
			CallsPerHour  float64  `json:"calls_per_hour"`
			AHTS          float64  `json:"aht_s"`
			MeasuredSL    *float64 `json:"measured_service_level"`
			ImpliedAgents *int     `json:"implied_agents"`
			AgentsNeeded  int      `json:"agents_needed"`
			PredictedSL   float64  `json:"predicted_service_level"`
		} `json:"hours"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("decode: %v\n%s", err, out)
	}
	// compareSetup's four calls, Tuesday 09:00-09:03 local, one week: 4
	// calls an hour, AHT (60 + 60) ÷ 2 = 60 s, so A = 4 × 60 ÷ 3600 =
	// 0.0667 Erlangs. One agent: C = A = 0.0667 and
	// SL = 1 − 0.0667 × e^(−0.9333 × 20 ÷ 60) = 1 − 0.0667 × 0.7326 = 0.9512
	// ≥ 0.95. Measured: 1 within 20 s of 4 − 1 short abandon = 1/3, which
	// one agent reaches too.
	if len(doc.Hours) != 1 {
		t.Fatalf("hours %+v, want one", doc.Hours)
	}
	h := doc.Hours[0]
	if h.Weekday != "Tuesday" || h.Hour != 9 || h.CallsPerHour != 4 || h.AHTS != 60 || h.AgentsNeeded != 1 ||
		h.ImpliedAgents == nil || *h.ImpliedAgents != 1 || h.MeasuredSL == nil || *h.MeasuredSL != 1.0/3 {
		t.Errorf("hour %+v", h)
	}
	if h.PredictedSL < 0.9511 || h.PredictedSL > 0.9513 || doc.Target != 0.95 || doc.ThresholdS != 20 {
		t.Errorf("predicted SL %v target %v threshold %v", h.PredictedSL, doc.Target, doc.ThresholdS)
	}
	out, err = runApp(t, base...)
	if err != nil || !strings.Contains(out, "sodra phone, 2024-03-04 to 2024-03-11 (exclusive): to answer 30.0 % within 20s") {
		t.Errorf("table (configured target 30 %%): %v\n%s", err, out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--institution", "nope"}, `--institution: unknown institution "nope"`},
		{[]string{"--channel", "email"}, `--channel: want a real-time channel`},
		{[]string{"--target", "95"}, `--target: want a share between 0 and 1`},
		{[]string{"--from", "2024-03-11", "--to", "2024-03-04"}, "must be after"},
		{[]string{"--channel", "chat"}, "sodra chat from 2024-03-04 to 2024-03-11 (exclusive): no contacts to plan from"},
	} {
		args := append(append([]string{}, base...), tc.args...)
		if out, err := runApp(t, args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q\n%s", tc.args, err, tc.want, out)
		}
	}
}

// TestProgressOnlyOnATerminal: the progress bar writes nothing when
// standard error is not a terminal (here a file).
func TestProgressOnlyOnATerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	app := newApp()
	app.ErrWriter = f
	var ran bool
	app.Commands = append(app.Commands, &cli.Command{Name: "probe", Action: func(c *cli.Context) error {
		step := newProgress(c, "table", 3)
		for i := 0; i < 3; i++ {
			step()
		}
		ran = true
		return nil
	}})
	if err := app.Run([]string{"ccbench", "probe"}); err != nil || !ran {
		t.Fatalf("probe: %v", err)
	}
	if st, err := f.Stat(); err != nil || st.Size() != 0 {
		t.Errorf("progress written to a file: %d bytes (%v)", st.Size(), err)
	}
}

func TestCheckData(t *testing.T) {
	value := 0.5
	measured := report.Row{Institution: "sodra", KPI: "service_level", Source: report.SourceMeasured, Value: &value}
	practice := report.Row{Institution: "ind", KPI: "practice_score", Source: report.SourceReported, Value: &value}
	practiceNoValue := report.Row{Institution: "ind", KPI: "practice_score", Source: report.SourceReported}
	published := report.Row{Institution: "sodra", KPI: "service_level", Source: report.SourceReported, Value: &value}
	for _, tc := range []struct {
		name string
		kpis []kpi.ID
		rows []report.Row
		want string // in the error; empty: none
	}{
		{"measured", nil, []report.Row{measured}, ""},
		{"practice score asked for", []kpi.ID{kpi.PracticeScore}, []report.Row{practice}, ""},
		{"practice score without a value", []kpi.ID{kpi.PracticeScore}, []report.Row{practiceNoValue}, "no data for KPIs practice_score of sodra, ind from 2024-03-04 to 2024-03-11 (exclusive): the registers hold no such figure"},
		{"practice score not in the registers", []kpi.ID{kpi.PracticeScore}, nil, "the registers hold no such figure"},
		{"every KPI, nothing collected", nil, []report.Row{practice, published}, "no data of sodra, ind from 2024-03-04 to 2024-03-11 (exclusive): nothing was collected in that window"},
		{"a measured KPI too, nothing collected", []kpi.ID{kpi.ServiceLevel, kpi.PracticeScore}, []report.Row{practice, published}, "nothing was collected in that window"},
		{"only a published figure", []kpi.ID{kpi.ServiceLevel}, []report.Row{published}, "no data for KPIs service_level"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := &report.Report{From: "2024-03-04", To: "2024-03-11", Rows: tc.rows}
			q := report.Query{Institutions: []string{"sodra", "ind"}, KPIs: tc.kpis}
			err := checkData(rep, q, nil)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("checkData: %v, want no error", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("checkData: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// compareQueryOf parses args (flags of compare) as compare does.
func compareQueryOf(t *testing.T, args ...string) (report.Query, []string) {
	t.Helper()
	var q report.Query
	var channels []string
	cmd := compareCommand()
	cmd.Action = func(c *cli.Context) error {
		var err error
		if q, err = compareQuery(c); err != nil {
			return err
		}
		channels, err = parseChannels(c.String("channels"))
		return err
	}
	app := &cli.App{Name: "ccbench", Commands: []*cli.Command{cmd}}
	if err := app.Run(append([]string{"ccbench", "compare", "--config", "x.yaml", "--from", "2024-03-04", "--to", "2024-03-11"}, args...)); err != nil {
		t.Fatalf("compare %v: %v", args, err)
	}
	return q, channels
}

func TestCompareListsWithoutRepeats(t *testing.T) {
	for _, tc := range []struct {
		args                         []string
		institutions, kpis, channels string
	}{
		{[]string{"--institutions", "sodra,sodra"}, "[sodra]", "[]", "[]"},
		{[]string{"--institutions", "ind, sodra,ind,,sodra "}, "[ind sodra]", "[]", "[]"},
		{[]string{"--kpis", "service_level,answer_rate,service_level"}, "[]", "[service_level answer_rate]", "[]"},
		{[]string{"--channels", "chat,phone,chat"}, "[]", "[]", "[chat phone]"},
	} {
		q, channels := compareQueryOf(t, tc.args...)
		if got := fmt.Sprint(q.Institutions); got != tc.institutions {
			t.Errorf("%v: institutions %s, want %s", tc.args, got, tc.institutions)
		}
		if got := fmt.Sprint(q.KPIs); got != tc.kpis {
			t.Errorf("%v: KPIs %s, want %s", tc.args, got, tc.kpis)
		}
		if got := fmt.Sprint(channels); got != tc.channels {
			t.Errorf("%v: channels %s, want %s", tc.args, got, tc.channels)
		}
	}
}

func TestAskedRegisters(t *testing.T) {
	targets := []config.Target{
		{Institution: "sodra", KPI: "service_level", Value: 0.8},
		{Institution: "sodra", KPI: "service_level", Channel: "chat", Value: 0.9},
		{Institution: "sodra", KPI: "practice_score", Value: 0.5},
		{Institution: "ind", KPI: "service_level", Value: 0.7},
	}
	figures := []config.ReportedFigure{
		{Institution: "sodra", KPI: "service_level", Channel: "phone", Value: 0.6},
		{Institution: "sodra", KPI: "service_level", Value: 0.65},
		{Institution: "sodra", KPI: "answer_rate", Channel: "chat", Value: 0.95},
		{Institution: "sodra", Metric: "customer_service_staff", Value: 120},
		{Institution: "ind", KPI: "service_level", Channel: "phone", Value: 0.75},
	}
	show := func(inst, id, channel string) string { return inst + "/" + id + "/" + channel }
	for _, tc := range []struct {
		name                  string
		institutions          []string
		kpis                  []kpi.ID
		channels              []string
		wantTargets, wantFigs string
	}{
		{"everything", []string{"sodra", "ind"}, nil, nil,
			"[sodra/service_level/ sodra/service_level/chat sodra/practice_score/ ind/service_level/]",
			"[sodra/service_level/phone sodra/service_level/ sodra/answer_rate/chat sodra/customer_service_staff/ ind/service_level/phone]"},
		{"institutions", []string{"ind"}, nil, nil, "[ind/service_level/]", "[ind/service_level/phone]"},
		{"KPIs", []string{"sodra", "ind"}, []kpi.ID{kpi.PracticeScore}, nil, "[sodra/practice_score/]", "[]"},
		{"channels", []string{"sodra"}, nil, []string{"phone"},
			"[sodra/service_level/ sodra/practice_score/]", "[sodra/service_level/phone]"},
		{"KPIs and channels", []string{"sodra", "ind"}, []kpi.ID{kpi.ServiceLevel}, []string{"chat"},
			"[sodra/service_level/ sodra/service_level/chat ind/service_level/]", "[]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := report.Query{Institutions: tc.institutions, KPIs: tc.kpis}
			var ts, fs []string
			for _, x := range askedTargets(targets, q, tc.channels) {
				ts = append(ts, show(x.Institution, x.KPI, x.Channel))
			}
			for _, f := range askedFigures(figures, q, tc.channels) {
				fs = append(fs, show(f.Institution, f.KPI+f.Metric, f.Channel))
			}
			if got := fmt.Sprint(ts); got != tc.wantTargets {
				t.Errorf("targets %s, want %s", got, tc.wantTargets)
			}
			if got := fmt.Sprint(fs); got != tc.wantFigs {
				t.Errorf("published figures %s, want %s", got, tc.wantFigs)
			}
		})
	}
}

// errRender is the error of a render that fails half way.
var errRender = errors.New("render failed")

func TestWriteOut(t *testing.T) {
	for _, tc := range []struct {
		name     string
		previous string // "": no file before
		write    func(io.Writer) error
		wantErr  error
		want     string // the file's content after; "": none
	}{
		{"new file", "", writeThen("new report", nil), nil, "new report"},
		{"replaced", "old report", writeThen("new report", nil), nil, "new report"},
		{"failed render keeps the previous report", "old report", writeThen("half a rep", errRender), errRender, "old report"},
		{"failed render, no file before", "", writeThen("half a rep", errRender), errRender, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "report.html")
			if tc.previous != "" {
				if err := os.WriteFile(path, []byte(tc.previous), 0o640); err != nil {
					t.Fatal(err)
				}
			}
			app := &cli.App{Name: "ccbench", Flags: []cli.Flag{&cli.StringFlag{Name: "out"}},
				Action: func(c *cli.Context) error { return writeOut(c, tc.write) }}
			if err := app.Run([]string{"ccbench", "--out", path}); !errors.Is(err, tc.wantErr) {
				t.Errorf("writeOut: %v, want %v", err, tc.wantErr)
			}
			got, err := os.ReadFile(path)
			switch {
			case tc.want == "" && !errors.Is(err, os.ErrNotExist):
				t.Errorf("--out file: %q, %v; want none", got, err)
			case tc.want != "" && string(got) != tc.want:
				t.Errorf("--out file: %q, %v; want %q", got, err, tc.want)
			}
			if tc.previous != "" {
				if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
					t.Errorf("--out file mode: %v, %v; want the previous file's -rw-r-----", fi.Mode(), err)
				}
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 1 || (tc.want == "" && len(entries) > 0) {
				t.Errorf("files left in the directory: %v", entries)
			}
		})
	}
}

// writeThen returns a render that writes s, then returns err.
func writeThen(s string, err error) func(io.Writer) error {
	return func(w io.Writer) error {
		if _, werr := io.WriteString(w, s); werr != nil {
			return werr
		}
		return err
	}
}

func TestStaffingHelpDefaults(t *testing.T) {
	code, out, stderr := runCLI(t, "staffing", "--help")
	if code != exitOK {
		t.Fatalf("staffing --help: exit %d\n%s", code, stderr)
	}
	for _, tc := range []struct{ flag, want string }{
		{"--target", "(default: the institution's configured target, else 0.8)"},
		{"--threshold", "(default: the institution's configured T)"},
	} {
		var line string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), tc.flag+" ") {
				line = l
			}
		}
		if strings.Count(line, "(default:") != 1 || !strings.Contains(line, tc.want) {
			t.Errorf("%s help %q, want one default, %q", tc.flag, line, tc.want)
		}
	}
}

// TestCompareAskedFor: compare shows what was asked for, with --kpis
// practice_score, repeated institutions and the registers of
// --include-reported.
func TestCompareAskedFor(t *testing.T) {
	cfg := compareSetup(t)
	base := []string{"compare", "--config", cfg, "--from", "2024-03-04", "--to", "2024-03-11", "--as-of", "2024-03-16T12:00:00Z"}
	for _, tc := range []struct {
		name      string
		args      []string
		want, not []string
	}{
		{"practice score", []string{"--kpis", "practice_score", "--format", "json"},
			[]string{`"kpi": "practice_score"`, `"institution": "ind"`}, []string{`"kpi": "service_level"`}},
		{"practice score with the registers", []string{"--kpis", "practice_score", "--include-reported", "--format", "markdown"},
			[]string{"| Practice score | 18.2% |"}, []string{"Service level", "≥ 30.0%"}},
		{"registers of the channels asked for", []string{"--kpis", "service_level", "--channels", "chat", "--include-reported", "--format", "markdown"},
			[]string{"showing the registers only"}, []string{"reported 2024-03", "90.0%"}},
		{"an institution repeated", []string{"--institutions", "sodra,sodra", "--kpis", "service_level", "--format", "json"},
			[]string{`"comparisons": []`}, []string{`"institution_b": "sodra"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runApp(t, append(append([]string{}, base...), tc.args...)...)
			if err != nil {
				t.Fatalf("compare: %v\n%s", err, out)
			}
			for _, s := range tc.want {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(out, s) {
					t.Errorf("output has %q:\n%s", s, out)
				}
			}
		})
	}
}
