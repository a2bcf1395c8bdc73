package reportfmt

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/staffing"
)

// TestMarkdownEscapesHTML: a name that would open raw HTML in a Markdown
// renderer comes out as text; comparisons such as n<30 stay as they are.
func TestMarkdownEscapesHTML(t *testing.T) {
	for in, want := range map[string]string{
		"<img src=x onerror=alert(1)>": "&lt;img src=x onerror=alert(1)>",
		"</script>":                    "&lt;/script>",
		"<!-- x -->":                   "&lt;!-- x -->",
		"80.0% (n<30)":                 "80.0% (n<30)",
		"ind < sodra * (-29.0 pp)":     "ind < sodra * (-29.0 pp)",
	} {
		if got := escapeTags(in); got != want {
			t.Errorf("escapeTags(%q) = %q, want %q", in, got, want)
		}
	}
	rep := fixture()
	for i := range rep.Rows {
		if rep.Rows[i].Institution == "vmi" {
			rep.Rows[i].Institution = "<b>vmi</b>"
		}
	}
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "<b>") || !strings.Contains(buf.String(), "&lt;b>vmi&lt;/b>") {
		t.Errorf("the institution's name is not escaped:\n%s", buf.String())
	}
}

// TestCSVWritesNoExponents: large counts and small shares are written in
// full, as JSON writes them.
func TestCSVWritesNoExponents(t *testing.T) {
	rep := fixture()
	rep.Rows[0].Numerator, rep.Rows[0].Denominator, rep.Rows[0].Value = f(1234567), f(2345678), f(0.00001)
	var buf bytes.Buffer
	if err := WriteCSV(&buf, rep); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); strings.Contains(out, "e+") || strings.Contains(out, "e-") ||
		!strings.Contains(out, "1234567,2345678") || !strings.Contains(out, "0.00001") {
		t.Errorf("CSV:\n%s", out)
	}
}

// TestWhiskersStayInTheChart: a Wilson interval reaching above every bar
// and target raises the chart's top, so that its upper cap is drawn.
func TestWhiskersStayInTheChart(t *testing.T) {
	rep := fixture()
	for i, r := range rep.Rows {
		if r.Institution == "sodra" && r.CIHigh != nil { // 20/25: 0.609-0.911
			rep.Rows[i].Value, rep.Rows[i].Numerator, rep.Rows[i].N = f(0.4), f(2), f(5)
			rep.Rows[i].Denominator, rep.Rows[i].CILow, rep.Rows[i].CIHigh = f(5), f(0.118), f(0.769)
		}
		if r.Institution == "vmi" && r.CIHigh != nil {
			rep.Rows[i].Value, rep.Rows[i].Target, rep.Rows[i].CIHigh = f(0.3), f(0.3), f(0.39)
		}
	}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	ys := regexp.MustCompile(`y2="(-?[0-9.]+)"`).FindAllStringSubmatch(buf.String(), -1)
	if len(ys) == 0 {
		t.Fatal("no whisker drawn")
	}
	for _, m := range ys {
		if y, _ := strconv.ParseFloat(m[1], 64); y < plotTop {
			t.Errorf("a whisker ends at y %v, above the plot's top %v", y, plotTop)
		}
	}
}

// TestWorkloadIsNotRanked: more contacts offered is not better, so the
// side-by-side view ranks no institution on it.
func TestWorkloadIsNotRanked(t *testing.T) {
	rep := fixture()
	for _, in := range []string{"sodra", "vmi"} {
		r := rep.Rows[0]
		r.Institution, r.KPI, r.Channel, r.Method, r.Params = in, string(kpi.ContactsOffered), nil, "", nil
		r.Value, r.Numerator, r.Denominator = f(map[string]float64{"sodra": 1200, "vmi": 300}[in]), nil, nil
		rep.Rows = append(rep.Rows, r)
	}
	found := false
	for _, r := range NewSideBySide(rep, Options{}).Rows {
		if r.KPI != string(kpi.ContactsOffered) {
			continue
		}
		found = true
		for i, c := range r.Cells {
			if c.Rank != 0 {
				t.Errorf("cell %d ranked %d on %s", i, c.Rank, r.KPI)
			}
		}
	}
	if !found {
		t.Fatal("no contacts-offered row")
	}
}

// TestFormatDistance: the distance to a target carries the KPI's unit.
func TestFormatDistance(t *testing.T) {
	for _, tc := range []struct {
		id   kpi.ID
		v    float64
		want string
	}{
		{kpi.ServiceLevel, -0.06, "-6.0 pp"},
		{kpi.ASASeconds, 2.5, "+2.5 s"},
		{kpi.PenaltyEUR, 500, "+500 EUR"},
		{kpi.ContactsOffered, -12.5, "-12.5/day"},
	} {
		d, _ := kpi.Lookup(tc.id)
		if got := FormatDistance(d, f(tc.v)); got != tc.want {
			t.Errorf("FormatDistance(%s, %v) = %q, want %q", tc.id, tc.v, got, tc.want)
		}
	}
}

// TestStaffingChartSkipsUnmeasuredHours: an hour with contacts but no
// measured service level has no point on the implied line (not a drop to
// 0 agents); an hour without contacts implies 0.
func TestStaffingChartSkipsUnmeasuredHours(t *testing.T) {
	sl := 0.8
	hour := func(h int, needed int, implied *staffing.Queue) staffing.HourPlan {
		var measured *float64
		if implied != nil {
			measured = &sl
		}
		return staffing.HourPlan{HourCounts: staffing.HourCounts{Weekday: time.Monday, Hour: h}, Calls: 100,
			AHT: time.Minute, MeasuredSL: measured, Needed: staffing.Queue{Agents: needed}, Implied: implied}
	}
	p := staffing.WeekPlan{Institution: "sodra", Channel: "phone", Target: 0.8, Threshold: 20 * time.Second,
		Hours: []staffing.HourPlan{hour(10, 10, &staffing.Queue{Agents: 9}), hour(11, 10, nil), hour(12, 10, &staffing.Queue{Agents: 9})}}
	lc := staffingChart(p)
	if lc.NeededCount != 168 || lc.ImpliedCount != 167 {
		t.Errorf("%d needed and %d implied points, want 168 and 167 (Monday 11:00 unmeasured)", lc.NeededCount, lc.ImpliedCount)
	}
}
