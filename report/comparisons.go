package report

import (
	"math"
	"sort"
	"time"

	"github.com/ccbench/ccbench/kpi"
)

// Comparison is the test of two institutions' shares of one KPI, channel,
// instrument and period: the difference A − B, the pooled two-proportion z
// test at kpi.SignificanceLevel and the Wilson 95 % interval of each share.
type Comparison struct {
	KPI          string     `json:"kpi"`
	Channel      *string    `json:"channel"`
	Instrument   *string    `json:"instrument"`
	PeriodStart  *time.Time `json:"period_start"`
	PeriodEnd    *time.Time `json:"period_end"`
	Method       kpi.Method `json:"method,omitempty"`
	InstitutionA string     `json:"institution_a"`
	InstitutionB string     `json:"institution_b"`
	ValueA       float64    `json:"value_a"`
	ValueB       float64    `json:"value_b"`
	NumeratorA   float64    `json:"numerator_a"`
	NumeratorB   float64    `json:"numerator_b"`
	NA           float64    `json:"n_a"`
	NB           float64    `json:"n_b"`
	CILowA       float64    `json:"ci_low_a"`
	CIHighA      float64    `json:"ci_high_a"`
	CILowB       float64    `json:"ci_low_b"`
	CIHighB      float64    `json:"ci_high_b"`
	Difference   float64    `json:"difference"` // value_a − value_b
	Z            *float64   `json:"z"`          // null when the test is undefined
	PValue       *float64   `json:"p_value"`
	Significant  bool       `json:"significant"`
	// SmallSample is set when either share has fewer than
	// kpi.MinSampleSize in its denominator.
	SmallSample bool `json:"small_sample"`
	// ParamsDiffer names the parameters the two figures were computed
	// with differently (or that are mixed within either).
	ParamsDiffer []kpi.Parameter `json:"params_differ"`
}

// IsShare reports whether a KPI is a share of counted events or responses,
// which the two-proportion test applies to: a ratio KPI that is not read
// from a register.
func IsShare(d kpi.Definition) bool {
	return d.Unit == kpi.UnitRatio && d.Measure != kpi.MeasureRegister
}

// Compare tests every pair of institutions on every share KPI, on the
// measured rows summed over units (one per KPI, channel, instrument, period
// and method; periods match by their local dates, since each institution's
// period is in its own time zone). Institutions pair in the order of their first row.
func Compare(rows []Row) []Comparison {
	type key struct {
		kpi, channel, instrument string
		period                   string // local dates: institutions' zones differ
		method                   kpi.Method
	}
	groups := map[key][]Row{}
	var keys []key
	for _, r := range rows {
		d, ok := kpi.Lookup(kpi.ID(r.KPI))
		if !ok || !IsShare(d) || r.Source != SourceMeasured || r.Unit != nil || r.Numerator == nil || r.Denominator == nil || r.Value == nil {
			continue
		}
		k := key{kpi: r.KPI, channel: deref(r.Channel), instrument: deref(r.Instrument), method: r.Method}
		if r.Channel == nil {
			k.channel = "\xff"
		}
		if r.PeriodStart != nil && r.PeriodEnd != nil {
			k.period = r.PeriodStart.Format(time.DateOnly) + "/" + r.PeriodEnd.Format(time.DateOnly)
		}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	out := []Comparison{}
	for _, k := range keys {
		g := groups[k]
		sort.SliceStable(g, func(i, j int) bool { return g[i].Institution < g[j].Institution })
		for i := range g {
			for j := i + 1; j < len(g); j++ {
				out = append(out, comparePair(g[i], g[j]))
			}
		}
	}
	return out
}

func comparePair(a, b Row) Comparison {
	c := Comparison{
		KPI: a.KPI, Channel: a.Channel, Instrument: a.Instrument, PeriodStart: a.PeriodStart, PeriodEnd: a.PeriodEnd, Method: a.Method,
		InstitutionA: a.Institution, InstitutionB: b.Institution,
		ValueA: *a.Value, ValueB: *b.Value, NumeratorA: *a.Numerator, NumeratorB: *b.Numerator, NA: *a.Denominator, NB: *b.Denominator,
		Difference:   *a.Value - *b.Value,
		ParamsDiffer: ParamsDiffer(a.KPI, a.Params, b.Params),
	}
	ia, ib := kpi.Wilson(c.NumeratorA, c.NA, kpi.Z95), kpi.Wilson(c.NumeratorB, c.NB, kpi.Z95)
	c.CILowA, c.CIHighA, c.CILowB, c.CIHighB = ia.Low, ia.High, ib.Low, ib.High
	if z, p := kpi.TwoProportionTest(c.NumeratorA, c.NA, c.NumeratorB, c.NB); !math.IsNaN(p) {
		c.Z, c.PValue = ptr(z), ptr(p)
		c.Significant = kpi.Significant(p)
	}
	c.SmallSample = kpi.SmallSample(c.NA) || kpi.SmallSample(c.NB)
	return c
}

// ParamsDiffer returns the parameters of KPI id that a and b were computed
// with differently, or that are mixed within either; never nil.
func ParamsDiffer(id string, a, b *Params) []kpi.Parameter {
	out := []kpi.Parameter{}
	d, ok := kpi.Lookup(kpi.ID(id))
	if !ok {
		return out
	}
	mixed := func(p *Params, name kpi.Parameter) bool { return p != nil && has(p.Mixed, name) }
	for _, name := range d.Parameters {
		if name == kpi.ParamMethod {
			if a != nil && b != nil && a.SLMethod != b.SLMethod {
				out = append(out, name)
			}
			continue
		}
		va, oka := a.Value(name)
		vb, okb := b.Value(name)
		if mixed(a, name) || mixed(b, name) || oka != okb || va != vb {
			out = append(out, name)
		}
	}
	return out
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
