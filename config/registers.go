package config

import "github.com/ccbench/ccbench/records"

// Registers are the hand-maintained lists that ccbench loads into
// ClickHouse next to the measured data.
type Registers struct {
	Practices []Practice       `yaml:"practices,omitempty"`
	Reported  []ReportedFigure `yaml:"reported,omitempty"`
}

// Practice is one institution's entry in the practices register; the
// configuration holds the record type itself.
type Practice = records.Practice

// ReportedFigure is a figure an institution published; the configuration
// holds the record type itself.
type ReportedFigure = records.ReportedFigure
