package report

import (
	"testing"
	"time"
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
