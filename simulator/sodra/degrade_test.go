package sodra

import (
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/simulator"
)

// TestDegradation degrades the phone from 09:00 to 11:00 on a Monday and
// works out the service level (negative method: answered within 20 s over
// offered less short abandons) of the served records: near 0.6 inside the
// degradation, near the seed's 0.95 outside it.
func TestDegradation(t *testing.T) {
	faults := simulator.NewIncidents(nil)
	from := time.Date(2024, 1, 15, 9, 0, 0, 0, vilnius)
	faults.Degrade(simulator.Degradation{Channel: "phone", KPI: kpi.ServiceLevel, Value: 0.6, From: from, Until: from.Add(2 * time.Hour)})
	sim := New(Options{Seed: 1, Days: 0, Now: func() time.Time { return monday }, Incidents: faults})
	type counts struct{ offered, short, inT float64 }
	var in, out counts
	for _, it := range list(t, sim.Handler(), "/v1/contacts", "", 1000) {
		if it.Channel != "phone" || it.ResolvedAt != nil {
			continue
		}
		arrived := mustTime(t, it.ArrivedAt)
		c := &out
		if !arrived.Before(from) && arrived.Before(from.Add(2*time.Hour)) {
			c = &in
		}
		c.offered++
		switch {
		case it.Outcome == "abandoned" && mustTime(t, *it.EndedAt).Sub(arrived) < 5*time.Second:
			c.short++
		case it.AnsweredAt != nil && mustTime(t, *it.AnsweredAt).Sub(arrived) <= 20*time.Second:
			c.inT++
		}
		if it.AnsweredAt != nil && mustTime(t, *it.AnsweredAt).Before(arrived) || it.EndedAt != nil && mustTime(t, *it.EndedAt).After(mustTime(t, it.UpdatedAt)) {
			t.Fatalf("degraded record breaks the contract: %+v", it)
		}
	}
	slIn, slOut := in.inT/(in.offered-in.short), out.inT/(out.offered-out.short)
	if in.offered < 300 || math.Abs(slIn-0.6) > 0.06 {
		t.Errorf("service level inside the degradation = %.3f over %v calls; want 0.6 ± 0.06", slIn, in.offered)
	}
	if math.Abs(slOut-0.95) > 0.03 {
		t.Errorf("service level outside the degradation = %.3f; want 0.95 ± 0.03", slOut)
	}
}

func TestStall(t *testing.T) {
	now := monday
	faults := simulator.NewIncidents(func() time.Time { return now })
	faults.Stall(monday.Add(time.Minute), time.Time{})
	h := faults.Handler(New(Options{Seed: 1, Days: 0, Now: func() time.Time { return now }}).Handler())
	if w, _ := get(t, h, "/v1/contacts", nil, ""); w.Code != http.StatusOK {
		t.Fatalf("before the stall: %d", w.Code)
	}
	now = monday.Add(2 * time.Minute)
	if w, _ := get(t, h, "/v1/contacts", nil, ""); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("stalled: %d, want 503", w.Code)
	}
	faults.Unstall()
	if w, _ := get(t, h, "/v1/contacts", nil, ""); w.Code != http.StatusOK {
		t.Fatalf("after Unstall: %d", w.Code)
	}
}
