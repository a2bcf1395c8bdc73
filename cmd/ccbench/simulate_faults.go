package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/simulator"
)

// faultFlags are the options of `ccbench simulate` (and `ccbench demo`)
// that break a feed on purpose, so that alerts can be shown.
func faultFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "degrade", Usage: "institution:channel:kpi=value, e.g. sodra:phone:service_level=0.6: contacts of the channel arriving after --after meet the KPI (service_level, answer_rate or abandon_rate) at that value; repeatable"},
		&cli.DurationFlag{Name: "after", Usage: "when the degradation starts, from now"},
		&cli.DurationFlag{Name: "degrade-for", Usage: "how long the degradation lasts (0: until stopped)"},
		&cli.DurationFlag{Name: "stall-after", Value: -1, Usage: "stall the feed (answer 503) this long from now (negative: never)"},
		&cli.DurationFlag{Name: "stall-for", Usage: "how long the stall lasts (0: until stopped)"},
	}
}

// faultArgs turns the fault flags back into arguments, for the children
// the demo starts.
func faultArgs(c *cli.Context) []string {
	var args []string
	for _, d := range c.StringSlice("degrade") {
		args = append(args, "--degrade", d)
	}
	for _, name := range []string{"after", "degrade-for", "stall-after", "stall-for"} {
		if c.IsSet(name) {
			args = append(args, "--"+name, c.Duration(name).String())
		}
	}
	return args
}

// simulatorFaults builds the faults of the flags for a simulator of style,
// on the clock now.
func simulatorFaults(c *cli.Context, style string, now time.Time) (*simulator.Faults, error) {
	f := simulator.NewFaults(nil)
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
