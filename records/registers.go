package records

import "time"

// Practice is one institution's entry in the practices register: its
// websites, information languages (ISO 639-1 codes), consultation channels,
// feedback mechanisms and other practices, by practice-catalogue ID.
//
// The configuration file's registers section holds these types as they are
// (see config.Registers), so the YAML keys are given here.
type Practice struct {
	Institution        string   `yaml:"institution"`
	Country            string   `yaml:"country"` // ISO 3166 two-letter code
	Websites           []string `yaml:"websites,omitempty"`
	Languages          []string `yaml:"languages,omitempty"`
	Channels           []string `yaml:"channels,omitempty"`            // consultation channels
	FeedbackMechanisms []string `yaml:"feedback_mechanisms,omitempty"` // e.g. page_useful_survey, post_contact_rating
	Practices          []string `yaml:"practices,omitempty"`           // e.g. late_decision_compensation, self_service_first
	Notes              string   `yaml:"notes,omitempty"`
}

// ReportedFigure is a figure an institution published itself: a catalogue
// KPI (KPI) or another measure such as a staff count (Metric), with the
// method its publisher used and where it was published.
type ReportedFigure struct {
	Institution string  `yaml:"institution"`
	Unit        string  `yaml:"unit,omitempty"`
	Channel     string  `yaml:"channel,omitempty"`
	Instrument  string  `yaml:"instrument,omitempty"` // favourable_share only
	KPI         string  `yaml:"kpi,omitempty"`        // a catalogue KPI, or
	Metric      string  `yaml:"metric,omitempty"`     // a measure outside the catalogue, e.g. customer_service_staff
	Period      string  `yaml:"period,omitempty"`     // YYYY, YYYY-MM or YYYY-MM-DD; empty when the publisher gave none
	Label       string  `yaml:"label,omitempty"`      // e.g. before / after, when only the order is known
	Value       float64 `yaml:"value"`
	Method      string  `yaml:"method,omitempty"` // service_level: negative, ignore, positive or unknown (the default)
	Source      string  `yaml:"source"`           // where the figure was published
	Note        string  `yaml:"note,omitempty"`
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
