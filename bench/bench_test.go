package bench

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestThousandsAndRatio(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0"}, {999.4, "999"}, {1000, "1,000"}, {422573.2, "422,573"}, {32850000, "32,850,000"},
	} {
		if got := thousands(tc.in); got != tc.want {
			t.Errorf("thousands(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := ratio(15076, 422573); got != "0.04×" {
		t.Errorf("ratio = %q, want 0.04×", got)
	}
	if got := ratio(1, 0); got != "–" {
		t.Errorf("ratio by zero = %q, want –", got)
	}
}

func TestWriteMarkdown(t *testing.T) {
	rep := &Report{Machine: "2 CPUs", Took: 90 * time.Second, Figures: []Figure{
		{Section: "compare", What: "a year", Value: "4.28s", Baseline: "raw 5m29s", Ratio: "76.90× faster", Target: "< 1 s"},
	}}
	var b strings.Builder
	if err := rep.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	want := "Machine: 2 CPUs. The run took 1m30s.\n\n| section | what | value | baseline | ratio | target |\n|---|---|---|---|---|---|\n" +
		"| compare | a year | 4.28s | raw 5m29s | 76.90× faster | < 1 s |\n"
	if b.String() != want {
		t.Errorf("markdown:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestOptionsDefaults(t *testing.T) {
	var o Options
	o.defaults()
	if o.Institutions != 10 || o.Days != 365 || o.PerDay != 9000 || o.ExporterInstitutions != 100 || o.IngestScale != 1 || o.IngestRuns != 3 || o.Now == nil {
		t.Errorf("defaults %+v: want the scale of the issue's targets", o)
	}
}

func TestMedianAndRatioRange(t *testing.T) {
	for _, tc := range []struct {
		in     []float64
		median float64
		ratios string
	}{
		{[]float64{0.3}, 0.3, "0.30×"},
		{[]float64{0.24, 0.19, 0.21}, 0.21, "0.21× (0.19-0.24×, 3 runs)"},
		{[]float64{0.5, 0.2, 0.4, 0.3}, 0.35, "0.35× (0.20-0.50×, 4 runs)"},
	} {
		if got := median(tc.in); got != tc.median {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.median)
		}
		if got := ratioRange(tc.in); got != tc.ratios {
			t.Errorf("ratioRange(%v) = %q, want %q", tc.in, got, tc.ratios)
		}
	}
}

func TestMedianLoad(t *testing.T) {
	load := func(rate float64, serverMS int) csvLoad {
		return csvLoad{rate: rate, rows: 1000, cost: cpuCost{server: time.Duration(serverMS) * time.Millisecond, measured: true}}
	}
	for _, tc := range []struct {
		loads []csvLoad
		want  csvLoad
	}{
		{[]csvLoad{load(300, 1)}, load(300, 1)},
		// The middle rate's own cost comes with it, not the middle cost.
		{[]csvLoad{load(390, 2), load(250, 3), load(300, 1)}, load(300, 1)},
		{[]csvLoad{load(200, 1), load(400, 2), load(300, 3), load(100, 4)}, load(300, 3)},
	} {
		in := slices.Clone(tc.loads)
		if got := medianLoad(tc.loads); got != tc.want {
			t.Errorf("medianLoad(%v) = %v, want %v", tc.loads, got, tc.want)
		}
		if !slices.Equal(in, tc.loads) {
			t.Errorf("medianLoad reordered its argument: %v, was %v", tc.loads, in)
		}
	}
}

func TestStatCPU(t *testing.T) {
	for _, tc := range []struct {
		name, stat string
		want       time.Duration
		ok         bool
	}{
		{"plain", "4242 (clickhouse-serv) S 1 4242 4242 0 -1 4194560 93 0 0 0 250 50 0 0 20 0 47 0 123 456 789", 3 * time.Second, true},
		{"a name with spaces and parentheses", "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 1 1 1", 30 * time.Millisecond, true},
		{"cut short", "7 (x) R 1 7 7 0", 0, false},
		{"not numbers", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 a b 0 0", 0, false},
	} {
		got, ok := statCPU(tc.stat)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: statCPU = %v, %v; want %v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

// TestReportIngestCPU checks the CPU figures of three runs against sums
// done by hand, and that they are left out when a run could not read the
// server's CPU time.
func TestReportIngestCPU(t *testing.T) {
	costs := func(collector, server, csvClient, csvServer time.Duration) ingestRun {
		return ingestRun{rows: 200000, // the sink writes as many rows as the collector
			collectCPU: cpuCost{client: collector, server: server, measured: true},
			csv:        csvLoad{rows: 100000, cost: cpuCost{client: csvClient, server: csvServer, measured: true}},
			sinkCPU:    cpuCost{client: time.Second / 5, server: time.Second, measured: true},
			rawCPU:     cpuCost{client: time.Second / 10, server: 3 * time.Second / 10, measured: true}}
	}
	runs := []ingestRun{
		costs(time.Second, 2*time.Second, time.Second/10, time.Second/5),    // 1.50 s per 100,000; CSV 0.30
		costs(time.Second, 3*time.Second, time.Second/10, time.Second/10),   // 2.00; CSV 0.20
		costs(time.Second/2, time.Second, time.Second/10, 3*time.Second/10), // 0.75; CSV 0.40
	}
	r := &run{o: Options{Logger: slog.New(slog.DiscardHandler)}, report: &Report{}}
	r.reportIngestCPU(runs)
	if len(r.report.Figures) != 3 {
		t.Fatalf("%d figures, want 3", len(r.report.Figures))
	}
	collect, sink, raw := r.report.Figures[0], r.report.Figures[1], r.report.Figures[2]
	if want := "1.50 s (a middle run: 0.50 + ClickHouse 1.00)"; collect.Value != want {
		t.Errorf("collector: %q, want %q", collect.Value, want)
	}
	if want := "clickhouse-client CSV 0.30 s (a middle run: 0.10 + ClickHouse 0.20)"; collect.Baseline != want {
		t.Errorf("baseline: %q, want %q", collect.Baseline, want)
	}
	// CSV over the collector per run: 0.30/1.50, 0.20/2.00, 0.40/0.75.
	if want := "0.20× (0.10-0.53×, 3 runs)"; collect.Ratio != want {
		t.Errorf("collector ratio: %q, want %q", collect.Ratio, want)
	}
	if want := "0.60 s (a middle run: 0.10 + ClickHouse 0.50)"; sink.Value != want {
		t.Errorf("sink: %q, want %q", sink.Value, want)
	}
	if want := "0.20 s (a middle run: 0.05 + ClickHouse 0.15)"; raw.Value != want {
		t.Errorf("raw versions only: %q, want %q", raw.Value, want)
	}
	// CSV over the raw versions per run: 0.30/0.20, 0.20/0.20, 0.40/0.20.
	if want := "1.50× (1.00-2.00×, 3 runs)"; raw.Ratio != want {
		t.Errorf("raw versions only ratio: %q, want %q", raw.Ratio, want)
	}

	for _, unmeasured := range []func(m *ingestRun){
		func(m *ingestRun) { m.csv.cost.measured = false },
		func(m *ingestRun) { m.rawCPU.measured = false },
	} {
		runs := slices.Clone(runs)
		unmeasured(&runs[1])
		r = &run{o: Options{Logger: slog.New(slog.DiscardHandler)}, report: &Report{}}
		r.reportIngestCPU(runs)
		if len(r.report.Figures) != 0 {
			t.Errorf("%d figures with a run unmeasured, want none", len(r.report.Figures))
		}
	}
}
