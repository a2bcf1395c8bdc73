package ind

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/ccbench/ccbench/simulator"
)

const token = "sim-token"

var amsterdam = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		panic(err)
	}
	return loc
}()

// march10 is 2024-03-10 12:00 in Amsterdam (CET): 9 days and 12 hours, 228
// hours, after the month started.
var march10 = time.Date(2024, 3, 10, 12, 0, 0, 0, amsterdam)

func get(t *testing.T, h http.Handler, path, tok string) (int, []byte) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code, w.Body.Bytes()
}

// served is the test's own reading of a period document.
type served struct {
	Period    string `json:"period"`
	Revision  int64  `json:"revision"`
	Decisions []struct {
		Procedure      string  `json:"procedure"`
		Decided        int64   `json:"decided"`
		WithinDeadline int64   `json:"within_deadline"`
		PenaltiesPaid  int64   `json:"penalties_paid"`
		PenaltiesEUR   float64 `json:"penalties_eur"`
	} `json:"decisions"`
	Phone struct {
		Offered, Answered       int64
		AnsweredWithinThreshold int64   `json:"answered_within_threshold"`
		ThresholdS              int64   `json:"threshold_s"`
		ShortAbandoned          int64   `json:"short_abandoned"`
		WaitSSum                float64 `json:"wait_s_sum"`
	} `json:"phone"`
	Appointments struct {
		Booked         int64   `json:"booked"`
		MedianLeadDays float64 `json:"median_lead_days"`
	} `json:"appointments"`
	WebFeedback []struct {
		Page      string `json:"page"`
		UsefulYes int64  `json:"useful_yes"`
		UsefulNo  int64  `json:"useful_no"`
	} `json:"web_feedback"`
	UsabilitySurvey struct{ Responses, Favourable int64 } `json:"usability_survey"`
}

func period(t *testing.T, h http.Handler, name string) served {
	t.Helper()
	code, body := get(t, h, "/v1/periods/"+name, token)
	if code != http.StatusOK {
		t.Fatalf("GET period %s: %d %s", name, code, body)
	}
	var p served
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("period %s: %v", name, err)
	}
	return p
}

func listing(t *testing.T, h http.Handler) []string {
	t.Helper()
	code, body := get(t, h, "/v1/periods", token)
	if code != http.StatusOK {
		t.Fatalf("GET /v1/periods: %d %s", code, body)
	}
	var names []string
	if err := json.Unmarshal(body, &names); err != nil {
		t.Fatal(err)
	}
	return names
}

func newSim(opts Options, clock *simulator.Clock) http.Handler {
	opts.Now, opts.Token = clock.Now, token
	return New(opts).Handler()
}

func TestDeterministic(t *testing.T) {
	clock := simulator.NewClock(march10)
	a := newSim(Options{Seed: 7, Days: 60}, clock)
	b := newSim(Options{Seed: 7, Days: 60}, clock)
	other := newSim(Options{Seed: 8, Days: 60}, clock)
	differs := false
	for _, name := range listing(t, a) {
		_, ba := get(t, a, "/v1/periods/"+name, token)
		_, ba2 := get(t, a, "/v1/periods/"+name, token)
		_, bb := get(t, b, "/v1/periods/"+name, token)
		_, bo := get(t, other, "/v1/periods/"+name, token)
		if !bytes.Equal(ba, bb) || !bytes.Equal(ba, ba2) {
			t.Errorf("period %s differs between two simulators with the same seed:\n%s\n%s", name, ba, bb)
		}
		differs = differs || !bytes.Equal(ba, bo)
	}
	if !differs {
		t.Error("seeds 7 and 8 served the same periods")
	}
}

