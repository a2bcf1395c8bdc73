package sodra

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ccbench/ccbench/records"
)

var testMeta = meta{Institution: "sodra", Source: "sodra-api", Unit: "contact-centre", Origin: "http://src/v1/contacts?page_size=2"}

func validContact() map[string]any {
	return map[string]any{
		"id": "ph-1", "updated_at": "2024-01-15T10:05:15+02:00", "unit": "contact-centre",
		"channel": "phone", "queue": "pensions", "arrived_at": "2024-01-15T10:00:00+02:00",
		"answered_at": "2024-01-15T10:00:12+02:00", "ended_at": "2024-01-15T10:05:00+02:00",
		"outcome": "answered", "talk_s": 288, "hold_s": 0, "acw_s": 15, "complex": false, "resolved_at": nil,
	}
}

func validFeedback() map[string]any {
	return map[string]any{
		"id": "fb-1", "updated_at": "2024-01-15T10:06:00+02:00", "instrument": "post_contact",
		"subject": "ph-1", "submitted_at": "2024-01-15T10:06:00+02:00", "scale": "1-5", "score": 4,
	}
}

func pageOf(t *testing.T, items ...any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"items": items, "next_page_token": "tok"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// edit returns item with the changes applied; a value of del removes the key.
type deleted struct{}

var del = deleted{}

func edit(item map[string]any, changes map[string]any) map[string]any {
	for k, v := range changes {
		if v == del {
			delete(item, k)
		} else {
			item[k] = v
		}
	}
	return item
}

func TestParseContactFieldRules(t *testing.T) {
	for _, tc := range []struct {
		name      string
		changes   map[string]any
		wantField string // "" = valid
	}{
		{"valid", nil, ""},
		{"unknown fields are ignored", map[string]any{"agent": "A17", "extra": []int{1}}, ""},
		{"id missing", map[string]any{"id": del}, "id"},
		{"id empty", map[string]any{"id": ""}, "id"},
		{"id not a string", map[string]any{"id": 17}, "id"},
		{"updated_at missing", map[string]any{"updated_at": del}, "updated_at"},
		{"updated_at not RFC3339", map[string]any{"updated_at": "2024-01-15 10:05:15"}, "updated_at"},
		{"updated_at before arrival", map[string]any{"updated_at": "2024-01-15T09:59:59+02:00"}, "updated_at"},
		{"unit not a string", map[string]any{"unit": 3}, "unit"},
		{"channel unknown", map[string]any{"channel": "carrier_pigeon"}, "channel"},
		{"channel missing", map[string]any{"channel": del}, "channel"},
		{"channel post is not in contract 1", map[string]any{"channel": "post"}, "channel"},
		{"every contract channel", map[string]any{"channel": "facebook"}, ""},
		{"queue not a string", map[string]any{"queue": true}, "queue"},
		{"arrived_at missing", map[string]any{"arrived_at": del}, "arrived_at"},
		{"arrived_at malformed", map[string]any{"arrived_at": "2024-01-15T10:00:00"}, "arrived_at"},
		{"answered_at malformed", map[string]any{"answered_at": "noon"}, "answered_at"},
		{"answered_at before arrival", map[string]any{"answered_at": "2024-01-15T09:59:00+02:00"}, "answered_at"},
		{"answered without answered_at", map[string]any{"answered_at": nil}, "answered_at"},
		{"abandoned with answered_at", map[string]any{"outcome": "abandoned"}, "answered_at"},
		{"abandoned without answered_at", map[string]any{"outcome": "abandoned", "answered_at": nil, "talk_s": 0}, ""},
		{"open without answered_at", map[string]any{"outcome": "open", "answered_at": del, "ended_at": del, "channel": "email"}, ""},
		{"abandoned without ended_at", map[string]any{"outcome": "abandoned", "answered_at": nil, "ended_at": del}, "ended_at"},
		{"abandoned with null ended_at", map[string]any{"outcome": "abandoned", "answered_at": nil, "ended_at": nil}, "ended_at"},
		{"ended_at before answered_at", map[string]any{"ended_at": "2024-01-15T10:00:11+02:00"}, "ended_at"},
		{"ended_at equal to answered_at", map[string]any{"ended_at": "2024-01-15T10:00:12+02:00"}, ""},
		{"answered without ended_at", map[string]any{"ended_at": del}, ""},
		{"open on phone", map[string]any{"outcome": "open", "answered_at": nil, "ended_at": nil, "channel": "phone"}, "outcome"},
		{"open on chat", map[string]any{"outcome": "open", "answered_at": nil, "ended_at": nil, "channel": "chat"}, "outcome"},
		{"open on facebook", map[string]any{"outcome": "open", "answered_at": nil, "ended_at": nil, "channel": "facebook"}, "outcome"},
		{"open on visit", map[string]any{"outcome": "open", "answered_at": nil, "ended_at": nil, "channel": "visit"}, "outcome"},
		{"open on web_form", map[string]any{"outcome": "open", "answered_at": nil, "ended_at": nil, "channel": "web_form"}, ""},
		{"outcome unknown", map[string]any{"outcome": "lost"}, "outcome"},
		{"outcome missing", map[string]any{"outcome": del}, "outcome"},
		{"ended_at before arrival", map[string]any{"ended_at": "2024-01-14T10:00:00+02:00"}, "ended_at"},
		{"resolved_at before arrival", map[string]any{"resolved_at": "2024-01-14T10:00:00+02:00"}, "resolved_at"},
		{"resolved_at malformed", map[string]any{"resolved_at": 5}, "resolved_at"},
		{"talk_s negative", map[string]any{"talk_s": -1}, "talk_s"},
		{"talk_s fractional", map[string]any{"talk_s": 1.5}, "talk_s"},
		{"talk_s a string", map[string]any{"talk_s": "12"}, "talk_s"},
		{"talk_s too large", map[string]any{"talk_s": int64(1) << 33}, "talk_s"},
		{"talk_s absent is not a zero: the record stays", map[string]any{"talk_s": del}, ""},
		{"unit missing", map[string]any{"unit": del}, "unit"},
		{"unit null", map[string]any{"unit": nil}, "unit"},
		{"unit empty", map[string]any{"unit": ""}, "unit"},
		{"hold_s negative", map[string]any{"hold_s": -5}, "hold_s"},
		{"acw_s negative", map[string]any{"acw_s": -5}, "acw_s"},
		{"complex not a bool", map[string]any{"complex": "yes"}, "complex"},
		{"times in another offset", map[string]any{"updated_at": "2024-01-15T08:05:15Z"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parseContactsPage(pageOf(t, edit(validContact(), tc.changes)), testMeta, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantField == "" {
				if len(p.Records) != 1 || len(p.Quarantined) != 0 {
					t.Fatalf("want one valid record, got %d records and quarantined %+v", len(p.Records), p.Quarantined)
				}
				return
			}
			if len(p.Records) != 0 || len(p.Quarantined) != 1 {
				t.Fatalf("want one quarantined record, got %d records and %d quarantined", len(p.Records), len(p.Quarantined))
			}
			q := p.Quarantined[0]
			if q.Field != tc.wantField {
				t.Errorf("quarantined for field %q (%s), want %q", q.Field, q.Reason, tc.wantField)
			}
			if q.Source != "sodra-api" || q.Institution != "sodra" || q.Stream != "contacts" || q.Origin != testMeta.Origin || q.Reason == "" || q.Raw == "" {
				t.Errorf("quarantine record lacks context: %+v", q)
			}
		})
	}
}

func TestParseContactValues(t *testing.T) {
	p, err := parseContactsPage(pageOf(t, validContact()), testMeta, nil)
	if err != nil || len(p.Records) != 1 {
		t.Fatalf("%v %+v", err, p)
	}
	c := p.Records[0]
	updated := time.Date(2024, 1, 15, 8, 5, 15, 0, time.UTC)
	if c.ID != "ph-1" || !c.UpdatedAt.Equal(updated) || c.Version != 1705305915000 {
		t.Errorf("id %q, updated %v, version %d (want 1705305915000 = %v in Unix ms)", c.ID, c.UpdatedAt, c.Version, updated)
	}
	if c.Institution != "sodra" || c.Source != "sodra-api" || c.Origin != testMeta.Origin {
		t.Errorf("institution %q, source %q, origin %q", c.Institution, c.Source, c.Origin)
	}
	if c.TalkS != 288 || c.AcwS != 15 || c.AnsweredAt == nil || c.AnsweredAt.Sub(c.ArrivedAt) != 12*time.Second || c.ResolvedAt != nil {
		t.Errorf("values %+v", c)
	}
	if p.Next != "tok" || p.Max.ID != "ph-1" || !p.Max.UpdatedAt.Equal(updated) {
		t.Errorf("next %q, max %+v", p.Next, p.Max)
	}
}

// TestParseContactMeasures: a handling time that is absent or null is not
// carried, not zero (shared/kpis.md, "Absent measures are not zero"), and
// without hold_s the handling time (talk + hold + acw) is unknown too.
func TestParseContactMeasures(t *testing.T) {
	const talk, hold, acw = records.MeasureTalk, records.MeasureHold, records.MeasureACW
	for _, tc := range []struct {
		name               string
		changes            map[string]any
		want               records.Measures
		talkS, holdS, acwS uint32
	}{
		{"all three", nil, talk | hold | acw, 288, 0, 15},
		{"talk_s null", map[string]any{"talk_s": nil}, hold | acw, 0, 0, 15},
		{"talk_s absent", map[string]any{"talk_s": del}, hold | acw, 0, 0, 15},
		{"hold_s null: no handling time", map[string]any{"hold_s": nil, "talk_s": 100}, acw, 0, 0, 15},
		{"acw_s absent", map[string]any{"acw_s": del}, talk | hold, 288, 0, 0},
		{"all null", map[string]any{"talk_s": nil, "hold_s": nil, "acw_s": nil}, records.NoMeasures, 0, 0, 0},
		{"zero is a measure", map[string]any{"talk_s": 0, "hold_s": 0, "acw_s": 0}, talk | hold | acw, 0, 0, 0},
		{"chat", map[string]any{"channel": "chat", "hold_s": 7}, talk | hold | acw, 288, 7, 15},
		{"facebook carries none, whatever is sent", map[string]any{"channel": "facebook"}, records.NoMeasures, 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parseContactsPage(pageOf(t, edit(validContact(), tc.changes)), testMeta, nil)
			if err != nil || len(p.Records) != 1 {
				t.Fatalf("want one record, got %v, %+v", err, p)
			}
			c := p.Records[0]
			if c.Measures != tc.want || c.TalkS != tc.talkS || c.HoldS != tc.holdS || c.AcwS != tc.acwS {
				t.Errorf("measures %03b talk %d hold %d acw %d; want %03b, %d, %d, %d",
					c.Measures, c.TalkS, c.HoldS, c.AcwS, tc.want, tc.talkS, tc.holdS, tc.acwS)
			}
		})
	}
}

func TestParseFeedbackFieldRules(t *testing.T) {
	for _, tc := range []struct {
		name      string
		changes   map[string]any
		wantField string
	}{
		{"valid", nil, ""},
		{"id missing", map[string]any{"id": del}, "id"},
		{"updated_at malformed", map[string]any{"updated_at": "today"}, "updated_at"},
		{"instrument unknown", map[string]any{"instrument": "horoscope"}, "instrument"},
		{"written_survey is not in contract 1", map[string]any{"instrument": "written_survey"}, "instrument"},
		{"subject not a string", map[string]any{"subject": 5}, "subject"},
		{"submitted_at missing", map[string]any{"submitted_at": del}, "submitted_at"},
		{"scale unknown", map[string]any{"scale": "1-10"}, "scale"},
		{"score 0 on 1-5", map[string]any{"score": 0}, "score"},
		{"score 6 on 1-5", map[string]any{"score": 6}, "score"},
		{"score 5 on 1-5", map[string]any{"score": 5}, ""},
		{"score 1 on 1-5", map[string]any{"score": 1}, ""},
		{"score 0 on yes-no", map[string]any{"scale": "yes-no", "score": 0}, ""},
		{"score 2 on yes-no", map[string]any{"scale": "yes-no", "score": 2}, "score"},
		{"score fractional", map[string]any{"score": 4.5}, "score"},
		{"score missing", map[string]any{"score": del}, "score"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parseFeedbackPage(pageOf(t, edit(validFeedback(), tc.changes)), testMeta, nil)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.wantField == "" && (len(p.Records) != 1 || len(p.Quarantined) != 0):
				t.Fatalf("want one valid record, got quarantined %+v", p.Quarantined)
			case tc.wantField != "" && len(p.Quarantined) != 1:
				t.Fatalf("want one quarantined record, got %d records", len(p.Records))
			case tc.wantField != "" && p.Quarantined[0].Field != tc.wantField:
				t.Errorf("quarantined for field %q (%s), want %q", p.Quarantined[0].Field, p.Quarantined[0].Reason, tc.wantField)
			}
		})
	}
}

