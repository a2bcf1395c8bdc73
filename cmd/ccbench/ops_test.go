package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ccbench/ccbench/servers"
	"github.com/ccbench/ccbench/servers/servertest"
	sodrasim "github.com/ccbench/ccbench/simulator/sodra"
	"github.com/ccbench/ccbench/web/webtest"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a
// command's logger and a test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runCLI runs ccbench in-process with args and returns its exit code,
// stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr syncBuffer
	code := run(context.Background(), append([]string{"ccbench"}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// startCLI runs a long-running ccbench command in-process until the test
// ends, then checks that it exited 0; it returns the command's stderr.
func startCLI(t *testing.T, args ...string) *syncBuffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"ccbench"}, args...), &stdout, &stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != exitOK {
				t.Errorf("ccbench %s exited %d, want 0; stderr:\n%s", strings.Join(args, " "), code, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Errorf("ccbench %s still running 30 s after cancel", strings.Join(args, " "))
		}
	})
	return &stderr
}

// writeConfig writes a configuration with one SODRA-style source at
// sourceURL and returns its path.
func writeConfig(t *testing.T, dsn, sourceURL string) string {
	t.Helper()
	cfg := fmt.Sprintf(`clickhouse:
  dsn: %s
exporter:
  windows: [1h]
  refresh_interval: 1h
institutions:
  - {id: sodra, name: SODRA, country: LT, timezone: Europe/Vilnius}
sources:
  - {name: sodra-api, style: sodra, institution: sodra, base_url: %q, token_env: CCBENCH_TEST_SODRA_TOKEN, poll_interval: 1h}
`, dsn, sourceURL)
	path := filepath.Join(t.TempDir(), "ccbench.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func freeAddr(t *testing.T) string {
	t.Helper()
	port, err := servers.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}

// waitAnswers polls url over HTTPS with credentials until it answers 200.
func waitAnswers(t *testing.T, s webtest.Server, url string, stderr *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.SetBasicAuth(s.User, s.Password)
		resp, err := s.Client().Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer 200 in 90 s (last: %v); log:\n%s", url, err, stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestServersEnforceTLSAndBasicAuth runs the exporter and the collector
// with a --web.config.file that asks for TLS and basic auth (certificates
// generated for the test): every endpoint answers 401 without credentials
// and 200 with them, and both registries carry ccbench_build_info.
func TestServersEnforceTLSAndBasicAuth(t *testing.T) {
	if testing.Short() {
		t.Skip("needs ClickHouse")
	}
	const token = "sodra-token-for-tls-test"
	t.Setenv("CCBENCH_TEST_SODRA_TOKEN", token)
	sim := httptest.NewServer(sodrasim.New(sodrasim.Options{Seed: 1, Days: 1, Token: token}).Handler())
	defer sim.Close()
	cfg := writeConfig(t, servertest.DSN(t), sim.URL)
	s := webtest.NewServer(t, t.TempDir(), "prometheus", "scrape-pass-1")

	// The collector first: the exporter's first refresh needs its tables.
	collectAddr, serveAddr := freeAddr(t), freeAddr(t)
	collectLog := startCLI(t, "collect", "--config.file", cfg, "--web.listen-address", collectAddr, "--web.config.file", s.ConfigFile, "--log.format", "json")
	waitAnswers(t, s, "https://"+collectAddr+"/-/ready", collectLog)
	serveLog := startCLI(t, "serve", "--config.file", cfg, "--web.listen-address", serveAddr, "--web.config.file", s.ConfigFile, "--log.level", "debug")
	waitAnswers(t, s, "https://"+serveAddr+"/-/ready", serveLog)

	for _, tc := range []struct {
		name, addr string
		log        *syncBuffer
		metric     string
	}{
		{"collector", collectAddr, collectLog, "ccbench_collector_passes_total"},
		{"exporter", serveAddr, serveLog, "ccbench_exporter_clickhouse_up 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := "https://" + tc.addr
			for _, path := range []string{"/metrics", "/", "/-/healthy", "/-/ready"} {
				if code, _ := s.Get(t, base+path, false); code != http.StatusUnauthorized {
					t.Errorf("GET %s without credentials = %d, want 401", path, code)
				}
				if code, _ := s.Get(t, base+path, true); code != http.StatusOK {
					t.Errorf("GET %s with credentials = %d, want 200", path, code)
				}
			}
			_, body := s.Get(t, base+"/metrics", true)
			for _, want := range []string{"ccbench_build_info{", tc.metric} {
				if !strings.Contains(body, want) {
					t.Errorf("/metrics has no %s", want)
				}
			}
			if !strings.Contains(tc.log.String(), "TLS is enabled") {
				t.Errorf("log does not say TLS is enabled:\n%s", tc.log.String())
			}
		})
	}
	if !strings.Contains(collectLog.String(), `"level":"INFO"`) {
		t.Errorf("--log.format json after the command: log is not JSON:\n%.500s", collectLog.String())
	}
	if !strings.Contains(serveLog.String(), "level=DEBUG") {
		t.Errorf("--log.level debug after the command: no debug line in the log:\n%s", serveLog.String())
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", "clickhouse: {dsn: \"clickhouse://127.0.0.1:1/x\"}\ninstitutions:\n  - {id: a, name: A, country: LT, timezone: UTC}\n")
	bad := write("bad.yaml", "institutions:\n  - {id: a, name: A, country: LTU, timezone: UTC}\nexporter: {sl_method: optimistic}\n")
	badWeb := write("web.yml", "tls_server_config: {cert_file: x.crt}\n")
	// Bad values of compare and staffing are usage errors found before
	// ClickHouse (unreachable in good) is asked.
	compare := []string{"compare", "--config", good}
	week := append(compare[:len(compare):len(compare)], "--from", "2024-03-04", "--to", "2024-03-11")
	staffing := []string{"staffing", "--config", good, "--institution", "a", "--from", "2024-03-04", "--to", "2024-03-11"}
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string // in stdout or stderr
	}{
		{"version", []string{"--version"}, exitOK, "ccbench, version"},
		{"help", []string{"serve", "--help"}, exitOK, "Example:"},
		{"unknown command", []string{"nope"}, exitUsage, `unknown command "nope"`},
		{"bad log level in a command that never logs", []string{"completion", "--log.level", "trace", "bash"}, exitUsage, "--log.level"},
		{"bad log format in a subcommand", []string{"alerts", "generate", "--config", good, "--out", dir, "--log.format", "xml"}, exitUsage, "--log.format"},
		{"unknown flag", []string{"serve", "--nope"}, exitUsage, "flag provided but not defined"},
		{"no config", []string{"serve"}, exitUsage, "no configuration"},
		{"missing config", []string{"serve", "--config.file", filepath.Join(dir, "none.yaml")}, exitUsage, "none.yaml"},
		{"every config problem", []string{"serve", "--config.file", bad}, exitUsage, "bad.yaml:2: institutions[0].country"},
		{"every config problem, second", []string{"serve", "--config.file", bad}, exitUsage, "bad.yaml:3: exporter.sl_method"},
		{"log level after the command", []string{"serve", "--log.level", "loud", "--config.file", good}, exitUsage, "--log.level"},
		{"log level before the command", []string{"--log.level", "loud", "serve", "--config.file", good}, exitUsage, "--log.level"},
		{"after the command wins", []string{"--log.level", "loud", "serve", "--log.level", "warn", "--config.file", bad}, exitUsage, "bad.yaml:2"},
		{"bad web config", []string{"serve", "--config.file", good, "--web.config.file", badWeb}, exitUsage, "--web.config.file"},
		{"unexpected argument", []string{"serve", "extra"}, exitUsage, `unexpected argument "extra"`},
		{"ClickHouse unreachable", []string{"schema", "migrate", "--config", good, "--clickhouse.wait", "50ms"}, exitFailure, "127.0.0.1:1"},
		{"compare bad from", append(compare, "--from", "2024-13-01", "--to", "2024-03-11"), exitUsage, `--from: want YYYY-MM-DD, got "2024-13-01"`},
		{"compare bad to", append(compare, "--from", "2024-03-04", "--to", "soon"), exitUsage, `--to: want YYYY-MM-DD, got "soon"`},
		{"compare to before from", append(compare, "--from", "2024-03-11", "--to", "2024-03-04"), exitUsage, "--to 2024-03-04 must be after --from 2024-03-11"},
		{"compare format xml", append(week, "--format", "xml"), exitUsage, `--format: want one of table, markdown, html, csv, json, got "xml"`},
		{"compare unknown KPI", append(week, "--kpis", "foo"), exitUsage, `--kpis: unknown KPI "foo"`},
		{"compare by year", append(week, "--by", "year"), exitUsage, `--by: want total, day, week or month, got "year"`},
		{"compare bad as-of", append(week, "--as-of", "yesterday"), exitUsage, "--as-of: want an RFC3339 time"},
		{"compare bad sl-method", append(week, "--sl-method", "best"), exitUsage, "--sl-method"},
		{"compare unknown channel", append(week, "--channels", "phone,telex"), exitUsage, `--channels: unknown channel "telex"`},
		{"compare unknown institution", append(week, "--institutions", "a,nope"), exitUsage, `--institutions: unknown institution "nope"`},
		{"compare unexpected argument", append(week, "extra", "--format", "xml"), exitUsage, `unexpected argument "extra"`},
		{"staffing target 95", append(staffing, "--target", "95"), exitUsage, "--target: want a share between 0 and 1 (exclusive), e.g. 0.95, got 95"},
		{"staffing channel email", append(staffing, "--channel", "email"), exitUsage, `--channel: want a real-time channel (phone, chat, facebook, visit), got "email"`},
		{"staffing bad from", []string{"staffing", "--config", good, "--institution", "a", "--from", "2024-13-01", "--to", "2024-03-11"}, exitUsage, `--from: want YYYY-MM-DD, got "2024-13-01"`},
		{"staffing format xml", append(staffing, "--format", "xml"), exitUsage, `--format: want table or json, got "xml"`},
		{"staffing threshold", append(staffing, "--threshold", "-1s"), exitUsage, "--threshold: want a positive duration"},
		{"staffing unknown institution", append(staffing, "--institution", "nope"), exitUsage, `--institution: unknown institution "nope"`},
		{"staffing unexpected argument", append(staffing, "extra", "--target", "95"), exitUsage, `unexpected argument "extra"`},
		{"quarantine limit 0", []string{"quarantine", "list", "--config", good, "--limit", "0"}, exitUsage, "--limit: want at least 1, got 0"},
		{"quarantine limit -5", []string{"quarantine", "list", "--config", good, "--limit", "-5"}, exitUsage, "--limit: want at least 1, got -5"},
		{"quarantine unexpected argument", []string{"quarantine", "list", "--config", good, "extra", "--limit", "0"}, exitUsage, `unexpected argument "extra"`},
		{"completion bash", []string{"completion", "bash"}, exitOK, "complete -o bashdefault"},
		{"completion zsh", []string{"completion", "zsh"}, exitOK, "compdef _cli_zsh_autocomplete ccbench"},
		{"completion fish", []string{"completion", "fish"}, exitUsage, `unknown shell "fish"`},
		{"completion commands", []string{"--generate-bash-completion"}, exitOK, "\nserve\n"},
		{"completion flags", []string{"serve", "--web", "--generate-bash-completion"}, exitOK, "--web.config.file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// urfave/cli's completion reads the word being completed
			// from os.Args.
			saved := os.Args
			os.Args = append([]string{"ccbench"}, tc.args...)
			defer func() { os.Args = saved }()
			code, stdout, stderr := runCLI(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			if !strings.Contains(stdout+stderr, tc.out) {
				t.Errorf("output does not contain %q:\nstdout: %s\nstderr: %s", tc.out, stdout, stderr)
			}
		})
	}
}

func TestRenamedFlags(t *testing.T) {
	var warnings strings.Builder
	got := rewriteRenamed([]string{"ccbench", "simulate", "--listen", "127.0.0.1:1", "-token-file=/t", "--seed", "2", "--", "--listen"}, &warnings)
	want := []string{"ccbench", "simulate", "--web.listen-address", "127.0.0.1:1", "--token.file=/t", "--seed", "2", "--", "--listen"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rewriteRenamed = %q, want %q", got, want)
	}
	for _, w := range []string{"--listen is deprecated", "use --web.listen-address", "--token-file is deprecated"} {
		if !strings.Contains(warnings.String(), w) {
			t.Errorf("warnings %q do not say %q", warnings.String(), w)
		}
	}
	code, _, stderr := runCLI(t, "simulate", "--style", "sodra", "--days", "0", "--listen", "127.0.0.1:0")
	if code != exitUsage || !strings.Contains(stderr, "--days must be at least 1") {
		t.Errorf("simulate with --listen: exit %d, stderr %q; want the --days error, not an unknown flag", code, stderr)
	}
	if _, out, _ := runCLI(t, "simulate", "--help"); strings.Contains(out, "--listen") {
		t.Errorf("simulate --help shows the old --listen:\n%s", out)
	}
}

func TestEnvironmentVariables(t *testing.T) {
	t.Setenv("CCBENCH_LOG_LEVEL", "loud")
	if code, _, stderr := runCLI(t, "serve", "--config.file", "x.yaml"); code != exitUsage || !strings.Contains(stderr, "--log.level") {
		t.Errorf("CCBENCH_LOG_LEVEL=loud: exit %d, stderr %q; want 2 and a --log.level error", code, stderr)
	}
	os.Unsetenv("CCBENCH_LOG_LEVEL") // t.Setenv restores it
	t.Setenv("CCBENCH_SERVE_WEB_CONFIG_FILE", filepath.Join(t.TempDir(), "absent-web.yml"))
	t.Setenv("CCBENCH_CONFIG", "../../deploy/ccbench.yaml")
	if code, _, stderr := runCLI(t, "serve"); code != exitUsage || !strings.Contains(stderr, "absent-web.yml") {
		t.Errorf("CCBENCH_SERVE_WEB_CONFIG_FILE: exit %d, stderr %q; want 2 naming the file", code, stderr)
	}
}

// TestConventions checks what every command must have: an example in its
// help, and, for the long-running ones, an environment variable for every
// flag.
func TestConventions(t *testing.T) {
	longRunning := map[string]bool{"serve": true, "collect": true, "simulate": true, "demo": true}
	var walk func(path string, cmds []*cli.Command)
	walk = func(path string, cmds []*cli.Command) {
		for _, c := range cmds {
			name := path + " " + c.Name
			if !strings.Contains(c.Description, "Example:") {
				t.Errorf("%s: no Example in its help", name)
			}
			for _, f := range c.Flags {
				if !longRunning[c.Name] {
					break
				}
				df, ok := f.(cli.DocGenerationFlag)
				if !ok || len(df.GetEnvVars()) == 0 {
					t.Errorf("%s --%s: no environment variable", name, f.Names()[0])
					continue
				}
				for _, env := range df.GetEnvVars() {
					if !strings.HasPrefix(env, "CCBENCH_") {
						t.Errorf("%s --%s: environment variable %s does not start with CCBENCH_", name, f.Names()[0], env)
					}
				}
			}
			walk(name, c.Subcommands)
		}
	}
	walk("ccbench", newApp().Commands)
}
