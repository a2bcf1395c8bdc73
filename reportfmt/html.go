package reportfmt

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"time"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/report"
	"github.com/ccbench/ccbench/staffing"
)

// WriteHTML writes one self-contained HTML page (no scripts, no network):
// the side-by-side table, a bar chart per KPI row with target lines and
// interval whiskers, the pairwise tests, the practices matrix and the
// staffing curves. Charts are plain SVG drawn from templates.
func WriteHTML(w io.Writer, rep *report.Report, opt Options) error {
	s := NewSideBySide(rep, opt)
	if len(s.Rows) == 0 {
		return fmt.Errorf("no figures to show for %s to %s", rep.From, rep.To)
	}
	page := htmlPage{Heading: heading(rep), From: rep.From, To: rep.To, Institutions: s.Institutions, Legend: legend(s)}
	for _, r := range s.Rows {
		hr := htmlRow{Name: r.Name(), Reported: r.Reported}
		for _, c := range r.Cells {
			hr.Cells = append(hr.Cells, htmlCellOf(r, c))
		}
		for _, t := range r.Tests {
			hr.Tests = append(hr.Tests, htmlTest{Text: TestText(t), Significant: t.Significant})
		}
		page.Rows = append(page.Rows, hr)
		if ch, ok := barChart(s.Institutions, r); ok {
			page.Charts = append(page.Charts, ch)
		}
	}
	page.Practices = practiceMatrix(s.Institutions, opt.Practices)
	for _, p := range opt.Staffing {
		page.Staffing = append(page.Staffing, staffingChart(p))
	}
	return pageTemplate.Execute(w, page)
}

type htmlPage struct {
	Heading      string
	From, To     string
	Institutions []string
	Rows         []htmlRow
	Legend       []string
	Charts       []chart
	Practices    *matrix
	Staffing     []lineChart
}

type htmlRow struct {
	Name     string
	Reported bool
	Cells    []htmlCell
	Tests    []htmlTest
}

type htmlCell struct {
	Value, Target, Met, Rank, Distance string
	Class                              string // met, missed or ""
}

type htmlTest struct {
	Text        string
	Significant bool
}

func htmlCellOf(r SideRow, c Cell) htmlCell {
	t := cellText(r, c)
	h := htmlCell{Value: t[0].(string), Target: t[1].(string), Met: t[2].(string), Rank: t[3].(string), Distance: t[4].(string)}
	if c.Met != nil {
		h.Class = "missed"
		if *c.Met {
			h.Class = "met"
		}
	}
	return h
}

// Chart geometry, in SVG user units.
const (
	chartWidth  = 520
	chartHeight = 220
	plotLeft    = 84 // room for tick labels such as "2000.0/day" or "EUR 20000"
	plotTop     = 20
	plotBottom  = 180
	plotRight   = chartWidth - 20
	tickX       = plotLeft - 5 // where the tick labels end
)

// chart is a bar chart of one side-by-side row: a bar per institution with
// a value, its target as a line across the bar's slot, and the Wilson
// interval of a sampled share as a whisker.
type chart struct {
	ID, Title, KPI, Channel               string
	Bars                                  []bar
	Ticks                                 []tick
	Targets                               []targetLine
	Whiskers                              []whisker
	Width, Height                         int
	AxisX0, AxisY0, AxisY1, AxisX1, TickX float64
}

type bar struct {
	Institution, Value string
	X, Y, W, H         float64
	LabelX, LabelY     float64
	ValueY             float64
}

type tick struct {
	Y     float64
	Label string
}

type targetLine struct {
	Institution    string
	X1, X2, Y      float64
	Label          string
	LabelX, LabelY float64
}

type whisker struct {
	Institution  string
	X, Y1, Y2    float64
	CapX1, CapX2 float64
	Low, High    string
}