func TestParseFeedbackUnitAndChannel(t *testing.T) {
	survey := edit(validFeedback(), map[string]any{"id": "fb-2", "instrument": "satisfaction_survey", "subject": "ch-20240115-00007"})
	shopper := edit(validFeedback(), map[string]any{"id": "fb-3", "instrument": "mystery_shopper", "subject": "branch-kaunas"})
	faq := edit(validFeedback(), map[string]any{"id": "fb-4", "instrument": "faq", "subject": "faq-7", "scale": "yes-no", "score": 1})
	p, err := parseFeedbackPage(pageOf(t, validFeedback(), survey, shopper, faq), testMeta, nil)
	if err != nil || len(p.Records) != 4 {
		t.Fatalf("%v %+v", err, p)
	}
	for i, want := range []struct{ unit, channel, contact string }{
		{"contact-centre", "phone", validFeedback()["subject"].(string)}, // post_contact: its call, phone until the call is known
		{"contact-centre", "", "ch-20240115-00007"},                      // survey: under the contact's unit and channel
		{"branch-kaunas", "visit", ""},                                   // mystery shopper: the unit visited
		{"contact-centre", "web", ""},                                    // FAQ votes: the pseudo-channel web
	} {
		r := p.Records[i]
		if r.Unit != want.unit || r.Channel != want.channel || r.ContactID != want.contact {
			t.Errorf("%s: unit %q channel %q contact %q; want %q %q %q", r.Instrument, r.Unit, r.Channel, r.ContactID, want.unit, want.channel, want.contact)
		}
	}
}

