package ind

import (
	"testing"

	"github.com/ccbench/ccbench/kpi"
)

// FuzzParsePeriod checks that ParsePeriod never panics, that whatever it
// accepts keeps the contract's inequalities, and that whatever it rejects
// carries a reason.
func FuzzParsePeriod(f *testing.F) {
	for _, seed := range []string{
		example,
		`{"period": "2024-02", "revision": 1, "decisions": [{"procedure": "work", "decided": 0, "within_deadline": 0, "penalties_paid": 0, "penalties_eur": 0}]}`,
		`{"period": "2024-01", "revision": 3, "decisions": [{"procedure": "asylum", "decided": 10, "within_deadline": 5, "penalties_paid": 1, "penalties_eur": 1443}]}`,
		`{"period": "2024-01", "revision": 1e400, "phone": {"offered": -0, "answered": 1.5}}`,
		`{"period": "2024-01", "revision": "1", "web_feedback": [null, 7, {"page": ""}]}`,
		`{"period": "2024-13", "revision": 99999999999999999999}`,
		`[]`, `null`, `{}`, `"2024-01"`, `{"period": null}`,
	} {
		f.Add([]byte(seed), "2024-01")
	}
	f.Fuzz(func(t *testing.T, body []byte, want string) {
		p, err := ParsePeriod(body, want)
		if err != nil {
			ve, ok := err.(*ValidationError)
			if !ok || ve.Reason == "" {
				t.Fatalf("error without a reason: %#v", err)
			}
			return
		}
		if want != "" && p.Period != want || p.Revision < 1 {
			t.Fatalf("accepted period %q revision %d for %q", p.Period, p.Revision, want)
		}
		for _, d := range p.Decisions {
			if d.Decided < 0 || d.WithinDeadline > d.Decided || d.PenaltiesEUR > float64(d.PenaltiesPaid)*kpi.MaxPenaltyPerDecisionEUR {
				t.Fatalf("accepted a broken decision row: %+v", d)
			}
		}
		if ph := p.Phone; ph != nil && (ph.Answered > ph.Offered || ph.AnsweredWithinThreshold > ph.Answered ||
			ph.ShortAbandoned > ph.Offered-ph.Answered || ph.ThresholdS <= 0) {
			t.Fatalf("accepted a broken phone block: %+v", ph)
		}
		if s := p.UsabilitySurvey; s != nil && s.Favourable > s.Responses {
			t.Fatalf("accepted a broken survey: %+v", s)
		}
		rows := p.Aggregates("i", "s", "")
		if len(rows) == 0 {
			t.Fatal("accepted a period without figures")
		}
		for _, r := range rows {
			if r.Value < 0 || r.Batch != p.Period || r.Revision != p.Revision {
				t.Fatalf("bad row %+v", r)
			}
		}
	})
}
