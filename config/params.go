package config

import (
	"time"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
)

// Params returns the KPI parameters for one institution, unit and channel:
// the catalogue defaults for the channel, overridden by every target of that
// institution that applies (a target without unit or channel applies to all
// of them; a more specific target wins over a general one).
func (c *Config) Params(institution, unit, channel string) kpi.Params {
	p := kpi.DefaultParams(channel)
	if in, ok := c.Institution(institution); ok {
		p.Calendar = in.Calendar
	}
	// Apply general targets first, specific ones last.
	for pass := 0; pass < 3; pass++ {
		for _, t := range c.Targets {
			if t.Institution != institution || specificity(t) != pass {
				continue
			}
			if (t.Unit != "" && t.Unit != unit) || (t.Channel != "" && t.Channel != channel) {
				continue
			}
			if t.Threshold > 0 {
				p.Threshold = time.Duration(t.Threshold)
			}
			if t.ShortAbandon > 0 {
				p.ShortAbandon = time.Duration(t.ShortAbandon)
			}
			if t.LongWait > 0 {
				p.LongWait = time.Duration(t.LongWait)
			}
			if t.DeadlineDays > 0 {
				p.DeadlineDays = t.DeadlineDays
			}
			if t.ComplexDeadlineDays > 0 {
				p.ComplexDeadlineDays = t.ComplexDeadlineDays
			}
		}
	}
	return p
}

func specificity(t Target) int {
	n := 0
	if t.Unit != "" {
		n++
	}
	if t.Channel != "" {
		n++
	}
	return n
}

// TargetDirection is the target's direction, or the KPI's usual one.
func (t Target) TargetDirection() kpi.Direction {
	if t.Direction != "" {
		return kpi.Direction(t.Direction)
	}
	d, _ := kpi.Lookup(kpi.ID(t.KPI))
	return d.Direction
}

// Specificity is how many of unit, channel and instrument the target
// names. Of the targets that cover a figure, TargetFor picks the one with
// the greatest, the first of equals.
func (t Target) Specificity() int {
	n := specificity(t)
	if t.Instrument != "" {
		n++
	}
	return n
}

// TargetFor returns the most specific target for a KPI of one institution,
// unit, channel and instrument, if any.
func (c *Config) TargetFor(id kpi.ID, institution, unit, channel, instrument string) (Target, bool) {
	best, bestScore := Target{}, -1
	for _, t := range c.Targets {
		if kpi.ID(t.KPI) != id || t.Institution != institution {
			continue
		}
		if (t.Unit != "" && t.Unit != unit) || (t.Channel != "" && t.Channel != channel) || (t.Instrument != "" && t.Instrument != instrument) {
			continue
		}
		if score := t.Specificity(); score > bestScore {
			best, bestScore = t, score
		}
	}
	return best, bestScore >= 0
}

// Record returns the target as the targets register stores it, with its
// direction resolved (the KPI's usual one when the file gives none).
func (t Target) Record() records.Target {
	return records.Target{Institution: t.Institution, Unit: t.Unit, Channel: t.Channel, Instrument: t.Instrument,
		KPI: t.KPI, Value: t.Value, Direction: string(t.TargetDirection()),
		Threshold: time.Duration(t.Threshold), ShortAbandon: time.Duration(t.ShortAbandon), LongWait: time.Duration(t.LongWait),
		DeadlineDays: t.DeadlineDays, ComplexDeadlineDays: t.ComplexDeadlineDays, Method: t.Method, Note: t.Note}
}
