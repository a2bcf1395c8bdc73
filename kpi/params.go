package kpi

import (
	"fmt"
	"time"
)

// Method is a service-level formula; see shared/kpis.md.
type Method string

// Service-level methods. With A = answered within T, B = abandoned within T
// (not short) and O = offered − short abandons:
const (
	MethodNegative Method = "negative" // A ÷ O (default)
	MethodIgnore   Method = "ignore"   // A ÷ (O − B)
	MethodPositive Method = "positive" // (A + B) ÷ O
	MethodUnknown  Method = "unknown"  // reported figures whose publisher did not say
)

// Methods lists the computable service-level methods, default first.
var Methods = []Method{MethodNegative, MethodIgnore, MethodPositive}

// ParseMethod checks that s names a computable service-level method.
func ParseMethod(s string) (Method, error) {
	for _, m := range Methods {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown service-level method %q (want negative, ignore or positive)", s)
}

// Params are the parameters a KPI needs for one institution and channel.
type Params struct {
	Threshold           time.Duration // T: answer-time threshold (real-time channels)
	ShortAbandon        time.Duration // S: abandons with a shorter wait are left out
	LongWait            time.Duration // L: waits longer than this are long waits
	DeadlineDays        int           // working days to answer a written case
	ComplexDeadlineDays int           // working days to resolve a complex inquiry
	Calendar            string        // holiday calendar, an ISO country code ("LT", "NL")
}

// Default answer-time thresholds of shared/kpis.md.
var defaultThresholds = map[string]time.Duration{
	"phone":    20 * time.Second,
	"chat":     60 * time.Second,
	"facebook": 15 * time.Minute,
	"visit":    30 * time.Minute,
}

// DefaultParams returns the catalogue's defaults for a channel: T by channel,
// S = 5 s, L = 30 min, 5 working days for written cases and 3 for complex
// inquiries.
func DefaultParams(channel string) Params {
	return Params{
		Threshold:           defaultThresholds[channel],
		ShortAbandon:        5 * time.Second,
		LongWait:            30 * time.Minute,
		DeadlineDays:        5,
		ComplexDeadlineDays: 3,
	}
}
