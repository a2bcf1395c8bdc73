// Package config loads and validates ccbench's YAML configuration: where
// ClickHouse is, which institutions are compared, which sources are pulled,
// the exporter's windows, the targets with their KPI parameters, and the
// registers of practices and reported figures.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// Environment variables read by ccbench.
const (
	EnvConfig             = "CCBENCH_CONFIG"
	EnvClickHouseDSN      = "CCBENCH_CLICKHOUSE_DSN"
	EnvClickHousePassword = "CCBENCH_CLICKHOUSE_PASSWORD"
)

// Config is the whole configuration file.
type Config struct {
	ClickHouse   ClickHouse    `yaml:"clickhouse"`
	Exporter     Exporter      `yaml:"exporter"`
	Institutions []Institution `yaml:"institutions"`
	Sources      []Source      `yaml:"sources"`
	Targets      []Target      `yaml:"targets"`
	Registers    Registers     `yaml:"registers"`

	path     string    // the file it was loaded from, for error messages
	pos      positions // the line of every key, for error messages
	problems Errors    // what validation found
}

// ClickHouse says how to reach the ClickHouse server. The password never
// sits in the file: it comes from PasswordEnv (default
// CCBENCH_CLICKHOUSE_PASSWORD) or PasswordFile.
type ClickHouse struct {
	DSN          string `yaml:"dsn"` // clickhouse://user@host:9000/database; CCBENCH_CLICKHOUSE_DSN overrides
	PasswordEnv  string `yaml:"password_env,omitempty"`
	PasswordFile string `yaml:"password_file,omitempty"`
	// Cluster is a cluster name from the servers' remote_servers: when set,
	// the schema is replicated and sharded over it (README, "Running on a
	// ClickHouse cluster").
	Cluster string `yaml:"cluster,omitempty"`
}

// Exporter configures `ccbench serve`.
type Exporter struct {
	Windows         []model.Duration `yaml:"windows"`          // default 1h, 24h, 7d, 30d
	RefreshInterval model.Duration   `yaml:"refresh_interval"` // default 30s
	RefreshTimeout  model.Duration   `yaml:"refresh_timeout"`  // default 25s
	SLMethod        string           `yaml:"sl_method"`        // default negative; all methods are exported, this one is the default in dashboards
}

// Institution is one compared institution (or one of its departments).
type Institution struct {
	ID       string `yaml:"id"`
	Name     string `yaml:"name"`
	Country  string `yaml:"country"`            // ISO 3166 alpha-2
	TimeZone string `yaml:"timezone"`           // IANA zone, e.g. Europe/Vilnius
	Calendar string `yaml:"calendar,omitempty"` // holiday calendar; defaults to Country

	loc *time.Location
}

// Location returns the institution's time zone (valid after Load).
func (i Institution) Location() *time.Location {
	if i.loc == nil {
		return time.UTC
	}
	return i.loc
}

// Source styles.
const (
	StyleSODRA = "sodra"
	StyleVMI   = "vmi"
	StyleIND   = "ind"
)

// Source is one data source a collector pulls.
type Source struct {
	Name         string         `yaml:"name"`
	Style        string         `yaml:"style"` // sodra, vmi or ind
	Institution  string         `yaml:"institution"`
	BaseURL      string         `yaml:"base_url"`
	TokenEnv     string         `yaml:"token_env,omitempty"`
	TokenFile    string         `yaml:"token_file,omitempty"`
	PollInterval model.Duration `yaml:"poll_interval"` // default 1m
	PageSize     int            `yaml:"page_size"`     // default 500
	Timeout      model.Duration `yaml:"timeout"`       // per request, default 30s
	// Unit is the unit recorded for sources whose records carry none
	// (VMI-style exports, IND-style aggregates).
	Unit string `yaml:"unit,omitempty"`
}

// Token reads the source's bearer token from its environment variable or
// file; empty when neither is configured. A token that is configured but
// unset or empty is an error naming where it was looked for (never its
// value): polling without it would only end in a 401.
func (s Source) Token() (string, error) {
	tok, err := readSecret(s.TokenEnv, s.TokenFile, "")
	if err != nil || tok != "" || (s.TokenEnv == "" && s.TokenFile == "") {
		return tok, err
	}
	var where []string
	if s.TokenEnv != "" {
		where = append(where, "environment variable "+s.TokenEnv+" (token_env) is unset or empty")
	}
	if s.TokenFile != "" {
		where = append(where, "file "+s.TokenFile+" (token_file) is empty")
	}
	return "", fmt.Errorf("no token: %s", strings.Join(where, ", and "))
}

