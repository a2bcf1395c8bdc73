package vmi

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/simulator"
)

// wednesday is 10:30 local time on Wednesday 17 January 2024.
var wednesday = time.Date(2024, 1, 17, 8, 30, 0, 0, time.UTC)

func fixed(t time.Time) func() time.Time { return func() time.Time { return t } }

func get(t *testing.T, h http.Handler, path, token string) (int, []byte) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	body, _ := io.ReadAll(w.Result().Body)
	return w.Code, body
}

// snapshot is every file a simulator serves, by name, read over HTTP.
func snapshot(t *testing.T, h http.Handler, token string) ([]IndexEntry, map[string][]byte) {
	t.Helper()
	code, body := get(t, h, "/exports/index.json", token)
	if code != http.StatusOK {
		t.Fatalf("index: %d %s", code, body)
	}
	var idx []IndexEntry
	if err := json.Unmarshal(body, &idx); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range idx {
		code, b := get(t, h, "/exports/"+e.Name, token)
		if code != http.StatusOK {
			t.Fatalf("%s: %d %s", e.Name, code, b)
		}
		files[e.Name] = b
	}
	return idx, files
}

func TestDeterministic(t *testing.T) {
	opts := Options{Seed: 42, Days: 3, Now: fixed(wednesday), Scale: 0.2, BadRecordEvery: 7}
	idx1, files1 := snapshot(t, New(opts).Handler(), "")
	idx2, files2 := snapshot(t, New(opts).Handler(), "")
	if len(idx1) == 0 || len(idx1) != len(idx2) {
		t.Fatalf("indexes of %d and %d files", len(idx1), len(idx2))
	}
	for i := range idx1 {
		if idx1[i] != idx2[i] || !bytes.Equal(files1[idx1[i].Name], files2[idx1[i].Name]) {
			t.Errorf("same seed, different %s: %+v vs %+v", idx1[i].Name, idx1[i], idx2[i])
		}
	}
	opts.Seed = 43
	_, other := snapshot(t, New(opts).Handler(), "")
	name := "calls-2024-01-16.csv"
	if bytes.Equal(files1[name], other[name]) {
		t.Errorf("seeds 42 and 43 serve the same %s", name)
	}
}

func TestIndexMatchesFiles(t *testing.T) {
	const token = "s3cret"
	h := New(Options{Seed: 1, Days: 5, Now: fixed(wednesday), Token: token, Scale: 0.1}).Handler()
	if code, _ := get(t, h, "/exports/index.json", ""); code != http.StatusUnauthorized {
		t.Errorf("index without token: %d, want 401", code)
	}
	if code, _ := get(t, h, "/exports/calls-2024-01-16.csv", "wrong"); code != http.StatusUnauthorized {
		t.Errorf("file with a wrong token: %d, want 401", code)
	}
	idx, files := snapshot(t, h, token)
	// 5 past days x 5 kinds, and today's 4 hourly kinds (no seminars yet).
	if len(idx) != 5*5+4 {
		t.Errorf("%d files listed, want %d", len(idx), 5*5+4)
	}
	for _, e := range idx {
		sum := sha256.Sum256(files[e.Name])
		if hex.EncodeToString(sum[:]) != e.SHA256 {
			t.Errorf("%s: index sha256 %s, bytes hash to %x", e.Name, e.SHA256, sum)
		}
		if e.Name != e.Kind+"-"+e.Date+".csv" {
			t.Errorf("entry %+v: name does not match kind and date", e)
		}
		if _, err := time.Parse(time.RFC3339, e.PublishedAt); err != nil {
			t.Errorf("entry %+v: published_at: %v", e, err)
		}
	}
	for _, path := range []string{"/exports/calls-2024-01-18.csv", "/exports/calls-2023-01-16.csv", "/exports/seminars-2024-01-17.csv", "/exports/x.csv", "/exports/"} {
		if code, _ := get(t, h, path, token); code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
	}
}

func TestRepublishes(t *testing.T) {
	clock := simulator.NewClock(wednesday)
	s := New(Options{Seed: 9, Days: 3, Now: clock.Now, CorrectionAfter: 10 * time.Minute})
	byName := func() map[string]IndexEntry {
		m := map[string]IndexEntry{}
		for _, e := range s.Index() {
			m[e.Name] = e
		}
		return m
	}
	first := byName()
	day, at := s.Correction()
	if want := time.Date(2024, 1, 16, 0, 0, 0, 0, s.Location()); !day.Equal(want) || !at.Equal(wednesday.Add(10*time.Minute)) {
		t.Fatalf("correction of %v at %v; want %v at %v", day, at, want, wednesday.Add(10*time.Minute))
	}
	clock.Set(at)
	second := byName()
	for name, e := range second {
		changed := e != first[name]
		if want := name == "calls-2024-01-16.csv"; changed != want {
			t.Errorf("%s changed %v at the correction, want %v", name, changed, want)
		}
	}
	checkNewer(t, first["calls-2024-01-16.csv"], second["calls-2024-01-16.csv"])

	// The next full hour republishes today's files, with more rows.
	clock.Set(time.Date(2024, 1, 17, 11, 0, 0, 0, s.Location()))
	third := byName()
	for _, kind := range []string{"calls", "chats", "written"} {
		name := kind + "-2024-01-17.csv"
		checkNewer(t, second[name], third[name])
	}
	// The next day at 01:00 written files are republished as cases are
	// answered, and yesterday's seminar file appears.
	clock.Set(time.Date(2024, 1, 18, 1, 0, 0, 0, s.Location()))
	fourth := byName()
	checkNewer(t, third["written-2024-01-16.csv"], fourth["written-2024-01-16.csv"])
	if _, ok := fourth["seminars-2024-01-17.csv"]; !ok {
		t.Errorf("seminars-2024-01-17.csv not listed the next day")
	}
	if fourth["calls-2024-01-15.csv"] != first["calls-2024-01-15.csv"] {
		t.Errorf("calls-2024-01-15.csv changed")
	}
}