func barChart(insts []string, r SideRow) (chart, bool) {
	if r.Reported || r.Def.ID == "" {
		return chart{}, false
	}
	top := 0.0
	n := 0
	for _, c := range r.Cells {
		if c.Value != nil {
			n++
			top = math.Max(top, *c.Value)
			if c.Target != nil {
				top = math.Max(top, *c.Target)
			}
			if r.Def.Sampled && c.Row != nil && c.Row.CIHigh != nil {
				top = math.Max(top, *c.Row.CIHigh) // the whisker's cap stays in the chart
			}
		}
	}
	if n == 0 {
		return chart{}, false
	}
	if r.Def.Unit == kpi.UnitRatio {
		top = math.Min(1, niceCeil(math.Max(top, 0.01)*1.1))
	} else if top <= 0 {
		top = 1
	} else {
		top = niceCeil(top * 1.1)
	}
	y := func(v float64) float64 { return plotBottom - (plotBottom-plotTop)*v/top }
	slot := float64(plotRight-plotLeft) / float64(len(insts))
	ch := chart{ID: chartID(r), Title: r.Name(), KPI: r.KPI, Channel: r.Channel, Width: chartWidth, Height: chartHeight,
		AxisX0: plotLeft, AxisY0: plotTop, AxisY1: plotBottom, AxisX1: plotRight, TickX: tickX}
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		ch.Ticks = append(ch.Ticks, tick{Y: y(v), Label: FormatValue(r.Def, &v)})
	}
	for i, in := range insts {
		c := r.Cells[i]
		if c.Value == nil {
			continue
		}
		x0 := plotLeft + slot*float64(i)
		bw := slot * 0.6
		bx := x0 + (slot-bw)/2
		v := math.Max(0, *c.Value)
		ch.Bars = append(ch.Bars, bar{Institution: in, Value: FormatValue(r.Def, c.Value), X: bx, Y: y(v), W: bw, H: plotBottom - y(v),
			LabelX: x0 + slot/2, LabelY: plotBottom + 16, ValueY: y(v) - 4})
		if c.Target != nil {
			ty := y(*c.Target)
			ch.Targets = append(ch.Targets, targetLine{Institution: in, X1: x0 + 4, X2: x0 + slot - 4, Y: ty,
				Label: "target " + FormatValue(r.Def, c.Target), LabelX: x0 + slot - 4, LabelY: ty - 3})
		}
		if row := c.Row; r.Def.Sampled && row != nil && row.CILow != nil && row.CIHigh != nil {
			cx := x0 + slot/2
			ch.Whiskers = append(ch.Whiskers, whisker{Institution: in, X: cx, Y1: y(*row.CILow), Y2: y(*row.CIHigh),
				CapX1: cx - 6, CapX2: cx + 6, Low: FormatValue(r.Def, row.CILow), High: FormatValue(r.Def, row.CIHigh)})
		}
	}
	return ch, true
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func chartID(r SideRow) string {
	id := "chart-" + r.KPI
	for _, p := range []string{r.Channel, r.Instrument, string(r.Method), r.Period} {
		if p != "" {
			id += "-" + p
		}
	}
	return strings.NewReplacer(".", "-", " ", "-").Replace(id)
}

// matrix is the practices register as institutions × catalogue items.
type matrix struct {
	Institutions []string
	Items        []matrixItem
}

type matrixItem struct {
	ID, Group, Description string
	Has                    []bool
}

func practiceMatrix(insts []string, ps []config.Practice) *matrix {
	profiles := map[string]kpi.PracticeProfile{}
	for _, p := range ps {
		profiles[p.Institution] = kpi.PracticeProfile{Channels: p.Channels, Languages: p.Languages, FeedbackMechanisms: p.FeedbackMechanisms, Practices: p.Practices}
	}
	m := &matrix{}
	var cols []map[string]bool
	for _, in := range insts {
		if p, ok := profiles[in]; ok {
			m.Institutions = append(m.Institutions, in)
			cols = append(cols, kpi.PracticeMatrix(p))
		}
	}
	if len(m.Institutions) == 0 {
		return nil
	}
	for _, it := range kpi.PracticeCatalogue() {
		row := matrixItem{ID: it.ID, Group: it.Group, Description: it.Description}
		for _, c := range cols {
			row.Has = append(row.Has, c[it.ID])
		}
		m.Items = append(m.Items, row)
	}
	return m
}

