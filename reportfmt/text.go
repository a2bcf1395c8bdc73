package reportfmt

import (
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jedib0t/go-pretty/v6/table"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/report"
)

// WriteTable writes the side-by-side view as an aligned text table.
func WriteTable(w io.Writer, rep *report.Report, opt Options) error {
	return writeSideBySide(w, rep, opt, false)
}

// WriteMarkdown writes the side-by-side view as a Markdown table.
func WriteMarkdown(w io.Writer, rep *report.Report, opt Options) error {
	return writeSideBySide(w, rep, opt, true)
}

// subColumns are the columns of each institution in the side-by-side
// views.
var subColumns = []string{"value", "target", "met", "rank", "Δ target"}

func writeSideBySide(w io.Writer, rep *report.Report, opt Options, markdown bool) error {
	s := NewSideBySide(rep, opt)
	if len(s.Rows) == 0 {
		return fmt.Errorf("no figures to show for %s to %s", rep.From, rep.To)
	}
	t := table.NewWriter()
	if markdown {
		head := table.Row{"KPI"}
		for _, in := range s.Institutions {
			for i, c := range subColumns {
				if i == 0 {
					head = append(head, in)
				} else {
					head = append(head, in+" "+c)
				}
			}
		}
		t.AppendHeader(escapeHTML(append(head, "difference (5 % test)")))
	} else {
		top, sub := table.Row{"KPI"}, table.Row{""}
		for _, in := range s.Institutions {
			for _, c := range subColumns {
				top, sub = append(top, in), append(sub, c)
			}
		}
		t.AppendHeader(append(top, "difference (5 % test)"), table.RowConfig{AutoMerge: true})
		t.AppendHeader(append(sub, ""))
	}
	for _, r := range s.Rows {
		line := table.Row{r.Name()}
		for _, c := range r.Cells {
			line = append(line, cellText(r, c)...)
		}
		sep := "\n"
		if markdown {
			sep = "; "
		}
		line = append(line, testsText(r.Tests, sep))
		if markdown {
			line = escapeHTML(line)
		}
		t.AppendRow(line)
	}
	fmt.Fprintln(w, heading(rep))
	fmt.Fprintln(w)
	if markdown {
		fmt.Fprintln(w, t.RenderMarkdown())
	} else {
		t.SetStyle(table.StyleLight)
		fmt.Fprintln(w, t.Render())
	}
	fmt.Fprintln(w)
	for _, l := range legend(s) {
		if markdown {
			l = "- " + escapeTags(l)
		}
		fmt.Fprintln(w, l)
	}
	return nil
}

// htmlTagStart is a "<" that would open raw HTML in Markdown (CommonMark:
// followed by a letter, "/", "!" or "?"); "n<30" and "A < B" are text.
var htmlTagStart = regexp.MustCompile(`<([A-Za-z/!?])`)

// escapeHTML escapes the cells of a Markdown row: renderers that allow
// HTML in Markdown must show names and labels as text, never run them.
func escapeHTML(row table.Row) table.Row {
	for i, c := range row {
		if s, ok := c.(string); ok {
			row[i] = escapeTags(s)
		}
	}
	return row
}

func escapeTags(s string) string { return htmlTagStart.ReplaceAllString(s, "&lt;$1") }

// heading is the first line of every human format.
func heading(rep *report.Report) string {
	return fmt.Sprintf("KPIs from %s to %s (exclusive), by %s, service level method %s, open cases judged as of %s",
		rep.From, rep.To, rep.By, rep.SLMethod, rep.AsOf.Format(time.RFC3339))
}

// legend explains the markers and lists the footnotes.
func legend(s SideBySide) []string {
	out := []string{
		"rank 1 is best in the KPI's direction (workloads such as contacts offered are not ranked); Δ target = value − target; (n<30): fewer than 30 responses, read with care.",
		"difference: A > B * when the two-proportion z test finds it significant at 5 %, A ~ B when it does not (Wilson 95 % intervals in JSON and on the HTML charts).",
	}
	for i, f := range s.Footnotes {
		out = append(out, fmt.Sprintf("[%d] %s", i+1, f))
	}
	return out
}

// cellText renders a cell as the subColumns.
func cellText(r SideRow, c Cell) []any {
	v := FormatValue(r.Def, c.Value)
	if c.Value == nil {
		v = ""
	}
	if c.Small {
		v += " (n<30)"
	}
	if r.Reported && c.Method != "" {
		v += " (method " + string(c.Method) + ")"
	}
	if r.Reported && c.Unit != "" && c.Value != nil {
		v += " (" + c.Unit + ")"
	}
	if c.Note > 0 {
		v += fmt.Sprintf(" [%d]", c.Note)
	}
	target := ""
	if c.Target != nil {
		target = directionSign(r, c) + FormatValue(r.Def, c.Target)
		if c.TargetUnit != "" {
			target += " (" + c.TargetUnit + ")"
		}
	}
	met := ""
	if c.Met != nil {
		met = "yes"
		if !*c.Met {
			met = "NO"
		}
	}
	rank := ""
	if c.Rank > 0 {
		rank = strconv.Itoa(c.Rank)
	}
	return []any{v, target, met, rank, FormatDistance(r.Def, c.Distance)}
}

