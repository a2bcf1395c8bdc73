package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/simulator"
)

// faultFlags are the options of `ccbench simulate` (and `ccbench demo`)
// that break a feed on purpose, so that alerts can be shown; each reads the
// environment variable of its command.
func faultFlags(command string) []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "degrade", EnvVars: envVar(command, "degrade"), Usage: "institution:channel:kpi=value, e.g. sodra:phone:service_level=0.6: contacts of the channel arriving after --after meet the KPI (service_level, answer_rate or abandon_rate) at that value; repeatable"},
		&cli.DurationFlag{Name: "after", EnvVars: envVar(command, "after"), Usage: "when the degradation starts, from now"},
		&cli.DurationFlag{Name: "degrade-for", EnvVars: envVar(command, "degrade-for"), Usage: "how long the degradation lasts (0: until stopped)"},
		&cli.DurationFlag{Name: "stall-after", Value: -1, EnvVars: envVar(command, "stall-after"), Usage: "stall the feed (answer 503) this long from now (negative: never)"},
		&cli.DurationFlag{Name: "stall-for", EnvVars: envVar(command, "stall-for"), Usage: "how long the stall lasts (0: until stopped)"},
	}
}

// simulatorIncidents builds the incidents of the flags for a simulator of style,
// on the clock now.
func simulatorIncidents(c *cli.Context, style string, now time.Time) (*simulator.Incidents, error) {
	f := simulator.NewIncidents(nil)
	for _, spec := range c.StringSlice("degrade") {
		d, err := simulator.ParseDegradation(spec)
		if err != nil {
			return nil, fmt.Errorf("--degrade: %w", err)
		}
		if style != config.StyleSODRA {
			return nil, fmt.Errorf("--degrade: only sodra-style simulators can degrade contacts (this one is %s); --stall-after works on every style", style)
		}
		d.From = now.Add(c.Duration("after"))
		if v := c.Duration("degrade-for"); v > 0 {
			d.Until = d.From.Add(v)
		}
		f.Degrade(d)
	}
	if after := c.Duration("stall-after"); after >= 0 {
		var until time.Time
		if v := c.Duration("stall-for"); v > 0 {
			until = now.Add(after + v)
		}
		f.Stall(now.Add(after), until)
	}
	return f, nil
}

// demoFaultFlags are the fault flags of `ccbench demo`: those of simulate,
// and which source a stall applies to.
func demoFaultFlags() []cli.Flag {
	return append(faultFlags("demo"),
		&cli.StringFlag{Name: "stall-source", EnvVars: envVar("demo", "stall-source"), Usage: "the source whose feed --stall-after stalls (default: every source)"})
}

// demoSimulatorArgs gives each source's simulator the degradations of its
// institution and, when it is the stalled source, the stall.
func demoSimulatorArgs(c *cli.Context, cfg *config.Config) (func(config.Source) []string, error) {
	byInstitution := map[string][]string{}
	for _, spec := range c.StringSlice("degrade") {
		d, err := simulator.ParseDegradation(spec)
		if err != nil {
			return nil, fmt.Errorf("--degrade: %w", err)
		}
		found := false
		for _, s := range cfg.Sources {
			if s.Institution != d.Institution {
				continue
			}
			if s.Style != config.StyleSODRA {
				return nil, fmt.Errorf("--degrade %s: source %s of %s is %s-style; only sodra-style simulators can degrade contacts", spec, s.Name, d.Institution, s.Style)
			}
			found = true
		}
		if !found {
			return nil, fmt.Errorf("--degrade %s: no source of institution %q in the configuration", spec, d.Institution)
		}
		byInstitution[d.Institution] = append(byInstitution[d.Institution], "--degrade", spec)
	}
	stallSource := c.String("stall-source")
	if stallSource != "" {
		if _, ok := sourceNamed(cfg, stallSource); !ok {
			return nil, fmt.Errorf("--stall-source: no source %q in the configuration", stallSource)
		}
	}
	return func(s config.Source) []string {
		args := byInstitution[s.Institution]
		if len(args) > 0 {
			for _, name := range []string{"after", "degrade-for"} {
				if c.IsSet(name) {
					args = append(args, "--"+name, c.Duration(name).String())
				}
			}
		}
		if c.IsSet("stall-after") && (stallSource == "" || stallSource == s.Name) {
			args = append(args, "--stall-after", c.Duration("stall-after").String())
			if c.IsSet("stall-for") {
				args = append(args, "--stall-for", c.Duration("stall-for").String())
			}
		}
		return args
	}, nil
}

func sourceNamed(cfg *config.Config, name string) (config.Source, bool) {
	for _, s := range cfg.Sources {
		if s.Name == name {
			return s, true
		}
	}
	return config.Source{}, false
}
