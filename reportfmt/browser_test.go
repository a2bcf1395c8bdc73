package reportfmt

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ccbench/ccbench/report"
	"github.com/ccbench/ccbench/staffing"
)

// checkScript runs in the browser after the page is laid out and writes,
// into the DOM, what each chart rendered: its bars (with their laid-out
// size), labels, target lines, whiskers and staffing points. The report
// itself has no script; the test adds this one to a copy.
const checkScript = `<script>
(function () {
  var out = {charts: [], staffing: []};
  document.querySelectorAll("figure.chart").forEach(function (f) {
    var c = {id: f.id, bars: [], labels: [], targets: f.querySelectorAll("line.target-line").length,
      whiskers: f.querySelectorAll("g.whisker-group").length};
    f.querySelectorAll("rect.bar").forEach(function (b) {
      var r = b.getBoundingClientRect();
      c.bars.push({institution: b.getAttribute("data-institution"), width: r.width, height: r.height});
    });
    f.querySelectorAll("text.bar-label").forEach(function (t) {
      if (t.getBoundingClientRect().width > 0) { c.labels.push(t.textContent); }
    });
    out.charts.push(c);
  });
  document.querySelectorAll("figure.staffing-chart").forEach(function (f) {
    var n = f.querySelector("polyline.needed");
    out.staffing.push({id: f.id, needed: n.points.numberOfItems,
      implied: f.querySelector("polyline.implied").points.numberOfItems,
      width: n.getBoundingClientRect().width});
  });
  var pre = document.createElement("pre");
  pre.id = "ccbench-check";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>`

type rendered struct {
	Charts []struct {
		ID   string `json:"id"`
		Bars []struct {
			Institution string  `json:"institution"`
			Width       float64 `json:"width"`
			Height      float64 `json:"height"`
		} `json:"bars"`
		Labels   []string `json:"labels"`
		Targets  int      `json:"targets"`
		Whiskers int      `json:"whiskers"`
	} `json:"charts"`
	Staffing []struct {
		ID      string  `json:"id"`
		Needed  int     `json:"needed"`
		Implied int     `json:"implied"`
		Width   float64 `json:"width"`
	} `json:"staffing"`
}

// artifactDir is where the browser test leaves its report and screenshot,
// kept after the test: $CCBENCH_ARTIFACTS/<test name>, or
// <temp dir>/ccbench-artifacts/<test name>.
func artifactDir(t *testing.T) string {
	t.Helper()
	base := os.Getenv("CCBENCH_ARTIFACTS")
	if base == "" {
		base = filepath.Join(os.TempDir(), "ccbench-artifacts")
	}
	dir := filepath.Join(base, t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func chromium(t *testing.T, args ...string) []byte {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium not found (%v): install Debian's chromium package (deploy/setup.sh does)", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--window-size=1400,2000"}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

// weekPlan is a staffing what-if of two hours of the week.
func weekPlan(t *testing.T) staffing.WeekPlan {
	hours, aht, err := staffing.PlanWeek([]staffing.HourCounts{
		{Weekday: time.Monday, Hour: 9, Occurrences: 1, Offered: 200, ShortAbandoned: 0, AnsweredWithinT: 160, Handled: 200, HandleSumS: 36000},
		{Weekday: time.Friday, Hour: 15, Occurrences: 1, Offered: 100, AnsweredWithinT: 50, Handled: 100, HandleSumS: 18000},
	}, 0.95, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return staffing.WeekPlan{Institution: "vmi", Channel: "phone", Target: 0.95, Threshold: 20 * time.Second, AHT: aht, Hours: hours}
}

// TestHTMLInBrowser opens the fixture's HTML report in headless Chromium,
// saves a screenshot, and checks from the laid-out DOM that every chart
// rendered with the expected bars and labels.
func TestHTMLInBrowser(t *testing.T) {
	rep := fixture()
	rep.Comparisons = report.Compare(rep.Rows)
	var page bytes.Buffer
	if err := WriteHTML(&page, rep, Options{Staffing: []staffing.WeekPlan{weekPlan(t)}}); err != nil {
		t.Fatal(err)
	}
	// Self-contained: no script, and nothing loaded from elsewhere.
	for _, bad := range []string{"<script", "<link", " src=", "url(", "@import"} {
		if bytes.Contains(page.Bytes(), []byte(bad)) {
			t.Errorf("the report contains %q: it must be self-contained", bad)
		}
	}
	dir := artifactDir(t)
	reportPath := filepath.Join(dir, "report.html")
	if err := os.WriteFile(reportPath, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "report.png")
	chromium(t, "--screenshot="+shot, "file://"+reportPath)
	if st, err := os.Stat(shot); err != nil || st.Size() == 0 {
		t.Fatalf("no screenshot: %v", err)
	}
	t.Logf("screenshot: %s", shot)

	checked := filepath.Join(dir, "report-checked.html")
	withScript := strings.Replace(page.String(), "</body>", checkScript+"\n</body>", 1)
	if err := os.WriteFile(checked, []byte(withScript), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := chromium(t, "--dump-dom", "file://"+checked)
	m := regexp.MustCompile(`(?s)<pre id="ccbench-check">(.*?)</pre>`).FindSubmatch(dom)
	if m == nil {
		t.Fatalf("the check script left no result in the DOM:\n%.2000s", dom)
	}
	var got rendered
	if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &got); err != nil {
		t.Fatalf("decode %s: %v", m[1], err)
	}

	// From the fixture: service level measured by ind, sodra and vmi (one
	// target: sodra's); ASA by sodra and vmi; the favourable share by
	// sodra and vmi (vmi's target, a whisker each); the practice score by
	// ind.
	want := map[string]struct {
		institutions      []string
		targets, whiskers int
	}{
		"chart-service_level-phone-negative":        {[]string{"ind", "sodra", "vmi"}, 1, 0},
		"chart-asa_seconds-phone":                   {[]string{"sodra", "vmi"}, 0, 0},
		"chart-favourable_share-phone-post_contact": {[]string{"sodra", "vmi"}, 1, 2},
		"chart-practice_score":                      {[]string{"ind"}, 0, 0},
	}
	if len(got.Charts) != len(want) {
		t.Errorf("%d charts rendered, want %d: %+v", len(got.Charts), len(want), got.Charts)
	}
	for _, c := range got.Charts {
		w, ok := want[c.ID]
		if !ok {
			t.Errorf("unexpected chart %s", c.ID)
			continue
		}
		var insts []string
		for _, b := range c.Bars {
			insts = append(insts, b.Institution)
			if b.Width <= 0 || b.Height <= 0 {
				t.Errorf("%s: bar of %s not drawn (%v × %v)", c.ID, b.Institution, b.Width, b.Height)
			}
		}
		sort.Strings(c.Labels)
		if strings.Join(insts, ",") != strings.Join(w.institutions, ",") || strings.Join(c.Labels, ",") != strings.Join(w.institutions, ",") {
			t.Errorf("%s: bars %v, labels %v, want %v", c.ID, insts, c.Labels, w.institutions)
		}
		if c.Targets != w.targets || c.Whiskers != w.whiskers {
			t.Errorf("%s: %d target lines and %d whiskers, want %d and %d", c.ID, c.Targets, c.Whiskers, w.targets, w.whiskers)
		}
	}
	if len(got.Staffing) != 1 || got.Staffing[0].Needed != 168 || got.Staffing[0].Implied != 168 || got.Staffing[0].Width <= 0 {
		t.Errorf("staffing chart: %+v, want one with 168 points a line", got.Staffing)
	}
}