func checkNewer(t *testing.T, old, new IndexEntry) {
	t.Helper()
	if old.Name == "" || new.Name == "" {
		t.Fatalf("file not listed: %+v, %+v", old, new)
	}
	if old.SHA256 == new.SHA256 || new.PublishedAt <= old.PublishedAt {
		t.Errorf("%s republished %s→%s, published %s→%s; want a new sha256 and a later published_at",
			old.Name, old.SHA256, new.SHA256, old.PublishedAt, new.PublishedAt)
	}
}

// table reads a served file as rows by column name.
func table(t *testing.T, body []byte) []map[string]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff"))))
	r.Comma = ';'
	all, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, rec := range all[1:] {
		m := map[string]string{}
		for i, h := range all[0] {
			m[h] = rec[i]
		}
		out = append(out, m)
	}
	return out
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.4f, want %.4f ± %.4f", what, got, want, tol)
	}
}

// TestCalibration checks the seed's VMI figures on four weeks of files.
func TestCalibration(t *testing.T) {
	now := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	s := New(Options{Seed: 11, Days: 42, Now: fixed(now)})
	loc := s.Location()
	lt := func(v string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04:05", v, loc)
		if err != nil {
			t.Fatalf("time %q: %v", v, err)
		}
		return tm
	}
	num := func(v string) float64 {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("number %q: %v", v, err)
		}
		return f
	}
	cal, err := kpi.NewCalendar("LT")
	if err != nil {
		t.Fatal(err)
	}
	var (
		workdays, weekendCalls                                      float64
		calls, answered, handling, surveyed, favourable             float64
		chats, written, writtenAnswered, onTime, corrected, audited float64
		responses, responsesFav, seminars, semResp, semRec          float64
	)
	// Only the 28 days from 14 days ago back: their written files are final.
	from := time.Date(2024, 1, 18, 0, 0, 0, 0, loc)
	to := from.AddDate(0, 0, 28)
	for _, e := range s.Index() {
		d, _ := time.ParseInLocation("2006-01-02", e.Date, loc)
		if d.Before(from) || !d.Before(to) {
			continue
		}
		body, _ := s.File(e.Name)
		rows := table(t, body)
		work := cal.IsWorkingDay(d)
		switch e.Kind {
		case "calls":
			if work {
				workdays++
			} else {
				weekendCalls += float64(len(rows))
			}
			for _, r := range rows {
				calls++
				if r["answered_at"] == "" {
					continue
				}
				answered++
				handling += num(r["talk_s"]) + num(r["acw_s"])
				if r["survey_score"] != "" {
					surveyed++
					if num(r["survey_score"]) >= 4 {
						favourable++
					}
				}
			}
		case "chats":
			chats += float64(len(rows))
		case "written":
			for _, r := range rows {
				written++
				if r["answered_at"] == "" {
					continue
				}
				writtenAnswered++
				if lt(r["answered_at"]).Before(cal.Deadline(lt(r["received_at"]), loc, 5)) {
					onTime++
				}
				corrected += num(r["corrected"])
				if r["audit_score"] != "" {
					audited++
				}
			}
		case "written_survey":
			for _, r := range rows {
				responses++
				if num(r["score"]) >= 4 {
					responsesFav++
				}
			}
		case "seminars":
			for _, r := range rows {
				seminars++
				semResp += num(r["responses"])
				semRec += num(r["would_recommend"])
			}
		}
	}
	if workdays < 18 || workdays > 20 {
		t.Fatalf("%v working days in 4 weeks", workdays)
	}
	if weekendCalls != 0 {
		t.Errorf("%v calls on weekends and holidays; the phone line is closed", weekendCalls)
	}
	near(t, "calls per working day", calls/workdays, 1500, 30)
	near(t, "answered share of calls", answered/calls, 0.80, 0.01)
	near(t, "mean handling time (talk + acw) of answered calls", handling/answered, 180, 5)
	near(t, "surveyed share of answered calls", surveyed/answered, 0.10, 0.01)
	near(t, "favourable share of call ratings", favourable/surveyed, 0.89, 0.02)
	// Weekends add 10 % of a working day's chats and 30 % of its written.
	near(t, "chats per working day", chats/workdays, 300*(1+0.1*(28-workdays)/workdays), 15)
	near(t, "written per working day", written/workdays, 150*(1+0.3*(28-workdays)/workdays), 10)
	if share := writtenAnswered / written; share < 0.99 {
		t.Errorf("only %.3f of two-week-old written cases answered", share)
	}
	near(t, "written answered within 5 working days", onTime/writtenAnswered, 0.94, 0.02)
	near(t, "corrected share of written answers", corrected/writtenAnswered, 0.005, 0.003)
	near(t, "audited share of written answers", audited/writtenAnswered, 0.10, 0.015)
	near(t, "favourable share of written survey", responsesFav/responses, 0.80, 0.05)
	if perWeek := seminars / 4; perWeek < 1.5 || perWeek > 4.5 {
		t.Errorf("%.1f seminars a week, want a few", perWeek)
	}
	near(t, "recommend share of seminars", semRec/semResp, 0.70, 0.05)
}