func TestParsePageKeepsGoodItemsNextToBadOnes(t *testing.T) {
	good2 := edit(validContact(), map[string]any{"id": "ph-3", "updated_at": "2024-01-15T10:06:00+02:00"})
	bad := edit(validContact(), map[string]any{"id": "ph-2", "talk_s": -4})
	p, err := parseContactsPage(pageOf(t, validContact(), bad, "not an object", good2), testMeta, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Records) != 2 || p.Records[0].ID != "ph-1" || p.Records[1].ID != "ph-3" {
		t.Fatalf("records %+v", p.Records)
	}
	if len(p.Quarantined) != 2 || p.Quarantined[0].RecordID != "ph-2" || p.Quarantined[0].Field != "talk_s" || p.Quarantined[1].RecordID != "" {
		t.Fatalf("quarantined %+v", p.Quarantined)
	}
	if p.Max.ID != "ph-3" {
		t.Errorf("max %+v, want ph-3", p.Max)
	}
}

func TestParsePageErrors(t *testing.T) {
	for _, body := range []string{``, `{`, `[]`, `{"next_page_token": ""}`, `{"items": {}}`, `{"items": [], "next_page_token": 3}`} {
		_, err := parseContactsPage([]byte(body), testMeta, nil)
		if err == nil {
			t.Errorf("%q: want an error", body)
			continue
		}
		if !strings.Contains(err.Error(), testMeta.Origin) {
			t.Errorf("%q: error does not name the page: %v", body, err)
		}
	}
	p, err := parseContactsPage([]byte(`{"items": [], "next_page_token": ""}`), testMeta, nil)
	if err != nil || len(p.Records) != 0 || p.Next != "" || !p.Max.UpdatedAt.IsZero() {
		t.Errorf("empty page: %+v, %v", p, err)
	}
}

