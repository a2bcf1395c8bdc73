package main

import (
	"time"

	"fmt"

	"github.com/urfave/cli/v2"
)

func schemaCommand() *cli.Command {
	return &cli.Command{
		Name:  "schema",
		Usage: "manage the ClickHouse schema",
		Subcommands: []*cli.Command{{
			Name:  "migrate",
			Usage: "apply pending migrations (idempotent)",
			Flags: []cli.Flag{configFlag(true), clickHouseWaitFlag(30 * time.Second)},
			Action: func(c *cli.Context) error {
				cfg, st, err := openConfiguredStore(c)
				if err != nil {
					return err
				}
				defer st.Close()
				applied, err := st.Migrate(c.Context)
				if err != nil {
					return err
				}
				if len(applied) == 0 {
					fmt.Fprintln(c.App.Writer, "schema is up to date")
				}
				for _, m := range applied {
					fmt.Fprintln(c.App.Writer, "applied", m)
				}
				rebuilt, err := ensureRollups(c.Context, st, cfg)
				for _, in := range rebuilt {
					fmt.Fprintln(c.App.Writer, "built the rollups of", in)
				}
				return err
			},
		}},
	}
}
