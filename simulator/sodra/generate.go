package sodra

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/ccbench/ccbench/simulator"
)

// Daily volumes of the SODRA seed, as a mean per calendar day over a week
// (weekends included, as contacts_offered counts them).
const (
	TargetCalls   = 3500
	TargetWritten = 200 // email and web_form
	TargetChats   = 200 // chat and facebook
	TargetVisits  = 5000
)

// Units served by the simulator.
const UnitContactCentre = "contact-centre"

// branches are the units of the branch visits, with their share of visits.
var branches = []struct {
	Unit  string
	Share float64
}{
	{"branch-vilnius", 0.26}, {"branch-kaunas", 0.16}, {"branch-klaipeda", 0.10},
	{"branch-siauliai", 0.08}, {"branch-panevezys", 0.08}, {"branch-alytus", 0.07},
	{"branch-marijampole", 0.07}, {"branch-utena", 0.06}, {"branch-telsiai", 0.06},
	{"branch-taurage", 0.06},
}

var queues = []string{"pensions", "benefits", "insurance", "employers", "general"}

// profile is the arrival intensity of one kind of contact: weekday weight
// (Monday..Sunday, relative) and hourly weights on working days and weekends.
// The hours a day's weights leave at zero are closed hours; contacts arrive
// in them at the closed intensity, so that chats (and a small after-hours
// phone line) come in around the clock.
type profile struct {
	weekday [7]float64 // index: time.Weekday (Sunday = 0)
	hours   [24]float64
	weekend [24]float64
	// closed is the mean arrivals of one closed hour, relative to the mean
	// arrivals of one open hour on a working day (weekday weight 1); 0: none.
	closed float64
}

func hours(from int, ws ...float64) [24]float64 {
	var h [24]float64
	copy(h[from:], ws)
	return h
}

var (
	// phoneProfile: calls from 8 to 17 on working days and 10 to 14 at
	// weekends, and an after-hours line (IVR callbacks, emergencies) at 1/150
	// of the daytime intensity: about 1.6 % of the calls.
	phoneProfile = profile{
		weekday: [7]float64{0.10, 1, 1, 1, 1, 1, 0.15},
		hours:   hours(8, 0.9, 1.3, 1.4, 1.3, 1.1, 1.0, 1.0, 0.9, 0.6),
		weekend: hours(10, 1, 1, 1, 1),
		closed:  1.0 / 150,
	}
	// chatProfile: chat and facebook, staffed like the phones, and answered
	// around the clock at 1/5 of the daytime intensity outside those hours.
	chatProfile = profile{
		weekday: [7]float64{0.2, 1, 1, 1, 1, 1, 0.25},
		hours:   hours(8, 0.8, 1.1, 1.2, 1.2, 1.1, 1.0, 1.0, 1.0, 0.8),
		weekend: hours(10, 1, 1, 1, 1),
		closed:  1.0 / 5,
	}
	writtenProfile = profile{
		weekday: [7]float64{0.3, 1, 1, 1, 1, 1, 0.4},
		hours:   hours(0, 0.1, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.6, 1, 1.2, 1.2, 1.1, 1, 1, 1, 1, 0.9, 0.8, 0.7, 0.6, 0.6, 0.5, 0.3, 0.2),
		weekend: hours(0, 0.1, 0.1, 0.05, 0.05, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.8, 0.8, 0.8, 0.7, 0.7, 0.7, 0.6, 0.6, 0.6, 0.5, 0.4, 0.3, 0.2),
	}
	// visitProfile: branches are closed at night and at weekends.
	visitProfile = profile{
		weekday: [7]float64{0, 1, 1, 1, 1, 1, 0},
		hours:   hours(8, 1.2, 1.3, 1.2, 1.1, 1.1, 1.0, 0.9, 0.8, 0.6),
	}
)

func isWeekend(wd time.Weekday) bool { return wd == time.Saturday || wd == time.Sunday }

func (p profile) weightsOn(wd time.Weekday) [24]float64 {
	if isWeekend(wd) {
		return p.weekend
	}
	return p.hours
}