// Target is a target value for one KPI of one institution (optionally one
// unit, channel or survey instrument), with the parameters the KPI needs.
type Target struct {
	Institution string  `yaml:"institution"`
	Unit        string  `yaml:"unit,omitempty"`
	Channel     string  `yaml:"channel,omitempty"`
	Instrument  string  `yaml:"instrument,omitempty"`
	KPI         string  `yaml:"kpi"`
	Value       float64 `yaml:"value"`
	Direction   string  `yaml:"direction,omitempty"` // at_least or at_most; defaults to the KPI's usual direction
	Note        string  `yaml:"note,omitempty"`      // where the target comes from

	// KPI parameters; zero means the catalogue default.
	Threshold           model.Duration `yaml:"threshold,omitempty"`
	ShortAbandon        model.Duration `yaml:"short_abandon,omitempty"`
	LongWait            model.Duration `yaml:"long_wait,omitempty"`
	DeadlineDays        int            `yaml:"deadline_days,omitempty"`
	ComplexDeadlineDays int            `yaml:"complex_deadline_days,omitempty"`
	Method              string         `yaml:"method,omitempty"` // service_level only
}

// Load reads, defaults and validates the configuration file at path.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading configuration: %w", err)
	}
	return Parse(b, path)
}

// Parse parses, defaults and validates a configuration; path is used in
// error messages only. Every problem is reported at once, as Errors, each
// naming the file, the line and the key.
func Parse(b []byte, path string) (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, decodeErrors(path, err) // not YAML at all
	}
	c := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var decodeErrs Errors
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		decodeErrs = decodeErrors(path, err)
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, decodeErrs
		}
		// A TypeError leaves the rest of the file decoded: validate it
		// too, so that every problem is reported at once.
	}
	c.path = path
	c.pos = newPositions(&doc)
	c.applyDefaults()
	c.validate()
	problems := append(decodeErrs, c.problems...)
	if len(problems) > 0 {
		problems.sortByLine()
		return nil, problems
	}
	return c, nil
}

// Path is the file the configuration was loaded from.
func (c *Config) Path() string { return c.path }

// Marshal renders the configuration as YAML, e.g. for the demo's
// <data-dir>/ccbench.yaml. It holds no secrets: those live in env or files.
func (c *Config) Marshal() ([]byte, error) {
	return yaml.Marshal(c)
}

func (c *Config) applyDefaults() {
	if len(c.Exporter.Windows) == 0 {
		c.Exporter.Windows = []model.Duration{
			model.Duration(time.Hour), model.Duration(24 * time.Hour),
			model.Duration(7 * 24 * time.Hour), model.Duration(30 * 24 * time.Hour),
		}
	}
	if c.Exporter.RefreshInterval == 0 {
		c.Exporter.RefreshInterval = model.Duration(DefaultRefreshInterval)
	}
	if c.Exporter.RefreshTimeout == 0 {
		c.Exporter.RefreshTimeout = model.Duration(DefaultRefreshTimeout)
	}
	if c.Exporter.SLMethod == "" {
		c.Exporter.SLMethod = "negative"
	}
	if c.ClickHouse.PasswordEnv == "" {
		c.ClickHouse.PasswordEnv = EnvClickHousePassword
	}
	for i := range c.Institutions {
		in := &c.Institutions[i]
		if in.Calendar == "" {
			in.Calendar = strings.ToUpper(in.Country)
		}
	}
	for i := range c.Sources {
		s := &c.Sources[i]
		if s.PollInterval == 0 {
			s.PollInterval = model.Duration(DefaultPollInterval)
		}
		if s.PageSize == 0 {
			s.PageSize = DefaultPageSize
		}
		if s.Timeout == 0 {
			s.Timeout = model.Duration(DefaultSourceTimeout)
		}
	}
}

// DSN returns the ClickHouse DSN: CCBENCH_CLICKHOUSE_DSN when set, else the
// file's.
func (c *Config) DSN() string {
	if v := os.Getenv(EnvClickHouseDSN); v != "" {
		return v
	}
	return c.ClickHouse.DSN
}

// ClickHousePassword reads the ClickHouse password from its environment
// variable or file; empty when neither is set.
func (c *Config) ClickHousePassword() (string, error) {
	return readSecret(c.ClickHouse.PasswordEnv, c.ClickHouse.PasswordFile, "")
}

func readSecret(env, file, def string) (string, error) {
	if env != "" {
		if v := os.Getenv(env); v != "" {
			return v, nil
		}
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("reading secret file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return def, nil
}

// Institution returns the institution with the given id.
func (c *Config) Institution(id string) (Institution, bool) {
	for _, in := range c.Institutions {
		if in.ID == id {
			return in, true
		}
	}
	return Institution{}, false
}

// Zone returns the time zone of the institution with the given id: UTC
// for an institution the configuration does not have.
func (c *Config) Zone(id string) *time.Location {
	in, _ := c.Institution(id)
	return in.Location()
}

// SourcesOfStyle returns the configured sources of one style.
func (c *Config) SourcesOfStyle(style string) []Source {
	var out []Source
	for _, s := range c.Sources {
		if s.Style == style {
			out = append(out, s)
		}
	}
	return out
}
