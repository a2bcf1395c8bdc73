// Package reportfmt renders a report.Report for people and programs: side
// by side (KPIs per channel as rows, institutions as columns) as a text
// table, Markdown or a self-contained HTML page with SVG charts, and one
// row per figure as a text table, CSV or JSON.
package reportfmt

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/report"
	"github.com/ccbench/ccbench/staffing"
)

// Options say what the side-by-side views show beyond the measured
// figures.
type Options struct {
	// Institutions are the institutions compared, each a column even
	// without a figure; empty: those with rows.
	Institutions []string
	// IncludeReported adds the published figures of the registers, marked
	// as reported with their method, and every configured target of the
	// institutions compared, also where nothing was measured.
	IncludeReported bool
	// Targets are the configured targets (config.Config.Targets), for
	// IncludeReported.
	Targets []config.Target
	// Practices is the practices register, for the HTML matrix.
	Practices []config.Practice
	// Reported is the register of published figures
	// (config.Registers.Reported), for IncludeReported: every figure of
	// the institutions compared, whatever its period.
	Reported []config.ReportedFigure
	// Staffing are the staffing what-ifs the HTML report shows.
	Staffing []staffing.WeekPlan
}

// SideBySide is a report laid out with KPIs per channel as rows and
// institutions as columns.
type SideBySide struct {
	Institutions []string
	Rows         []SideRow
	Footnotes    []string // Footnotes[i] is note [i+1]
}

// SideRow is one KPI of one channel, instrument and period (or one
// published figure) across the institutions.
type SideRow struct {
	Def        kpi.Definition // zero for a measure outside the catalogue
	KPI        string
	Channel    string // "" for a row without a channel or summed over channels (see AllChannels)
	Instrument string
	Period     string // the period for --by day|week|month, "" for total
	Method     kpi.Method
	// Reported rows hold published figures; Label says which ("before",
	// "2018").
	Reported bool
	Label    string
	Cells    []Cell // one per institution, in Institutions' order
	// Tests are the pairwise comparisons of the row's share (measured
	// rows of share KPIs).
	Tests []report.Comparison
}

// AllChannels reports whether a row sums over the channels of a KPI that
// is computed per channel.
func (r SideRow) AllChannels() bool {
	return r.Channel == "" && r.Def.Scope != kpi.ScopeInstitution && r.Def.Scope != "" && r.Def.Scope != kpi.ScopeFeedback
}

// Name is the row's label: KPI title, channel, instrument, method.
func (r SideRow) Name() string {
	name := r.Def.Title
	if name == "" {
		name = r.KPI
	}
	var parts []string
	switch {
	case r.Channel != "":
		parts = append(parts, r.Channel)
	case r.AllChannels():
		parts = append(parts, "all channels")
	}
	if r.Instrument != "" {
		parts = append(parts, r.Instrument)
	}
	if r.Method != "" && !r.Reported {
		parts = append(parts, string(r.Method))
	}
	if r.Reported {
		parts = append(parts, "reported "+r.Label)
	}
	if len(parts) > 0 {
		name += " (" + strings.Join(parts, ", ") + ")"
	}
	if r.Period != "" {
		name += " " + r.Period
	}
	return name
}

// Cell is one institution's figure in a row.
type Cell struct {
	Row      *report.Row // nil: no figure
	Value    *float64
	Target   *float64
	Met      *bool
	Rank     int      // 1 = best among the institutions with a value; 0: not ranked
	Distance *float64 // value − target
	Small    bool     // a sampled share from fewer than 30 responses
	Note     int      // footnote number of differing parameters, 0 for none
	Unit     string   // the unit a figure of one unit stands for
	Method   kpi.Method
	// TargetUnit names the unit a configured target was set for, when
	// --include-reported puts it on a figure that is not that unit's.
	TargetUnit string
}

