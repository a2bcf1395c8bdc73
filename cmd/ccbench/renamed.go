package main

import (
	"fmt"
	"io"
	"strings"
)

// renamedFlags are flags renamed to the dotted style, by old name. The old
// names still work for one release, hidden from --help: rewriteRenamed
// replaces them, with a warning, before the command line is parsed.
// (--config, used everywhere, stays a visible alias of --config.file.)
var renamedFlags = map[string]string{
	"listen":           "web.listen-address", // simulate
	"token-env":        "token.env",          // simulate
	"token-file":       "token.file",         // simulate
	"bad-record-every": "fault.bad-record-every",
	"data-dir":         "storage.path", // demo
}

// rewriteRenamed returns args with renamed flags under their new names,
// warning on stderr for each; arguments after "--" are left alone.
func rewriteRenamed(args []string, stderr io.Writer) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i, a := range out {
		if a == "--" {
			break
		}
		dashes := len(a) - len(strings.TrimLeft(a, "-"))
		if dashes != 1 && dashes != 2 {
			continue
		}
		name, value, hasValue := strings.Cut(a[dashes:], "=")
		renamed, ok := renamedFlags[name]
		if !ok {
			continue
		}
		fmt.Fprintf(stderr, "ccbench: --%s is deprecated and will be removed; use --%s\n", name, renamed)
		out[i] = "--" + renamed
		if hasValue {
			out[i] += "=" + value
		}
	}
	return out
}
