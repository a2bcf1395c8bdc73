package alerts

import (
	"math"
	"strconv"
	"time"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
)

// Tier is one multi-window burn-rate alert of the Google SRE workbook's
// scheme: it fires when the bad share of events in both the long and the
// short window exceeds Factor × the error budget.
type Tier struct {
	Severity    string        // SeverityPage or SeverityTicket
	Long, Short time.Duration // the two windows; both must be exporter windows
	For         time.Duration
	// Factor is the workbook's burn-rate factor for a 30-day budget
	// (14.4: 2 % of the budget in 1 h); the factor a target gets is capped,
	// see Factor.
	Factor float64
}

// Workbook is the scheme Sloth and Pyrra generate: page on 1 h and 5 min,
// then on 6 h and 30 min; ticket on 1 d and 2 h, then on 3 d and 6 h.
var Workbook = []Tier{
	{Severity: SeverityPage, Long: time.Hour, Short: 5 * time.Minute, For: 2 * time.Minute, Factor: 14.4},
	{Severity: SeverityPage, Long: 6 * time.Hour, Short: 30 * time.Minute, For: 5 * time.Minute, Factor: 6},
	{Severity: SeverityTicket, Long: 24 * time.Hour, Short: 2 * time.Hour, For: 15 * time.Minute, Factor: 3},
	{Severity: SeverityTicket, Long: 72 * time.Hour, Short: 6 * time.Hour, For: 15 * time.Minute, Factor: 1},
}

// Budget returns a target's event-based error budget: the share of the
// KPI's events that may be bad while the target is met, worked out with the
// catalogue's definition of a bad event (kpi.Definition.Bad of the target
// as a one-event ratio). ok is false when the KPI has no event budget or
// the target's direction is not the KPI's (its bad events would be the
// other ones).
func Budget(d kpi.Definition, t config.Target) (budget float64, ok bool) {
	if !d.EventBudget || t.TargetDirection() != d.Direction {
		return 0, false
	}
	return round(d.Bad(t.Value, 1)), true
}

// MaxBurn is the highest burn rate a budget allows: every event bad.
func MaxBurn(budget float64) float64 {
	if budget <= 0 {
		return math.Inf(1)
	}
	return round(1 / budget)
}

// Factor returns the burn-rate factor a tier gets for a budget: the
// workbook's factor, capped at the burn rate halfway between meeting the
// target (burn 1) and every event bad (burn 1/budget), so that the alert can
// fire when at least half of the events beyond the budget are bad.
// Contact-centre targets leave large budgets (an 80 % target leaves 0.2,
// so the highest burn is 5 and the workbook's 14.4 could never fire); the
// cap keeps every tier reachable. A zero budget (a 100 % target) has no
// factor: any bad event misses it, which the threshold alert reports.
func Factor(tier Tier, budget float64) (float64, bool) {
	if budget <= 0 || budget >= 1 {
		return 0, false
	}
	limit := (1 + 1/budget) / 2
	return round(math.Min(tier.Factor, limit)), true
}

// round drops the floating-point noise of products such as 3 × 0.2, so that
// thresholds print as the numbers they are and a value exactly at target
// compares equal to it.
func round(x float64) float64 {
	v, err := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 12, 64), 64)
	if err != nil {
		return x
	}
	return v
}

// badForm says how the catalogue's Bad counts bad events, probed on two
// one-event ratios: "denominator minus numerator" (at_least KPIs) or "the
// numerator" (at_most KPIs). The recording rule writes the same arithmetic
// in PromQL.
type badForm int

const (
	badMissing badForm = iota // denominator − numerator
	badCounted                // numerator
	badUnknown
)

func formOf(d kpi.Definition) badForm {
	switch {
	case d.Bad(1, 1) == 0 && d.Bad(0, 1) == 1:
		return badMissing
	case d.Bad(1, 1) == 1 && d.Bad(0, 1) == 0:
		return badCounted
	}
	return badUnknown
}
