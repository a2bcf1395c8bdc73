package sodra

import (
	"testing"

	"github.com/ccbench/ccbench/records"
)

func FuzzParseContactsPage(f *testing.F) {
	for _, seed := range []string{
		`{"items": [], "next_page_token": ""}`,
		`{"items": [{"id": "ph-1", "updated_at": "2024-01-15T10:05:15+02:00", "unit": "contact-centre", "channel": "phone", "queue": "pensions", "arrived_at": "2024-01-15T10:00:00+02:00", "answered_at": "2024-01-15T10:00:12+02:00", "ended_at": "2024-01-15T10:05:00+02:00", "outcome": "answered", "talk_s": 288, "hold_s": 0, "acw_s": 15, "complex": false, "resolved_at": null}], "next_page_token": "abc"}`,
		`{"items": [{"id": "em-1", "updated_at": "2024-01-15T10:00:00Z", "channel": "email", "arrived_at": "2024-01-15T10:00:00Z", "outcome": "open"}, 7, null, "x"], "next_page_token": ""}`,
		`{"items": [{"id": "", "talk_s": -1e400, "answered_at": "2024-13-45T99:00:00Z"}]}`,
		`{"items": [{"id": "a", "updated_at": "2024-01-15T10:00:00Z", "talk_s": 99999999999999999999}]}`,
		`{"items": null}`,
		`[1,2,3]`,
		`{"items": [{}], "next_page_token": null}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := parseContactsPage(body, testMeta, nil)
		if err != nil {
			return
		}
		for _, c := range p.Records {
			if c.ID == "" || c.UpdatedAt.IsZero() || c.ArrivedAt.IsZero() {
				t.Fatalf("accepted a record without id or times: %+v", c)
			}
			if (c.Outcome == "answered") != (c.AnsweredAt != nil) {
				t.Fatalf("accepted an inconsistent record: %+v", c)
			}
			if c.Outcome == records.OutcomeAbandoned && c.EndedAt == nil {
				t.Fatalf("accepted an abandoned contact without ended_at: %+v", c)
			}
			if c.EndedAt != nil && c.AnsweredAt != nil && c.EndedAt.Before(*c.AnsweredAt) {
				t.Fatalf("accepted a contact that ended before it was answered: %+v", c)
			}
			if c.Outcome == records.OutcomeOpen && records.IsRealTime(c.Channel) {
				t.Fatalf("accepted an open contact on real-time channel %s", c.Channel)
			}
			if c.Version != c.UpdatedAt.UnixMilli() {
				t.Fatalf("version %d is not updated_at in ms", c.Version)
			}
		}
		for _, q := range p.Quarantined {
			if q.Reason == "" {
				t.Fatalf("quarantined without a reason: %+v", q)
			}
		}
	})
}
