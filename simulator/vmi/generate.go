package vmi

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/simulator"
)

// Volumes of an ordinary working day (scaled by Options.Scale). Weekends and
// Lithuanian public holidays get a fraction of them: the phone line is
// closed, chats are lightly staffed and written inquiries keep arriving.
const (
	CallsPerWorkingDay           = 1500
	WrittenPerWorkingDay         = 150
	ChatsPerWorkingDay           = 300
	SurveyResponsesPerWorkingDay = 20
	SeminarsPerWorkingDay        = 0.6 // one seminar on 60 % of working days: about three a week
)

// Shares the simulator is calibrated to (the VMI rows of the seed study).
const (
	CallAnswerShare     = 0.80  // answered ÷ offered ("efficiency")
	CallSurveyShare     = 0.10  // every 10th answered caller rates the call
	CallFavourableShare = 0.89  // scores 4 or 5
	CorrectionShare     = 0.005 // corrected written answers
	AuditShare          = 0.10  // every 10th written answer is audited
	SurveyFavourable    = 0.80  // written_survey scores 4 or 5
	RecommendShare      = 0.70  // seminar participants who would recommend
	ChatAnswerShare     = 0.90
	CallHandlingSeconds = 180 // mean talk + acw of answered calls
)

// weekendFactor is the share of a working day's volume on other days.
var weekendFactor = map[string]float64{
	"calls": 0, "chats": 0.1, "written": 0.3, "written_survey": 0.4,
}

var (
	callQueues = []string{"personal-income-tax", "vat", "property-tax", "e-services", "general"}
	chatQueues = []string{"e-services", "declarations", "general"}
)

type call struct {
	id, queue               string
	offered, answered, ends time.Time // answered is zero when abandoned
	talk, acw               int
	score                   int // 0: no survey
	bad                     int // 0: valid; else which contract break
}

type chat struct {
	id, queue                 string
	started, answered, ending time.Time
	bad                       int
}

type written struct {
	id, channel        string
	received, answered time.Time // answered is zero when never answered
	complex, corrected bool
	audit              int
	bad                int
}

type surveyResponse struct {
	id, caseID string
	submitted  time.Time
	score      int
	bad        int
}

type seminar struct {
	id                                   string
	day                                  time.Time
	participants, responses, wouldRecomm int
	bad                                  int
}

// day is everything generated for one local day.
type day struct {
	calls    []call
	chats    []chat
	written  []written
	surveys  []surveyResponse
	seminars []seminar
}

// generator turns (seed, local day) into that day's rows; a day depends on
// nothing but the seed and its date.
type generator struct {
	seed     int64
	scale    float64
	badEvery int
	loc      *time.Location
	cal      *kpi.Calendar
}

func (g generator) working(d time.Time) bool { return g.cal.IsWorkingDay(d) }

// volume is the expected count of a kind on day d.
func (g generator) volume(kind string, perWorkingDay float64, d time.Time) float64 {
	v := perWorkingDay * g.scale
	if !g.working(d) {
		v *= weekendFactor[kind]
	}
	return v
}

// bad says which contract break row n (1-based) of a file carries, if any.
func (g generator) bad(n, variants int) int {
	if g.badEvery <= 0 || n%g.badEvery != 0 {
		return 0
	}
	return 1 + (n/g.badEvery)%variants
}

func (g generator) day(d time.Time) day {
	key := d.Format("20060102")
	var out day

	r := simulator.Rand(g.seed, key, "calls")
	n := count(r, g.volume("calls", CallsPerWorkingDay, d))
	for i := range n {
		out.calls = append(out.calls, g.call(r, d, fmt.Sprintf("C-%s-%05d", key, i+1), g.bad(i+1, 4)))
	}
	sortBy(out.calls, func(c call) time.Time { return c.offered })

	r = simulator.Rand(g.seed, key, "chats")
	n = count(r, g.volume("chats", ChatsPerWorkingDay, d))
	for i := range n {
		out.chats = append(out.chats, g.chat(r, d, fmt.Sprintf("CH-%s-%05d", key, i+1), g.bad(i+1, 2)))
	}
	sortBy(out.chats, func(c chat) time.Time { return c.started })

	r = simulator.Rand(g.seed, key, "written")
	n = count(r, g.volume("written", WrittenPerWorkingDay, d))
	for i := range n {
		out.written = append(out.written, g.written(r, d, fmt.Sprintf("W-%s-%05d", key, i+1), g.bad(i+1, 3)))
	}
	sortBy(out.written, func(w written) time.Time { return w.received })

	r = simulator.Rand(g.seed, key, "written_survey")
	n = count(r, g.volume("written_survey", SurveyResponsesPerWorkingDay, d))
	for i := range n {
		s := surveyResponse{
			id:        fmt.Sprintf("S-%s-%05d", key, i+1),
			caseID:    fmt.Sprintf("W-%s-%05d", d.AddDate(0, 0, -1-r.IntN(7)).Format("20060102"), 1+r.IntN(150)),
			submitted: at(r, d, 7, 23),
			score:     score(r, SurveyFavourable),
			bad:       g.bad(i+1, 1),
		}
		out.surveys = append(out.surveys, s)
	}
	sortBy(out.surveys, func(s surveyResponse) time.Time { return s.submitted })

	r = simulator.Rand(g.seed, key, "seminars")
	if g.working(d) && r.Float64() < SeminarsPerWorkingDay {
		p := 20 + r.IntN(130)
		resp := binomial(r, p, 0.75)
		rec := binomial(r, resp, RecommendShare)
		out.seminars = append(out.seminars, seminar{
			id: "SEM-" + key + "-1", day: d, participants: p, responses: resp, wouldRecomm: rec, bad: g.bad(1, 1),
		})
	}
	return out
}