func TestPeriodsServed(t *testing.T) {
	clock := simulator.NewClock(march10)
	for _, tc := range []struct {
		days int
		want []string
	}{
		{60, []string{"2024-01", "2024-02", "2024-03"}}, // 60 days before 10 March is 10 January
		{9, []string{"2024-02", "2024-03"}},             // 1 March is in, but the previous month always is
		{0, []string{"2024-02", "2024-03"}},
		{100, []string{"2023-12", "2024-01", "2024-02", "2024-03"}}, // 1 December
	} {
		h := newSim(Options{Seed: 1, Days: tc.days}, clock)
		if got := listing(t, h); !slices.Equal(got, tc.want) {
			t.Errorf("Days %d: listing %v, want %v", tc.days, got, tc.want)
		}
		for _, name := range tc.want {
			if p := period(t, h, name); p.Period != name || p.Revision < 1 {
				t.Errorf("Days %d: period %s served as %q revision %d", tc.days, name, p.Period, p.Revision)
			}
		}
	}

	h := newSim(Options{Seed: 1, Days: 0}, clock)
	for _, name := range []string{"2024-01", "2024-04", "2024-3", "2024-13", "latest"} {
		if code, _ := get(t, h, "/v1/periods/"+name, token); code != http.StatusNotFound {
			t.Errorf("period %q: status %d, want 404", name, code)
		}
	}
	for _, tok := range []string{"", "wrong"} {
		if code, _ := get(t, h, "/v1/periods", tok); code != http.StatusUnauthorized {
			t.Errorf("token %q: status %d, want 401", tok, code)
		}
	}

	// The listing grows when a month starts.
	clock.Set(time.Date(2024, 4, 1, 0, 30, 0, 0, amsterdam))
	if got, want := listing(t, h), []string{"2024-02", "2024-03", "2024-04"}; !slices.Equal(got, want) {
		t.Errorf("on 1 April: listing %v, want %v", got, want)
	}
}

func sum(p served, f func(d int) int64) int64 {
	var s int64
	for i := range p.Decisions {
		s += f(i)
	}
	return s
}

func TestRevisionIncreases(t *testing.T) {
	clock := simulator.NewClock(march10)
	h := newSim(Options{Seed: 3, Days: 40}, clock)

	march := period(t, h, "2024-03")
	if march.Revision != 1+228 {
		t.Errorf("2024-03 on 10 March 12:00: revision %d, want 1 + 228 hours", march.Revision)
	}
	clock.Advance(time.Hour)
	later := period(t, h, "2024-03")
	if later.Revision != march.Revision+1 {
		t.Errorf("an hour later: revision %d, want %d", later.Revision, march.Revision+1)
	}
	clock.Advance(5 * 24 * time.Hour)
	evenLater := period(t, h, "2024-03")
	decided := func(p served) int64 { return sum(p, func(i int) int64 { return p.Decisions[i].Decided }) }
	if !(decided(march) <= decided(later) && decided(later) < decided(evenLater)) || evenLater.Phone.Offered <= march.Phone.Offered {
		t.Errorf("the running month does not grow: decided %d, %d, %d; offered %d, %d",
			decided(march), decided(later), decided(evenLater), march.Phone.Offered, evenLater.Phone.Offered)
	}

	// February 2024 has 29 days = 696 hours. Its last running revision is
	// 1 + 695, its final one 1 + 696, its correction 2 + 696.
	for _, tc := range []struct {
		at   time.Time
		want int64
	}{
		{time.Date(2024, 2, 29, 23, 30, 0, 0, amsterdam), 696},
		{time.Date(2024, 3, 1, 0, 0, 0, 0, amsterdam), 697},
		{time.Date(2024, 3, 2, 23, 59, 0, 0, amsterdam), 697},
		{time.Date(2024, 3, 3, 0, 0, 0, 0, amsterdam), 698},
		{time.Date(2024, 6, 1, 0, 0, 0, 0, amsterdam), 698},
	} {
		clock.Set(tc.at)
		if got := period(t, h, "2024-02").Revision; got != tc.want {
			t.Errorf("2024-02 at %s: revision %d, want %d", tc.at, got, tc.want)
		}
	}
	// March 2024 has 743 hours (summer time starts on 31 March).
	clock.Set(time.Date(2024, 4, 1, 12, 0, 0, 0, amsterdam))
	if got := period(t, h, "2024-03").Revision; got != 744 {
		t.Errorf("2024-03 final revision %d, want 1 + 743", got)
	}

	// The correction adds decisions, all within the deadline.
	clock.Set(time.Date(2024, 3, 2, 0, 0, 0, 0, amsterdam))
	final := period(t, h, "2024-02")
	clock.Set(time.Date(2024, 3, 4, 0, 0, 0, 0, amsterdam))
	corr := period(t, h, "2024-02")
	for i := range final.Decisions {
		f, c := final.Decisions[i], corr.Decisions[i]
		added := c.Decided - f.Decided
		if added <= 0 || c.WithinDeadline-f.WithinDeadline != added || c.PenaltiesEUR != f.PenaltiesEUR {
			t.Errorf("%s: correction %+v of %+v", f.Procedure, c, f)
		}
	}
}

