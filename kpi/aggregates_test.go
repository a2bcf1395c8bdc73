package kpi

import (
	"strings"
	"testing"
)

func TestDutchPenalty(t *testing.T) {
	for _, tc := range []struct {
		days int
		want float64
	}{
		{-3, 0},
		{0, 0},
		{1, 23},
		{10, 230},   // 10 × 23
		{14, 322},   // 14 × 23
		{15, 357},   // 322 + 35
		{20, 532},   // 14 × 23 + 6 × 35 = 322 + 210
		{28, 812},   // 322 + 14 × 35 = 322 + 490
		{29, 857},   // 812 + 45
		{42, 1442},  // 322 + 490 + 14 × 45 = 322 + 490 + 630
		{43, 1442},  // capped
		{365, 1442}, // capped
	} {
		if got := DutchPenalty(tc.days); got != tc.want {
			t.Errorf("DutchPenalty(%d) = %v, want %v", tc.days, got, tc.want)
		}
	}
	if MaxPenaltyPerDecisionEUR != 14*23+14*35+14*45 {
		t.Errorf("MaxPenaltyPerDecisionEUR = %v, want 14×23 + 14×35 + 14×45", MaxPenaltyPerDecisionEUR)
	}
}

func TestDecisionCounts(t *testing.T) {
	// The sources.md example block plus a second procedure.
	d := DecisionCounts{Decided: 1200, WithinDeadline: 1100, PenaltiesPaid: 25, PenaltiesEUR: 18500}.
		Add(DecisionCounts{Decided: 800, WithinDeadline: 700, PenaltiesPaid: 5, PenaltiesEUR: 1500})
	if v := d.OnTimeRate(); v.KPI != DecisionsOnTimeRate || !v.Valid || v.Numerator != 1800 || v.Denominator != 2000 || !near(v.Value, 0.9, 1e-12) {
		t.Errorf("OnTimeRate = %+v, want 1800/2000 = 0.9", v)
	}
	if v := d.Penalty(); v.KPI != PenaltyEUR || !v.Valid || v.Value != 20000 {
		t.Errorf("Penalty = %+v, want 20000", v)
	}
	if v := (DecisionCounts{}).Penalty(); v.Valid {
		t.Errorf("Penalty of nothing = %+v, want invalid", v)
	}
	if v := (DecisionCounts{Decided: 10}).Penalty(); !v.Valid || v.Value != 0 {
		t.Errorf("Penalty with decisions and no penalties = %+v, want valid 0", v)
	}
	if err := d.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	for _, tc := range []struct {
		d     DecisionCounts
		field string
	}{
		{DecisionCounts{Decided: 10, WithinDeadline: 11}, "within_deadline"},
		{DecisionCounts{Decided: 10, PenaltiesPaid: 2, PenaltiesEUR: 2885}, "penalties_eur"}, // 2 × 1442 = 2884
		{DecisionCounts{Decided: -1}, "decided"},
	} {
		err := tc.d.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), tc.field+":") {
			t.Errorf("Validate(%+v) = %v, want an error naming %s", tc.d, err, tc.field)
		}
	}
	if err := (DecisionCounts{Decided: 10, PenaltiesPaid: 2, PenaltiesEUR: 2884}).Validate(); err != nil {
		t.Errorf("two penalties at the cap: %v", err)
	}
}

func TestPhoneAggregate(t *testing.T) {
	// The sources.md example: offered 50000, answered 45000, within threshold
	// 30000, short abandons 900, wait sum 12,000,000 s; a 31-day month.
	c := PhoneAggregateCounts(50000, 45000, 30000, 900, 12e6)
	c.Days = 31
	want := ContactCounts{Offered: 50000, Answered: 45000, Abandoned: 5000, ShortAbandoned: 900,
		AnsweredWithinT: 30000, AbandonedNotShort: 4100, AnswerWaitSumS: 12e6, Days: 31}
	if c != want {
		t.Fatalf("PhoneAggregateCounts = %+v, want %+v", c, want)
	}
	// O = 50000 − 900 = 49100.
	for _, m := range Methods {
		if v := c.ServiceLevel(m); v.Numerator != 30000 || v.Denominator != 49100 {
			t.Errorf("service level %s = %v/%v, want 30000/49100 (B unknown, so every method equals negative)", m, v.Numerator, v.Denominator)
		}
	}
	type nd struct{ num, den float64 }
	wantValues := map[ID]nd{
		ServiceLevel:    {30000, 49100},
		AbandonRate:     {4100, 49100},
		AnswerRate:      {45000, 50000},
		ASASeconds:      {12e6, 45000}, // 266.7 s
		ContactsOffered: {50000, 31},
	}
	got := PhoneAggregateValues(c)
	if len(got) != len(wantValues) {
		t.Fatalf("PhoneAggregateValues returned %d values, want %d: %+v", len(got), len(wantValues), got)
	}
	for _, v := range got {
		w, ok := wantValues[v.KPI]
		if !ok || !v.Valid || v.Numerator != w.num || v.Denominator != w.den {
			t.Errorf("%s = %v/%v valid=%v, want %v/%v", v.KPI, v.Numerator, v.Denominator, v.Valid, w.num, w.den)
		}
		if v.KPI == ServiceLevel && v.Method != MethodNegative {
			t.Errorf("service level method %s, want negative only", v.Method)
		}
	}
}