// lineChart is a staffing curve: agents per hour of the week, needed for
// the target and implied by the measured service level.
type lineChart struct {
	ID, Title                             string
	Institution, Channel                  string
	Needed, Implied                       string // SVG polyline points
	NeededCount, ImpliedCount             int
	Days                                  []tick // day labels along x
	Ticks                                 []tick
	Width, Height                         int
	AxisX0, AxisY0, AxisY1, AxisX1, TickX float64
	Summary                               string
	Hours                                 []staffingRow
}

type staffingRow struct {
	Hour, Calls, AHT, SL, Implied, Needed string
}

const lineWidth = 760

func staffingChart(p staffing.WeekPlan) lineChart {
	top := 1.0
	for _, h := range p.Hours {
		top = math.Max(top, float64(h.Needed.Agents))
		if h.Implied != nil {
			top = math.Max(top, float64(h.Implied.Agents))
		}
	}
	top = niceCeil(top * 1.1)
	right := float64(lineWidth - 20)
	x := func(how int) float64 { return plotLeft + (right-plotLeft)*float64(how)/167 }
	y := func(v float64) float64 { return plotBottom - (plotBottom-plotTop)*v/top }
	lc := lineChart{ID: "staffing-" + p.Institution + "-" + p.Channel, Institution: p.Institution, Channel: p.Channel,
		Title: fmt.Sprintf("%s %s: agents for %.0f %% within %s (Erlang C), and implied by the measured service level",
			p.Institution, p.Channel, p.Target*100, p.Threshold),
		Width: lineWidth, Height: chartHeight, AxisX0: plotLeft, AxisY0: plotTop, AxisY1: plotBottom, AxisX1: right, TickX: tickX}
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		lc.Ticks = append(lc.Ticks, tick{Y: y(v), Label: trimFloat(v)})
	}
	for d := 0; d < 7; d++ {
		lc.Days = append(lc.Days, tick{Y: x(d*24 + 12), Label: time.Weekday((d + 1) % 7).String()[:3]})
	}
	// Every hour of the week has a point: an hour without contacts needs
	// (and implies) no agents. The implied line skips the hours whose
	// service level could not be measured (every contact a short abandon).
	var neededAt, impliedAt [168]int
	peak := staffing.HourPlan{}
	for _, h := range p.Hours {
		how := hourOfWeek(h.Weekday, h.Hour)
		neededAt[how] = h.Needed.Agents
		row := staffingRow{Hour: fmt.Sprintf("%s %02d:00", h.Weekday.String()[:3], h.Hour), Calls: trimFloat(h.Calls),
			AHT: fmt.Sprintf("%.0f s", h.AHT.Seconds()), Needed: fmt.Sprint(h.Needed.Agents)}
		impliedAt[how] = -1 // contacts, but no measured service level: no point
		if h.Implied != nil {
			impliedAt[how] = h.Implied.Agents
			row.Implied = fmt.Sprint(h.Implied.Agents)
		}
		if h.MeasuredSL != nil {
			row.SL = fmt.Sprintf("%.1f%%", *h.MeasuredSL*100)
		}
		lc.Hours = append(lc.Hours, row)
		if h.Needed.Agents > peak.Needed.Agents {
			peak = h
		}
	}
	var needed, implied []string
	for how := 0; how < 168; how++ {
		needed = append(needed, fmt.Sprintf("%.1f,%.1f", x(how), y(float64(neededAt[how]))))
		if impliedAt[how] >= 0 {
			implied = append(implied, fmt.Sprintf("%.1f,%.1f", x(how), y(float64(impliedAt[how]))))
		}
	}
	lc.Needed, lc.Implied = strings.Join(needed, " "), strings.Join(implied, " ")
	lc.NeededCount, lc.ImpliedCount = len(needed), len(implied)
	if peak.Needed.Agents > 0 {
		lc.Summary = fmt.Sprintf("Peak: %s %02d:00, %s calls an hour, AHT %.0f s: %d agents needed",
			peak.Weekday, peak.Hour, trimFloat(peak.Calls), peak.AHT.Seconds(), peak.Needed.Agents)
		if peak.Implied != nil {
			lc.Summary += fmt.Sprintf(", %d implied by the measured %.1f %%", peak.Implied.Agents, *peak.MeasuredSL*100)
		}
		lc.Summary += "."
	}
	return lc
}

