package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ccbench/ccbench/servers"
	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/store"
)

// secret returns a random value no process would print by chance.
func secret(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

// buildBinary builds ccbench into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ccbench")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// leakScanner collects every text a secret must not appear in.
type leakScanner struct {
	t       *testing.T
	secrets map[string]string // value → what it is
	texts   map[string]string // where → text
}

func (s *leakScanner) add(where, text string) { s.texts[where] += text }

// scanArgv adds the command line of every process on the machine that we
// may read: a secret passed as an argument shows there.
func (s *leakScanner) scanArgv(when string) {
	paths, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	n := 0
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil || len(b) == 0 {
			continue
		}
		n++
		s.add("argv "+when+" "+p, strings.ReplaceAll(string(b), "\x00", " ")+"\n")
	}
	if n == 0 {
		s.t.Errorf("%s: no /proc/*/cmdline readable", when)
	}
}

// check reports every secret found anywhere.
func (s *leakScanner) check() {
	s.t.Helper()
	total := 0
	for _, text := range s.texts {
		total += len(text)
	}
	s.t.Logf("scanned %d texts (%d bytes) for %d secrets", len(s.texts), total, len(s.secrets))
	for where, text := range s.texts {
		for value, what := range s.secrets {
			if i := strings.Index(text, value); i >= 0 {
				line := text[strings.LastIndex(text[:i], "\n")+1:]
				if j := strings.IndexByte(line, '\n'); j >= 0 {
					line = line[:j]
				}
				s.t.Errorf("the %s leaks in %s: %q", what, where, line)
			}
		}
	}
}

// child is a ccbench process started by the test with extra environment.
type child struct {
	name string
	cmd  *exec.Cmd
	out  *os.File
	done chan error
}

