package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/store"
)

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func vilnius(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Vilnius")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// contact builds a contact of institution SODRA, source sodra-cc, version 1.
// waitS is the wait of answered and abandoned contacts; the handling times
// are talk, hold and acw.
func contact(id, unit, channel string, arrived time.Time, outcome string, waitS int, talk, hold, acw uint32) records.Contact {
	c := records.Contact{
		Institution: "SODRA",
		Source:      "sodra-cc",
		ID:          id,
		Version:     1,
		UpdatedAt:   arrived.Add(time.Hour),
		Unit:        unit,
		Channel:     channel,
		Queue:       "general",
		ArrivedAt:   arrived,
		Outcome:     outcome,
		Origin:      "test",
	}
	at := arrived.Add(time.Duration(waitS) * time.Second)
	switch outcome {
	case records.OutcomeAnswered:
		c.AnsweredAt = &at
		end := at.Add(time.Duration(talk+hold) * time.Second)
		c.EndedAt = &end
		c.TalkS, c.HoldS, c.AcwS = talk, hold, acw
		c.Measures = records.MeasureTalk | records.MeasureHold | records.MeasureACW
	case records.OutcomeAbandoned:
		c.EndedAt = &at
	}
	return c
}

func answered(id, unit, channel string, arrived time.Time, waitS int, talk, hold, acw uint32) records.Contact {
	return contact(id, unit, channel, arrived, records.OutcomeAnswered, waitS, talk, hold, acw)
}

func abandoned(id, unit, channel string, arrived time.Time, waitS int) records.Contact {
	return contact(id, unit, channel, arrived, records.OutcomeAbandoned, waitS, 0, 0, 0)
}

func openCase(id, unit, channel string, arrived time.Time) records.Contact {
	return contact(id, unit, channel, arrived, records.OutcomeOpen, 0, 0, 0, 0)
}

// withVersion returns c as version v.
func withVersion(c records.Contact, v int64) records.Contact {
	c.Version = v
	c.UpdatedAt = c.UpdatedAt.Add(time.Duration(v) * time.Minute)
	return c
}

func mustInsert(t *testing.T, s *store.Store, cs ...records.Contact) {
	t.Helper()
	if err := s.InsertContacts(testContext(t), cs); err != nil {
		t.Fatalf("insert contacts: %v", err)
	}
}

// totals runs a ByTotal query over [from, to) with default parameters and
// returns the rows keyed by "unit/channel".
func totals(t *testing.T, s *store.Store, from, to time.Time) map[string]kpi.ContactCounts {
	t.Helper()
	rows, err := s.ContactCounts(testContext(t), store.ContactQuery{Institution: "SODRA", From: from, To: to, By: store.ByTotal})
	if err != nil {
		t.Fatalf("contact counts: %v", err)
	}
	out := map[string]kpi.ContactCounts{}
	for _, r := range rows {
		out[r.Unit+"/"+r.Channel] = r.Counts
	}
	return out
}

// offeredIn sums the contacts offered in rows.
func offeredIn(rows []store.ContactRow) float64 {
	var n float64
	for _, r := range rows {
		n += r.Counts.Offered
	}
	return n
}
