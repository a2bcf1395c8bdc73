// Package vmi simulates a VMI-style source (contract 2 of shared/sources.md):
// daily CSV exports, one file per local day and kind, listed in an index,
// with data generated deterministically from a seed and calibrated to the
// VMI rows of the seed study.
//
// Files appear and change as the simulator's clock passes:
//   - today's calls, chats, written and written_survey files are published
//     every full local hour from 01:00 with the rows finished by then;
//   - at 01:00 the next day each file gets its final version (seminar files
//     appear only then);
//   - a written file is republished every day at 01:00 for two weeks, as the
//     cases received that day are answered;
//   - the calls file of the last day with calls before the day the simulator
//     started is republished once, Options.CorrectionAfter after the start,
//     with a correction: its first row removed and its second row changed.
//
// Every republication has a later published_at and a new sha256.
package vmi

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // the simulator must know Europe/Vilnius on any host

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/simulator"
)

// TimeZone is where the simulated institution lives.
const TimeZone = "Europe/Vilnius"

// Kinds of files, in the order the index lists them for a day.
var Kinds = []string{"calls", "written", "written_survey", "chats", "seminars"}

// DefaultCorrectionAfter is when, after the start, yesterday's calls file
// is republished with a correction.
const DefaultCorrectionAfter = 2 * time.Minute

// writtenRepublications is how many days a written file is republished
// after its day, as its cases are answered.
const writtenRepublications = 14

// Options configure a Simulator.
type Options struct {
	Seed  int64
	Days  int    // days of history before the day of Now at New
	Token string // bearer token required on every request; empty: none
	// Now is the simulator's clock; default time.Now.
	Now func() time.Time
	// Scale multiplies the volumes; 0 means 1.
	Scale float64
	// BadRecordEvery makes every Nth row of a file break the contract, in
	// a varying way; 0 = never.
	BadRecordEvery int
	// CorrectionAfter is when, after New, the calls file of the day before
	// is republished with a correction; 0 means DefaultCorrectionAfter.
	CorrectionAfter time.Duration
}

// IndexEntry is one file listed by /exports/index.json.
type IndexEntry struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Date        string `json:"date"`
	SHA256      string `json:"sha256"`
	PublishedAt string `json:"published_at"` // RFC3339
}

// Simulator serves VMI-style exports. It is safe for concurrent use.
type Simulator struct {
	opts          Options
	loc           *time.Location
	gen           generator
	start         time.Time // local midnight where history starts
	correctionDay time.Time // the day whose calls file gets a correction (zero: none)
	correctionAt  time.Time // when it does

	mu    sync.Mutex
	days  map[string]day      // generated days, by date
	files map[string]rendered // the last rendered version of every file
}

type rendered struct {
	published time.Time
	body      []byte
	sha256    string
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
	if opts.CorrectionAfter <= 0 {
		opts.CorrectionAfter = DefaultCorrectionAfter
	}
	loc, err := time.LoadLocation(TimeZone)
	if err != nil {
		panic("simulator/vmi: " + err.Error()) // embedded by time/tzdata
	}
	cal, err := kpi.NewCalendar("LT")
	if err != nil {
		panic("simulator/vmi: " + err.Error()) // LT is a built-in calendar
	}
	now := opts.Now()
	today := simulator.LocalMidnight(now, loc)
	yesterday := today.AddDate(0, 0, -1)
	s := &Simulator{
		opts:  opts,
		loc:   loc,
		gen:   generator{seed: opts.Seed, scale: opts.Scale, badEvery: opts.BadRecordEvery, loc: loc, cal: cal},
		start: today.AddDate(0, 0, -opts.Days),
		days:  map[string]day{},
		files: map[string]rendered{},
	}
	// The correction goes to the latest past day with calls (not a
	// weekend), and must come after that file's final version.
	for d := yesterday; !d.Before(s.start); d = d.AddDate(0, 0, -1) {
		if dy := s.gen.day(d); len(dy.calls) >= 2 {
			s.correctionDay = d
			s.days[d.Format("2006-01-02")] = dy
			break
		}
	}
	s.correctionAt = now.Add(opts.CorrectionAfter)
	if final := s.final(s.correctionDay); !s.correctionAt.After(final) {
		s.correctionAt = final.Add(opts.CorrectionAfter)
	}
	return s
}

