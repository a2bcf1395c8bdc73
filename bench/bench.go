// Package bench is `ccbench bench`: it measures, in one run on one machine,
// the figures ccbench's performance claims rest on, each next to the
// baseline it is judged against, so that ratios hold however fast or loaded
// the machine is:
//
//   - ingest: the collector end to end from a local SODRA-style simulator
//     (rows/s and peak RSS of the `ccbench collect` process), the store's
//     sink alone, and clickhouse-client loading the same rows as CSV,
//     several times over (the machine's speed moves between runs), each
//     ratio taken within a run and reported as the median of the runs;
//   - KPI queries: `compare` over a year of N institutions from the
//     rollups and from the raw versions, with their results checked equal;
//   - the exporter: one refresh of M institutions × the configured windows,
//     with the ClickHouse queries it made, and scrape latency under
//     concurrent scrapes (which make no queries).
//
// It starts its own ClickHouse server in a temporary directory; bulk data
// for the scale figures is generated inside ClickHouse and rolled up through
// the same code path as collected batches (store.GenerateSynthetic).
package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/ccbench/ccbench/servers"
	"github.com/ccbench/ccbench/store"
)

// Options configure a run.
type Options struct {
	Executable string // the ccbench binary, for the collector child process
	Dir        string // working directory; a temporary one when empty

	// Scale figures: Institutions institutions with Days days of PerDay
	// contacts each (SODRA size is about 9,000 a day).
	Institutions int
	Days         int
	PerDay       int
	// ExporterInstitutions is how many institutions the exporter refreshes;
	// those beyond Institutions get ExporterDays days of data.
	ExporterInstitutions int
	ExporterDays         int
	// IngestDays and IngestScale size the SODRA-style simulator the
	// collector reads.
	IngestDays  int
	IngestScale float64
	// IngestRuns is how many times the ingest is measured, each time into
	// a new database; its figures are the medians.
	IngestRuns int
	// Scrapes concurrent scrapes of ScrapeConcurrency clients each.
	Scrapes           int
	ScrapeConcurrency int

	Logger *slog.Logger
	Now    func() time.Time
}

// DefaultOptions returns the options a run takes for every field left
// zero: the scale of the targets.
func DefaultOptions() Options {
	var o Options
	o.defaults()
	return o
}

// defaults sets every zero field of o to its default.
func (o *Options) defaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Institutions, 10)
	def(&o.Days, 365)
	def(&o.PerDay, 9000)
	def(&o.ExporterInstitutions, 100)
	def(&o.ExporterDays, 35)
	def(&o.IngestDays, 90)
	def(&o.IngestRuns, 3)
	def(&o.Scrapes, 200)
	def(&o.ScrapeConcurrency, 8)
	if o.IngestScale <= 0 {
		o.IngestScale = 1
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Figure is one measured figure next to its baseline.
type Figure struct {
	Section  string
	What     string
	Value    string
	Baseline string
	Ratio    string
	Target   string
}

// Report is the result of a run.
type Report struct {
	Figures []Figure
	Machine string
	Took    time.Duration
}

// Run measures everything; the figures come in the order of the package
// comment.
func Run(ctx context.Context, o Options) (*Report, error) {
	o.defaults()
	start := time.Now()
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "ccbench-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	logw, err := os.Create(filepath.Join(dir, "clickhouse.log"))
	if err != nil {
		return nil, err
	}
	defer logw.Close()
	ch, err := servers.StartClickHouse(ctx, filepath.Join(dir, "clickhouse"), logw)
	if err != nil {
		return nil, err
	}
	defer ch.Stop()
	r := &run{o: o, dir: dir, ch: ch, report: &Report{Machine: machine()}}
	for _, step := range []struct {
		name string
		f    func(context.Context) error
	}{
		{"ingest", r.ingest},
		{"compare", r.compare},
		{"exporter", r.exporter},
	} {
		o.Logger.Info("bench step", "step", step.name)
		if err := step.f(ctx); err != nil {
			return r.report, fmt.Errorf("%s: %w", step.name, err)
		}
	}
	r.report.Took = time.Since(start)
	return r.report, nil
}

// run is the state of one Run.
type run struct {
	o         Options
	dir       string
	ch        *servers.ClickHouse
	report    *Report
	haveScale int // synthetic institutions generated so far
}

func (r *run) add(f Figure) {
	r.o.Logger.Info("figure", "section", f.Section, "what", f.What, "value", f.Value, "baseline", f.Baseline, "ratio", f.Ratio)
	r.report.Figures = append(r.report.Figures, f)
}

// openStore opens (creating and migrating) a database of the bench server.
func (r *run) openStore(ctx context.Context, database string) (*store.Store, string, error) {
	dsn := r.ch.DSN(database)
	if err := store.EnsureDatabase(ctx, dsn, ""); err != nil {
		return nil, "", err
	}
	st, err := store.Open(ctx, dsn, "")
	if err != nil {
		return nil, "", err
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, "", err
	}
	return st, dsn, nil
}

// WriteMarkdown writes the report as a Markdown table.
func (rep *Report) WriteMarkdown(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "Machine: %s. The run took %s.\n\n", rep.Machine, rep.Took.Round(time.Second)); err != nil {
		return err
	}
	fmt.Fprintln(w, "| section | what | value | baseline | ratio | target |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, f := range rep.Figures {
		if _, err := fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", f.Section, f.What, f.Value, f.Baseline, f.Ratio, f.Target); err != nil {
			return err
		}
	}
	return nil
}

// machine describes the machine in one line.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				if _, v, ok := strings.Cut(name, ":"); ok {
					cpu = strings.TrimSpace(v)
				}
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.0f GiB RAM", float64(kb)/(1<<20))
		}
	}
	return fmt.Sprintf("%d CPUs (%s)%s, %s", runtime.NumCPU(), cpu, mem, runtime.Version())
}
