package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ccbench/ccbench/config"
)

// TestDemo runs the real `ccbench demo` as a user would, on a fresh data
// directory and then again on the same one, and checks what the Quick start
// promises: /metrics has service_level per institution and channel,
// Prometheus answers a query for it, a dashboard file exists, the written
// configuration works, and Ctrl-C stops every child.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole demo stack")
	}
	bin := filepath.Join(t.TempDir(), "ccbench")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dataDir := t.TempDir()
	for run := 1; run <= 2; run++ {
		t.Run(fmt.Sprintf("run%d", run), func(t *testing.T) { runDemo(t, bin, dataDir) })
	}
}

func runDemo(t *testing.T, bin, dataDir string) {
	cmd := exec.Command(bin, "demo", "--config.file", "../../deploy/ccbench.yaml", "--storage.path", dataDir, "--days", "3")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := os.Create(filepath.Join(t.TempDir(), "demo.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}()

	// The summary names the metrics and Prometheus URLs.
	summary := map[string]string{}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	field := regexp.MustCompile(`^\s+(metrics|prometheus|alertmanager|dashboards|config)\s+(\S+)`)
	deadline := time.After(3 * time.Minute)
	for len(summary) < 5 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("demo ended before printing its summary; log:\n%s", readFile(stderr.Name()))
			}
			if m := field.FindStringSubmatch(l); m != nil {
				summary[m[1]] = m[2]
			}
		case err := <-exited:
			t.Fatalf("demo exited: %v; log:\n%s", err, readFile(stderr.Name()))
		case <-deadline:
			t.Fatalf("no summary after 3 minutes; log:\n%s", readFile(stderr.Name()))
		}
	}
	go func() {
		for range lines {
		}
	}()

	// /metrics shows a service level for every institution with contact
	// data, per channel, once the collector's first pass is in.
	want := []string{`institution="sodra"`, `institution="vmi"`}
	waitFor(t, 4*time.Minute, func() error {
		body, err := get(summary["metrics"])
		if err != nil {
			return err
		}
		for _, w := range want {
			if !regexp.MustCompile(`(?m)^ccbench_service_level_ratio\{[^}]*` + regexp.QuoteMeta(w) + `[^}]*\} `).MatchString(body) {
				return fmt.Errorf("no ccbench_service_level_ratio sample with %s yet", w)
			}
		}
		if !strings.Contains(body, `channel="phone"`) || !strings.Contains(body, `channel="chat"`) {
			return fmt.Errorf("service level not broken down by channel")
		}
		return nil
	})

	// Prometheus answers a query for it.
	waitFor(t, 2*time.Minute, func() error {
		q := url.Values{"query": {`ccbench_service_level_ratio{institution="sodra",unit="contact-centre",channel="phone",method="negative",window="1d"}`}}
		body, err := get(summary["prometheus"] + "/api/v1/query?" + q.Encode())
		if err != nil {
			return err
		}
		var resp struct {
			Status string
			Data   struct {
				Result []struct {
					Value [2]any
				}
			}
		}
		if err := json.Unmarshal([]byte(body), &resp); err != nil {
			return err
		}
		if resp.Status != "success" || len(resp.Data.Result) != 1 {
			return fmt.Errorf("query result: %s", body)
		}
		v, _ := resp.Data.Result[0].Value[1].(string)
		var sl float64
		if _, err := fmt.Sscan(v, &sl); err != nil || sl < 0.85 || sl > 1 {
			return fmt.Errorf("SODRA phone service level %q, want near 0.95", v)
		}
		return nil
	})

	// Prometheus has loaded the generated rules and found Alertmanager.
	waitFor(t, time.Minute, func() error {
		rules, err := get(summary["prometheus"] + "/api/v1/rules")
		if err != nil {
			return err
		}
		if !strings.Contains(rules, `"CCBenchErrorBudgetBurn"`) || !strings.Contains(rules, `"CCBenchFeedStale"`) {
			return fmt.Errorf("rules not loaded: %.300s", rules)
		}
		ams, err := get(summary["prometheus"] + "/api/v1/alertmanagers")
		if err != nil {
			return err
		}
		if !strings.Contains(ams, strings.TrimPrefix(summary["alertmanager"], "http://")) {
			return fmt.Errorf("alertmanager %s not active in %s", summary["alertmanager"], ams)
		}
		_, err = get(summary["alertmanager"] + "/-/ready")
		return err
	})

	// A dashboard file, and a configuration the other commands accept.
	files, _ := filepath.Glob(filepath.Join(summary["dashboards"], "*.json"))
	if len(files) == 0 {
		t.Errorf("no dashboard JSON in %s", summary["dashboards"])
	}
	cfg, err := config.Load(summary["config"])
	if err != nil {
		t.Errorf("written configuration: %v", err)
	} else if !strings.Contains(cfg.DSN(), "127.0.0.1:") {
		t.Errorf("written configuration has DSN %q", cfg.DSN())
	}

	// Ctrl-C stops the demo and every child.
	if err := syscall.Kill(cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("demo exit after Ctrl-C: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("demo still running 60 s after Ctrl-C")
	}
	if out, _ := exec.Command("pgrep", "-f", dataDir).Output(); len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("processes still running on the data dir after Ctrl-C: %s", out)
	}
}

func waitFor(t *testing.T, timeout time.Duration, check func() error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var err error
	for {
		if err = check(); err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("after %s: %v", timeout, err)
		case <-time.After(time.Second):
		}
	}
}

func get(u string) (string, error) {
	resp, err := http.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s: %s", u, resp.Status, b)
	}
	return string(b), err
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 8000 {
		b = b[len(b)-8000:]
	}
	return string(b)
}
