package config

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
)

var (
	idPattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)
	periodPattern = regexp.MustCompile(`^\d{4}(-\d{2}(-\d{2})?)?$`)
)

// fail records a problem with key; validation goes on, so that every
// problem is reported at once.
func (c *Config) fail(key, format string, args ...any) {
	c.problems = append(c.problems, &FieldError{File: c.path, Line: c.pos.lineOf(key), Key: key, Msg: fmt.Sprintf(format, args...)})
}

// validate records every problem of the configuration in c.problems.
func (c *Config) validate() {
	if len(c.Exporter.Windows) == 0 {
		c.fail("exporter.windows", "at least one window is needed")
	}
	for i, w := range c.Exporter.Windows {
		if time.Duration(w) <= 0 {
			c.fail(fmt.Sprintf("exporter.windows[%d]", i), "must be positive")
		}
	}
	if _, err := kpi.ParseMethod(c.Exporter.SLMethod); err != nil {
		c.fail("exporter.sl_method", "%v", err)
	}
	if c.ClickHouse.DSN != "" {
		if u, err := url.Parse(c.ClickHouse.DSN); err != nil || u.Scheme != "clickhouse" || u.Host == "" {
			c.fail("clickhouse.dsn", "want clickhouse://[user@]host:port/database (native protocol), got %q", redactDSN(c.ClickHouse.DSN))
		} else if _, has := u.User.Password(); has {
			c.fail("clickhouse.dsn", "holds a password: give it in $%s or clickhouse.password_file instead", EnvClickHousePassword)
		}
	}

	seen := map[string]bool{}
	for i, in := range c.Institutions {
		key := fmt.Sprintf("institutions[%d]", i)
		if !idPattern.MatchString(in.ID) {
			c.fail(key+".id", "%q is not a valid id (lower-case letters, digits, _ . -)", in.ID)
		}
		if seen[in.ID] {
			c.fail(key+".id", "duplicate institution %q", in.ID)
		}
		seen[in.ID] = true
		if in.Name == "" {
			c.fail(key+".name", "is required")
		}
		if len(in.Country) != 2 {
			c.fail(key+".country", "want an ISO 3166 two-letter code, got %q", in.Country)
		}
		loc, err := time.LoadLocation(in.TimeZone)
		if err != nil || in.TimeZone == "" {
			c.fail(key+".timezone", "unknown time zone %q", in.TimeZone)
		}
		c.Institutions[i].loc = loc
	}

	names := map[string]bool{}
	for i, s := range c.Sources {
		key := fmt.Sprintf("sources[%d]", i)
		if !idPattern.MatchString(s.Name) {
			c.fail(key+".name", "%q is not a valid name (lower-case letters, digits, _ . -)", s.Name)
		}
		if names[s.Name] {
			c.fail(key+".name", "duplicate source %q", s.Name)
		}
		names[s.Name] = true
		switch s.Style {
		case StyleSODRA, StyleVMI, StyleIND:
		default:
			c.fail(key+".style", "unknown style %q (want sodra, vmi or ind)", s.Style)
		}
		if !seen[s.Institution] {
			c.fail(key+".institution", "unknown institution %q", s.Institution)
		}
		if u, err := url.Parse(s.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			c.fail(key+".base_url", "want an absolute http(s) URL, got %q", s.BaseURL)
		} else if u.User != nil {
			// The URL is logged and shown in errors: it must hold no secret.
			c.fail(key+".base_url", "must not hold credentials (%s): give the token in token_env or token_file", u.Redacted())
		}
		if s.PageSize < 1 || s.PageSize > 10000 {
			c.fail(key+".page_size", "must be between 1 and 10000, got %d", s.PageSize)
		}
		if time.Duration(s.PollInterval) <= 0 {
			c.fail(key+".poll_interval", "must be positive")
		}
	}

	for i, t := range c.Targets {
		key := fmt.Sprintf("targets[%d]", i)
		if !seen[t.Institution] {
			c.fail(key+".institution", "unknown institution %q", t.Institution)
		}
		if _, err := kpi.ParseID(t.KPI); err != nil {
			c.fail(key+".kpi", "%v", err)
		}
		if t.Channel != "" && !records.IsChannel(t.Channel) {
			c.fail(key+".channel", "unknown channel %q (want one of %s)", t.Channel, strings.Join(records.Channels, ", "))
		}
		switch kpi.Direction(t.Direction) {
		case "", kpi.AtLeast, kpi.AtMost:
		default:
			c.fail(key+".direction", "unknown direction %q (want at_least or at_most)", t.Direction)
		}
		if t.Method != "" {
			if _, err := kpi.ParseMethod(t.Method); err != nil {
				c.fail(key+".method", "%v", err)
			}
		}
		if t.DeadlineDays < 0 || t.ComplexDeadlineDays < 0 {
			c.fail(key+".deadline_days", "must not be negative")
		}
		c.checkValue(key+".value", t.KPI, t.Value)
	}

	for i, p := range c.Registers.Practices {
		key := fmt.Sprintf("registers.practices[%d]", i)
		if p.Institution == "" {
			c.fail(key+".institution", "is required")
		}
		if len(p.Country) != 2 {
			c.fail(key+".country", "want an ISO 3166 two-letter code, got %q", p.Country)
		}
		if unknown := kpi.UnknownPractices(kpi.ProfileOf(p)); len(unknown) > 0 {
			c.fail(key, "not in the practice catalogue (kpi/practices.go): %s", strings.Join(unknown, "; "))
		}
	}
	for i, r := range c.Registers.Reported {
		key := fmt.Sprintf("registers.reported[%d]", i)
		if r.Institution == "" {
			c.fail(key+".institution", "is required")
		}
		switch {
		case r.KPI != "" && r.Metric != "":
			c.fail(key+".metric", "give either kpi (a catalogue KPI) or metric (another measure), not both")
		case r.KPI != "":
			if _, err := kpi.ParseID(r.KPI); err != nil {
				c.fail(key+".kpi", "%v", err)
			}
		case !idPattern.MatchString(r.Metric):
			c.fail(key+".kpi", "a catalogue kpi or a metric name (lower-case letters, digits, _) is required")
		}
		if r.Period != "" && !periodPattern.MatchString(r.Period) {
			c.fail(key+".period", "want YYYY, YYYY-MM or YYYY-MM-DD, got %q", r.Period)
		}
		if r.Period == "" && r.Label == "" {
			c.fail(key+".period", "give a period, or a label (e.g. before/after) when the publisher gave none")
		}
		if r.Method != "" && r.Method != string(kpi.MethodUnknown) {
			if _, err := kpi.ParseMethod(r.Method); err != nil {
				c.fail(key+".method", "%v", err)
			}
		}
		if r.Source == "" {
			c.fail(key+".source", "is required: say where the figure was published")
		}
		c.checkValue(key+".value", r.KPI, r.Value)
	}
}

// checkValue checks the value of a target or a published figure of a KPI
// (or of another measure when id is not a KPI): a finite number, not
// negative, and a share from 0 to 1 (95 % is 0.95).
func (c *Config) checkValue(key, id string, v float64) {
	switch d, ok := kpi.Lookup(kpi.ID(id)); {
	case math.IsNaN(v) || math.IsInf(v, 0):
		c.fail(key, "want a number, got %v", v)
	case v < 0:
		c.fail(key, "must not be negative")
	case ok && d.Unit == kpi.UnitRatio && v > 1:
		c.fail(key, "%s is a share from 0 to 1 (95 %% is 0.95), got %v", id, v)
	}
}

// redactDSN hides a password in a DSN before it reaches a message.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "<unparseable DSN>"
	}
	return u.Redacted()
}