func (p profile) hourWeights(d time.Time) [24]float64 { return p.weightsOn(d.Weekday()) }

func openHours(ws [24]float64) int {
	n := 0
	for _, w := range ws {
		if w > 0 {
			n++
		}
	}
	return n
}

// expected returns, for a weekly mean of target contacts a day, the expected
// count of the open hours of day d and the mean count of one closed hour.
//
// In units of u, the mean arrivals of an open hour on a working day, a day
// of weekday weight w brings w*h*u in its open hours (h: the open hours of a
// working day) and closed*u in each of its closed hours; the week's sum of
// these is 7*target, which fixes u.
func (p profile) expected(target float64, d time.Time) (open, perClosedHour float64) {
	h := float64(openHours(p.hours))
	var units float64
	for wd, w := range p.weekday {
		units += w*h + p.closed*float64(24-openHours(p.weightsOn(time.Weekday(wd))))
	}
	u := target * 7 / units
	return p.weekday[d.Weekday()] * h * u, p.closed * u
}

// arrival draws an arrival time (Unix seconds) in the open hours of the
// local day d.
func (p profile) arrival(r *rand.Rand, d time.Time) int64 {
	ws := p.hourWeights(d)
	var sum float64
	for _, w := range ws {
		sum += w
	}
	x := r.Float64() * sum
	h := 0
	for ; h < 23; h++ {
		if x < ws[h] {
			break
		}
		x -= ws[h]
	}
	start := time.Date(d.Year(), d.Month(), d.Day(), h, 0, 0, 0, d.Location())
	return start.Unix() + r.Int64N(3600)
}

// closedArrivals draws the arrival times (Unix seconds) in the closed hours
// of the local day d (a local midnight), mean a closed hour. Each hour gets
// mean rounded up or down at random rather than a Poisson count, so that
// with mean >= 1 no closed hour is ever empty: the demo's last-hour window
// always has contacts. Hours are real hours, so a daylight-saving day has 23
// or 25 of them.
func (p profile) closedArrivals(r *rand.Rand, d time.Time, mean float64) []int64 {
	if mean <= 0 {
		return nil
	}
	ws := p.hourWeights(d)
	next := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, d.Location())
	var out []int64
	for t := d; t.Before(next); t = t.Add(time.Hour) {
		if ws[t.Hour()] > 0 {
			continue
		}
		n := int(mean)
		if r.Float64() < mean-float64(n) {
			n++
		}
		for range n {
			out = append(out, t.Unix()+r.Int64N(3600))
		}
	}
	return out
}

// arrivals draws every arrival time of the local day d for a weekly mean of
// target contacts a day.
func (p profile) arrivals(r *rand.Rand, target float64, d time.Time) []int64 {
	open, perClosedHour := p.expected(target, d)
	n := count(r, open)
	out := make([]int64, 0, n)
	for range n {
		out = append(out, p.arrival(r, d))
	}
	return append(out, p.closedArrivals(r, d, perClosedHour)...)
}

// count draws the number of contacts around mean (normal approximation of
// a Poisson count).
func count(r *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	n := int(math.Round(mean + r.NormFloat64()*math.Sqrt(mean)))
	return max(n, 0)
}

func expo(r *rand.Rand, mean float64) int64 { return int64(r.ExpFloat64() * mean) }

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// day is what one local day generates: every version of the contacts that
// arrived that day and of the feedback they (and the day) produced. Later
// versions may have updated_at on later days.
type day struct {
	contacts []contact
	feedback []feedback
}

// generator turns (seed, local day) into that day's records.
type generator struct {
	seed     int64
	scale    float64
	badEvery int
}

