// Command ccbench collects public-service contact-centre data into
// ClickHouse, exports KPIs to Prometheus, generates Grafana dashboards and
// compares institutions from the command line.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/prometheus/common/version"
	"github.com/urfave/cli/v2"
)

func main() {
	if version.Version == "" {
		version.Version = "dev" // built without the build scripts' -ldflags
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the command line args and returns the process's exit code (see
// exitCode); errors are printed on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := newApp()
	app.Writer, app.ErrWriter = stdout, stderr
	err := app.RunContext(ctx, rewriteRenamed(args, stderr))
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "ccbench:", err)
	return exitCode(err)
}

func newApp() *cli.App {
	app := &cli.App{
		Name:  "ccbench",
		Usage: "benchmark public-service contact centres: collect, export, compare",
		Description: "Exit codes: 0 success, 1 runtime failure (a source, ClickHouse, the network), " +
			"2 usage or configuration error.\n\n" + examples["ccbench"],
		// --version is ours, printed with prometheus/common/version.
		HideVersion: true,
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "version", Usage: "print version and build information and exit"},
		}, logFlags()...),
		EnableBashCompletion: true,
		HideHelpCommand:      true,
		// Errors come back to run, which picks the exit code.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   onUsageError,
		Action: func(c *cli.Context) error {
			if c.Bool("version") {
				fmt.Fprintln(c.App.Writer, version.Print("ccbench"))
				return nil
			}
			if c.Args().Present() {
				return usageErrorf("unknown command %q; see 'ccbench --help'", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
		Commands: []*cli.Command{
			schemaCommand(),
			simulateCommand(),
			collectCommand(),
			serveCommand(),
			dashboardsCommand(),
			registerCommand(),
			compareCommand(),
			staffingCommand(),
			benchCommand(),
			quarantineCommand(),
			demoCommand(),
			alertsCommand(),
			completionCommand(),
		},
	}
	for _, c := range app.Commands {
		conventions(c, "ccbench "+c.Name)
	}
	return app
}

// conventions gives a command and its subcommands what every ccbench
// command has: --log.level and --log.format after the command name, usage
// errors that exit with code 2, and an example in --help.
func conventions(c *cli.Command, path string) {
	for _, f := range logFlags() {
		if !hasFlag(c, f.Names()[0]) {
			c.Flags = append(c.Flags, f)
		}
	}
	c.HideHelpCommand = true
	// A bad --log.level or --log.format is a usage error in every
	// command, also in those that never log.
	before := c.Before
	c.Before = func(ctx *cli.Context) error {
		if _, err := newLogger(ctx); err != nil {
			return err
		}
		if before != nil {
			return before(ctx)
		}
		return nil
	}
	if c.OnUsageError == nil {
		c.OnUsageError = onUsageError
	}
	if ex, ok := examples[path]; ok && c.Description == "" {
		c.Description = ex
	}
	for _, sub := range c.Subcommands {
		conventions(sub, path+" "+sub.Name)
	}
}

func hasFlag(c *cli.Command, name string) bool {
	for _, f := range c.Flags {
		for _, n := range f.Names() {
			if n == name {
				return true
			}
		}
	}
	return false
}
