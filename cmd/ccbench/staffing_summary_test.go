package main

import (
	"strings"
	"testing"
	"time"

	"github.com/ccbench/ccbench/staffing"
)

// TestStaffingSummaryComparesLikeWithLike: the needed-versus-implied
// percentage sums Erlang C's needs over the hours whose service level was
// measured only: 10 + 10 needed against 9 + 9 implied is +11 %, whatever
// the unmeasured hour needs.
func TestStaffingSummaryComparesLikeWithLike(t *testing.T) {
	sl := 0.8
	hour := func(h, needed int, implied *staffing.Queue) staffing.HourPlan {
		p := staffing.HourPlan{HourCounts: staffing.HourCounts{Weekday: time.Monday, Hour: h}, Calls: 100, AHT: time.Minute,
			Needed: staffing.Queue{Agents: needed}, Implied: implied}
		if implied != nil {
			p.MeasuredSL = &sl
		}
		return p
	}
	p := staffing.WeekPlan{Institution: "sodra", Channel: "phone", Target: 0.8, Threshold: 20 * time.Second,
		Hours: []staffing.HourPlan{hour(10, 10, &staffing.Queue{Agents: 9}), hour(11, 30, nil), hour(12, 10, &staffing.Queue{Agents: 9})}}
	req := staffingRequest{from: time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC), to: time.Date(2024, 3, 11, 0, 0, 0, 0, time.UTC)}
	got := staffingSummary(p, req)
	for _, want := range []string{"Erlang C needs 50 agent-hours a week", "with a measured service level, 20, where that level implies 18, +11 %"} {
		if !strings.Contains(got, want) {
			t.Errorf("summary %q lacks %q", got, want)
		}
	}
}