func (g generator) day(d time.Time) day {
	key := d.Format("20060102")
	var out day
	nc, nf := 0, 0
	addC := func(c contact, versions []contact) contact {
		nc++
		c.id = fmt.Sprintf("%s-%s-%05d", c.id, key, nc)
		if g.badEvery > 0 && nc%g.badEvery == 0 {
			c.bad = int8(1 + (nc/g.badEvery)%4)
		}
		out.contacts = append(out.contacts, c)
		for _, v := range versions {
			v.id, v.bad = c.id, c.bad
			out.contacts = append(out.contacts, v)
		}
		return c
	}
	addF := func(f feedback) {
		nf++
		f.id = fmt.Sprintf("fb-%s-%05d", key, nf)
		if g.badEvery > 0 && nf%g.badEvery == 0 {
			f.bad = int8(1 + (nf/g.badEvery)%2)
		}
		out.feedback = append(out.feedback, f)
	}

	r := simulator.Rand(g.seed, key, "phone")
	for _, t := range phoneProfile.arrivals(r, TargetCalls*g.scale, d) {
		c := addC(phoneCall(r, t))
		if c.outcome == "answered" && r.Float64() < 0.10 {
			addF(postContact(r, c))
		}
	}
	r = simulator.Rand(g.seed, key, "chat")
	for _, t := range chatProfile.arrivals(r, TargetChats*g.scale, d) {
		c := addC(chat(r, t), nil)
		if c.channel == "chat" && c.outcome == "answered" && r.Float64() < 0.10 {
			addF(survey(r, c, "satisfaction_survey", 0.72))
		}
	}
	r = simulator.Rand(g.seed, key, "written")
	for _, t := range writtenProfile.arrivals(r, TargetWritten*g.scale, d) {
		addC(written(r, t))
	}
	r = simulator.Rand(g.seed, key, "visit")
	for _, t := range visitProfile.arrivals(r, TargetVisits*g.scale, d) {
		c := addC(visit(r, t), nil)
		if c.outcome == "answered" && r.Float64() < 0.05 {
			addF(survey(r, c, "satisfaction_survey", 0.80))
		}
	}
	r = simulator.Rand(g.seed, key, "feedback")
	for range count(r, 400*g.scale) {
		addF(faqVote(r, writtenProfile.arrival(r, d)))
	}
	if !isWeekend(d.Weekday()) {
		unit := pick(r, branches).Unit
		if r.Float64() < 0.3 {
			unit = UnitContactCentre
		}
		t := visitProfile.arrival(r, d)
		addF(mysteryShopper(r, unit, t))
	}
	return out
}

// phoneCall draws one call: about 3 % short abandons (wait < 5 s), 4.5 % of
// the rest abandoned later, and 99.2 % of the answered calls answered within
// 20 s, for a service level near 0.95. About 5 % of the answered calls are
// complex inquiries resolved one to five days later (a second version).
func phoneCall(r *rand.Rand, arrived int64) (contact, []contact) {
	c := contact{id: "ph", unit: UnitContactCentre, channel: "phone", queue: pick(r, queues), arrived: arrived}
	switch x := r.Float64(); {
	case x < 0.03:
		c.outcome, c.ended = "abandoned", arrived+r.Int64N(5)
	case x < 0.03+0.97*0.045:
		c.outcome, c.ended = "abandoned", arrived+5+expo(r, 40)
	default:
		wait := min(expo(r, 5), 20)
		if r.Float64() < 0.008 {
			wait = 21 + expo(r, 60)
		}
		c.outcome, c.answered = "answered", arrived+wait
		c.talk = int32(30 + expo(r, 150))
		if r.Float64() < 0.2 {
			c.hold = int32(expo(r, 40))
		}
		c.acw = int32(5 + expo(r, 10))
		c.ended = c.answered + int64(c.talk+c.hold)
	}
	c.updated = c.ended + int64(c.acw)
	if c.outcome == "answered" && r.Float64() < 0.05 {
		c.complex = true
		v2 := c
		v2.resolved = c.ended + 3600 + r.Int64N(5*24*3600)
		v2.updated = v2.resolved
		return c, []contact{v2}
	}
	return c, nil
}

