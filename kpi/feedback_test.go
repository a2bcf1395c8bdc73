package kpi

import (
	"testing"
	"time"
)

func TestFeedbackCounts(t *testing.T) {
	a := FeedbackCounts{Responses: 60, Favourable: 50}
	b := FeedbackCounts{Responses: 40, Favourable: 39}
	sum := a.Add(b) // 89 of 100
	if sum.Responses != 100 || sum.Favourable != 89 {
		t.Fatalf("Add = %+v, want 89 of 100", sum)
	}
	v := sum.ShareOf(FavourableShare)
	if v.KPI != FavourableShare || !v.Valid || v.Value != 0.89 || v.Numerator != 89 || v.Denominator != 100 {
		t.Errorf("ShareOf = %+v, want favourable_share 0.89 = 89/100", v)
	}
	if v := sum.Share(); v.KPI != "" || v.Value != 0.89 {
		t.Errorf("Share = %+v, want unnamed 0.89", v)
	}
	// Same interval as TestWilson's 89 of 100.
	iv := sum.Interval()
	if !iv.OK || !near(iv.Low, 0.8137, 0.00005) || !near(iv.High, 0.9375, 0.00005) {
		t.Errorf("Interval = %+v, want [0.8137, 0.9375]", iv)
	}
	if sum.SmallSample() || !(FeedbackCounts{Responses: 29, Favourable: 20}).SmallSample() {
		t.Error("SmallSample: want false for 100 responses and true for 29")
	}
	// 89/100 against 80/100: z = 1.7585, p = 0.0787 (see TestTwoProportionTest).
	if z, p := sum.Compare(FeedbackCounts{Responses: 100, Favourable: 80}); !near(z, 1.7585, 0.0005) || !near(p, 0.0787, 0.0005) {
		t.Errorf("Compare = z %.4f p %.4f, want 1.7585, 0.0787", z, p)
	}
	empty := FeedbackCounts{}
	if v := empty.ShareOf(UsefulShare); v.Valid {
		t.Errorf("share of no responses = %+v, want invalid", v)
	}
	if iv := empty.Interval(); iv.OK {
		t.Errorf("interval of no responses = %+v, want not OK", iv)
	}
}

func TestWrittenCounts(t *testing.T) {
	w := WrittenCounts{Due: 150, MetDeadline: 141, Answered: 400, Corrected: 2}.Add(WrittenCounts{Due: 50, MetDeadline: 49, Answered: 600, Corrected: 3})
	for _, tc := range []struct {
		got       Value
		id        ID
		num, den  float64
		value     float64
		wantValid bool
	}{
		{w.DeadlineMetRate(), DeadlineMetRate, 190, 200, 0.95, true},
		{w.CorrectionRate(), CorrectionRate, 5, 1000, 0.005, true},
		{WrittenCounts{}.DeadlineMetRate(), DeadlineMetRate, 0, 0, 0, false},
	} {
		if tc.got.KPI != tc.id || tc.got.Numerator != tc.num || tc.got.Denominator != tc.den ||
			!near(tc.got.Value, tc.value, 1e-12) || tc.got.Valid != tc.wantValid {
			t.Errorf("got %+v, want %s %v/%v = %v valid=%v", tc.got, tc.id, tc.num, tc.den, tc.value, tc.wantValid)
		}
	}
}

func TestJudgeCase(t *testing.T) {
	// Deadline: Wed 3 Apr 2024 00:00 EEST = 2 Apr 21:00 UTC.
	deadline := utc(2024, 4, 2, 21, 0)
	for _, tc := range []struct {
		name       string
		answered   bool
		answeredAt time.Time
		now        time.Time
		due, met   bool
	}{
		{"answered a minute before local midnight", true, utc(2024, 4, 2, 20, 59), utc(2024, 4, 10, 0, 0), true, true},
		{"answered at local midnight", true, utc(2024, 4, 2, 21, 0), utc(2024, 4, 10, 0, 0), true, false},
		{"answered early, looked at before the deadline", true, utc(2024, 4, 1, 9, 0), utc(2024, 4, 1, 10, 0), true, true},
		{"open, not yet due", false, time.Time{}, utc(2024, 4, 2, 20, 59), false, false},
		{"open, due at the deadline", false, time.Time{}, utc(2024, 4, 2, 21, 0), true, false},
		{"open, long past the deadline", false, time.Time{}, utc(2024, 5, 1, 0, 0), true, false},
	} {
		due, met := JudgeCase(deadline, tc.answered, tc.answeredAt, tc.now)
		if due != tc.due || met != tc.met {
			t.Errorf("%s: due=%v met=%v, want due=%v met=%v", tc.name, due, met, tc.due, tc.met)
		}
	}

	// Three cases: answered in time and corrected, answered late, open and overdue,
	// plus one open case not yet due.
	now := utc(2024, 4, 5, 0, 0)
	var w WrittenCounts
	w = w.AddCase(deadline, true, utc(2024, 4, 2, 8, 0), true, now)
	w = w.AddCase(deadline, true, utc(2024, 4, 3, 8, 0), false, now)
	w = w.AddCase(deadline, false, time.Time{}, false, now)
	w = w.AddCase(utc(2024, 4, 9, 21, 0), false, time.Time{}, false, now)
	if want := (WrittenCounts{Due: 3, MetDeadline: 1, Answered: 2, Corrected: 1}); w != want {
		t.Errorf("AddCase counts = %+v, want %+v", w, want)
	}
}