// Start is the local midnight where the simulated history starts.
func (s *Simulator) Start() time.Time { return s.start }

// Location is the simulated institution's time zone.
func (s *Simulator) Location() *time.Location { return s.loc }

// Correction returns the day whose calls file is republished with a
// correction (zero when the history has no day with calls) and when.
func (s *Simulator) Correction() (day, at time.Time) { return s.correctionDay, s.correctionAt }

// Handler serves GET /exports/index.json and GET /exports/<name>.
func (s *Simulator) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/exports/index.json", s.serveIndex)
	mux.HandleFunc("/exports/", s.serveFile)
	return simulator.RequireToken(s.opts.Token, simulator.OnlyGET(mux))
}

func (s *Simulator) serveIndex(w http.ResponseWriter, _ *http.Request) {
	simulator.WriteJSON(w, http.StatusOK, s.Index())
}

func (s *Simulator) serveFile(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/exports/")
	body, ok := s.File(name)
	if !ok {
		simulator.WriteError(w, http.StatusNotFound, "no file %q", name)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

// Index returns the files published by now, by date and kind.
func (s *Simulator) Index() []IndexEntry {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []IndexEntry
	for d := s.start; !d.After(now); d = d.AddDate(0, 0, 1) {
		for _, kind := range Kinds {
			name := fileName(kind, d)
			f, ok := s.render(kind, d, now)
			if !ok {
				continue
			}
			out = append(out, IndexEntry{
				Name: name, Kind: kind, Date: d.Format("2006-01-02"),
				SHA256: f.sha256, PublishedAt: f.published.UTC().Format(time.RFC3339),
			})
		}
	}
	return out
}

// File returns the current version of a published file.
func (s *Simulator) File(name string) ([]byte, bool) {
	base, ok := strings.CutSuffix(name, ".csv")
	if !ok || len(base) < len("x-2006-01-02") {
		return nil, false
	}
	kind, date := base[:len(base)-len("-2006-01-02")], base[len(base)-len("2006-01-02"):]
	if !slices.Contains(Kinds, kind) || base[len(kind)] != '-' {
		return nil, false
	}
	d, err := time.ParseInLocation("2006-01-02", date, s.loc)
	if err != nil || d.Before(s.start) {
		return nil, false
	}
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.render(kind, d, now)
	return f.body, ok
}

func fileName(kind string, d time.Time) string {
	return kind + "-" + d.Format("2006-01-02") + ".csv"
}

// final is when the files of day d get their final version: 01:00 local
// the next day.
func (s *Simulator) final(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day()+1, 1, 0, 0, 0, s.loc)
}

// published says which version of a file is out at now: when it was
// published and whether it carries the correction; ok is false when the
// file is not out yet.
func (s *Simulator) published(kind string, d, now time.Time) (pub time.Time, corrected, ok bool) {
	final := s.final(d)
	if now.Before(final) {
		first := time.Date(d.Year(), d.Month(), d.Day(), 1, 0, 0, 0, s.loc)
		hour := now.Truncate(time.Hour) // Vilnius offsets are whole hours
		if kind == "seminars" || hour.Before(first) {
			return time.Time{}, false, false
		}
		return hour, false, true
	}
	switch {
	case kind == "written":
		pub = final
		for k := 1; k <= writtenRepublications; k++ {
			next := time.Date(d.Year(), d.Month(), d.Day()+1+k, 1, 0, 0, 0, s.loc)
			if now.Before(next) {
				break
			}
			pub = next
		}
		return pub, false, true
	case kind == "calls" && !s.correctionDay.IsZero() && d.Equal(s.correctionDay) && !now.Before(s.correctionAt):
		return s.correctionAt, true, true
	}
	return final, false, true
}

// render returns the version of a file out at now, rendering it if it
// changed; callers hold mu.
func (s *Simulator) render(kind string, d, now time.Time) (rendered, bool) {
	pub, corrected, ok := s.published(kind, d, now)
	if !ok {
		return rendered{}, false
	}
	name := fileName(kind, d)
	if f, ok := s.files[name]; ok && f.published.Equal(pub) {
		return f, true
	}
	key := d.Format("2006-01-02")
	dy, ok := s.days[key]
	if !ok {
		dy = s.gen.day(d)
		s.days[key] = dy
	}
	body := s.csv(kind, dy, pub, corrected)
	sum := sha256.Sum256(body)
	f := rendered{published: pub, body: body, sha256: hex.EncodeToString(sum[:])}
	s.files[name] = f
	return f, true
}

// csv renders a file as of cut: the rows finished (calls, chats), received
// (written) or submitted (surveys) before cut, with written answers given
// before cut. Calls and written files come with a BOM and CRLF line ends,
// as exported from Windows tools; the others without.
func (s *Simulator) csv(kind string, dy day, cut time.Time, corrected bool) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Comma = ';'
	switch kind {
	case "calls", "written":
		buf.WriteString("\ufeff")
		w.UseCRLF = true
	}
	lt := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(s.loc).Format("2006-01-02 15:04:05")
	}
	itoa := strconv.Itoa
	switch kind {
	case "calls":
		w.Write([]string{"call_id", "queue", "offered_at", "answered_at", "ended_at", "talk_s", "acw_s", "survey_score"})
		for i, c := range dy.calls {
			if !c.ends.Before(cut) {
				continue
			}
			if corrected && i == 0 {
				continue // the correction removes the first row
			}
			if corrected && i == 1 {
				c.ends = c.ends.Add(30 * time.Second) // and changes the second
				if !c.answered.IsZero() {
					c.talk += 30
				}
			}
			talk, acw, sc := "", "", ""
			if !c.answered.IsZero() {
				talk, acw = itoa(c.talk), itoa(c.acw)
			}
			if c.score > 0 {
				sc = itoa(c.score)
			}
			offered, answered, ended := lt(c.offered), lt(c.answered), lt(c.ends)
			switch c.bad {
			case 1: // a time before the offer
				if answered != "" {
					answered = lt(c.offered.Add(-time.Minute))
				} else {
					ended = lt(c.offered.Add(-time.Minute))
				}
			case 2:
				talk = "-5"
			case 3:
				sc = "7"
			case 4:
				talk = "12.5"
			}
			w.Write([]string{c.id, c.queue, offered, answered, ended, talk, acw, sc})
		}
	case "chats":
		w.Write([]string{"chat_id", "queue", "started_at", "answered_at", "ended_at"})
		for _, c := range dy.chats {
			if !c.ending.Before(cut) {
				continue
			}
			started, answered, ended := lt(c.started), lt(c.answered), lt(c.ending)
			switch c.bad {
			case 1:
				ended = lt(c.started.Add(-time.Minute))
			case 2:
				started = "yesterday"
			}
			w.Write([]string{c.id, c.queue, started, answered, ended})
		}
	case "written":
		w.Write([]string{"case_id", "channel", "received_at", "answered_at", "complexity", "corrected", "audit_score"})
		for _, c := range dy.written {
			if !c.received.Before(cut) {
				continue
			}
			answered, corr, audit := "", "", ""
			if !c.answered.IsZero() && c.answered.Before(cut) {
				answered, corr = lt(c.answered), "0"
				if c.corrected {
					corr = "1"
				}
				if c.audit > 0 {
					audit = itoa(c.audit)
				}
			}
			complexity := "simple"
			if c.complex {
				complexity = "complex"
			}
			channel, received := c.channel, lt(c.received)
			switch c.bad {
			case 1:
				channel = "fax"
			case 2:
				corr = "2"
			case 3:
				received = "2024-02-30 10:00:00"
			}
			w.Write([]string{c.id, channel, received, answered, complexity, corr, audit})
		}
	case "written_survey":
		w.Write([]string{"response_id", "case_id", "submitted_at", "score"})
		for _, r := range dy.surveys {
			if !r.submitted.Before(cut) {
				continue
			}
			sc := itoa(r.score)
			if r.bad != 0 {
				sc = "0"
			}
			w.Write([]string{r.id, r.caseID, lt(r.submitted), sc})
		}
	case "seminars":
		w.Write([]string{"seminar_id", "held_on", "participants", "responses", "would_recommend"})
		for _, m := range dy.seminars {
			rec := m.wouldRecomm
			if m.bad != 0 {
				rec = m.responses + 1
			}
			w.Write([]string{m.id, m.day.Format("2006-01-02"), itoa(m.participants), itoa(m.responses), itoa(rec)})
		}
	}
	w.Flush() // writing to a bytes.Buffer cannot fail
	return buf.Bytes()
}