// NewSideBySide lays out rep.
func NewSideBySide(rep *report.Report, opt Options) SideBySide {
	s := SideBySide{Institutions: institutions(rep.Rows, opt.Institutions)}
	col := map[string]int{}
	for i, in := range s.Institutions {
		col[in] = i
	}
	type rowKey struct {
		kpi, channel, instrument, period, label, unit string
		method                                        kpi.Method
		reported                                      bool
	}
	index := map[rowKey]int{}
	row := func(k rowKey, r report.Row) *SideRow {
		i, ok := index[k]
		if !ok {
			def, _ := kpi.Lookup(kpi.ID(k.kpi))
			s.Rows = append(s.Rows, SideRow{Def: def, KPI: k.kpi, Channel: k.channel, Instrument: k.instrument, Period: k.period,
				Method: k.method, Reported: k.reported, Label: k.label, Cells: make([]Cell, len(s.Institutions))})
			i = len(s.Rows) - 1
			index[k] = i
		}
		return &s.Rows[i]
	}
	// The figures of single units, per institution, KPI, channel,
	// instrument, period and method: a roll-up of a single unit is shown
	// as that unit's figure, with that unit's target.
	type figureKey struct {
		institution, kpi, channel, instrument, period string
		method                                        kpi.Method
	}
	figureOf := func(r report.Row) figureKey {
		return figureKey{r.Institution, r.KPI, str(r.Channel), str(r.Instrument), periodOf(rep, r), r.Method}
	}
	measured := func(r report.Row) bool {
		return r.Source == report.SourceMeasured || r.KPI == string(kpi.PracticeScore)
	}
	unitRows := map[figureKey][]*report.Row{}
	for i, r := range rep.Rows {
		if measured(r) && r.Unit != nil {
			k := figureOf(r)
			unitRows[k] = append(unitRows[k], &rep.Rows[i])
		}
	}
	for i, r := range rep.Rows {
		if !measured(r) || r.Unit != nil {
			continue
		}
		use := &rep.Rows[i]
		if parts := unitRows[figureOf(r)]; len(parts) == 1 {
			use = parts[0]
		}
		k := rowKey{kpi: r.KPI, channel: str(r.Channel), instrument: str(r.Instrument), period: periodOf(rep, r), method: r.Method}
		row(k, r).Cells[col[r.Institution]] = cellOf(use)
	}
	if opt.IncludeReported {
		for _, f := range opt.Reported {
			if _, ok := col[f.Institution]; !ok {
				continue
			}
			r := reportedRow(f)
			k := rowKey{kpi: r.KPI, channel: str(r.Channel), instrument: str(r.Instrument), label: r.Label, unit: str(r.Unit), reported: true}
			sr := row(k, r)
			c := cellOf(&r)
			c.Method = r.Method
			sr.Cells[col[r.Institution]] = c
		}
	}
	if opt.IncludeReported {
		s.addTargets(opt.Targets, col, func(t config.Target) *SideRow {
			def, _ := kpi.Lookup(kpi.ID(t.KPI))
			k := rowKey{kpi: t.KPI, channel: t.Channel, instrument: t.Instrument}
			if def.PerMethod {
				k.method = rep.SLMethod
			}
			if rep.By != "total" {
				return nil
			}
			return row(k, report.Row{})
		})
	}
	sortSideRows(s.Rows)
	cmp := report.Compare(rep.Rows)
	for i := range s.Rows {
		r := &s.Rows[i]
		rank(r)
		if !r.Reported {
			r.Tests = testsOf(cmp, *r, rep)
		}
	}
	s.noteParams()
	return s
}

func institutions(rows []report.Row, asked []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, in := range asked {
		if !seen[in] {
			seen[in] = true
			out = append(out, in)
		}
	}
	for _, r := range rows {
		if !seen[r.Institution] {
			seen[r.Institution] = true
			out = append(out, r.Institution)
		}
	}
	sort.Strings(out)
	return out
}

func cellOf(r *report.Row) Cell {
	c := Cell{Row: r, Value: r.Value, Target: r.Target, Met: r.Met, Method: r.Method}
	if r.Unit != nil {
		c.Unit = *r.Unit
	}
	if r.Value != nil && r.Target != nil {
		d := *r.Value - *r.Target
		c.Distance = &d
	}
	if r.N != nil && kpi.SmallSample(*r.N) {
		c.Small = true
	}
	return c
}

