// Package sodra simulates a SODRA-style source (contract 1 of
// shared/sources.md): an incremental REST API of contact records and
// feedback, paged by (updated_at, id), with data generated deterministically
// from a seed and released as the simulator's clock passes their updated_at.
package sodra

import (
	"cmp"
	"net/http"
	"slices"
	"sync"
	"time"
	_ "time/tzdata" // the simulator must know Europe/Vilnius on any host

	"github.com/ccbench/ccbench/simulator"
)

// TimeZone is where the simulated institution lives.
const TimeZone = "Europe/Vilnius"

// Options configure a Simulator.
type Options struct {
	Seed  int64
	Days  int    // days of history before the day of Now at New
	Token string // bearer token required on every request; empty: none
	// Now is the simulator's clock; records are served once their
	// updated_at is not after Now(). Default time.Now.
	Now func() time.Time
	// Scale multiplies the seed volumes; 0 means 1.
	Scale float64
	// BadRecordEvery makes every Nth contact and every Nth feedback response
	// of a day break the contract, in a varying way; 0 = never.
	BadRecordEvery int
	// Incidents degrade contacts on purpose (Incidents.Handler stalls the
	// feed); nil: none.
	Incidents *simulator.Incidents
}

// Simulator serves a SODRA-style API. It is safe for concurrent use.
type Simulator struct {
	opts  Options
	loc   *time.Location
	gen   generator
	start time.Time // local midnight where history starts

	mu        sync.Mutex
	nextDay   time.Time // the first local day not generated yet
	contacts  []contact // every generated version, by (updated, id)
	feedbacks []feedback
}

// New returns a simulator whose history starts at local midnight (in
// Europe/Vilnius) opts.Days days before opts.Now().
func New(opts Options) *Simulator {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Scale <= 0 {
		opts.Scale = 1
	}
	loc, err := time.LoadLocation(TimeZone)
	if err != nil {
		panic("simulator/sodra: " + err.Error()) // embedded by time/tzdata
	}
	today := simulator.LocalMidnight(opts.Now(), loc)
	start := time.Date(today.Year(), today.Month(), today.Day()-opts.Days, 0, 0, 0, 0, loc)
	return &Simulator{
		opts: opts, loc: loc, start: start, nextDay: start,
		gen: generator{seed: opts.Seed, scale: opts.Scale, badEvery: opts.BadRecordEvery},
	}
}

// Start is the local midnight where the simulated history starts.
func (s *Simulator) Start() time.Time { return s.start }

// Location is the simulated institution's time zone.
func (s *Simulator) Location() *time.Location { return s.loc }

// Handler serves GET /v1/contacts and GET /v1/feedback.
func (s *Simulator) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/contacts", s.serveContacts)
	mux.HandleFunc("/v1/feedback", s.serveFeedback)
	return simulator.RequireToken(s.opts.Token, simulator.OnlyGET(mux))
}

// snapshot generates every day that has started by now and returns the
// versions generated so far; callers must not modify them.
func (s *Simulator) snapshot(now time.Time) ([]contact, []feedback) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.nextDay.After(now) {
		cs := slices.Clone(s.contacts)
		fs := slices.Clone(s.feedbacks)
		for ; !s.nextDay.After(now); s.nextDay = s.nextDay.AddDate(0, 0, 1) {
			d := s.gen.day(s.nextDay)
			cs = append(cs, d.contacts...)
			fs = append(fs, d.feedback...)
		}
		slices.SortFunc(cs, func(a, b contact) int { return cmp.Or(cmp.Compare(a.updated, b.updated), cmp.Compare(a.id, b.id)) })
		slices.SortFunc(fs, func(a, b feedback) int { return cmp.Or(cmp.Compare(a.updated, b.updated), cmp.Compare(a.id, b.id)) })
		s.contacts, s.feedbacks = cs, fs
	}
	return s.contacts, s.feedbacks
}
