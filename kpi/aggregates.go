package kpi

import "fmt"

// MaxPenaltyPerDecisionEUR is the most the Dutch scale pays for one late
// decision: 14 × 23 + 14 × 35 + 14 × 45 = 1,442 euro.
const MaxPenaltyPerDecisionEUR = 1442

// dutchScale is the statutory penalty for a late decision: euro per day
// late, for days up to and including the step's last day.
var dutchScale = []struct {
	lastDay int
	eurDay  float64
}{
	{14, 23},
	{28, 35},
	{42, 45},
}

// DutchPenalty returns the penalty for one decision taken daysLate days
// after its statutory deadline: 23 euro a day for days 1-14, 35 for days
// 15-28 and 45 for days 29-42, so at most MaxPenaltyPerDecisionEUR. A
// decision on time (daysLate ≤ 0) costs nothing.
func DutchPenalty(daysLate int) float64 {
	var eur float64
	first := 1
	for _, s := range dutchScale {
		if daysLate < first {
			break
		}
		days := min(daysLate, s.lastDay) - first + 1
		eur += float64(days) * s.eurDay
		first = s.lastDay + 1
	}
	return eur
}

// DecisionCounts are the sums the decision KPIs are computed from, for one
// group and period. They roll up by adding.
type DecisionCounts struct {
	Decided        float64
	WithinDeadline float64 // decisions taken within the statutory deadline
	PenaltiesPaid  float64 // decisions for which a penalty was paid
	PenaltiesEUR   float64 // sum of the penalties paid
}

// Add returns the roll-up of d and o.
func (d DecisionCounts) Add(o DecisionCounts) DecisionCounts {
	return DecisionCounts{
		Decided:        d.Decided + o.Decided,
		WithinDeadline: d.WithinDeadline + o.WithinDeadline,
		PenaltiesPaid:  d.PenaltiesPaid + o.PenaltiesPaid,
		PenaltiesEUR:   d.PenaltiesEUR + o.PenaltiesEUR,
	}
}

// OnTimeRate returns decisions_on_time_rate: WithinDeadline ÷ Decided.
func (d DecisionCounts) OnTimeRate() Value {
	return ratio(DecisionsOnTimeRate, d.WithinDeadline, d.Decided)
}

// Penalty returns penalty_eur, the sum of penalties paid (Numerator is the
// sum, Denominator 1). It is valid when there were decisions or penalties.
func (d DecisionCounts) Penalty() Value {
	return Value{
		KPI:         PenaltyEUR,
		Value:       d.PenaltiesEUR,
		Numerator:   d.PenaltiesEUR,
		Denominator: 1,
		Valid:       d.Decided > 0 || d.PenaltiesPaid > 0,
	}
}

// Values returns decisions_on_time_rate and penalty_eur.
func (d DecisionCounts) Values() []Value {
	return []Value{d.OnTimeRate(), d.Penalty()}
}

// Validate checks the counts against the IND-style contract: no count
// negative, no more decisions within the deadline than decisions, and no
// more in penalties than PenaltiesPaid × MaxPenaltyPerDecisionEUR. Errors
// name the field.
func (d DecisionCounts) Validate() error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"decided", d.Decided}, {"within_deadline", d.WithinDeadline}, {"penalties_paid", d.PenaltiesPaid}, {"penalties_eur", d.PenaltiesEUR}} {
		if f.v < 0 {
			return fmt.Errorf("%s: must not be negative, got %v", f.name, f.v)
		}
	}
	if d.WithinDeadline > d.Decided {
		return fmt.Errorf("within_deadline: %v is more than decided (%v)", d.WithinDeadline, d.Decided)
	}
	if limit := d.PenaltiesPaid * MaxPenaltyPerDecisionEUR; d.PenaltiesEUR > limit {
		return fmt.Errorf("penalties_eur: %v is more than penalties_paid × %d = %v", d.PenaltiesEUR, MaxPenaltyPerDecisionEUR, limit)
	}
	return nil
}

// PhoneAggregateCounts maps an IND-style phone block (shared/sources.md) to
// ContactCounts, as shared/kpis.md "Aggregates" prescribes: abandoned calls
// are offered − answered, AnsweredWithinT is answered_within_threshold
// (judged by the block's own threshold_s), AbandonedNotShort is abandoned −
// short_abandoned, and AnswerWaitSumS is wait_s_sum (waits of answered
// calls, so ASA = wait_s_sum ÷ answered).
//
// What the block does not give is left 0: AbandonedWithinT (B) is unknown,
// so the `ignore` and `positive` service levels come out equal to
// `negative`; LongWaits, HandleSumS, AcwSumS and MaxWaitS are unknown, so
// long_wait_share, aht_seconds, acw_seconds and max_wait_seconds must not be
// shown for it (use PhoneAggregateValues); Days is left for the caller. The
// caller validates the block (answered ≤ offered and so on) first.
func PhoneAggregateCounts(offered, answered, answeredWithinThreshold, shortAbandoned, waitSumS float64) ContactCounts {
	abandoned := offered - answered
	return ContactCounts{
		Offered:           offered,
		Answered:          answered,
		Abandoned:         abandoned,
		ShortAbandoned:    shortAbandoned,
		AnsweredWithinT:   answeredWithinThreshold,
		AbandonedNotShort: abandoned - shortAbandoned,
		AnswerWaitSumS:    waitSumS,
	}
}

// PhoneAggregateKPIs are the contact KPIs an IND-style phone block supports.
var PhoneAggregateKPIs = []ID{ServiceLevel, AbandonRate, AnswerRate, ASASeconds, ContactsOffered}

// PhoneAggregateValues returns the values of c (from PhoneAggregateCounts)
// that an IND-style phone block supports: service_level by the `negative`
// method only (the others need B, which the block lacks), abandon_rate,
// answer_rate, asa_seconds and contacts_offered (valid when c.Days is set).
func PhoneAggregateValues(c ContactCounts) []Value {
	var out []Value
	for _, v := range c.Values() {
		if v.KPI == ServiceLevel && v.Method != MethodNegative {
			continue
		}
		for _, id := range PhoneAggregateKPIs {
			if v.KPI == id {
				out = append(out, v)
				break
			}
		}
	}
	return out
}
