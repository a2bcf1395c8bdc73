package sodra

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/ccbench/ccbench/simulator"
)

var vilnius, _ = time.LoadLocation(TimeZone)

// item is what the tests read of a contact or feedback item.
type item struct {
	ID          string  `json:"id"`
	UpdatedAt   string  `json:"updated_at"`
	Unit        string  `json:"unit"`
	Channel     string  `json:"channel"`
	ArrivedAt   string  `json:"arrived_at"`
	AnsweredAt  *string `json:"answered_at"`
	EndedAt     *string `json:"ended_at"`
	ResolvedAt  *string `json:"resolved_at"`
	Outcome     string  `json:"outcome"`
	TalkS       int     `json:"talk_s"`
	HoldS       int     `json:"hold_s"`
	AcwS        int     `json:"acw_s"`
	Instrument  string  `json:"instrument"`
	Subject     string  `json:"subject"`
	SubmittedAt string  `json:"submitted_at"`
	Scale       string  `json:"scale"`
	Score       int     `json:"score"`
}

type page struct {
	Items         []item `json:"items"`
	NextPageToken string `json:"next_page_token"`
}

func get(t *testing.T, h http.Handler, path string, params url.Values, token string) (*httptest.ResponseRecorder, page) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path+"?"+params.Encode(), nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var p page
	if w.Code == http.StatusOK {
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	return w, p
}

// list follows the page tokens of one listing to its end.
func list(t *testing.T, h http.Handler, path, since string, pageSize int) []item {
	t.Helper()
	var all []item
	tok := ""
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("listing does not end")
		}
		v := url.Values{"page_size": {strconv.Itoa(pageSize)}}
		if since != "" {
			v.Set("updated_since", since)
		}
		if tok != "" {
			v.Set("page_token", tok)
		}
		w, p := get(t, h, path, v, "")
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, w.Code, w.Body)
		}
		if len(p.Items) > pageSize {
			t.Fatalf("page of %d items, asked for %d", len(p.Items), pageSize)
		}
		all = append(all, p.Items...)
		if p.NextPageToken == "" {
			return all
		}
		tok = p.NextPageToken
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	return v
}

// monday is a fixed instant: Monday 2024-01-15 12:00 in Vilnius.
var monday = time.Date(2024, 1, 15, 12, 0, 0, 0, vilnius)

func TestPaginationCoversEveryVersionOnce(t *testing.T) {
	s := New(Options{Seed: 1, Days: 2, Now: func() time.Time { return monday }})
	h := s.Handler()
	for _, path := range []string{"/v1/contacts", "/v1/feedback"} {
		small := list(t, h, path, "", 777)
		big := list(t, h, path, "", MaxPageSize)
		if len(small) != len(big) || len(small) == 0 {
			t.Fatalf("%s: %d items with pages of 777, %d with pages of %d", path, len(small), len(big), MaxPageSize)
		}
		seen := map[string]bool{}
		var prev time.Time
		prevID := ""
		for i, it := range small {
			if !reflect.DeepEqual(it, big[i]) {
				t.Fatalf("%s: item %d differs between page sizes: %+v vs %+v", path, i, it, big[i])
			}
			k := it.ID + "@" + it.UpdatedAt
			if seen[k] {
				t.Fatalf("%s: version %s served twice", path, k)
			}
			seen[k] = true
			u := mustTime(t, it.UpdatedAt)
			if u.After(monday) {
				t.Fatalf("%s: %s has updated_at %s after now %s", path, it.ID, it.UpdatedAt, monday)
			}
			if u.Before(s.Start()) {
				t.Fatalf("%s: %s updated before the history starts", path, it.ID)
			}
			if i > 0 && (u.Before(prev) || (u.Equal(prev) && it.ID <= prevID)) {
				t.Fatalf("%s: item %d (%s %s) out of (updated_at, id) order", path, i, it.UpdatedAt, it.ID)
			}
			prev, prevID = u, it.ID
		}
	}
}

func TestUpdatedSinceIsInclusive(t *testing.T) {
	s := New(Options{Seed: 2, Days: 1, Now: func() time.Time { return monday }})
	h := s.Handler()
	all := list(t, h, "/v1/contacts", "", MaxPageSize)
	pivot := all[len(all)/2]
	want := 0
	pt := mustTime(t, pivot.UpdatedAt)
	for _, it := range all {
		if !mustTime(t, it.UpdatedAt).Before(pt) {
			want++
		}
	}
	got := list(t, h, "/v1/contacts", pivot.UpdatedAt, 1000)
	if len(got) != want {
		t.Fatalf("updated_since=%s: got %d items, want %d", pivot.UpdatedAt, len(got), want)
	}
	if got[0].UpdatedAt != pivot.UpdatedAt && !mustTime(t, got[0].UpdatedAt).Equal(pt) {
		t.Fatalf("first item has updated_at %s, want %s", got[0].UpdatedAt, pivot.UpdatedAt)
	}
	// The same instant written in UTC selects the same items.
	if n := len(list(t, h, "/v1/contacts", pt.UTC().Format(time.RFC3339), 1000)); n != want {
		t.Fatalf("updated_since in UTC: got %d items, want %d", n, want)
	}
}