func directionSign(r SideRow, c Cell) string {
	d := r.Def.Direction
	if c.Value != nil && c.Target != nil && c.Met != nil {
		// The configured direction may differ from the KPI's usual one:
		// read it from whether the target was met, where that tells.
		if atMost, atLeast := kpi.AtMost.Met(*c.Value, *c.Target), kpi.AtLeast.Met(*c.Value, *c.Target); atMost != atLeast {
			d = kpi.AtLeast
			if *c.Met == atMost {
				d = kpi.AtMost
			}
		}
	}
	if d == kpi.AtMost {
		return "≤ "
	}
	return "≥ "
}

// testsText lists a row's pairwise tests.
func testsText(ts []report.Comparison, sep string) string {
	var parts []string
	for _, c := range ts {
		parts = append(parts, TestText(c))
	}
	return strings.Join(parts, sep)
}

// TestText renders one comparison: "sodra > vmi * (+2.1 pp)".
func TestText(c report.Comparison) string {
	op := "~"
	switch {
	case c.Significant && c.Difference > 0:
		op = ">"
	case c.Significant && c.Difference < 0:
		op = "<"
	}
	s := c.InstitutionA + " " + op + " " + c.InstitutionB
	if c.Significant {
		s += " *"
	}
	s += fmt.Sprintf(" (%+.1f pp)", c.Difference*100)
	if c.SmallSample {
		s += " (n<30)"
	}
	if len(c.ParamsDiffer) > 0 {
		var names []string
		for _, p := range c.ParamsDiffer {
			names = append(names, string(p))
		}
		s += " (" + strings.Join(names, ", ") + " differ)"
	}
	return s
}

// FormatValue renders a value in its KPI's unit: ratios as percentages.
func FormatValue(d kpi.Definition, v *float64) string {
	if v == nil {
		return "-"
	}
	switch d.Unit {
	case kpi.UnitRatio:
		return strconv.FormatFloat(*v*100, 'f', 1, 64) + "%"
	case kpi.UnitSeconds:
		return strconv.FormatFloat(*v, 'f', 1, 64) + " s"
	case kpi.UnitEUR:
		return "EUR " + strconv.FormatFloat(*v, 'f', 0, 64)
	case kpi.UnitContactsDay:
		return strconv.FormatFloat(*v, 'f', 1, 64) + "/day"
	}
	return trimFloat(*v)
}

// FormatDistance renders value − target: percentage points for ratios.
func FormatDistance(d kpi.Definition, v *float64) string {
	if v == nil {
		return ""
	}
	x := *v
	if math.Abs(x) < 1e-12 {
		x = 0
	}
	switch d.Unit {
	case kpi.UnitRatio:
		return fmt.Sprintf("%+.1f pp", x*100)
	case kpi.UnitSeconds:
		return fmt.Sprintf("%+.1f s", x)
	case kpi.UnitEUR:
		return fmt.Sprintf("%+.0f EUR", x)
	case kpi.UnitContactsDay:
		return fmt.Sprintf("%+.1f/day", x)
	}
	return fmt.Sprintf("%+.1f", x)
}

// WriteLong writes one row per figure, with the parameters it was
// computed with.
func WriteLong(w io.Writer, rep *report.Report) error {
	if len(rep.Rows) == 0 {
		return fmt.Errorf("no figures to show for %s to %s", rep.From, rep.To)
	}
	t := table.NewWriter()
	t.SetStyle(table.StyleLight)
	t.AppendHeader(table.Row{"institution", "unit", "channel", "instrument", "KPI", "method", "period", "value", "n", "95% CI", "target", "met", "source", "parameters"})
	for _, r := range rep.Rows {
		def, _ := kpi.Lookup(kpi.ID(r.KPI))
		n := ""
		if r.N != nil {
			n = strconv.FormatFloat(*r.N, 'f', 0, 64)
			if kpi.SmallSample(*r.N) {
				n += " (n<30)"
			}
		}
		ci := ""
		if r.CILow != nil && r.CIHigh != nil {
			ci = fmt.Sprintf("%.1f-%.1f%%", *r.CILow*100, *r.CIHigh*100)
		}
		met := ""
		if r.Met != nil {
			met = map[bool]string{true: "yes", false: "NO"}[*r.Met]
		}
		params := ""
		if r.Params != nil {
			params = describeParams(def, r.Params)
		}
		t.AppendRow(table.Row{r.Institution, orAll(r.Unit), orAll(r.Channel), orAll(r.Instrument), r.KPI, string(r.Method),
			longPeriod(r), FormatValue(def, r.Value), n, ci, FormatValue(def, r.Target), met, r.Source, params})
	}
	fmt.Fprintln(w, heading(rep))
	fmt.Fprintln(w)
	fmt.Fprintln(w, t.Render())
	return nil
}

func orAll(p *string) string {
	if p == nil {
		return "(all)"
	}
	return *p
}

func longPeriod(r report.Row) string {
	if r.PeriodStart == nil || r.PeriodEnd == nil {
		return r.Label
	}
	return r.PeriodStart.Format(time.DateOnly) + ".." + r.PeriodEnd.Format(time.DateOnly)
}
