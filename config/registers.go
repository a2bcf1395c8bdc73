package config

import "github.com/ccbench/ccbench/kpi"

// Registers are the hand-maintained lists that ccbench loads into
// ClickHouse next to the measured data.
type Registers struct {
	Practices []Practice       `yaml:"practices,omitempty"`
	Reported  []ReportedFigure `yaml:"reported,omitempty"`
}

// Practice is one institution's entry in the practices register.
type Practice struct {
	Institution        string   `yaml:"institution"`
	Country            string   `yaml:"country"`
	Websites           []string `yaml:"websites,omitempty"`
	Languages          []string `yaml:"languages,omitempty"`
	Channels           []string `yaml:"channels,omitempty"`            // consultation channels
	FeedbackMechanisms []string `yaml:"feedback_mechanisms,omitempty"` // e.g. page_useful_survey, post_contact_rating
	Practices          []string `yaml:"practices,omitempty"`           // notable practices, e.g. late_decision_compensation, self_service_first
	Notes              string   `yaml:"notes,omitempty"`
}

// ReportedFigure is a figure an institution published: a KPI of the
// catalogue (KPI) or another measure such as a staff count (Metric).
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
	Method      string  `yaml:"method,omitempty"` // service_level: negative, ignore, positive or unknown (default)
	Source      string  `yaml:"source"`           // where the figure was published
	Note        string  `yaml:"note,omitempty"`
}

// Profile returns the entry as the KPI catalogue's practice profile.
func (p Practice) Profile() kpi.PracticeProfile {
	return kpi.PracticeProfile{Channels: p.Channels, Languages: p.Languages, FeedbackMechanisms: p.FeedbackMechanisms, Practices: p.Practices}
}
