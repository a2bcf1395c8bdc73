package records

import "time"

// Practice is one institution's entry in the practices register: its
// websites, information languages (ISO 639-1 codes), consultation channels,
// feedback mechanisms and other practices, by practice-catalogue ID.
type Practice struct {
	Institution        string
	Country            string // ISO 3166 two-letter code
	Websites           []string
	Languages          []string
	Channels           []string
	FeedbackMechanisms []string
	Practices          []string
	Notes              string
}

// ReportedFigure is a figure an institution published itself: a catalogue
// KPI (KPI) or another measure such as a staff count (Metric), with the
// method its publisher used and where it was published.
type ReportedFigure struct {
	Institution string
	Unit        string
	Channel     string
	Instrument  string // favourable_share only
	KPI         string // a catalogue KPI, or
	Metric      string // a measure outside the catalogue
	Period      string // YYYY, YYYY-MM or YYYY-MM-DD; may be empty
	Label       string // e.g. before / after, when only the order is known
	Value       float64
	Method      string // service_level: negative, ignore, positive or unknown
	Source      string // where the figure was published
	Note        string
}

// Target is one entry of the targets register: a target value for a KPI of
// an institution (optionally one unit, channel or instrument), its
// direction, and the KPI parameters it sets; zero durations and days mean
// the catalogue's defaults.
type Target struct {
	Institution, Unit, Channel, Instrument string
	KPI                                    string
	Value                                  float64
	Direction                              string // at_least or at_most
	Threshold, ShortAbandon, LongWait      time.Duration
	DeadlineDays, ComplexDeadlineDays      int
	Method                                 string
	Note                                   string
}
