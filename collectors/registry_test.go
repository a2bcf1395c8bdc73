package collectors

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ccbench/ccbench/config"
)

const registryConfig = `
institutions:
  - {id: sodra, name: SODRA, country: LT, timezone: Europe/Vilnius}
sources:
  - {name: sodra-api, style: sodra, institution: sodra, base_url: "http://127.0.0.1:1", token_env: TEST_SODRA_TOKEN, timeout: 7s}
  - {name: sodra-api-2, style: sodra, institution: sodra, base_url: "http://127.0.0.1:2"}
`

type builtCollector struct {
	src  config.Source
	inst config.Institution
	f    *Fetcher
}

func (b *builtCollector) Name() string                                 { return b.src.Name }
func (b *builtCollector) Collect(context.Context, Sink) (Stats, error) { return Stats{}, nil }

func TestRegistryBuild(t *testing.T) {
	t.Setenv("TEST_SODRA_TOKEN", "t0ken")
	cfg, err := config.Parse([]byte(registryConfig), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	reg := Registry{"sodra": func(src config.Source, inst config.Institution, _ *config.Config, f *Fetcher) (Collector, error) {
		return &builtCollector{src, inst, f}, nil
	}}
	cs, err := reg.Build(cfg, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 {
		t.Fatalf("%d collectors, want 2", len(cs))
	}
	a, b := cs[0].(*builtCollector), cs[1].(*builtCollector)
	if a.f.Token != "t0ken" || a.f.TokenSource != "$TEST_SODRA_TOKEN" || a.f.Client.Timeout != 7*time.Second {
		t.Errorf("first fetcher: token %q from %q, timeout %v", a.f.Token, a.f.TokenSource, a.f.Client.Timeout)
	}
	if b.f.Token != "" || b.f.Client.Timeout != 30*time.Second {
		t.Errorf("second fetcher: token %q, timeout %v (want none and the 30s default)", b.f.Token, b.f.Client.Timeout)
	}
	if a.inst.ID != "sodra" || a.f == b.f {
		t.Errorf("institution %q; fetchers shared: %v", a.inst.ID, a.f == b.f)
	}

	_, err = Registry{}.Build(cfg, nil, nil)
	if !IsConfigError(err) || !strings.Contains(err.Error(), `"sodra"`) {
		t.Errorf("empty registry: got %v, want a ConfigError naming the style", err)
	}
}