func TestParsePageSkipsAcceptedItems(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	const t0, t1, t2 = "2024-01-15T10:06:00+02:00", "2024-01-15T10:07:00+02:00", "2024-01-15T10:08:00+02:00"
	items := []any{
		contactAt("a", t0),
		edit(contactAt("b", t1), map[string]any{"talk_s": -1}), // bad
		contactAt("c", t1),
		edit(contactAt("d", t1), map[string]any{"talk_s": -1}), // bad
		contactAt("e", t2),
	}
	for _, tc := range []struct {
		name            string
		after           position
		wantRecords     []string
		wantQuarantined []string
		wantSkipped     int
	}{
		{"no checkpoint skips nothing", position{}, []string{"a", "c", "e"}, []string{"b", "d"}, 0},
		{"at a bad item", position{at(t1), "b"}, []string{"c", "e"}, []string{"d"}, 2},
		{"at a good item", position{at(t1), "c"}, []string{"e"}, []string{"d"}, 3},
		{"between ids", position{at(t1), "bb"}, []string{"c", "e"}, []string{"d"}, 2},
		{"time without id", position{at(t1), ""}, []string{"c", "e"}, []string{"b", "d"}, 1},
		{"at the last item", position{at(t2), "e"}, nil, nil, 5},
		{"before everything", position{at(t0).Add(-time.Second), "z"}, []string{"a", "c", "e"}, []string{"b", "d"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := testMeta
			m.After = tc.after
			p, err := parseContactsPage(pageOf(t, items...), m, nil)
			if err != nil {
				t.Fatal(err)
			}
			var recs, quar []string
			for _, r := range p.Records {
				recs = append(recs, r.ID)
			}
			for _, q := range p.Quarantined {
				quar = append(quar, q.RecordID)
			}
			if strings.Join(recs, ",") != strings.Join(tc.wantRecords, ",") ||
				strings.Join(quar, ",") != strings.Join(tc.wantQuarantined, ",") || p.Skipped != tc.wantSkipped {
				t.Errorf("records %v, quarantined %v, skipped %d; want %v, %v, %d",
					recs, quar, p.Skipped, tc.wantRecords, tc.wantQuarantined, tc.wantSkipped)
			}
		})
	}
	// An item that cannot be placed (no id) is never taken as accepted.
	m := testMeta
	m.After = position{at(t2), "e"}
	p, err := parseContactsPage(pageOf(t, edit(contactAt("x", t0), map[string]any{"id": del})), m, nil)
	if err != nil || len(p.Quarantined) != 1 || p.Skipped != 0 {
		t.Errorf("item without id: %d quarantined, %d skipped, %v; want it quarantined", len(p.Quarantined), p.Skipped, err)
	}
}
