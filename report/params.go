package report

import (
	"time"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
)

// Params are the parameters a figure was computed with: only those its KPI
// depends on (kpi.Definition.Parameters), so that figures computed
// differently can be told apart wherever they are compared.
type Params struct {
	SLMethod      kpi.Method `json:"sl_method,omitempty"`
	ThresholdS    *float64   `json:"threshold_s,omitempty"`
	ShortAbandonS *float64   `json:"short_abandon_s,omitempty"`
	LongWaitS     *float64   `json:"long_wait_s,omitempty"`
	DeadlineDays  *int       `json:"deadline_days,omitempty"`
	// Mixed names the parameters that differ among the parts a roll-up
	// sums (threshold_s over phone and chat, say); they have no value.
	Mixed []kpi.Parameter `json:"mixed,omitempty"`
}

// Value returns parameter p as a number, and whether it has one.
func (p *Params) Value(name kpi.Parameter) (float64, bool) {
	if p == nil {
		return 0, false
	}
	var v *float64
	switch name {
	case kpi.ParamThreshold:
		v = p.ThresholdS
	case kpi.ParamShortAbandon:
		v = p.ShortAbandonS
	case kpi.ParamLongWait:
		v = p.LongWaitS
	case kpi.ParamDeadlineDays:
		if p.DeadlineDays != nil {
			return float64(*p.DeadlineDays), true
		}
	}
	if v == nil {
		return 0, false
	}
	return *v, true
}

// blockParams sets the Params of rows computed from aggregate phone blocks,
// which were judged by the blocks' own thresholds (thresholdS, one per
// block) rather than the configured T: the configured parameters with the
// blocks' T, or T Mixed when the blocks disagree.
func (b *builder) blockParams(rows []Row, thresholdS []float64) {
	for i := range rows {
		r := &rows[i]
		def, ok := kpi.Lookup(kpi.ID(r.KPI))
		if !ok || !has(def.Parameters, kpi.ParamThreshold) {
			continue
		}
		r.Params = configured(b.cfg, def, r.Institution, deref(r.Unit), records.ChannelPhone, r.Method)
		r.Params.ThresholdS = nil
		for j, t := range thresholdS {
			if j == 0 {
				r.Params.ThresholdS = ptr(t)
			} else if t != thresholdS[0] {
				r.Params.ThresholdS = nil
				r.Params.Mixed = []kpi.Parameter{kpi.ParamThreshold}
				break
			}
		}
	}
}

// attachParams sets the Params of every row whose KPI has parameters and
// none yet: from cfg.Params for a row of one unit and channel, and for a
// roll-up from the rows of one unit and channel it sums (a parameter they
// disagree on is Mixed). Reported figures carry only their publisher's
// method.
func attachParams(cfg *config.Config, rows []Row) {
	parts := map[partKey][]*Params{}
	for i := range rows {
		r := &rows[i]
		def, ok := kpi.Lookup(kpi.ID(r.KPI))
		if !ok || len(def.Parameters) == 0 {
			continue
		}
		if r.Source == SourceReported {
			if has(def.Parameters, kpi.ParamMethod) {
				m := r.Method
				if m == "" {
					m = kpi.MethodUnknown
				}
				r.Params = &Params{SLMethod: m}
			}
			continue
		}
		if r.Unit == nil || r.Channel == nil {
			continue
		}
		if r.Params == nil {
			r.Params = configured(cfg, def, r.Institution, *r.Unit, *r.Channel, r.Method)
		}
		k := keyOf(*r)
		k.channel = "*"
		parts[k] = append(parts[k], r.Params)
		k.channel = *r.Channel
		parts[k] = append(parts[k], r.Params)
	}
	for i := range rows {
		r := &rows[i]
		def, ok := kpi.Lookup(kpi.ID(r.KPI))
		if !ok || len(def.Parameters) == 0 || r.Source == SourceReported || (r.Unit != nil && r.Channel != nil) || r.Params != nil {
			continue
		}
		k := keyOf(*r)
		k.channel = "*"
		if r.Channel != nil {
			k.channel = *r.Channel
		}
		if ps := parts[k]; len(ps) > 0 {
			r.Params = merge(def, ps)
		} else if r.Channel != nil {
			r.Params = configured(cfg, def, r.Institution, "", *r.Channel, r.Method)
		}
	}
}

// partKey groups the rows a roll-up sums; channel "*" for every channel.
type partKey struct {
	institution, kpi, instrument, channel string
	period                                int64
}

func keyOf(r Row) partKey {
	k := partKey{institution: r.Institution, kpi: r.KPI}
	if r.Instrument != nil {
		k.instrument = *r.Instrument
	}
	if r.PeriodStart != nil {
		k.period = r.PeriodStart.Unix()
	}
	return k
}

func has(ps []kpi.Parameter, p kpi.Parameter) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// configured returns the parameters of def for one institution, unit and
// channel. The deadline of a written channel is DeadlineDays; that of a
// complex inquiry on a real-time channel ComplexDeadlineDays.
func configured(cfg *config.Config, def kpi.Definition, institution, unit, channel string, method kpi.Method) *Params {
	cp := cfg.Params(institution, unit, channel)
	secs := func(d time.Duration) *float64 { return ptr(d.Seconds()) }
	p := &Params{}
	for _, name := range def.Parameters {
		switch name {
		case kpi.ParamMethod:
			p.SLMethod = method
		case kpi.ParamThreshold:
			p.ThresholdS = secs(cp.Threshold)
		case kpi.ParamShortAbandon:
			p.ShortAbandonS = secs(cp.ShortAbandon)
		case kpi.ParamLongWait:
			p.LongWaitS = secs(cp.LongWait)
		case kpi.ParamDeadlineDays:
			d := cp.DeadlineDays
			if !records.IsWritten(channel) {
				d = cp.ComplexDeadlineDays
			}
			p.DeadlineDays = ptr(d)
		}
	}
	return p
}

// merge returns the parameters common to ps; one they disagree on is
// Mixed and has no value.
func merge(def kpi.Definition, ps []*Params) *Params {
	out := *ps[0]
	out.Mixed = nil
	for _, name := range def.Parameters {
		if name == kpi.ParamMethod {
			continue
		}
		v0, ok0 := ps[0].Value(name)
		for _, p := range ps[1:] {
			if v, ok := p.Value(name); ok != ok0 || v != v0 {
				out.Mixed = append(out.Mixed, name)
				switch name {
				case kpi.ParamThreshold:
					out.ThresholdS = nil
				case kpi.ParamShortAbandon:
					out.ShortAbandonS = nil
				case kpi.ParamLongWait:
					out.LongWaitS = nil
				case kpi.ParamDeadlineDays:
					out.DeadlineDays = nil
				}
				break
			}
		}
	}
	return &out
}
