package config

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

// ReportedFigure is a KPI value an institution published.
type ReportedFigure struct {
	Institution string  `yaml:"institution"`
	Unit        string  `yaml:"unit,omitempty"`
	Channel     string  `yaml:"channel,omitempty"`
	KPI         string  `yaml:"kpi"`
	Period      string  `yaml:"period"` // YYYY, YYYY-MM or YYYY-MM-DD
	Value       float64 `yaml:"value"`
	Method      string  `yaml:"method,omitempty"` // service_level: negative, ignore, positive or unknown (default)
	Source      string  `yaml:"source"`           // where the figure was published
	Note        string  `yaml:"note,omitempty"`
}
