package collectors

import (
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/ccbench/ccbench/config"
)

// Factory builds the collector of one configured source.
type Factory func(src config.Source, inst config.Institution, cfg *config.Config, f *Fetcher) (Collector, error)

// Registry maps a source style (config.StyleSODRA, ...) to its factory. The
// command wires it, e.g. collectors.Registry{"sodra": sodra.New}.
type Registry map[string]Factory

// Build builds one collector per configured source, each with its own
// Fetcher: the source's token, its per-request timeout and a logger that
// names it.
func (r Registry) Build(cfg *config.Config, client *http.Client, logger *slog.Logger) ([]Collector, error) {
	if client == nil {
		client = http.DefaultClient
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var out []Collector
	for _, src := range cfg.Sources {
		factory, ok := r[src.Style]
		if !ok {
			return nil, &ConfigError{Source: src.Name, Msg: fmt.Sprintf("no collector for style %q (have %s)", src.Style, r.styles())}
		}
		inst, ok := cfg.Institution(src.Institution)
		if !ok {
			return nil, &ConfigError{Source: src.Name, Msg: fmt.Sprintf("unknown institution %q", src.Institution)}
		}
		token, err := src.Token()
		if err != nil {
			return nil, &ConfigError{Source: src.Name, Msg: fmt.Sprintf("reading token: %v", err)}
		}
		c := *client
		c.Timeout = time.Duration(src.Timeout)
		f := &Fetcher{
			Source:      src.Name,
			Client:      &c,
			Token:       token,
			TokenSource: tokenSource(src),
			Logger:      logger.With("source", src.Name),
		}
		col, err := factory(src, inst, cfg, f)
		if err != nil {
			return nil, fmt.Errorf("source %q: %w", src.Name, err)
		}
		out = append(out, col)
	}
	return out, nil
}

func (r Registry) styles() string {
	var s []string
	for k := range r {
		s = append(s, k)
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}

func tokenSource(src config.Source) string {
	switch {
	case src.TokenEnv != "" && src.TokenFile != "":
		return fmt.Sprintf("$%s or %s", src.TokenEnv, src.TokenFile)
	case src.TokenEnv != "":
		return "$" + src.TokenEnv
	case src.TokenFile != "":
		return src.TokenFile
	}
	return ""
}