// call draws one call offered on day d between 8:00 and 17:00.
func (g generator) call(r *rand.Rand, d time.Time, id string, bad int) call {
	c := call{id: id, queue: pick(r, callQueues), offered: at(r, d, 8, 17), bad: bad}
	if r.Float64() < CallAnswerShare {
		c.answered = c.offered.Add(secs(5 + expo(r, 70)))
		// Handling near 3 minutes: talk around 150 s, after-call work 30 s.
		c.talk = 20 + int(expo(r, 130))
		c.acw = 10 + int(expo(r, 20))
		c.ends = c.answered.Add(secs(int64(c.talk)))
		if r.Float64() < CallSurveyShare {
			c.score = score(r, CallFavourableShare)
		}
	} else {
		c.ends = c.offered.Add(secs(1 + expo(r, 100)))
	}
	return c
}

// chat draws one chat started on day d between 8:00 and 17:00.
func (g generator) chat(r *rand.Rand, d time.Time, id string, bad int) chat {
	c := chat{id: id, queue: pick(r, chatQueues), started: at(r, d, 8, 17), bad: bad}
	if r.Float64() < ChatAnswerShare {
		c.answered = c.started.Add(secs(3 + expo(r, 40)))
		c.ending = c.answered.Add(secs(60 + expo(r, 360)))
	} else {
		c.ending = c.started.Add(secs(5 + expo(r, 120)))
	}
	return c
}

// answerDays is the distribution of the working day (after receipt) on
// which a written inquiry is answered: about 94 % within 5 working days.
var answerDays = []struct {
	days int
	p    float64
}{{1, 0.25}, {2, 0.25}, {3, 0.20}, {4, 0.14}, {5, 0.10}, {6, 0.03}, {7, 0.02}, {9, 0.01}}

// written draws one written inquiry received on day d, at any hour.
func (g generator) written(r *rand.Rand, d time.Time, id string, bad int) written {
	w := written{id: id, received: at(r, d, 0, 24), bad: bad}
	switch x := r.Float64(); {
	case x < 0.60:
		w.channel = "email"
	case x < 0.95:
		w.channel = "web_form"
	default:
		w.channel = "post"
	}
	w.complex = r.Float64() < 0.15
	x, n := r.Float64(), 0
	for _, a := range answerDays {
		n = a.days
		if x < a.p {
			break
		}
		x -= a.p
	}
	day := d
	for k := 0; k < n; {
		day = day.AddDate(0, 0, 1)
		if g.working(day) {
			k++
		}
	}
	w.answered = at(r, day, 8, 17)
	w.corrected = r.Float64() < CorrectionShare
	if r.Float64() < AuditShare {
		w.audit = score(r, 0.85)
	}
	return w
}

// at draws an instant on local day d between the local hours from and to.
func at(r *rand.Rand, d time.Time, from, to int) time.Time {
	start := time.Date(d.Year(), d.Month(), d.Day(), from, 0, 0, 0, d.Location())
	end := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, d.Location()).AddDate(0, 0, 1)
	if to < 24 {
		end = time.Date(d.Year(), d.Month(), d.Day(), to, 0, 0, 0, d.Location())
	}
	return start.Add(time.Duration(r.Int64N(int64(end.Sub(start)/time.Second))) * time.Second)
}

// score draws a 1-5 score that is favourable (4 or 5) with probability fav.
func score(r *rand.Rand, fav float64) int {
	if r.Float64() < fav {
		if r.Float64() < 0.65 {
			return 5
		}
		return 4
	}
	return 1 + r.IntN(3)
}

// count draws a Poisson-like count around mean (normal approximation).
func count(r *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	return max(int(math.Round(mean+r.NormFloat64()*math.Sqrt(mean))), 0)
}

func binomial(r *rand.Rand, n int, p float64) int {
	k := 0
	for range n {
		if r.Float64() < p {
			k++
		}
	}
	return k
}

func expo(r *rand.Rand, mean float64) int64 { return int64(r.ExpFloat64() * mean) }

func secs(s int64) time.Duration { return time.Duration(s) * time.Second }

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// sortBy sorts rows by a time, stably, so ids stay in draw order on ties.
func sortBy[T any](xs []T, t func(T) time.Time) {
	slices.SortStableFunc(xs, func(a, b T) int { return t(a).Compare(t(b)) })
}
