// Package ind simulates an IND-style source (contract 3 of
// shared/sources.md): monthly open-data statistics of a migration service,
// calibrated to the Dutch scale, generated deterministically from a seed and
// published as a function of the simulator's clock.
//
// Revisions. A month is listed from its first hour. While it runs, its
// figures grow with the hours elapsed and its revision is 1 + the whole
// hours since the month started, so it increases every hour. When the month
// closes, its final figures are published as revision 1 + the hours in the
// month; CorrectionDelay later a correction (a few decisions registered
// late) replaces it as the next revision. So the previous month is always a
// period whose revision was replaced, and every revision of a month is
// greater than the ones before it, whatever the clock says.
package ind

import (
	"math"
	"net/http"
	"time"
	_ "time/tzdata" // the simulator must know Europe/Amsterdam on any host

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/simulator"
)

// TimeZone is where the simulated institution lives; months start at its
// local midnight.
const TimeZone = "Europe/Amsterdam"

// CorrectionDelay is how long after a month closes its correction is
// published.
const CorrectionDelay = 48 * time.Hour

// ThresholdS is the answer-time threshold of the simulated phone block.
const ThresholdS = 60

// Options configure a Simulator.
type Options struct {
	Seed  int64
	Days  int    // days of history before Now at New; at least the previous month is always listed
	Token string // bearer token required on every request; empty: none
	// Now is the simulator's clock; default time.Now.
	Now func() time.Time
	// Scale multiplies the seed volumes; 0 means 1.
	Scale float64
	// BadRecordEvery makes every Nth revision of a period break the
	// penalty cap (one procedure's penalties_eur above penalties_paid ×
	// 1,442): exactly the revisions r of month m with
	// (12·year(m) + month(m) − 1 + r) mod N = 0. 0 = never.
	BadRecordEvery int
}

// Simulator serves an IND-style API. It is safe for concurrent use: every
// answer is computed from the options and the clock alone.
type Simulator struct {
	opts  Options
	loc   *time.Location
	first time.Time // local start of the first listed month
}

// New returns a simulator whose listing starts with the month that held
// opts.Now() − opts.Days days (and no later than the previous month).
func New(opts Options) *Simulator {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Scale <= 0 {
		opts.Scale = 1
	}
	loc, err := time.LoadLocation(TimeZone)
	if err != nil {
		panic("simulator/ind: " + err.Error()) // embedded by time/tzdata
	}
	now := opts.Now().In(loc)
	cur := monthStart(now, loc)
	first := monthStart(now.AddDate(0, 0, -max(opts.Days, 0)), loc)
	if prev := cur.AddDate(0, -1, 0); first.After(prev) {
		first = prev
	}
	return &Simulator{opts: opts, loc: loc, first: first}
}

// Handler serves GET /v1/periods and GET /v1/periods/{period}.
func (s *Simulator) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/periods", s.serveListing)
	mux.HandleFunc("/v1/periods/{period}", s.servePeriod)
	return simulator.RequireToken(s.opts.Token, simulator.OnlyGET(mux))
}

// Periods returns the names ("YYYY-MM") of the periods published at now,
// oldest first.
func (s *Simulator) Periods(now time.Time) []string {
	cur := monthStart(now.In(s.loc), s.loc)
	var out []string
	for m := s.first; !m.After(cur); m = m.AddDate(0, 1, 0) {
		out = append(out, m.Format("2006-01"))
	}
	return out
}

func (s *Simulator) serveListing(w http.ResponseWriter, _ *http.Request) {
	names := s.Periods(s.opts.Now())
	if names == nil {
		names = []string{}
	}
	simulator.WriteJSON(w, http.StatusOK, names)
}

func (s *Simulator) servePeriod(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("period")
	doc, ok := s.document(name, s.opts.Now())
	if !ok {
		simulator.WriteError(w, http.StatusNotFound, "no period %q", name)
		return
	}
	simulator.WriteJSON(w, http.StatusOK, doc)
}

