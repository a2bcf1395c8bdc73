package ind

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ccbench/ccbench/records"
)

// example is the contract's example document.
const example = `{"period": "2024-01", "revision": 2, "published_at": "2024-02-05T09:00:00Z",
 "decisions": [{"procedure": "family", "decided": 1200, "within_deadline": 1100,
                "penalties_paid": 25, "penalties_eur": 18500.0}],
 "phone": {"offered": 50000, "answered": 45000, "answered_within_threshold": 30000,
           "threshold_s": 60, "short_abandoned": 900, "wait_s_sum": 12000000},
 "appointments": {"booked": 8000, "median_lead_days": 12},
 "web_feedback": [{"page": "/en/residence-permits", "useful_yes": 1200, "useful_no": 300}],
 "usability_survey": {"responses": 500, "favourable": 380}}`

// mutate returns the example with change applied to its decoded form.
func mutate(t *testing.T, change func(doc map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(example), &doc); err != nil {
		t.Fatal(err)
	}
	change(doc)
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func section(doc map[string]any, path ...any) map[string]any {
	var v any = doc
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v.(map[string]any)
}

func set(path []any, key string, value any) func(map[string]any) {
	return func(doc map[string]any) { section(doc, path...)[key] = value }
}

func del(path []any, key string) func(map[string]any) {
	return func(doc map[string]any) { delete(section(doc, path...), key) }
}

var (
	top      = []any{}
	decision = []any{"decisions", 0}
	phone    = []any{"phone"}
	appts    = []any{"appointments"}
	page     = []any{"web_feedback", 0}
	usab     = []any{"usability_survey"}
)

func TestParsePeriodValidation(t *testing.T) {
	second := map[string]any{"procedure": "work", "decided": 10.0, "within_deadline": 10.0, "penalties_paid": 0.0, "penalties_eur": 0.0}
	for _, tc := range []struct {
		name   string
		body   []byte // used when change is nil
		change func(map[string]any)
		want   string // the field named by the error; "ok" when valid
	}{
		{name: "contract example", body: []byte(example), want: "ok"},
		{name: "unknown fields ignored", change: func(d map[string]any) {
			d["source"] = "ind.nl"
			section(d, decision...)["median_days"] = 40.0
			section(d, phone...)["note"] = nil
		}, want: "ok"},
		{name: "whole-number float count", change: set(decision, "decided", 1.2e3), want: "ok"},
		{name: "penalty exactly at the cap", change: set(decision, "penalties_eur", 25*1442.0), want: "ok"},
		{name: "no published_at", change: del(top, "published_at"), want: "ok"},
		{name: "null and absent sections", change: func(d map[string]any) {
			d["phone"] = nil
			delete(d, "appointments")
			d["web_feedback"] = []any{}
		}, want: "ok"},

		{name: "not JSON", body: []byte(`{"period": "2024-01",`), want: ""},
		{name: "an array", body: []byte(`["2024-01"]`), want: ""},
		{name: "null", body: []byte(`null`), want: ""},
		{name: "no figures", body: []byte(`{"period": "2024-01", "revision": 1, "decisions": []}`), want: ""},

		{name: "period missing", change: del(top, "period"), want: "period"},
		{name: "period not a string", change: set(top, "period", 202401.0), want: "period"},
		{name: "period one-digit month", change: set(top, "period", "2024-1"), want: "period"},
		{name: "period month 13", change: set(top, "period", "2024-13"), want: "period"},
		{name: "period a date", change: set(top, "period", "2024-01-01"), want: "period"},
		{name: "period not the URL's", change: set(top, "period", "2024-02"), want: "period"},
		{name: "revision missing", change: del(top, "revision"), want: "revision"},
		{name: "revision zero", change: set(top, "revision", 0.0), want: "revision"},
		{name: "revision negative", change: set(top, "revision", -1.0), want: "revision"},
		{name: "revision fractional", change: set(top, "revision", 2.5), want: "revision"},
		{name: "revision as string", change: set(top, "revision", "2"), want: "revision"},
		{name: "published_at not RFC 3339", change: set(top, "published_at", "5 Feb 2024"), want: "published_at"},

		{name: "decisions not an array", change: set(top, "decisions", map[string]any{}), want: "decisions"},
		{name: "decision not an object", change: set(top, "decisions", []any{"family"}), want: "decisions[0]"},
		{name: "procedure missing", change: del(decision, "procedure"), want: "decisions[0].procedure"},
		{name: "procedure empty", change: set(decision, "procedure", ""), want: "decisions[0].procedure"},
		{name: "procedure twice", change: func(d map[string]any) {
			d["decisions"] = append(d["decisions"].([]any), second, map[string]any{"procedure": "family", "decided": 1.0, "within_deadline": 1.0, "penalties_paid": 0.0, "penalties_eur": 0.0})
		}, want: "decisions[2].procedure"},
		{name: "decided missing", change: del(decision, "decided"), want: "decisions[0].decided"},
		{name: "decided negative", change: set(decision, "decided", -1.0), want: "decisions[0].decided"},
		{name: "decided fractional", change: set(decision, "decided", 1200.5), want: "decisions[0].decided"},
		{name: "decided huge", change: set(decision, "decided", 1e300), want: "decisions[0].decided"},
		{name: "within_deadline negative", change: set(decision, "within_deadline", -5.0), want: "decisions[0].within_deadline"},
		{name: "within_deadline above decided", change: set(decision, "within_deadline", 1201.0), want: "decisions[0].within_deadline"},
		{name: "penalties_paid negative", change: set(decision, "penalties_paid", -1.0), want: "decisions[0].penalties_paid"},
		{name: "penalties_eur negative", change: set(decision, "penalties_eur", -0.5), want: "decisions[0].penalties_eur"},
		{name: "penalties_eur missing", change: del(decision, "penalties_eur"), want: "decisions[0].penalties_eur"},
		{name: "penalties_eur over the cap", change: set(decision, "penalties_eur", 25*1442.0+1), want: "decisions[0].penalties_eur"},
		{name: "penalties without a paid decision", change: func(d map[string]any) {
			section(d, decision...)["penalties_paid"] = 0.0
			section(d, decision...)["penalties_eur"] = 23.0
		}, want: "decisions[0].penalties_eur"},
		{name: "second row over the cap though the total is not", change: func(d map[string]any) {
			// family has 25 × 1442 − 18500 = 17550 of headroom; work
			// breaks its own cap by 1442.
			w := map[string]any{"procedure": "work", "decided": 10.0, "within_deadline": 8.0, "penalties_paid": 1.0, "penalties_eur": 2884.0}
			d["decisions"] = append(d["decisions"].([]any), w)
		}, want: "decisions[1].penalties_eur"},

		{name: "phone not an object", change: set(top, "phone", 5.0), want: "phone"},
		{name: "offered missing", change: del(phone, "offered"), want: "phone.offered"},
		{name: "offered negative", change: set(phone, "offered", -1.0), want: "phone.offered"},
		{name: "answered above offered", change: set(phone, "answered", 50001.0), want: "phone.answered"},
		{name: "answered within threshold above answered", change: set(phone, "answered_within_threshold", 45001.0), want: "phone.answered_within_threshold"},
		{name: "short abandons above abandoned", change: set(phone, "short_abandoned", 5001.0), want: "phone.short_abandoned"},
		{name: "short abandons equal abandoned", change: set(phone, "short_abandoned", 5000.0), want: "ok"},
		{name: "threshold zero", change: set(phone, "threshold_s", 0.0), want: "phone.threshold_s"},
		{name: "threshold negative", change: set(phone, "threshold_s", -60.0), want: "phone.threshold_s"},
		{name: "wait sum negative", change: set(phone, "wait_s_sum", -1.0), want: "phone.wait_s_sum"},
		{name: "wait sum as string", change: set(phone, "wait_s_sum", "12000000"), want: "phone.wait_s_sum"},

		{name: "booked negative", change: set(appts, "booked", -1.0), want: "appointments.booked"},
		{name: "median lead days negative", change: set(appts, "median_lead_days", -2.0), want: "appointments.median_lead_days"},

		{name: "page empty", change: set(page, "page", ""), want: "web_feedback[0].page"},
		{name: "page twice", change: func(d map[string]any) {
			d["web_feedback"] = append(d["web_feedback"].([]any), section(d, page...))
		}, want: "web_feedback[1].page"},
		{name: "useful_yes negative", change: set(page, "useful_yes", -1.0), want: "web_feedback[0].useful_yes"},
		{name: "useful_no negative", change: set(page, "useful_no", -1.0), want: "web_feedback[0].useful_no"},
		{name: "useful_no missing", change: del(page, "useful_no"), want: "web_feedback[0].useful_no"},

		{name: "favourable above responses", change: set(usab, "favourable", 501.0), want: "usability_survey.favourable"},
		{name: "responses negative", change: set(usab, "responses", -1.0), want: "usability_survey.responses"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body
			if tc.change != nil {
				body = mutate(t, tc.change)
			}
			p, err := ParsePeriod(body, "2024-01")
			if tc.want == "ok" {
				if err != nil {
					t.Fatalf("ParsePeriod: %v", err)
				}
				if p.Period != "2024-01" || p.Revision != 2 {
					t.Errorf("got %s revision %d", p.Period, p.Revision)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want a *ValidationError naming %q, got %v", tc.want, err)
			}
			if ve.Field != tc.want {
				t.Errorf("field %q, want %q (error: %v)", ve.Field, tc.want, err)
			}
			if ve.Period != "2024-01" || ve.Reason == "" {
				t.Errorf("error %+v: want period 2024-01 and a reason", ve)
			}
			if tc.want != "" && !strings.Contains(err.Error(), tc.want) {
				t.Errorf("message %q does not name %q", err, tc.want)
			}
		})
	}
}

func TestPenaltyCapError(t *testing.T) {
	body := mutate(t, set(decision, "penalties_eur", 40000.0))
	_, err := ParsePeriod(body, "2024-01")
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a *ValidationError, got %v", err)
	}
	if ve.RecordID() != "2024-01@r2" || ve.Revision != 2 {
		t.Errorf("record id %q revision %d, want 2024-01@r2", ve.RecordID(), ve.Revision)
	}
	// 25 × 1442 = 36050.
	for _, want := range []string{"family", "40000", "36050", "1442"} {
		if !strings.Contains(ve.Reason, want) {
			t.Errorf("reason %q does not mention %s", ve.Reason, want)
		}
	}
}

