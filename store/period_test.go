package store

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
)

func TestPeriodExpr(t *testing.T) {
	vilnius, err := time.LoadLocation("Europe/Vilnius")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in       By
		wantBy   By
		wantExpr string
		wantArgs []any
		wantErr  string
	}{
		{in: "", wantBy: ByTotal, wantExpr: "toDate(0)"},
		{in: ByTotal, wantBy: ByTotal, wantExpr: "toDate(0)"},
		{in: ByDay, wantBy: ByDay, wantExpr: "toDate(arrived_at, ?)", wantArgs: []any{"Europe/Vilnius"}},
		{in: ByMonth, wantBy: ByMonth, wantExpr: "toStartOfMonth(toDate(arrived_at, ?))", wantArgs: []any{"Europe/Vilnius"}},
		{in: ByWeek, wantBy: ByWeek, wantExpr: "toMonday(toDate(arrived_at, ?))", wantArgs: []any{"Europe/Vilnius"}},
		{in: "fortnight", wantErr: `unknown grouping "fortnight" (want total, day, week or month)`},
	} {
		by, err := checkGrouping(tc.in)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("checkGrouping(%q): err = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		q := periodExpr(&query{}, by, "arrived_at", vilnius)
		if err != nil || by != tc.wantBy || q.String() != tc.wantExpr || fmt.Sprint(q.args) != fmt.Sprint(tc.wantArgs) {
			t.Errorf("%q: got %q, %q %v, %v; want %q, %q %v", tc.in, by, q.String(), q.args, err, tc.wantBy, tc.wantExpr, tc.wantArgs)
		}
	}
}

func TestCheckWindow(t *testing.T) {
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 1, 0)
	for _, tc := range []struct {
		name        string
		institution string
		from, to    time.Time
		wantErr     string
	}{
		{"ok", "sodra", from, to, ""},
		{"no institution", "", from, to, "contact counts: institution must not be empty"},
		{"empty window", "sodra", from, from, "contact counts of sodra: window [2024-01-01T00:00:00Z, 2024-01-01T00:00:00Z) is empty"},
		{"reversed window", "sodra", to, from, "contact counts of sodra: window [2024-02-01T00:00:00Z, 2024-01-01T00:00:00Z) is empty"},
	} {
		err := checkWindow("contact counts", tc.institution, tc.from, tc.to)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.wantErr {
			t.Errorf("%s: err = %q, want %q", tc.name, got, tc.wantErr)
		}
	}
}

func TestParamsOrDefault(t *testing.T) {
	if got, want := paramsOrDefault(nil)("u", records.ChannelChat), kpi.DefaultParams(records.ChannelChat); got != want {
		t.Errorf("default params of chat = %+v, want %+v", got, want)
	}
	own := kpi.Params{Threshold: 30 * time.Second}
	if got := paramsOrDefault(func(_, _ string) kpi.Params { return own })("u", records.ChannelPhone); got != own {
		t.Errorf("configured params = %+v, want %+v", got, own)
	}
}

func TestNamedLocation(t *testing.T) {
	vilnius, err := time.LoadLocation("Europe/Vilnius")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in     *time.Location
		want   string // location name; "" wants an error
		reason string
	}{
		{nil, "UTC", "nil is UTC"},
		{vilnius, "Europe/Vilnius", "an IANA zone"},
		{time.Local, "", "Local names no zone ClickHouse knows"},
		{time.FixedZone("", 3600), "", "no name"},
		{time.FixedZone("UTC +1", 3600), "", "a name with a space"},
	} {
		got, err := namedLocation(tc.in)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("%s: namedLocation = %v, want an error", tc.reason, got)
		case tc.want != "" && (err != nil || got.String() != tc.want):
			t.Errorf("%s: namedLocation = %v, %v; want %s", tc.reason, got, err, tc.want)
		}
	}
}

func TestWindowInstitutions(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	of := func(q ContactQuery) (string, time.Time, bool) { return q.Institution, q.To, q.Raw }
	for _, tc := range []struct {
		name    string
		qs      []ContactQuery
		want    []string
		wantErr string
	}{
		{name: "none", qs: nil, want: nil},
		{name: "raw queries are not served by rollups",
			qs:   []ContactQuery{{Institution: "a", To: now}, {Institution: "b", To: now, Raw: true}, {Institution: "c", To: now}},
			want: []string{"a", "c"}},
		{name: "different ends", qs: []ContactQuery{{Institution: "a", To: now}, {Institution: "b", To: now.Add(time.Second)}},
			wantErr: "windows of b end at 2026-11-29T12:00:01Z, those of the first query at 2026-11-29T12:00:00Z"},
		{name: "repeated institution", qs: []ContactQuery{{Institution: "a", To: now}, {Institution: "a", To: now}},
			wantErr: `query 1 repeats institution "a"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := windowInstitutions(tc.qs, of)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("windowInstitutions = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