func TestDeterministic(t *testing.T) {
	body := func(seed int64) []byte {
		s := New(Options{Seed: seed, Days: 1, Now: func() time.Time { return monday }})
		w, _ := get(t, s.Handler(), "/v1/contacts", url.Values{"page_size": {"2000"}}, "")
		return w.Body.Bytes()
	}
	a, b, c := body(42), body(42), body(43)
	if !bytes.Equal(a, b) {
		t.Fatal("the same seed gave different pages")
	}
	if bytes.Equal(a, c) {
		t.Fatal("different seeds gave the same page")
	}
}

func TestTokenRequired(t *testing.T) {
	h := New(Options{Seed: 1, Token: "tok", Now: func() time.Time { return monday }}).Handler()
	for _, tc := range []struct {
		token string
		want  int
	}{{"", 401}, {"other", 401}, {"tok", 200}} {
		w, _ := get(t, h, "/v1/feedback", nil, tc.token)
		if w.Code != tc.want {
			t.Errorf("token %q: got %d, want %d", tc.token, w.Code, tc.want)
		}
	}
}

func TestBadParameters(t *testing.T) {
	h := New(Options{Seed: 1, Now: func() time.Time { return monday }}).Handler()
	for _, v := range []url.Values{
		{"updated_since": {"yesterday"}},
		{"page_size": {"0"}},
		{"page_size": {"ten"}},
		{"page_token": {"!!!"}},
		{"page_token": {encodeToken("feedback", 1, "x")}}, // a feedback token on the contacts listing
	} {
		w, _ := get(t, h, "/v1/contacts", v, "")
		if w.Code != http.StatusBadRequest {
			t.Errorf("%v: got %d, want 400", v, w.Code)
			continue
		}
		var e struct{ Error string }
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
			t.Errorf("%v: want a JSON error, got %s", v, w.Body)
		}
	}
}

func TestTimePassingReleasesNewVersions(t *testing.T) {
	clock := simulator.NewClock(monday)
	h := New(Options{Seed: 3, Days: 0, Now: clock.Now}).Handler()
	before := list(t, h, "/v1/contacts", "", MaxPageSize)
	states := map[string]string{}
	for _, it := range before {
		states[it.ID] = it.Outcome
	}
	clock.Advance(48 * time.Hour)
	after := list(t, h, "/v1/contacts", monday.Add(time.Second).Format(time.RFC3339), MaxPageSize)
	newRecords, answeredLater, resolvedLater := 0, 0, 0
	for _, it := range after {
		switch old, ok := states[it.ID]; {
		case !ok:
			newRecords++
		case old == "open" && it.Outcome == "answered":
			answeredLater++
		case it.ResolvedAt != nil:
			resolvedLater++
		}
	}
	if newRecords == 0 || answeredLater == 0 || resolvedLater == 0 {
		t.Fatalf("after two days: %d new records, %d written answers, %d complex resolutions; want all > 0", newRecords, answeredLater, resolvedLater)
	}
}