// document returns the period's document as published at now.
func (s *Simulator) document(name string, now time.Time) (document, bool) {
	t, err := time.ParseInLocation("2006-01", name, s.loc)
	if err != nil || t.Format("2006-01") != name || t.Before(s.first) || t.After(now) {
		return document{}, false
	}
	start, end := t, t.AddDate(0, 1, 0)
	hoursInMonth := int64(end.Sub(start) / time.Hour)
	var (
		rev       int64
		fraction  float64
		corrected bool
		published time.Time
	)
	switch {
	case now.Before(end):
		h := int64(now.Sub(start) / time.Hour)
		rev, fraction, published = 1+h, float64(h)/float64(hoursInMonth), start.Add(time.Duration(h)*time.Hour)
	case now.Before(end.Add(CorrectionDelay)):
		rev, fraction, published = 1+hoursInMonth, 1, end
	default:
		rev, fraction, corrected, published = 2+hoursInMonth, 1, true, end.Add(CorrectionDelay)
	}
	m := s.month(name).at(fraction, corrected)
	m.Period, m.Revision, m.PublishedAt = name, rev, published.UTC().Format(time.RFC3339)
	if n := int64(s.opts.BadRecordEvery); n > 0 && (int64(t.Year())*12+int64(t.Month())-1+rev)%n == 0 {
		d := &m.Decisions[int(rev)%len(m.Decisions)]
		d.PenaltiesEUR = float64(d.PenaltiesPaid)*kpi.MaxPenaltyPerDecisionEUR + 23*float64(1+rev%5)
	}
	return m, true
}

func monthStart(t time.Time, loc *time.Location) time.Time {
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
}

// Wire types of contract 3.
type (
	document struct {
		Period          string         `json:"period"`
		Revision        int64          `json:"revision"`
		PublishedAt     string         `json:"published_at"`
		Decisions       []decision     `json:"decisions"`
		Phone           phone          `json:"phone"`
		Appointments    appointments   `json:"appointments"`
		WebFeedback     []pageFeedback `json:"web_feedback"`
		UsabilitySurvey survey         `json:"usability_survey"`
	}
	decision struct {
		Procedure      string  `json:"procedure"`
		Decided        int64   `json:"decided"`
		WithinDeadline int64   `json:"within_deadline"`
		PenaltiesPaid  int64   `json:"penalties_paid"`
		PenaltiesEUR   float64 `json:"penalties_eur"`
	}
	phone struct {
		Offered                 int64   `json:"offered"`
		Answered                int64   `json:"answered"`
		AnsweredWithinThreshold int64   `json:"answered_within_threshold"`
		ThresholdS              int64   `json:"threshold_s"`
		ShortAbandoned          int64   `json:"short_abandoned"`
		WaitSSum                float64 `json:"wait_s_sum"`
	}
	appointments struct {
		Booked         int64   `json:"booked"`
		MedianLeadDays float64 `json:"median_lead_days"`
	}
	pageFeedback struct {
		Page      string `json:"page"`
		UsefulYes int64  `json:"useful_yes"`
		UsefulNo  int64  `json:"useful_no"`
	}
	survey struct {
		Responses  int64 `json:"responses"`
		Favourable int64 `json:"favourable"`
	}
)

// Seed volumes per month, at Scale 1: the order of magnitude of IND's
// published statistics.
var procedures = []struct {
	name     string
	monthly  float64 // decisions
	lateRate float64 // share decided after the statutory deadline
}{
	{"family", 2400, 0.12},
	{"work", 3000, 0.05},
	{"study", 1800, 0.04},
	{"asylum", 2200, 0.25},
	{"naturalisation", 3500, 0.08},
}

var pages = []string{
	"/en/residence-permits",
	"/en/work",
	"/en/study",
	"/en/family",
	"/nl/nederlander-worden",
}

// month is the full-month figures of one period, before a fraction of the
// month is taken.
type month struct {
	decisions []procedureMonth
	phone     struct{ offered, answered, withinT, shortAbandoned, meanWaitS float64 }
	booked    float64
	leadDays  float64
	pages     []struct{ yes, no float64 }
	responses float64
	favour    float64
}