func TestPenaltyCap(t *testing.T) {
	for _, every := range []int64{0, 4} {
		clock := simulator.NewClock(march10)
		h := newSim(Options{Seed: 5, Days: 40, BadRecordEvery: int(every)}, clock)
		var docs, bad, penalties int
		for at := time.Date(2024, 3, 1, 0, 0, 0, 0, amsterdam); at.Before(time.Date(2024, 4, 5, 0, 0, 0, 0, amsterdam)); at = at.Add(7 * time.Hour) {
			clock.Set(at)
			for _, name := range listing(t, h) {
				p := period(t, h, name)
				docs++
				start, _ := time.Parse("2006-01", name)
				ord := int64(start.Year())*12 + int64(start.Month()) - 1
				wantBad := every > 0 && (ord+p.Revision)%every == 0
				broken := 0
				for _, d := range p.Decisions {
					if d.PenaltiesEUR > float64(d.PenaltiesPaid)*1442 {
						broken++
					}
					if d.PenaltiesPaid > 0 {
						penalties++
					}
				}
				if wantBad && broken != 1 || !wantBad && broken != 0 {
					t.Errorf("BadRecordEvery %d: %s@r%d has %d decision rows over the cap (deliberately bad: %v)", every, name, p.Revision, broken, wantBad)
				}
				if wantBad {
					bad++
				}
			}
		}
		if penalties == 0 {
			t.Errorf("BadRecordEvery %d: no penalties paid in %d documents", every, docs)
		}
		if every > 0 && (bad == 0 || bad == docs) {
			t.Errorf("BadRecordEvery %d: %d of %d documents bad", every, bad, docs)
		}
	}
}

func TestCalibration(t *testing.T) {
	clock := simulator.NewClock(march10)
	h := newSim(Options{Seed: 11, Days: 0}, clock)
	p := period(t, h, "2024-02") // closed and corrected
	decided := sum(p, func(i int) int64 { return p.Decisions[i].Decided })
	within := sum(p, func(i int) int64 { return p.Decisions[i].WithinDeadline })
	if len(p.Decisions) != 5 || decided < 10000 || decided > 16000 {
		t.Errorf("%d procedures with %d decisions, want 5 with about 13,000", len(p.Decisions), decided)
	}
	if r := float64(within) / float64(decided); r < 0.8 || r > 0.97 {
		t.Errorf("on-time rate %v, want most but not all decisions within the deadline", r)
	}
	for _, d := range p.Decisions {
		late := d.Decided - d.WithinDeadline
		if d.PenaltiesPaid > late || d.PenaltiesEUR > float64(d.PenaltiesPaid)*1442 || (d.PenaltiesPaid > 0) != (d.PenaltiesEUR > 0) {
			t.Errorf("%s: %d late, %d penalties of EUR %v", d.Procedure, late, d.PenaltiesPaid, d.PenaltiesEUR)
		}
	}
	ph := p.Phone
	if ph.ThresholdS != 60 || ph.Offered < 40000 || ph.Offered > 60000 {
		t.Errorf("phone %+v: want threshold 60 s and about 50,000 calls", ph)
	}
	if r := float64(ph.Answered) / float64(ph.Offered); r < 0.85 || r > 0.95 {
		t.Errorf("answered share %v, want about 0.9", r)
	}
	if ph.ShortAbandoned <= 0 || ph.ShortAbandoned > ph.Offered-ph.Answered || ph.AnsweredWithinThreshold > ph.Answered {
		t.Errorf("phone %+v breaks the contract", ph)
	}
	if asa := ph.WaitSSum / float64(ph.Answered); asa < 20 || asa > 120 {
		t.Errorf("ASA %v s, want a plausible wait", asa)
	}
	var yes, votes int64
	for _, w := range p.WebFeedback {
		yes += w.UsefulYes
		votes += w.UsefulYes + w.UsefulNo
	}
	if r := float64(yes) / float64(votes); len(p.WebFeedback) < 3 || r < 0.72 || r > 0.88 {
		t.Errorf("%d pages, useful share %v, want ~0.8", len(p.WebFeedback), r)
	}
	s := p.UsabilitySurvey
	if r := float64(s.Favourable) / float64(s.Responses); s.Responses < 400 || r < 0.7 || r > 0.82 {
		t.Errorf("usability survey %+v, want ~500 responses, ~76 %% favourable", s)
	}
	if p.Appointments.Booked < 6000 || p.Appointments.MedianLeadDays <= 0 {
		t.Errorf("appointments %+v", p.Appointments)
	}
}