// addTargets shows every configured target of the institutions compared:
// a target already on a figure stays as it is; one that applies to
// figures without a target (a unit's target on a figure of several units)
// is put on them; one without any figure gets a row of its KPI, channel
// and instrument.
func (s *SideBySide) addTargets(ts []config.Target, col map[string]int, rowFor func(config.Target) *SideRow) {
	for _, t := range ts {
		i, ok := col[t.Institution]
		if !ok {
			continue
		}
		var matches []*SideRow
		shown := false
		for j := range s.Rows {
			r := &s.Rows[j]
			if r.Reported || r.KPI != t.KPI || (t.Channel != "" && r.Channel != t.Channel) || (t.Instrument != "" && r.Instrument != t.Instrument) {
				continue
			}
			if r.Cells[i].Target != nil {
				shown = true
			}
			if r.Cells[i].Value != nil {
				matches = append(matches, r)
			}
		}
		if shown {
			continue
		}
		if len(matches) == 0 {
			r := rowFor(t)
			if r == nil {
				continue
			}
			matches = []*SideRow{r}
		}
		for _, r := range matches {
			c := &r.Cells[i]
			v := t.Value
			c.Target = &v
			if t.Unit != "" && c.Unit != t.Unit {
				c.TargetUnit = t.Unit
			}
			if c.Value != nil {
				met := t.TargetDirection().Met(*c.Value, v)
				d := *c.Value - v
				c.Met, c.Distance = &met, &d
			}
		}
	}
}

// rank orders a row's values by its KPI's direction; equal values share a
// rank. A row with fewer than two values, or of a workload KPI, has no
// ranks.
func rank(r *SideRow) {
	if r.Reported || r.Def.ID == "" || r.Def.Workload {
		return
	}
	var vals []float64
	for _, c := range r.Cells {
		if c.Value != nil {
			vals = append(vals, *c.Value)
		}
	}
	if len(vals) < 2 {
		return
	}
	for i := range r.Cells {
		c := &r.Cells[i]
		if c.Value == nil {
			continue
		}
		c.Rank = 1
		for _, v := range vals {
			if (r.Def.Direction == kpi.AtMost && v < *c.Value) || (r.Def.Direction != kpi.AtMost && v > *c.Value) {
				c.Rank++
			}
		}
	}
}

func testsOf(cmp []report.Comparison, r SideRow, rep *report.Report) []report.Comparison {
	var out []report.Comparison
	for _, c := range cmp {
		if c.KPI == r.KPI && str(c.Channel) == r.Channel && str(c.Instrument) == r.Instrument && c.Method == r.Method &&
			periodOfTimes(rep, c.PeriodStart, c.PeriodEnd) == r.Period {
			out = append(out, c)
		}
	}
	return out
}

// noteParams gives a footnote to every row whose cells were computed with
// different parameters, or whose roll-ups mix them, and marks those cells:
// the cells that differ from the parameters most of the row share (all of
// them when no set is shared by most).
func (s *SideBySide) noteParams() {
	for i := range s.Rows {
		r := &s.Rows[i]
		if r.Reported || len(r.Def.Parameters) == 0 {
			continue
		}
		count := map[string]int{}
		var sigs []string
		mixed := false
		for _, c := range r.Cells {
			sig := ""
			if c.Row != nil && c.Value != nil {
				sig = describeParams(r.Def, c.Row.Params)
				count[sig]++
				mixed = mixed || (c.Row.Params != nil && len(c.Row.Params.Mixed) > 0)
			}
			sigs = append(sigs, sig)
		}
		if len(count) < 2 && !mixed {
			continue
		}
		mode, best, unique := "", 0, false
		for sig, n := range count {
			switch {
			case n > best:
				mode, best, unique = sig, n, true
			case n == best:
				unique = false
			}
		}
		var parts []string
		for j, c := range r.Cells {
			if sigs[j] == "" {
				continue
			}
			differs := len(count) > 1 && (!unique || sigs[j] != mode)
			if differs || (c.Row.Params != nil && len(c.Row.Params.Mixed) > 0) {
				r.Cells[j].Note = len(s.Footnotes) + 1
			}
			parts = append(parts, s.Institutions[j]+": "+sigs[j])
		}
		s.Footnotes = append(s.Footnotes, r.Name()+" computed with different parameters: "+strings.Join(parts, "; "))
	}
}

