package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ccbench/ccbench/collectors"
	"github.com/ccbench/ccbench/config"
)

// Exit codes, as documented in the README and in `ccbench --help`.
const (
	exitOK      = 0
	exitFailure = 1 // a runtime failure: a source, ClickHouse, the network
	exitUsage   = 2 // a usage or configuration error: fix the command line or the file
)

// usageError is an error in the command line or the configuration: the
// process exits with exitUsage.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usageErrorf returns a usageError with a formatted message.
func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// asUsageError marks err (when not nil) as a usage or configuration error.
func asUsageError(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err}
}

// onUsageError turns urfave/cli's flag parsing errors into usage errors.
func onUsageError(c *cli.Context, err error, _ bool) error {
	name := "ccbench"
	if c.Command != nil && c.Command.Name != "" {
		name = c.Command.HelpName
	}
	return usageErrorf("%w; see '%s --help'", err, name)
}

// exitCode maps an error returned by the app to the process's exit code.
func exitCode(err error) int {
	var ue usageError
	var fe *config.FieldError
	var ce config.Errors
	var coder cli.ExitCoder
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue), errors.As(err, &fe), errors.As(err, &ce):
		return exitUsage
	case collectors.IsConfigError(err):
		// A source refused the configured token or URL.
		return exitUsage
	case strings.HasPrefix(err.Error(), "Required flag"):
		// urfave/cli's missing-required-flag error has no exported type.
		return exitUsage
	case errors.As(err, &coder):
		if coder.ExitCode() == exitOK {
			return exitFailure
		}
		if coder.ExitCode() == 3 { // urfave/cli: "No help topic for ..."
			return exitUsage
		}
		return coder.ExitCode()
	}
	return exitFailure
}