// TestVolumesAndKPIs checks the seed calibration over a 7-day window,
// computing every figure from the served records.
func TestVolumesAndKPIs(t *testing.T) {
	// History of 17 days; the first 7 are measured, so that every late
	// version of them has been released.
	now := time.Date(2024, 1, 25, 0, 0, 0, 0, vilnius)
	s := New(Options{Seed: 11, Days: 17, Now: func() time.Time { return now }})
	h := s.Handler()
	from, to := s.Start(), s.Start().AddDate(0, 0, 7)
	newest := map[string]item{}
	for _, it := range list(t, h, "/v1/contacts", "", MaxPageSize) {
		newest[it.ID] = it // ordered by updated_at: the last version wins
	}
	var calls, written, chats, visits float64
	var offered, short, within20, abandoned, answered, acwSum float64
	var visitsOffered, visitsLong, visitAnswered, visitTalk float64
	for _, c := range newest {
		arrived := mustTime(t, c.ArrivedAt)
		if arrived.Before(from) || !arrived.Before(to) {
			continue
		}
		if (c.Outcome == "answered") != (c.AnsweredAt != nil) || c.TalkS < 0 || c.HoldS < 0 || c.AcwS < 0 {
			t.Fatalf("inconsistent record %+v", c)
		}
		for _, p := range []*string{c.AnsweredAt, c.EndedAt, c.ResolvedAt, &c.UpdatedAt} {
			if p != nil && mustTime(t, *p).Before(arrived) {
				t.Fatalf("record %s has a time before its arrival: %+v", c.ID, c)
			}
		}
		wait := func() float64 {
			if c.AnsweredAt != nil {
				return mustTime(t, *c.AnsweredAt).Sub(arrived).Seconds()
			}
			return mustTime(t, *c.EndedAt).Sub(arrived).Seconds()
		}
		switch c.Channel {
		case "phone":
			calls++
			offered++
			w := wait()
			switch {
			case c.Outcome == "abandoned" && w < 5:
				short++
			case c.Outcome == "abandoned":
				abandoned++
			case w <= 20:
				within20++
			}
			if c.Outcome == "answered" {
				answered++
				acwSum += float64(c.AcwS)
			}
		case "email", "web_form":
			written++
		case "chat", "facebook":
			chats++
		case "visit":
			visits++
			visitsOffered++
			if wait() > 30*60 {
				visitsLong++
			}
			if c.Outcome == "answered" {
				visitAnswered++
				visitTalk += float64(c.TalkS + c.HoldS + c.AcwS)
			}
		default:
			t.Fatalf("unexpected channel in %+v", c)
		}
	}
	within := func(name string, got, want, tol float64) {
		t.Helper()
		if got < want-tol || got > want+tol {
			t.Errorf("%s = %.4f, want %.4f ± %.4f", name, got, want, tol)
		}
	}
	t.Logf("per day: %.0f calls, %.0f written, %.0f chats, %.0f visits; phone SL %.4f, abandon %.4f, acw %.1fs; visit handling %.0fs, long waits %.4f",
		calls/7, written/7, chats/7, visits/7, within20/(offered-short), abandoned/(offered-short), acwSum/answered, visitTalk/visitAnswered, visitsLong/visitsOffered)
	within("phone calls per day", calls/7, 3500, 350)
	within("written inquiries per day", written/7, 200, 20)
	within("chats per day", chats/7, 200, 20)
	within("branch visits per day", visits/7, 5000, 500)
	within("phone service level (20 s)", within20/(offered-short), 0.95, 0.02)
	within("phone abandon rate", abandoned/(offered-short), 0.05, 0.02)
	within("phone mean acw seconds", acwSum/answered, 15, 3)
	within("visit mean handling seconds", visitTalk/visitAnswered, 900, 90)
	if share := visitsLong / visitsOffered; share >= 0.02 {
		t.Errorf("branch waits over 30 min: %.4f, want < 0.02", share)
	}

	var post, surveys, favourable, faq float64
	for _, f := range list(t, h, "/v1/feedback", "", MaxPageSize) {
		sub := mustTime(t, f.SubmittedAt)
		if sub.Before(from) || !sub.Before(to) {
			continue
		}
		switch f.Instrument {
		case "post_contact":
			post++
		case "satisfaction_survey":
			surveys++
			if f.Score >= 4 {
				favourable++
			}
		case "faq":
			faq++
		}
	}
	if post == 0 || faq == 0 {
		t.Errorf("no post_contact (%v) or faq (%v) feedback", post, faq)
	}
	within("branch survey favourable share", favourable/surveys, 0.80, 0.04)
}

func TestBadRecordEvery(t *testing.T) {
	s := New(Options{Seed: 5, Days: 1, BadRecordEvery: 10, Now: func() time.Time { return monday }})
	kinds := map[string]int{}
	all := list(t, s.Handler(), "/v1/contacts", "", MaxPageSize)
	ids := map[string]bool{}
	for _, c := range all {
		ids[c.ID] = true
		if c.Channel == "carrier_pigeon" {
			kinds["channel"]++
		}
		if c.TalkS < 0 {
			kinds["talk_s"]++
		}
		if _, err := time.Parse(time.RFC3339, c.ArrivedAt); err != nil {
			kinds["arrived_at"]++
		} else if c.AnsweredAt != nil && mustTime(t, *c.AnsweredAt).Before(mustTime(t, c.ArrivedAt)) {
			kinds["answered_at"]++
		}
	}
	bad := 0
	for k, n := range kinds {
		if n == 0 {
			t.Errorf("no bad record of kind %s", k)
		}
		bad += n
	}
	if len(kinds) != 4 {
		t.Errorf("kinds of bad records: %v, want 4", kinds)
	}
	// About every 10th record (and all its versions) is bad.
	if share := float64(bad) / float64(len(all)); share < 0.08 || share > 0.12 {
		t.Errorf("share of bad versions %.3f, want about 0.10", share)
	}
}

