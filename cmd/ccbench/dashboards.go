package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/ccbench/ccbench/dashboards"
)

func dashboardsCommand() *cli.Command {
	return &cli.Command{
		Name:  "dashboards",
		Usage: "generate Grafana dashboards",
		Subcommands: []*cli.Command{{
			Name:  "generate",
			Usage: "write the seven linked dashboards as JSON into a directory",
			Flags: []cli.Flag{
				configFlag(true),
				&cli.StringFlag{Name: "out", Value: "dashboards-out", Usage: "output directory"},
			},
			Action: func(c *cli.Context) error {
				cfg, err := loadConfig(c)
				if err != nil {
					return err
				}
				ds, err := dashboards.Generate(cfg)
				if err != nil {
					return err
				}
				if err := dashboards.WriteAll(c.String("out"), ds); err != nil {
					return err
				}
				for _, d := range ds {
					fmt.Fprintf(c.App.Writer, "wrote %s/%s (%s)\n", c.String("out"), d.FileName, d.Title)
				}
				return nil
			},
		}},
	}
}
