package main

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/store"
)

// Working-day calendars are loaded for these years, so that deadlines of
// cases received in any of them can be worked out in ClickHouse.
const (
	calendarFirstYear  = 2010
	calendarYearsAhead = 3
)

func registerCommand() *cli.Command {
	return &cli.Command{
		Name:  "register",
		Usage: "manage the registers (practices, reported figures, working-day calendars)",
		Subcommands: []*cli.Command{{
			Name:  "load",
			Usage: "load the configuration's registers into ClickHouse, replacing what was there",
			Flags: []cli.Flag{configFlag(true), clickHouseWaitFlag(30 * time.Second)},
			Action: func(c *cli.Context) error {
				cfg, st, err := openConfiguredStore(c)
				if err != nil {
					return err
				}
				defer st.Close()
				if err := migrateAndLoadRegisters(c.Context, st, cfg); err != nil {
					return err
				}
				fmt.Fprintf(c.App.Writer, "loaded %d practices, %d reported figures, %d targets and the calendars of %d institutions\n",
					len(cfg.Registers.Practices), len(cfg.Registers.Reported), len(cfg.Targets), len(cfg.Institutions))
				return nil
			},
		}},
	}
}

// migrateAndLoadRegisters readies the store for collecting: it applies
// pending migrations, then loads the configuration's registers (see
// loadRegisters).
func migrateAndLoadRegisters(ctx context.Context, st *store.Store, cfg *config.Config) error {
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	if err := loadRegisters(ctx, st, cfg); err != nil {
		return err
	}
	_, err := ensureRollups(ctx, st, cfg)
	return err
}

// ensureRollups builds the rollups of every configured institution that has
// none, or whose thresholds changed in the configuration; it returns the
// institutions it rebuilt.
func ensureRollups(ctx context.Context, st *store.Store, cfg *config.Config) ([]string, error) {
	ids := make([]string, len(cfg.Institutions))
	for i, in := range cfg.Institutions {
		ids[i] = in.ID
	}
	return st.EnsureRollups(ctx, ids)
}

// loadRegisters replaces the registers in ClickHouse with the
// configuration's, and loads each institution's working-day calendar.
func loadRegisters(ctx context.Context, st *store.Store, cfg *config.Config) error {
	if err := st.LoadPractices(ctx, cfg.Registers.Practices); err != nil {
		return err
	}
	if err := st.LoadReported(ctx, cfg.Registers.Reported); err != nil {
		return err
	}
	ts := make([]records.Target, len(cfg.Targets))
	for i, t := range cfg.Targets {
		ts[i] = t.Record()
	}
	if err := st.LoadTargets(ctx, ts); err != nil {
		return err
	}
	from := time.Date(calendarFirstYear, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(time.Now().Year()+calendarYearsAhead, 1, 1, 0, 0, 0, 0, time.UTC)
	done := map[string]bool{}
	for _, in := range cfg.Institutions {
		if done[in.Calendar] {
			continue
		}
		done[in.Calendar] = true
		loaded, err := st.CalendarLoaded(ctx, in.Calendar, from, to)
		if err != nil {
			return err
		}
		if loaded {
			continue
		}
		cal, err := kpi.NewCalendar(in.Calendar)
		if err != nil {
			return fmt.Errorf("institution %s: %w", in.ID, err)
		}
		if err := st.LoadCalendar(ctx, cal.Days(in.Calendar, from, to)); err != nil {
			return err
		}
	}
	return nil
}
