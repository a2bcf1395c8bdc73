package main

import (
	_ "embed"
	"fmt"

	"github.com/urfave/cli/v2"
)

// The scripts are urfave/cli's (autocomplete/ in its repository), with the
// program name filled in; they ask `ccbench ... --generate-bash-completion`
// for the words that can come next.
var (
	//go:embed completion/bash
	bashCompletion string
	//go:embed completion/zsh
	zshCompletion string
)

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash or zsh",
		ArgsUsage: "bash|zsh",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("want one argument, bash or zsh; see 'ccbench completion --help'")
			}
			switch c.Args().First() {
			case "bash":
				fmt.Fprint(c.App.Writer, bashCompletion)
			case "zsh":
				fmt.Fprint(c.App.Writer, zshCompletion)
			default:
				return usageErrorf("unknown shell %q (want bash or zsh)", c.Args().First())
			}
			return nil
		},
	}
}