// TestEveryHourHasRealTimeContacts checks that for a week, every whole hour,
// day or night, working day or weekend, has a few phone or chat contacts
// that were answered or abandoned, so that the demo's last-hour window is
// never empty. The weeks include both daylight-saving changes, where a day
// has 23 or 25 hours.
func TestEveryHourHasRealTimeContacts(t *testing.T) {
	const minPerHour = 3
	for _, tc := range []struct {
		name string
		from time.Time // a local midnight
	}{
		{"ordinary week", time.Date(2024, 1, 15, 0, 0, 0, 0, vilnius)},
		{"spring daylight-saving change", time.Date(2024, 3, 28, 0, 0, 0, 0, vilnius)},
		{"autumn daylight-saving change", time.Date(2024, 10, 24, 0, 0, 0, 0, vilnius)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			to := tc.from.AddDate(0, 0, 7)
			// One more day of history, so every version of the week is out.
			now := to.AddDate(0, 0, 1)
			s := New(Options{Seed: 21, Days: 8, Now: func() time.Time { return now }})
			if !s.Start().Equal(tc.from) {
				t.Fatalf("history starts %s, want %s", s.Start(), tc.from)
			}
			perHour := map[int64]int{} // Unix hour -> contacts
			for _, c := range list(t, s.Handler(), "/v1/contacts", "", MaxPageSize) {
				switch c.Channel {
				case "phone", "chat", "facebook":
				default:
					continue
				}
				if c.Outcome != "answered" && c.Outcome != "abandoned" {
					continue
				}
				perHour[mustTime(t, c.ArrivedAt).Unix()/3600]++
			}
			hours := 0
			for h := tc.from.Unix() / 3600; h < to.Unix()/3600; h++ {
				hours++
				if n := perHour[h]; n < minPerHour {
					t.Errorf("hour starting %s: %d phone or chat contacts, want >= %d", time.Unix(h*3600, 0).In(vilnius), n, minPerHour)
				}
			}
			// Vilnius offsets are whole hours: 168 hours in a week, one
			// less or one more across a daylight-saving change.
			if hours < 167 || hours > 169 {
				t.Fatalf("checked %d hours, want 167..169", hours)
			}
		})
	}
}

// TestAfterHoursShares checks the around-the-clock streams: about 1.6 % of
// the calls come outside the phone hours (8-17 on working days, 10-14 at
// weekends), and a night hour has about 1/5 of the chats of a working-day
// daytime hour.
func TestAfterHoursShares(t *testing.T) {
	from := time.Date(2024, 1, 8, 0, 0, 0, 0, vilnius) // a Monday
	to := from.AddDate(0, 0, 14)
	now := to.AddDate(0, 0, 1)
	s := New(Options{Seed: 12, Days: 15, Now: func() time.Time { return now }})
	open := func(local time.Time) bool {
		h := local.Hour()
		if wd := local.Weekday(); wd == time.Saturday || wd == time.Sunday {
			return h >= 10 && h < 14
		}
		return h >= 8 && h < 17
	}
	var calls, callsClosed, chatsDay, chatsNight float64
	for _, c := range list(t, s.Handler(), "/v1/contacts", "", MaxPageSize) {
		at := mustTime(t, c.ArrivedAt).In(vilnius)
		if at.Before(from) || !at.Before(to) {
			continue
		}
		switch c.Channel {
		case "phone":
			calls++
			if !open(at) {
				callsClosed++
			}
		case "chat", "facebook":
			wd := at.Weekday()
			switch {
			case wd != time.Saturday && wd != time.Sunday && open(at):
				chatsDay++
			case !open(at):
				chatsNight++
			}
		}
	}
	// Two weeks: 10 working days of 9 open hours; closed hours are
	// 10 x 15 on working days and 4 x 20 at weekends.
	dayRate, nightRate := chatsDay/(10*9), chatsNight/(10*15+4*20)
	t.Logf("calls after hours %.0f of %.0f; chats a daytime hour %.1f, a night hour %.1f", callsClosed, calls, dayRate, nightRate)
	if share := callsClosed / calls; share < 0.01 || share > 0.02 {
		t.Errorf("calls after hours: %.4f of the calls, want 0.01..0.02", share)
	}
	if ratio := nightRate / dayRate; ratio < 0.15 || ratio > 0.25 {
		t.Errorf("chats a night hour / a daytime hour = %.3f, want about 0.2", ratio)
	}
}
