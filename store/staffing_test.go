package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/store"
)

func TestArrivalsByHourOfWeek(t *testing.T) {
	s := servertest.NewStore(t)
	loc := vilnius(t)
	mon9 := time.Date(2024, 3, 4, 9, 10, 0, 0, loc) // Monday 09:10 local (07:10 UTC)
	nextMon9 := mon9.AddDate(0, 0, 7)
	sun23 := time.Date(2024, 3, 10, 23, 30, 0, 0, loc) // Sunday 23:30 local, Sunday 21:30 UTC
	chat := answered("chat-1", "cc", records.ChannelChat, mon9, 5, 100, 0, 0)
	// The second version of c3 turns the answer into a long wait: only
	// the newest version counts.
	c3 := answered("c3", "cc", records.ChannelPhone, nextMon9, 10, 60, 0, 0)
	c3v2 := withVersion(answered("c3", "cc", records.ChannelPhone, nextMon9, 40, 60, 0, 0), 2)
	noTimes := answered("c5", "cc", records.ChannelPhone, sun23, 3, 0, 0, 0)
	noTimes.Measures = records.NoMeasures
	mustInsert(t, s,
		answered("c1", "cc", records.ChannelPhone, mon9, 10, 100, 20, 30),                    // within T, 150 s
		answered("c2", "cc", records.ChannelPhone, mon9.Add(30*time.Minute), 25, 200, 0, 10), // over T, 210 s
		abandoned("c4", "cc", records.ChannelPhone, mon9, 2),                                 // short abandon
		c3, c3v2, noTimes, chat,
		answered("late", "cc", records.ChannelPhone, nextMon9.AddDate(0, 0, 7), 1, 1, 0, 0), // after the window
	)
	rows, err := s.ArrivalsByHourOfWeek(testContext(t), store.ArrivalQuery{Institution: "SODRA", Channel: records.ChannelPhone, Location: loc,
		From: time.Date(2024, 3, 4, 0, 0, 0, 0, loc), To: time.Date(2024, 3, 18, 0, 0, 0, 0, loc), Threshold: 20 * time.Second, ShortAbandon: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// Monday 09: c1, c2, c4 (first week) and c3 (second week, 40 s wait):
	// 4 offered, 1 short abandon, 1 answered within 20 s (c1), 3 handled
	// with 150 + 210 + 60 = 420 s. Sunday 23 local: c5, answered within T
	// but without handling times.
	want := []store.HourOfWeekRow{
		{Weekday: time.Monday, Hour: 9, Offered: 4, ShortAbandoned: 1, AnsweredWithinT: 1, Handled: 3, HandleSumS: 420},
		{Weekday: time.Sunday, Hour: 23, Offered: 1, AnsweredWithinT: 1},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows %+v, want %+v", rows, want)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d: %+v, want %+v", i, rows[i], want[i])
		}
	}
	for name, q := range map[string]store.ArrivalQuery{
		"no institution": {Channel: records.ChannelPhone, From: mon9, To: nextMon9},
		"bad channel":    {Institution: "SODRA", Channel: "pigeon", From: mon9, To: nextMon9},
		"empty window":   {Institution: "SODRA", Channel: records.ChannelPhone, From: mon9, To: mon9},
	} {
		if _, err := s.ArrivalsByHourOfWeek(testContext(t), q); err == nil || !strings.Contains(err.Error(), "arrivals by hour") {
			t.Errorf("%s: error %v", name, err)
		}
	}
}
