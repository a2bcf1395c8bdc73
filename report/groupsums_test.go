package report

import (
	"fmt"
	"testing"
	"time"

	"github.com/ccbench/ccbench/store"
)

func TestGroupSums(t *testing.T) {
	jan := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	a := group{unit: ptr("a"), channel: ptr("phone"), period: jan}
	b := group{channel: ptr("phone"), period: jan}
	aAgain := group{unit: ptr("a"), channel: ptr("phone"), period: jan} // same key, other pointers

	var s groupSums[int]
	*s.of(b) += 2
	*s.of(a) += 3
	*s.of(aAgain) += 4
	*s.of(b) += 6

	// b first seen first: 2 + 6; then a: 3 + 4.
	if len(s.groups) != 2 || s.groups[0].key() != b.key() || s.groups[1].key() != a.key() {
		t.Fatalf("groups = %v, want b then a", s.groups)
	}
	if *s.sums[0] != 8 || *s.sums[1] != 7 {
		t.Errorf("sums = %d, %d; want 8, 7", *s.sums[0], *s.sums[1])
	}
}

// TestWeekPeriods checks the weekly periods of a window that starts on a
// Friday and ends on a Friday: the first week is cut at the window's start,
// the last at its end, and every week ends on a Monday.
func TestWeekPeriods(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Vilnius")
	if err != nil {
		t.Fatal(err)
	}
	b := &builder{q: Query{By: store.ByWeek}, from: time.Date(2024, 3, 1, 0, 0, 0, 0, loc), to: time.Date(2024, 3, 15, 0, 0, 0, 0, loc)}
	b.in.TimeZone = "Europe/Vilnius"
	var got []string
	for _, p := range b.periods() {
		got = append(got, p.Format(time.DateOnly)+".."+b.periodEnd(p).Format(time.DateOnly))
	}
	want := []string{"2024-03-01..2024-03-04", "2024-03-04..2024-03-11", "2024-03-11..2024-03-15"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("weeks %v, want %v", got, want)
	}
}
