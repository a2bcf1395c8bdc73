package reportfmt

import (
	"bytes"

	"encoding/csv"
	"encoding/json"
	"github.com/ccbench/ccbench/config"
	"io"
	"strings"
	"testing"

	"github.com/ccbench/ccbench/report"
)

// TestFormats renders the fixture in every format, compares each with its
// golden file, and checks the figures worked out in fixture's comment.
func TestFormats(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(io.Writer, *report.Report) error
		want  []string
	}{
		{"table.golden", func(w io.Writer, r *report.Report) error { return WriteTable(w, r, Options{}) },
			[]string{"89.0%", "≥ 95.0%", "NO", "-6.0 pp", "60.0% [1]", "80.0% (n<30)", "+0.0 pp", "sodra ~ vmi (+9.0 pp)",
				"ind < sodra * (-29.0 pp)", "[1] Service level (phone, negative) computed with different parameters: ind: method negative, threshold T 60 s"}},
		{"markdown.golden", func(w io.Writer, r *report.Report) error { return WriteMarkdown(w, r, Options{}) },
			[]string{"| KPI | ind | ind target |", "| Service level (phone, negative) | 60.0% [1] |  |  | 3 |", "- [1] "}},
		{"long.golden", func(w io.Writer, r *report.Report) error { return WriteLong(w, r) },
			[]string{"60.9-91.1%", "25 (n<30)", "threshold T 60 s"}},
		{"csv.golden", WriteCSV, []string{"ind,,phone,,service_level,2024-03-01T00:00:00+01:00,2024-04-01T00:00:00+02:00,0.6,60,100,,,,,,measured,,negative,negative,60,5,,,"}},
		{"html.golden", func(w io.Writer, r *report.Report) error { return WriteHTML(w, r, Options{}) },
			[]string{`<rect class="bar" data-institution="sodra"`, `<td>-6.0 pp</td>`, `60.0% [1]`, `class="whisker-group"`}},
		{"table-reported.golden", func(w io.Writer, r *report.Report) error { return WriteTable(w, r, withRegisters()) },
			[]string{"Service level (phone, reported before)", "75.0% (method unknown) (contact-centre)",
				"Answer rate (phone)", "≥ 80.0%", "customer_service_staff (reported 2018)", "≥ 50.0% (seminars)"}},
		{"json.golden", func(w io.Writer, r *report.Report) error { return report.WriteJSON(w, r) }, []string{`"threshold_s": 60`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := fixture()
			rep.Comparisons = report.Compare(rep.Rows)
			var buf bytes.Buffer
			if err := tc.write(&buf, rep); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, buf.String())
				}
			}
			golden(t, tc.name, buf.Bytes())
		})
	}
}

// withRegisters is the fixture's register: a published service level of
// SODRA's contact centre without a method, a staff count of 2018, VMI's
// answer-rate target (nothing measured: a row of its own) and a target
// of one VMI unit on a favourable share that sums units.
func withRegisters() Options {
	return Options{IncludeReported: true,
		Reported: []config.ReportedFigure{
			{Institution: "sodra", Unit: "contact-centre", Channel: "phone", KPI: "service_level", Label: "before", Value: 0.75},
			{Institution: "sodra", Metric: "customer_service_staff", Period: "2018", Value: 275},
			{Institution: "elsewhere", Metric: "customer_service_staff", Period: "2018", Value: 1},
		},
		Targets: []config.Target{
			{Institution: "vmi", Channel: "phone", KPI: "answer_rate", Value: 0.8},
			{Institution: "sodra", Unit: "seminars", Instrument: "post_contact", KPI: "favourable_share", Value: 0.5},
			{Institution: "sodra", Channel: "phone", KPI: "service_level", Value: 0.95},
		},
	}
}