func TestAggregates(t *testing.T) {
	p, err := ParsePeriod([]byte(example), "2024-01")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	type row struct {
		channel, instrument, item, metric string
		value                             float64
	}
	want := []row{
		{"", "", "family", "decided", 1200},
		{"", "", "family", "within_deadline", 1100},
		{"", "", "family", "penalties_paid", 25},
		{"", "", "family", "penalties_eur", 18500},
		{"phone", "", "", "offered", 50000},
		{"phone", "", "", "answered", 45000},
		{"phone", "", "", "answered_within_threshold", 30000},
		{"phone", "", "", "threshold_s", 60},
		{"phone", "", "", "short_abandoned", 900},
		{"phone", "", "", "wait_s_sum", 12000000},
		{"", "", "appointments", "booked", 8000},
		{"", "", "appointments", "median_lead_days", 12},
		{"", "web_page", "/en/residence-permits", "useful_yes", 1200},
		{"", "web_page", "/en/residence-permits", "useful_no", 300},
		{"", "usability_survey", "", "responses", 500},
		{"", "usability_survey", "", "favourable", 380},
	}
	for _, tc := range []struct{ unit, wantUnit string }{{"", "ind"}, {"immigration-desk", "immigration-desk"}} {
		got := p.Aggregates("ind-nl", "ind-open-data", tc.unit)
		if len(got) != len(want) {
			t.Fatalf("%d rows, want %d: %+v", len(got), len(want), got)
		}
		for i, w := range want {
			g := got[i]
			exp := records.Aggregate{
				Institution: "ind-nl", Source: "ind-open-data", Batch: "2024-01", Revision: 2,
				PeriodStart: start, PeriodEnd: end, Unit: tc.wantUnit,
				Channel: w.channel, Instrument: w.instrument, Item: w.item, Metric: w.metric, Value: w.value,
			}
			if g != exp {
				t.Errorf("row %d:\n got %+v\nwant %+v", i, g, exp)
			}
		}
	}
}

func TestPeriodBounds(t *testing.T) {
	for _, tc := range []struct {
		period     string
		start, end time.Time
		bad        bool
	}{
		{period: "2024-01", start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), end: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)},
		{period: "2023-12", start: time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC), end: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
		{period: "2024-1", bad: true},
		{period: "2024-00", bad: true},
		{period: " 2024-01", bad: true},
		{period: "", bad: true},
	} {
		s, e, err := PeriodBounds(tc.period)
		if tc.bad {
			if err == nil {
				t.Errorf("PeriodBounds(%q): want an error", tc.period)
			}
			continue
		}
		if err != nil || !s.Equal(tc.start) || !e.Equal(tc.end) || s.Location() != time.UTC {
			t.Errorf("PeriodBounds(%q) = %v, %v, %v", tc.period, s, e, err)
		}
	}
}
