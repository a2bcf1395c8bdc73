package kpi

import "time"

// FeedbackCounts are the sums a share of favourable answers is computed
// from, for one group and window: favourable_share (responses, favourable),
// recommend_share (responses, would recommend) and useful_share (votes,
// useful votes). They roll up by adding.
type FeedbackCounts struct {
	Responses  float64
	Favourable float64
}

// Add returns the roll-up of f and o.
func (f FeedbackCounts) Add(o FeedbackCounts) FeedbackCounts {
	return FeedbackCounts{Responses: f.Responses + o.Responses, Favourable: f.Favourable + o.Favourable}
}

// Share returns Favourable ÷ Responses with its KPI left empty, since the
// same counts serve three KPIs; ShareOf names it.
func (f FeedbackCounts) Share() Value {
	return ratio("", f.Favourable, f.Responses)
}

// ShareOf returns Favourable ÷ Responses as KPI id (FavourableShare,
// RecommendShare or UsefulShare).
func (f FeedbackCounts) ShareOf(id ID) Value {
	return ratio(id, f.Favourable, f.Responses)
}

// Interval returns the 95 % Wilson score interval of the share.
func (f FeedbackCounts) Interval() Interval {
	return Wilson(f.Favourable, f.Responses, Z95)
}

// SmallSample reports whether the share rests on fewer than MinSampleSize
// responses.
func (f FeedbackCounts) SmallSample() bool {
	return SmallSample(f.Responses)
}

// Compare tests whether the shares of f and o differ, by the pooled
// two-proportion z test; see TwoProportionTest.
func (f FeedbackCounts) Compare(o FeedbackCounts) (z, p float64) {
	return TwoProportionTest(f.Favourable, f.Responses, o.Favourable, o.Responses)
}

// WrittenCounts are the sums the written-case KPIs are computed from, for
// one group and window. They roll up by adding.
type WrittenCounts struct {
	Due         float64 // answered cases, plus open cases past their deadline
	MetDeadline float64 // cases answered before their deadline
	Answered    float64 // written answers given
	Corrected   float64 // of those, later corrected
}

// Add returns the roll-up of w and o.
func (w WrittenCounts) Add(o WrittenCounts) WrittenCounts {
	return WrittenCounts{
		Due:         w.Due + o.Due,
		MetDeadline: w.MetDeadline + o.MetDeadline,
		Answered:    w.Answered + o.Answered,
		Corrected:   w.Corrected + o.Corrected,
	}
}

// DeadlineMetRate returns deadline_met_rate: MetDeadline ÷ Due.
func (w WrittenCounts) DeadlineMetRate() Value {
	return ratio(DeadlineMetRate, w.MetDeadline, w.Due)
}

// CorrectionRate returns correction_rate: Corrected ÷ Answered.
func (w WrittenCounts) CorrectionRate() Value {
	return ratio(CorrectionRate, w.Corrected, w.Answered)
}

// Values returns deadline_met_rate and correction_rate.
func (w WrittenCounts) Values() []Value {
	return []Value{w.DeadlineMetRate(), w.CorrectionRate()}
}

// JudgeCase says how one written case with the given deadline (see
// Calendar.Deadline) counts at time now. An answered case is due, and met
// its deadline when answeredAt is before the deadline instant (local
// midnight ending the last working day; an answer at that midnight is
// late). An open case is due, and missed, once now has reached the deadline;
// before that it is left out (due false).
func JudgeCase(deadline time.Time, answered bool, answeredAt, now time.Time) (due, met bool) {
	if answered {
		return true, answeredAt.Before(deadline)
	}
	return !now.Before(deadline), false
}

// AddCase adds one written case to the counts; see JudgeCase. corrected
// only counts for answered cases.
func (w WrittenCounts) AddCase(deadline time.Time, answered bool, answeredAt time.Time, corrected bool, now time.Time) WrittenCounts {
	due, met := JudgeCase(deadline, answered, answeredAt, now)
	if due {
		w.Due++
	}
	if met {
		w.MetDeadline++
	}
	if answered {
		w.Answered++
		if corrected {
			w.Corrected++
		}
	}
	return w
}