// TestSideBySideFigures checks the layout's numbers against the fixture's
// comment: ranks by direction, distance to target, footnotes and tests.
func TestSideBySideFigures(t *testing.T) {
	s := NewSideBySide(fixture(), Options{})
	if strings.Join(s.Institutions, ",") != "ind,sodra,vmi" {
		t.Fatalf("institutions %v", s.Institutions)
	}
	if len(s.Rows) != 4 {
		t.Fatalf("%d rows, want 4 (service level, ASA, favourable, practice score)", len(s.Rows))
	}
	sl, asa, fav := s.Rows[0], s.Rows[1], s.Rows[2]
	ranks := func(r SideRow) []int {
		var out []int
		for _, c := range r.Cells {
			out = append(out, c.Rank)
		}
		return out
	}
	if got := ranks(sl); got[0] != 3 || got[1] != 1 || got[2] != 2 {
		t.Errorf("service level ranks %v, want [3 1 2]", got)
	}
	// ASA is at_most: 12.5 s beats 30 s.
	if got := ranks(asa); got[1] != 1 || got[2] != 2 {
		t.Errorf("ASA ranks %v, want [0 1 2]", got)
	}
	if d := sl.Cells[1].Distance; d == nil || *d > -0.06+1e-9 || *d < -0.06-1e-9 {
		t.Errorf("sodra distance %v, want −0.06", d)
	}
	// Only ind was measured with T = 60 s: it alone is marked.
	if sl.Cells[0].Note != 1 || sl.Cells[1].Note != 0 || sl.Cells[2].Note != 0 || len(s.Footnotes) != 1 {
		t.Errorf("notes %d %d %d, footnotes %v", sl.Cells[0].Note, sl.Cells[1].Note, sl.Cells[2].Note, s.Footnotes)
	}
	// Three pairs on the service level; 60/100 vs 89/100: p̂ = 0.745,
	// se = √(0.745 × 0.255 × 0.02) = 0.061640, z = −0.29 ÷ 0.061640 = −4.705:
	// significant. One pair on the favourable share, flagged small.
	if len(sl.Tests) != 3 || len(fav.Tests) != 1 || !fav.Tests[0].SmallSample {
		t.Fatalf("tests: service level %d, favourable %+v", len(sl.Tests), fav.Tests)
	}
	for _, c := range sl.Tests {
		if c.InstitutionA == "ind" && c.InstitutionB == "sodra" {
			if !c.Significant || *c.Z > -4.70 || *c.Z < -4.71 || len(c.ParamsDiffer) != 1 {
				t.Errorf("ind vs sodra: %+v", c)
			}
		}
	}
}

func TestCSVParses(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, fixture()); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+len(fixture().Rows) || len(recs[0]) != len(CSVHeader) {
		t.Errorf("%d records of %d fields", len(recs), len(recs[0]))
	}
}

func TestJSONKeepsContract(t *testing.T) {
	rep := fixture()
	rep.Comparisons = report.Compare(rep.Rows)
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Comparisons []map[string]any `json:"comparisons"`
		Rows        []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	// ind–sodra, ind–vmi, sodra–vmi on the service level; sodra–vmi on
	// the favourable share.
	if len(doc.Comparisons) != 4 {
		t.Errorf("%d comparisons, want 4", len(doc.Comparisons))
	}
	p, _ := doc.Rows[0]["params"].(map[string]any)
	if p["threshold_s"] != 60.0 || p["sl_method"] != "negative" {
		t.Errorf("ind service level params %v", doc.Rows[0]["params"])
	}
}

// TestSingleUnitFigure: a roll-up of one unit is shown as that unit's
// figure, with that unit's target; a roll-up of two units keeps its own.
func TestSingleUnitFigure(t *testing.T) {
	rep := fixture()
	var extra []report.Row
	for _, r := range rep.Rows {
		if r.Institution == "vmi" && r.KPI == "service_level" {
			part := r
			part.Unit, part.Target, part.Met = s("tax-information"), f(0.75), b(true)
			extra = append(extra, part)
		}
		if r.Institution == "sodra" && r.KPI == "service_level" {
			for _, u := range []string{"a", "b"} {
				part := r
				part.Unit, part.Target = s(u), f(0.5)
				extra = append(extra, part)
			}
		}
	}
	rep.Rows = append(rep.Rows, extra...)
	sl := NewSideBySide(rep, Options{}).Rows[0]
	vmi, sodra := sl.Cells[2], sl.Cells[1]
	if vmi.Target == nil || *vmi.Target != 0.75 || vmi.Unit != "tax-information" || *vmi.Distance > 0.05+1e-9 || *vmi.Distance < 0.05-1e-9 {
		t.Errorf("vmi cell %+v, want the unit's target 75 %% (+5.0 pp)", vmi)
	}
	if sodra.Target == nil || *sodra.Target != 0.95 || sodra.Unit != "" {
		t.Errorf("sodra cell %+v, want the roll-up's own target 95 %%", sodra)
	}
}