func startChild(t *testing.T, bin, name string, env []string, args ...string) *child {
	t.Helper()
	out, err := os.Create(filepath.Join(t.TempDir(), name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{name: name, cmd: cmd, out: out, done: make(chan error, 1)}
	go func() { c.done <- cmd.Wait() }()
	t.Cleanup(func() { c.stop(t) })
	return c
}

// stop sends SIGTERM and waits; it returns the child's output.
func (c *child) stop(t *testing.T) string {
	t.Helper()
	if c.cmd.ProcessState == nil {
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
			<-c.done
		}
	}
	b, _ := os.ReadFile(c.out.Name())
	return string(b)
}

// waitHTTP polls url until it answers with status want.
func waitHTTP(t *testing.T, url string, want int, c *child) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				return
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(c.out.Name())
			t.Fatalf("%s did not answer %d in 90 s (last %v); %s log:\n%s", url, want, err, c.name, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// clickHouseWithPassword starts a ClickHouse server with a user ccbench
// whose password is password, and returns it and the user's DSN.
func clickHouseWithPassword(t *testing.T, ctx context.Context, password string) (*servers.ClickHouse, string) {
	t.Helper()
	ch, logf := servertest.OwnClickHouse(t, ctx)
	// users.d is merged into users.xml when the server starts.
	users := fmt.Sprintf(`<?xml version="1.0"?>
<yandex><users><ccbench>
  <password>%s</password>
  <networks><ip>127.0.0.1</ip></networks>
  <profile>default</profile><quota>default</quota>
</ccbench></users></yandex>
`, password)
	if err := os.MkdirAll(filepath.Join(ch.Dir, "users.d"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ch.Dir, "users.d", "ccbench.xml"), []byte(users), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ch.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := ch.Restart(ctx, logf); err != nil {
		t.Fatal(err)
	}
	dsn := fmt.Sprintf("clickhouse://ccbench@%s/secrets", ch.Addr())
	if err := store.EnsureDatabase(ctx, dsn, password); err != nil {
		t.Fatalf("the password user does not work: %v", err)
	}
	return ch, dsn
}

// TestSecretsNeverShow runs simulate, collect and serve with known secret
// values (a ClickHouse password, a source token) given the documented way,
// in environment variables, plus runs with a wrong password and a wrong
// token that fail; then the demo. It scans every process's argv while they
// run, every line they logged or printed, and every scrape, for the
// secrets.
func TestSecretsNeverShow(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ClickHouse and ccbench processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin := buildBinary(t)
	password, token := secret(t, "chpw-"), secret(t, "token-")
	wrongPassword, wrongToken := secret(t, "wrongpw-"), secret(t, "wrongtoken-")
	scan := &leakScanner{t: t, texts: map[string]string{}, secrets: map[string]string{
		password: "ClickHouse password", token: "source token",
		wrongPassword: "wrong ClickHouse password", wrongToken: "wrong source token",
	}}
	defer scan.check()

	_, dsn := clickHouseWithPassword(t, ctx, password)
	simAddr := freeAddr(t)
	sim := startChild(t, bin, "simulate", []string{"CCBENCH_SIMULATOR_TOKEN=" + token},
		"simulate", "--style", "sodra", "--days", "1", "--web.listen-address", simAddr, "--log.level", "debug")
	waitHTTP(t, "http://"+simAddr+"/", http.StatusUnauthorized, sim)
	cfg := writeConfig(t, dsn, "http://"+simAddr)

	good := []string{"CCBENCH_CLICKHOUSE_PASSWORD=" + password, "CCBENCH_TEST_SODRA_TOKEN=" + token}
	t.Run("failures", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			env  []string
			args []string
			code int
		}{
			{"wrong password", []string{"CCBENCH_CLICKHOUSE_PASSWORD=" + wrongPassword}, []string{"schema", "migrate", "--config.file", cfg, "--clickhouse.wait", "1s", "--log.level", "debug"}, exitFailure},
			{"wrong token", []string{"CCBENCH_CLICKHOUSE_PASSWORD=" + password, "CCBENCH_TEST_SODRA_TOKEN=" + wrongToken}, []string{"collect", "--once", "--config.file", cfg, "--log.level", "debug"}, exitUsage},
		} {
			c := startChild(t, bin, tc.name, tc.env, tc.args...)
			select {
			case <-c.done:
			case <-time.After(2 * time.Minute):
				t.Fatalf("%s: still running after 2 minutes", tc.name)
			}
			out, _ := os.ReadFile(c.out.Name())
			if code := c.cmd.ProcessState.ExitCode(); code != tc.code {
				t.Errorf("%s: exit code %d, want %d; output:\n%s", tc.name, code, tc.code, out)
			}
			scan.add(tc.name+" output", string(out))
		}
	})

	collectAddr, serveAddr := freeAddr(t), freeAddr(t)
	collect := startChild(t, bin, "collect", good, "collect", "--config.file", cfg, "--web.listen-address", collectAddr, "--log.level", "debug")
	waitHTTP(t, "http://"+collectAddr+"/-/ready", http.StatusOK, collect)
	serve := startChild(t, bin, "serve", good, "serve", "--config.file", cfg, "--web.listen-address", serveAddr, "--log.level", "debug")
	waitHTTP(t, "http://"+serveAddr+"/-/ready", http.StatusOK, serve)
	scan.scanArgv("while collect, serve and simulate run")
	for _, u := range []string{"http://" + collectAddr, "http://" + serveAddr} {
		for _, path := range []string{"/metrics", "/"} {
			scan.add("scrape "+u+path, httpGet(t, u+path))
		}
	}
	if m := httpGet(t, "http://"+serveAddr+"/metrics"); !strings.Contains(m, "ccbench_contacts_offered_total{") {
		t.Errorf("the exporter serves no contact counters: the run did not collect anything, so the scan proves little:\n%.2000s", m)
	}
	for _, c := range []*child{serve, collect, sim} {
		scan.add(c.name+" log", c.stop(t))
	}

	t.Run("demo", func(t *testing.T) { demoSecrets(t, bin, scan) })
}

// demoSecrets runs the demo and adds its summary, its log, its children's
// logs, every process's argv and the scrapes of its metrics endpoints to
// the scan; the secrets are the source tokens the demo generated.
func demoSecrets(t *testing.T, bin string, scan *leakScanner) {
	dataDir := t.TempDir()
	cmd := exec.Command(bin, "demo", "--config.file", "../../deploy/ccbench.yaml", "--storage.path", dataDir, "--days", "1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "demo.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	}()

	// Read the summary up to its blank last line.
	var summary strings.Builder
	urls := map[string]string{}
	field := regexp.MustCompile(`^\s+(metrics|collector)\s+(\S+)`)
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(3 * time.Minute)
	for started := false; ; {
		var l string
		var ok bool
		select {
		case l, ok = <-lines:
		case <-deadline:
			b, _ := os.ReadFile(logPath)
			t.Fatalf("no demo summary in 3 minutes; log:\n%s", b)
		}
		if !ok {
			b, _ := os.ReadFile(logPath)
			t.Fatalf("demo ended before its summary; log:\n%s", b)
		}
		summary.WriteString(l + "\n")
		if m := field.FindStringSubmatch(l); m != nil {
			urls[m[1]] = m[2]
		}
		if strings.HasPrefix(l, "  simulator") {
			started = true
		} else if started && l == "" {
			break
		}
	}
	go func() {
		for range lines {
		}
	}()
	tokens, _ := filepath.Glob(filepath.Join(dataDir, "secrets", "*.token"))
	if len(tokens) == 0 {
		t.Fatal("the demo wrote no token files: nothing to look for")
	}
	for _, f := range tokens {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		scan.secrets[strings.TrimSpace(string(b))] = "demo token " + filepath.Base(f)
	}
	scan.add("demo summary", summary.String())
	scan.scanArgv("while the demo runs")
	if u, ok := urls["metrics"]; ok {
		scan.add("demo scrape "+u, httpGet(t, u))
	} else {
		t.Errorf("no metrics URL in the demo summary:\n%s", summary.String())
	}
	b, _ := os.ReadFile(logPath)
	scan.add("demo log", string(b))
	logs, _ := filepath.Glob(filepath.Join(dataDir, "logs", "*.log"))
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		scan.add("demo child log "+filepath.Base(l), string(b))
	}
	cfg, _ := os.ReadFile(filepath.Join(dataDir, "ccbench.yaml"))
	scan.add("demo configuration", string(cfg))
}
