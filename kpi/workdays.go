package kpi

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/gb"
	"github.com/rickar/cal/v2/lt"
	"github.com/rickar/cal/v2/nl"
	"github.com/rickar/cal/v2/pl"
)

// holidayLists maps a calendar's ISO 3166 country code to the public
// holidays the rickar/cal library maintains for it. GB is the library's
// United Kingdom list (England and Wales bank holidays).
var holidayLists = map[string][]*cal.Holiday{
	"LT": lt.Holidays,
	"NL": nl.Holidays,
	"GB": gb.Holidays,
	"PL": pl.Holidays,
}

// countryAliases are other spellings accepted by NewCalendar.
var countryAliases = map[string]string{"UK": "GB"}

// Countries returns the codes NewCalendar accepts, sorted.
func Countries() []string {
	out := make([]string, 0, len(holidayLists))
	for c := range holidayLists {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Calendar is the working-day calendar of one country: Monday to Friday,
// less that country's public holidays. It only reads after construction and
// is safe for concurrent use.
type Calendar struct {
	country string
	bc      *cal.BusinessCalendar
}

// NewCalendar returns the working-day calendar of an ISO 3166 country code
// (LT, NL, GB or PL; UK is accepted for GB; case does not matter).
func NewCalendar(country string) (*Calendar, error) {
	code := strings.ToUpper(strings.TrimSpace(country))
	if alias, ok := countryAliases[code]; ok {
		code = alias
	}
	hols, ok := holidayLists[code]
	if !ok {
		return nil, fmt.Errorf("unknown holiday calendar %q (want one of %s)", country, strings.Join(Countries(), ", "))
	}
	bc := cal.NewBusinessCalendar() // Monday to Friday; not Cacheable, so lookups never write
	bc.Name = code
	bc.AddHoliday(hols...)
	return &Calendar{country: code, bc: bc}, nil
}

// Country returns the calendar's ISO 3166 country code.
func (c *Calendar) Country() string { return c.country }

// civil returns the calendar date y-m-d as noon UTC, a time that no
// time-zone or daylight-saving arithmetic can move to another date.
func civil(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
}

// IsWorkingDay reports whether the calendar date of d, read in d's own
// location, is a working day: not a Saturday or Sunday and not a public
// holiday (nor the day a holiday is observed on).
func (c *Calendar) IsWorkingDay(d time.Time) bool {
	return c.bc.IsWorkday(civil(d.Date()))
}

// DueDay returns the local date, as midnight in loc, of the n-th working
// day counted from the day after the local date of received (received is
// first converted to loc, so a case received at 00:30 local time counts from
// that local day whatever the UTC date). n < 1 returns the local date of
// received itself. A nil loc means UTC.
func (c *Calendar) DueDay(received time.Time, loc *time.Location, n int) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	day := civil(received.In(loc).Date())
	for k := 0; k < n; {
		day = day.AddDate(0, 0, 1)
		if c.bc.IsWorkday(day) {
			k++
		}
	}
	y, m, d := day.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// Deadline returns the instant a deadline of n working days ends: local
// midnight (in loc) at the end of DueDay, that is the start of the following
// local day. The day is stepped on the calendar date, never by adding 24
// hours, so a daylight-saving change does not shift it. A case answered
// before this instant met its deadline; an open case is due from it on.
func (c *Calendar) Deadline(received time.Time, loc *time.Location, n int) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := c.DueDay(received, loc, n).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, loc)
}

// CalendarDay is one row of the calendar_days table.
type CalendarDay struct {
	Calendar string    // calendar name, e.g. "LT"
	Day      time.Time // the calendar date, as midnight UTC
	Working  bool
	// Seq is the number of working days from the first day of the range up
	// to and including Day. The n-th working day after a day r is the
	// working day whose Seq is Seq(r) + n.
	Seq uint32
}

// Days returns one CalendarDay per calendar date in the half-open range
// [from, to), the dates read in each time's own location. calendar names the
// rows; empty means the calendar's country code.
func (c *Calendar) Days(calendar string, from, to time.Time) []CalendarDay {
	if calendar == "" {
		calendar = c.country
	}
	end := civil(to.Date())
	var out []CalendarDay
	var seq uint32
	for day := civil(from.Date()); day.Before(end); day = day.AddDate(0, 0, 1) {
		working := c.bc.IsWorkday(day)
		if working {
			seq++
		}
		y, m, d := day.Date()
		out = append(out, CalendarDay{Calendar: calendar, Day: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), Working: working, Seq: seq})
	}
	return out
}