// chat draws one chat (85 %) or facebook message (15 %).
func chat(r *rand.Rand, arrived int64) contact {
	c := contact{id: "ch", unit: UnitContactCentre, channel: "chat", queue: pick(r, queues), arrived: arrived}
	meanWait := 15.0
	if r.Float64() < 0.15 {
		c.id, c.channel, meanWait = "fb", "facebook", 180
	}
	if r.Float64() < 0.05 {
		c.outcome, c.ended = "abandoned", arrived+5+expo(r, meanWait)
	} else {
		c.outcome, c.answered = "answered", arrived+expo(r, meanWait)
		// A facebook message is answered by its first reply: it has no
		// handling time (contract 1), and its version is that reply.
		c.talk = int32(60 + expo(r, 300))
		c.acw = int32(5 + expo(r, 10))
		c.ended = c.answered + int64(c.talk)
		if c.channel == "facebook" {
			c.talk, c.acw, c.ended = 0, 0, c.answered
		}
	}
	c.updated = c.ended + int64(c.acw)
	return c
}

// written draws one e-mail (70 %) or web form (30 %): an open version when it
// arrives, an answered version hours or days later.
func written(r *rand.Rand, arrived int64) (contact, []contact) {
	c := contact{id: "em", unit: UnitContactCentre, channel: "email", queue: pick(r, queues), arrived: arrived, outcome: "open", updated: arrived}
	if r.Float64() < 0.3 {
		c.id, c.channel = "wf", "web_form"
	}
	v2 := c
	v2.outcome = "answered"
	v2.answered = arrived + 1800 + expo(r, 30*3600)
	v2.ended, v2.updated = v2.answered, v2.answered
	return c, []contact{v2}
}

// visit draws one branch visit: a ticket drawn, a wait of about 7 minutes
// (under 2 % over 30 minutes), about 15 minutes at the desk.
func visit(r *rand.Rand, arrived int64) contact {
	x := r.Float64()
	unit := branches[len(branches)-1].Unit
	for _, b := range branches {
		if x < b.Share {
			unit = b.Unit
			break
		}
		x -= b.Share
	}
	c := contact{id: "vi", unit: unit, channel: "visit", queue: pick(r, queues), arrived: arrived}
	if r.Float64() < 0.02 {
		c.outcome, c.ended = "abandoned", arrived+60+expo(r, 600)
	} else {
		c.outcome, c.answered = "answered", arrived+expo(r, 420)
		c.talk = int32(240 + expo(r, 630))
		c.acw = int32(10 + expo(r, 20))
		c.ended = c.answered + int64(c.talk)
	}
	c.updated = c.ended + int64(c.acw)
	return c
}

// score15 draws a 1-5 score that is favourable (4 or 5) with probability p.
func score15(r *rand.Rand, p float64) int {
	if r.Float64() < p {
		return 4 + r.IntN(2)
	}
	return 1 + r.IntN(3)
}

func postContact(r *rand.Rand, c contact) feedback {
	t := c.ended + 10 + r.Int64N(50)
	return feedback{instrument: "post_contact", subject: c.id, submitted: t, updated: t, scale: "1-5", score: score15(r, 0.85)}
}

// survey is a satisfaction survey about contact c: its subject names the
// contact, under whose channel the response counts.
func survey(r *rand.Rand, c contact, instrument string, favourable float64) feedback {
	t := c.ended + 300 + r.Int64N(3*3600)
	return feedback{instrument: instrument, subject: c.id, submitted: t, updated: t, scale: "1-5", score: score15(r, favourable)}
}

// mysteryShopper is a mystery shopper's visit to a unit: its subject names
// the unit.
func mysteryShopper(r *rand.Rand, unit string, t int64) feedback {
	return feedback{instrument: "mystery_shopper", subject: unit, submitted: t, updated: t, scale: "1-5", score: score15(r, 0.85)}
}

func faqVote(r *rand.Rand, t int64) feedback {
	score := 0
	if r.Float64() < 0.75 {
		score = 1
	}
	return feedback{instrument: "faq", subject: fmt.Sprintf("faq-%d", 1+r.IntN(40)), submitted: t, updated: t, scale: "yes-no", score: score}
}