type procedureMonth struct {
	decided    float64
	correction float64 // decisions added by the correction, all within the deadline
	late       []lateDecision
}

type lateDecision struct {
	daysLate int
	paid     bool // the applicant claimed the penalty
}

// month generates a period's full-month figures from the seed alone.
func (s *Simulator) month(name string) month {
	rng := simulator.Rand(s.opts.Seed, "ind", name)
	jitter := func(spread float64) float64 { return 1 - spread + 2*spread*rng.Float64() }
	scale := s.opts.Scale
	var m month
	for _, p := range procedures {
		decided := math.Round(p.monthly * scale * jitter(0.1))
		late := int(math.Round(decided * p.lateRate * jitter(0.2)))
		pm := procedureMonth{decided: decided, correction: math.Round(decided * 0.01)}
		for range late {
			// Most late decisions are a few days late; a few are more
			// than 42 days late and hit the cap.
			pm.late = append(pm.late, lateDecision{daysLate: 1 + int(rng.ExpFloat64()*12), paid: rng.Float64() < 0.55})
		}
		m.decisions = append(m.decisions, pm)
	}
	ph := &m.phone
	ph.offered = math.Round(50000 * scale * jitter(0.1))
	ph.answered = math.Round(ph.offered * (0.88 + 0.05*rng.Float64()))
	ph.withinT = math.Round(ph.answered * (0.6 + 0.15*rng.Float64()))
	ph.shortAbandoned = math.Round((ph.offered - ph.answered) * (0.15 + 0.1*rng.Float64()))
	ph.meanWaitS = 40 + 40*rng.Float64()
	m.booked = math.Round(8000 * scale * jitter(0.1))
	m.leadDays = float64(8 + rng.IntN(10))
	for range pages {
		votes := math.Round(1500 * scale * jitter(0.3))
		yes := math.Round(votes * (0.75 + 0.1*rng.Float64()))
		m.pages = append(m.pages, struct{ yes, no float64 }{yes, votes - yes})
	}
	m.responses = math.Round(500 * scale * jitter(0.1))
	m.favour = math.Round(m.responses * (0.72 + 0.08*rng.Float64()))
	return m
}

// at returns the document of the first fraction (0..1) of the month; every
// count is the floor of its share, so the contract's inequalities carry over
// from the full month.
func (m month) at(fraction float64, corrected bool) document {
	part := func(v float64) int64 { return int64(math.Floor(v * fraction)) }
	var d document
	for i, p := range procedures {
		pm := m.decisions[i]
		decided := part(pm.decided)
		late := part(float64(len(pm.late)))
		if corrected {
			decided += int64(pm.correction)
		}
		dec := decision{Procedure: p.name, Decided: decided, WithinDeadline: decided - late}
		for _, l := range pm.late[:late] {
			if l.paid {
				dec.PenaltiesPaid++
				dec.PenaltiesEUR += kpi.DutchPenalty(l.daysLate)
			}
		}
		d.Decisions = append(d.Decisions, dec)
	}
	offered, answered := part(m.phone.offered), part(m.phone.answered)
	d.Phone = phone{
		Offered:                 offered,
		Answered:                answered,
		AnsweredWithinThreshold: part(m.phone.withinT),
		ThresholdS:              ThresholdS,
		ShortAbandoned:          min(part(m.phone.shortAbandoned), offered-answered),
		WaitSSum:                math.Round(float64(answered) * m.phone.meanWaitS),
	}
	d.Appointments = appointments{Booked: part(m.booked), MedianLeadDays: m.leadDays}
	for i, p := range pages {
		d.WebFeedback = append(d.WebFeedback, pageFeedback{Page: p, UsefulYes: part(m.pages[i].yes), UsefulNo: part(m.pages[i].no)})
	}
	d.UsabilitySurvey = survey{Responses: part(m.responses), Favourable: part(m.favour)}
	return d
}
