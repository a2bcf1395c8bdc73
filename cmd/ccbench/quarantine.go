package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"
)

func quarantineCommand() *cli.Command {
	return &cli.Command{
		Name:  "quarantine",
		Usage: "inspect the records that broke their source's contract",
		Subcommands: []*cli.Command{{
			Name:  "list",
			Usage: "list quarantined records, newest first, with the record, field and reason",
			Flags: []cli.Flag{
				configFlag(true),
				clickHouseWaitFlag(5 * time.Second),
				&cli.StringFlag{Name: "source", Usage: "only this source (default: all)"},
				&cli.IntFlag{Name: "limit", Value: 50, Usage: "at most this many records"},
				&cli.BoolFlag{Name: "raw", Usage: "also print each record's raw text"},
			},
			Action: func(c *cli.Context) error {
				if err := mustNotHaveArgs(c); err != nil {
					return err
				}
				if n := c.Int("limit"); n < 1 {
					return usageErrorf("--limit: want at least 1, got %d", n)
				}
				_, st, err := openConfiguredStore(c)
				if err != nil {
					return err
				}
				defer st.Close()
				total, err := st.QuarantineCount(c.Context, c.String("source"))
				if err != nil {
					return err
				}
				qs, err := st.ListQuarantine(c.Context, c.String("source"), c.Int("limit"))
				if err != nil {
					return err
				}
				fmt.Fprintf(c.App.Writer, "%d quarantined records, showing %d\n\n", total, len(qs))
				tw := tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "RECEIVED\tSOURCE\tSTREAM\tRECORD\tFIELD\tREASON\tORIGIN")
				for _, q := range qs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", q.ReceivedAt.UTC().Format(time.RFC3339), q.Source, q.Stream,
						orDash(q.RecordID), orDash(q.Field), q.Reason, q.Origin)
					if c.Bool("raw") {
						fmt.Fprintf(tw, "\t\t\t\t\traw: %s\t\n", q.Raw)
					}
				}
				return tw.Flush()
			},
		}},
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
