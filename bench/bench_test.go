package bench

import (
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
