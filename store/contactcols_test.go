package store

import (
	"testing"
	"time"

	"github.com/ccbench/ccbench/records"
)

// TestContactColsReuseLeavesNoValueBehind fills one contactCols with a
// block whose nullable columns all hold values, then with one whose
// nullable columns are all empty, as insertContacts does with the blocks
// of a batch: the second must not show a value of the first.
func TestContactColsReuseLeavesNoValueBehind(t *testing.T) {
	arrived := time.Date(2024, 3, 4, 9, 0, 0, 0, time.FixedZone("EET", 2*3600))
	answered, ended, resolved, yes := arrived.Add(20*time.Second), arrived.Add(time.Minute), arrived.Add(time.Hour), true
	full := records.Contact{Source: "s", ID: "a", Version: 1, ArrivedAt: arrived, Outcome: records.OutcomeAnswered,
		AnsweredAt: &answered, EndedAt: &ended, ResolvedAt: &resolved, Corrected: &yes}
	empty := records.Contact{Source: "s", ID: "b", Version: 2, ArrivedAt: arrived, Outcome: records.OutcomeOpen}

	var c contactCols
	if err := c.fill([]records.Contact{full, full, full}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if c.answeredAt[i] == nil || !c.answeredAt[i].Equal(answered) || c.answeredAt[i].Location() != time.UTC {
			t.Errorf("row %d: answered_at = %v, want %v in UTC", i, c.answeredAt[i], answered.UTC())
		}
		if c.resolvedAt[i] == nil || !c.resolvedAt[i].Equal(resolved) || c.endedAt[i] == nil || !c.endedAt[i].Equal(ended) {
			t.Errorf("row %d: resolved_at, ended_at = %v, %v, want %v, %v", i, c.resolvedAt[i], c.endedAt[i], resolved, ended)
		}
		if c.waitMS[i] == nil || *c.waitMS[i] != 20_000 || c.corrected[i] == nil || *c.corrected[i] != 1 {
			t.Errorf("row %d: wait_ms, corrected = %v, %v, want 20000, 1", i, c.waitMS[i], c.corrected[i])
		}
	}
	if err := c.fill([]records.Contact{empty, full, empty}); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 2} {
		if c.answeredAt[i] != nil || c.endedAt[i] != nil || c.resolvedAt[i] != nil || c.waitMS[i] != nil || c.corrected[i] != nil {
			t.Errorf("row %d of the second block: answered_at %v, ended_at %v, resolved_at %v, wait_ms %v, corrected %v, want all null",
				i, c.answeredAt[i], c.endedAt[i], c.resolvedAt[i], c.waitMS[i], c.corrected[i])
		}
		if c.id[i] != "b" || c.version[i] != 2 || c.outcome[i] != records.OutcomeOpen {
			t.Errorf("row %d of the second block: id %q version %d outcome %q, want b, 2, open", i, c.id[i], c.version[i], c.outcome[i])
		}
	}
	if c.answeredAt[1] == nil || !c.answeredAt[1].Equal(answered) || c.waitMS[1] == nil || *c.waitMS[1] != 20_000 {
		t.Errorf("row 1 of the second block: answered_at %v, wait_ms %v, want %v, 20000", c.answeredAt[1], c.waitMS[1], answered)
	}
}