// hourOfWeek numbers the hours of the week from Monday 00:00.
func hourOfWeek(d time.Weekday, hour int) int {
	return (int(d)+6)%7*24 + hour
}

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ccbench comparison {{.From}} to {{.To}}</title>
<style>
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: right; vertical-align: top; white-space: nowrap; }
th.kpi, td.kpi { text-align: left; white-space: normal; min-width: 14em; }
td.tests { text-align: left; }
tr.reported td { font-style: italic; background: #f7f7f7; }
td.met { background: #e6f4e6; }
td.missed { background: #fbe4e4; }
.significant { font-weight: bold; }
figure.chart { display: inline-block; margin: 0.5em; border: 1px solid #eee; }
figcaption { font-size: 0.85em; text-align: center; }
svg text { font-size: 11px; }
.bar { fill: #4a79a5; }
.target-line { stroke: #c0392b; stroke-width: 2; stroke-dasharray: 4 2; }
.whisker { stroke: #222; stroke-width: 1.5; }
.axis { stroke: #888; }
.needed { fill: none; stroke: #c0392b; stroke-width: 2; }
.implied { fill: none; stroke: #4a79a5; stroke-width: 2; }
.legend { font-size: 0.85em; }
</style>
</head>
<body>
<h1>ccbench: institutions compared</h1>
<p>{{.Heading}}</p>

<section id="side-by-side">
<h2>Side by side</h2>
<div style="overflow-x: auto">
<table class="side-by-side">
<thead>
<tr><th class="kpi" rowspan="2">KPI</th>{{range .Institutions}}<th colspan="5">{{.}}</th>{{end}}<th rowspan="2">difference (5 % test)</th></tr>
<tr>{{range .Institutions}}<th>value</th><th>target</th><th>met</th><th>rank</th><th>Δ target</th>{{end}}</tr>
</thead>
<tbody>
{{range .Rows}}<tr{{if .Reported}} class="reported"{{end}}><td class="kpi">{{.Name}}</td>{{range .Cells}}<td>{{.Value}}</td><td>{{.Target}}</td><td class="{{.Class}}">{{.Met}}</td><td>{{.Rank}}</td><td>{{.Distance}}</td>{{end}}<td class="tests">{{range $i, $t := .Tests}}{{if $i}}<br>{{end}}<span class="test{{if $t.Significant}} significant{{end}}">{{$t.Text}}</span>{{end}}</td></tr>
{{end}}</tbody>
</table>
</div>
<ul class="legend">{{range .Legend}}<li>{{.}}</li>{{end}}</ul>
</section>

<section id="charts">
<h2>Charts</h2>
<p class="legend">Bars: the measured value; dashed red line: the institution's target; whiskers: the Wilson 95 % interval of a sampled share.</p>
{{range $c := .Charts}}<figure class="chart" id="{{.ID}}" data-kpi="{{.KPI}}" data-channel="{{.Channel}}" data-bars="{{len .Bars}}" data-targets="{{len .Targets}}" data-whiskers="{{len .Whiskers}}">
<svg xmlns="http://www.w3.org/2000/svg" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}" role="img" aria-label="{{.Title}}">
<line class="axis" x1="{{.AxisX0}}" y1="{{.AxisY0}}" x2="{{.AxisX0}}" y2="{{.AxisY1}}"/>
<line class="axis" x1="{{.AxisX0}}" y1="{{.AxisY1}}" x2="{{.AxisX1}}" y2="{{.AxisY1}}"/>
{{range .Ticks}}<text class="tick" x="{{$c.TickX}}" y="{{.Y}}" text-anchor="end" dominant-baseline="middle">{{.Label}}</text>
{{end}}{{range .Bars}}<rect class="bar" data-institution="{{.Institution}}" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"><title>{{.Institution}}: {{.Value}}</title></rect>
<text class="bar-label" x="{{.LabelX}}" y="{{.LabelY}}" text-anchor="middle">{{.Institution}}</text>
<text class="value-label" x="{{.LabelX}}" y="{{.ValueY}}" text-anchor="middle">{{.Value}}</text>
{{end}}{{range .Targets}}<line class="target-line" data-institution="{{.Institution}}" x1="{{.X1}}" y1="{{.Y}}" x2="{{.X2}}" y2="{{.Y}}"><title>{{.Institution}} {{.Label}}</title></line>
{{end}}{{range .Whiskers}}<g class="whisker-group" data-institution="{{.Institution}}"><title>{{.Institution}}: 95 % interval {{.Low}} to {{.High}}</title><line class="whisker" x1="{{.X}}" y1="{{.Y1}}" x2="{{.X}}" y2="{{.Y2}}"/><line class="whisker" x1="{{.CapX1}}" y1="{{.Y1}}" x2="{{.CapX2}}" y2="{{.Y1}}"/><line class="whisker" x1="{{.CapX1}}" y1="{{.Y2}}" x2="{{.CapX2}}" y2="{{.Y2}}"/></g>
{{end}}</svg>
<figcaption>{{.Title}}</figcaption>
</figure>
{{end}}</section>
{{with .Practices}}
<section id="practices">
<h2>Practices</h2>
<table class="practices">
<thead><tr><th class="kpi">practice</th><th class="kpi">group</th>{{range .Institutions}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Items}}<tr><td class="kpi" title="{{.Description}}">{{.ID}}</td><td class="kpi">{{.Group}}</td>{{range .Has}}<td>{{if .}}✓{{else}}–{{end}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
</section>
{{end}}{{if .Staffing}}
<section id="staffing">
<h2>Staffing what-if (Erlang C)</h2>
<p class="legend">Per hour of the week, from the measured arrivals and handling time: red, the agents Erlang C needs for the target; blue, the agents the measured service level implies.</p>
{{range $c := .Staffing}}<figure class="staffing-chart" id="{{.ID}}" data-institution="{{.Institution}}" data-needed-points="{{.NeededCount}}" data-implied-points="{{.ImpliedCount}}">
<svg xmlns="http://www.w3.org/2000/svg" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}" role="img" aria-label="{{.Title}}">
<line class="axis" x1="{{.AxisX0}}" y1="{{.AxisY0}}" x2="{{.AxisX0}}" y2="{{.AxisY1}}"/>
<line class="axis" x1="{{.AxisX0}}" y1="{{.AxisY1}}" x2="{{.AxisX1}}" y2="{{.AxisY1}}"/>
{{range .Ticks}}<text class="tick" x="{{$c.TickX}}" y="{{.Y}}" text-anchor="end" dominant-baseline="middle">{{.Label}}</text>
{{end}}{{range .Days}}<text class="day-label" x="{{.Y}}" y="196" text-anchor="middle">{{.Label}}</text>
{{end}}<polyline class="needed" points="{{.Needed}}"><title>agents needed</title></polyline>
<polyline class="implied" points="{{.Implied}}"><title>agents implied</title></polyline>
<text class="legend-needed" x="70" y="14" fill="#c0392b">agents needed</text>
<text class="legend-implied" x="170" y="14" fill="#4a79a5">agents implied by the measured service level</text>
</svg>
<figcaption>{{.Title}}. {{.Summary}}</figcaption>
<details><summary>per hour</summary>
<table class="staffing"><thead><tr><th>hour</th><th>calls/hour</th><th>AHT</th><th>measured SL</th><th>implied agents</th><th>agents needed</th></tr></thead>
<tbody>{{range .Hours}}<tr><td>{{.Hour}}</td><td>{{.Calls}}</td><td>{{.AHT}}</td><td>{{.SL}}</td><td>{{.Implied}}</td><td>{{.Needed}}</td></tr>
{{end}}</tbody></table>
</details>
</figure>
{{end}}</section>
{{end}}
</body>
</html>
`))
