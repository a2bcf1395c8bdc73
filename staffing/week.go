package staffing

import (
	"errors"
	"fmt"
	"time"
)

// ErrNoHandlingTime is returned when no contact carries a handling time, so
// that the average handling time is unknown.
var ErrNoHandlingTime = errors.New("no answered contact with a handling time: the average handling time is unknown")

// HourCounts are the measured contacts of one hour of the week (local
// time), summed over the weeks of a window.
type HourCounts struct {
	Weekday time.Weekday
	Hour    int // 0-23
	// Occurrences is how many times this hour of the week occurs in the
	// window, so that Offered ÷ Occurrences is the mean arrivals in it.
	Occurrences     int
	Offered         float64 // every contact that arrived
	ShortAbandoned  float64 // abandoned before the short-abandon limit
	AnsweredWithinT float64 // answered within the threshold
	Handled         float64 // answered contacts with a handling time
	HandleSumS      float64 // their talk + hold + after-contact work, seconds
}

// HourPlan is the Erlang C what-if of one hour of the week.
type HourPlan struct {
	HourCounts
	Calls      float64       // mean arrivals per occurrence of the hour
	AHT        time.Duration // mean handling time of the hour's answered contacts
	MeasuredSL *float64      // AnsweredWithinT ÷ (Offered − ShortAbandoned); nil without contacts
	Needed     Queue         // fewest agents for the target
	Implied    *Queue        // fewest agents that reach the measured service level
}

// WeekPlan is the staffing what-if of one queue over the hours of the
// week.
type WeekPlan struct {
	Institution string        `json:"institution"`
	Channel     string        `json:"channel"`
	Target      float64       `json:"target"`
	Threshold   time.Duration `json:"threshold"`
	// AHT is the mean handling time over the window, used for hours
	// without a handling time of their own.
	AHT   time.Duration `json:"aht"`
	Hours []HourPlan    `json:"hours"`
}

// PlanWeek computes, for every hour of the week with contacts, the agents
// Erlang C needs for target within threshold, and the agents the measured
// service level implies, from the hour's mean arrivals and handling time.
// An hour without a handling time of its own uses the window's mean.
func PlanWeek(hours []HourCounts, target float64, threshold time.Duration) ([]HourPlan, time.Duration, error) {
	var handled, handleSum float64
	for _, h := range hours {
		handled += h.Handled
		handleSum += h.HandleSumS
	}
	if handled == 0 {
		return nil, 0, ErrNoHandlingTime
	}
	overall := seconds(handleSum / handled)
	var out []HourPlan
	for _, h := range hours {
		if h.Offered == 0 || h.Occurrences <= 0 {
			continue
		}
		p := HourPlan{HourCounts: h, Calls: h.Offered / float64(h.Occurrences), AHT: overall}
		if h.Handled > 0 {
			p.AHT = seconds(h.HandleSumS / h.Handled)
		}
		load := Load{Calls: p.Calls, Interval: time.Hour, AHT: p.AHT}
		var err error
		if p.Needed, err = AgentsFor(load, target, threshold); err != nil {
			return nil, 0, fmt.Errorf("%s %02d:00: %w", h.Weekday, h.Hour, err)
		}
		if o := h.Offered - h.ShortAbandoned; o > 0 {
			sl := h.AnsweredWithinT / o
			p.MeasuredSL = &sl
			q, err := ImpliedAgents(load, sl, threshold)
			if err != nil {
				return nil, 0, fmt.Errorf("%s %02d:00: %w", h.Weekday, h.Hour, err)
			}
			p.Implied = &q
		}
		out = append(out, p)
	}
	return out, overall, nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// Occurrences counts, for each hour of the week, the local hours of loc in
// [from, to) that fall on it; index by weekday × 24 + hour. A daylight-
// saving change makes one hour occur once less or once more.
func Occurrences(from, to time.Time, loc *time.Location) [7 * 24]int {
	var n [7 * 24]int
	for t := from.Truncate(time.Hour); t.Before(to); t = t.Add(time.Hour) {
		if t.Before(from) {
			continue
		}
		l := t.In(loc)
		n[int(l.Weekday())*24+l.Hour()]++
	}
	return n
}