// describeParams says in words what a figure's parameters are.
func describeParams(d kpi.Definition, p *report.Params) string {
	if p == nil {
		return "parameters unknown"
	}
	var parts []string
	for _, name := range d.Parameters {
		if has(p.Mixed, name) {
			parts = append(parts, paramName(name)+" differs across the channels or units summed")
			continue
		}
		if name == kpi.ParamMethod {
			if p.SLMethod != "" {
				parts = append(parts, "method "+string(p.SLMethod))
			}
			continue
		}
		v, ok := p.Value(name)
		if !ok {
			continue
		}
		unit := " s"
		if name == kpi.ParamDeadlineDays {
			unit = " working days"
		}
		parts = append(parts, paramName(name)+" "+trimFloat(v)+unit)
	}
	return strings.Join(parts, ", ")
}

func paramName(p kpi.Parameter) string {
	switch p {
	case kpi.ParamThreshold:
		return "threshold T"
	case kpi.ParamShortAbandon:
		return "short abandon S"
	case kpi.ParamLongWait:
		return "long wait L"
	case kpi.ParamDeadlineDays:
		return "deadline"
	}
	return string(p)
}

func has(list []kpi.Parameter, p kpi.Parameter) bool {
	for _, q := range list {
		if q == p {
			return true
		}
	}
	return false
}

// channelOrder is the order of channels in the side-by-side views:
// real-time, written, web, then the rows without a channel.
var channelOrder = map[string]int{
	records.ChannelPhone: 0, records.ChannelChat: 1, records.ChannelFacebook: 2, records.ChannelVisit: 3,
	records.ChannelEmail: 4, records.ChannelWebForm: 5, records.ChannelPost: 6, records.ChannelWeb: 7, "": 8,
}

func sortSideRows(rows []SideRow) {
	order := map[string]int{}
	for i, d := range kpi.Catalogue() {
		order[string(d.ID)] = i
	}
	pos := func(id string) int {
		if i, ok := order[id]; ok {
			return i
		}
		return len(order)
	}
	chPos := func(c string) int {
		if i, ok := channelOrder[c]; ok {
			return i
		}
		return len(channelOrder)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		switch {
		case pos(a.KPI) != pos(b.KPI):
			return pos(a.KPI) < pos(b.KPI)
		case a.KPI != b.KPI:
			return a.KPI < b.KPI
		case a.Period != b.Period:
			return a.Period < b.Period
		case chPos(a.Channel) != chPos(b.Channel):
			return chPos(a.Channel) < chPos(b.Channel)
		case a.Channel != b.Channel:
			return a.Channel < b.Channel
		case a.Instrument != b.Instrument:
			return a.Instrument < b.Instrument
		case a.Reported != b.Reported:
			return !a.Reported
		}
		return labelOrder(a.Label) < labelOrder(b.Label)
	})
}

// labelOrder sorts published figures: "before" before "after", periods
// in time order.
func labelOrder(l string) string {
	switch l {
	case "before":
		return "\x00"
	case "after":
		return "\x01"
	}
	return l
}

// periodOf names a row's period for --by day|week|month; "" for a total.
func periodOf(rep *report.Report, r report.Row) string {
	return periodOfTimes(rep, r.PeriodStart, r.PeriodEnd)
}

func periodOfTimes(rep *report.Report, start, end *time.Time) string {
	if rep.By == "total" || rep.By == "" || start == nil || end == nil {
		return ""
	}
	return start.Format(time.DateOnly) + ".." + end.Format(time.DateOnly)
}

// reportedRow is a published figure as a report row; its Label is its
// period, or its label when it has none. A service level without a method
// has method unknown.
func reportedRow(f config.ReportedFigure) report.Row {
	v := f.Value
	r := report.Row{Institution: f.Institution, KPI: f.KPI, Value: &v, Source: report.SourceReported, Label: f.Period, Method: kpi.Method(f.Method)}
	if r.KPI == "" {
		r.KPI = f.Metric
	}
	if r.Label == "" {
		r.Label = f.Label
	}
	if d, ok := kpi.Lookup(kpi.ID(r.KPI)); ok && d.PerMethod && r.Method == "" {
		r.Method = kpi.MethodUnknown
	}
	for _, p := range []struct {
		dst **string
		v   string
	}{{&r.Unit, f.Unit}, {&r.Channel, f.Channel}, {&r.Instrument, f.Instrument}} {
		if p.v != "" {
			v := p.v
			*p.dst = &v
		}
	}
	return r
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func trimFloat(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
}
