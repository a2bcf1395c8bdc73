package bench

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ccbench/ccbench/collectors"
	"github.com/ccbench/ccbench/collectors/collectorstest"
	collectorsodra "github.com/ccbench/ccbench/collectors/sodra"
	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/simulator/sodra"
	"github.com/ccbench/ccbench/store"
)

// ingest measures the collector end to end, the sink alone and
// clickhouse-client's CSV load of the same rows.
func (r *run) ingest(ctx context.Context) error {
	sim := sodra.New(sodra.Options{Seed: 1, Days: r.o.IngestDays, Scale: r.o.IngestScale, Now: r.o.Now})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	cache := &pageCache{next: sim.Handler(), pages: map[string][]byte{}}
	srv := &http.Server{Handler: cache, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	baseURL := "http://" + ln.Addr().String()
	// The simulator computes every page afresh, which takes longer than
	// the collector takes to store it: a first, untimed crawl fills the
	// cache, so that the timed run measures the collector reading a fast
	// local source.
	if err := crawl(ctx, baseURL); err != nil {
		return err
	}

	var runs []ingestRun
	for i := range r.o.IngestRuns {
		run, err := r.ingestOnce(ctx, fmt.Sprintf("bench_ingest_%d", i+1), baseURL, cache)
		if err != nil {
			return fmt.Errorf("run %d of %d: %w", i+1, r.o.IngestRuns, err)
		}
		r.o.Logger.Info("ingest run", "run", i+1, "collector", run.collect, "csv", run.csv.rate, "sink", run.sink, "batches", run.batches, "raw", run.raw)
		runs = append(runs, run)
	}
	r.reportIngest(runs)
	return nil
}

// ingestRun is what one run of the ingest measured, in rows per second
// but for the RSS and the bytes of pages served.
type ingestRun struct {
	rows                   int64
	collect, sink, batches float64
	csv                    csvLoad // its rows are the contacts only (rows also counts feedback)
	rssKB, pageBytes       int64
	collectCPU, sinkCPU    cpuCost
	raw                    float64 // the sink's contacts as raw versions only (rawRate)
	rawCPU                 cpuCost
}

// ingestOnce collects the simulator's pages from baseURL into a new
// database as `ccbench collect --once` does, then measures clickhouse-client
// loading the same rows as CSV and the store's sink writing as many.
func (r *run) ingestOnce(ctx context.Context, database, baseURL string, cache *pageCache) (ingestRun, error) {
	var m ingestRun
	st, dsn, err := r.openStore(ctx, database)
	if err != nil {
		return m, err
	}
	defer st.Close()
	cfgPath := filepath.Join(r.dir, database+".yaml")
	if err := writeIngestConfig(cfgPath, dsn, baseURL); err != nil {
		return m, err
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return m, err
	}
	// The sink's pass rolls up as the collector's does.
	st.SetParams(cfg.Params)
	st.SetZones(cfg.Zone)
	st.SetSecondsHorizon(cfg.Exporter.SecondsHorizon(), r.o.Now)

	meter := serverMeter{pid: r.ch.PID(), st: st}
	var took time.Duration
	m.collectCPU, err = meter.measure(ctx, func() (time.Duration, error) {
		cache.served.Store(0) // count the timed run's pages only
		start := time.Now()
		cmd := exec.CommandContext(ctx, r.o.Executable, "collect", "--config", cfgPath, "--once")
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			return 0, fmt.Errorf("ccbench collect --once: %w", err)
		}
		peak := watchPeakRSS(cmd.Process.Pid)
		err := cmd.Wait()
		took = time.Since(start)
		m.rssKB, m.pageBytes = peak(), cache.served.Load()
		if err != nil {
			return 0, fmt.Errorf("ccbench collect --once: %w\n%s", err, out.String())
		}
		return childCPU(cmd.ProcessState), nil
	})
	if err != nil {
		return m, err
	}
	rows, err := st.CountRows(ctx)
	if err != nil {
		return m, err
	}
	m.rows = int64(rows)
	m.collect = float64(rows) / took.Seconds()
	if m.csv, err = r.csvRate(ctx, database, meter); err != nil {
		return m, err
	}
	m.sink, m.batches, m.sinkCPU, err = r.sinkRate(ctx, st, int(rows), meter)
	if err != nil {
		return m, err
	}
	m.raw, m.rawCPU, err = r.rawRate(ctx, st, int(rows), meter)
	return m, err
}

// reportIngest adds the figures of the ingest runs: the median of each
// rate and of each ratio to the CSV rate of the same run, with the range
// of the ratios.
func (r *run) reportIngest(runs []ingestRun) {
	pick := func(f func(ingestRun) float64) []float64 {
		out := make([]float64, len(runs))
		for i, m := range runs {
			out[i] = f(m)
		}
		return out
	}
	csv := pick(func(m ingestRun) float64 { return m.csv.rate })
	baseline := "clickhouse-client CSV " + rate(median(csv))
	// figure adds a rate next to the CSV rate; minRatio, when not zero, is
	// its target.
	figure := func(what string, minRatio float64, f func(ingestRun) float64) Figure {
		ratios := pick(func(m ingestRun) float64 { return f(m) / m.csv.rate })
		fig := Figure{Section: "ingest", What: what, Value: rate(median(pick(f))), Baseline: baseline, Ratio: ratioRange(ratios)}
		if minRatio > 0 {
			fig.Target = r.o.ingestTarget(minRatio, median(ratios))
		}
		return fig
	}
	last := runs[len(runs)-1]
	r.add(figure(fmt.Sprintf("`ccbench collect --once`, %s contact and feedback versions from the local SODRA-style simulator (%d days)", thousands(float64(last.rows)), r.o.IngestDays),
		0.5, func(m ingestRun) float64 { return m.collect }))
	r.add(figure(fmt.Sprintf("store sink alone (a pass of `InsertContacts` in batches of %s, then `Finish`, which recounts the rollups)", thousands(collectors.BatchRows)),
		1, func(m ingestRun) float64 { return m.sink }))
	r.add(figure("the same pass's batches alone, before `Finish` (lookups, inserts and the crash-safe notes, with the recounts that ran ahead meanwhile)",
		0, func(m ingestRun) float64 { return m.batches }))
	r.add(figure("the same contacts written as raw versions only, in the same batches, with no rollup upkeep (no lookups, written cases, notes or recounts): the floor under the sink",
		0, func(m ingestRun) float64 { return m.raw }))
	r.reportIngestCPU(runs)
	peak := slices.Max(pick(func(m ingestRun) float64 { return float64(m.rssKB) }))
	r.add(Figure{Section: "ingest", What: fmt.Sprintf("peak RSS of the collector process, reading %.2f GB of pages (the largest of the runs)", float64(last.pageBytes)/1e9),
		Value: fmt.Sprintf("%.0f MB", peak/1024), Target: rssTarget(peak/1024, last.pageBytes)})
}

// reportIngestCPU adds the CPU time per 100,000 rows of the collector and
// of the sink next to the CSV load's, each with the ClickHouse server's
// share (its merges included), where the runs could read it: it shows
// where each step's cost goes, on the client or on the server. The ratio
// is the CSV load's CPU time over the step's, which is the rate ratio
// where both are bound by CPU alone. It moves with the machine's state
// too (docs/benchmarks.md, "CPU per row").
func (r *run) reportIngestCPU(runs []ingestRun) {
	for _, m := range runs {
		if !m.collectCPU.measured || !m.csv.cost.measured || !m.sinkCPU.measured || !m.rawCPU.measured {
			return
		}
	}
	csv := func(m ingestRun) (cpuCost, int64) { return m.csv.cost, m.csv.rows }
	baseline := "clickhouse-client CSV " + medianCost(runs, csv)
	for _, step := range []struct {
		what string
		cost func(ingestRun) (cpuCost, int64)
	}{
		{"CPU time per 100,000 rows of `ccbench collect --once`, the collector's + the ClickHouse server's (its merges included)",
			func(m ingestRun) (cpuCost, int64) { return m.collectCPU, m.rows }},
		{"CPU time per 100,000 rows of the sink's pass, the bench's + the ClickHouse server's (its merges included)",
			func(m ingestRun) (cpuCost, int64) { return m.sinkCPU, m.rows }}, // the sink writes as many rows
		{"CPU time per 100,000 rows of the same contacts as raw versions only, the bench's + the ClickHouse server's (its merges included)",
			func(m ingestRun) (cpuCost, int64) { return m.rawCPU, m.rows }},
	} {
		ratios := make([]float64, len(runs))
		for i, m := range runs {
			ratios[i] = perRows(csv(m)) / perRows(step.cost(m))
		}
		r.add(Figure{Section: "ingest", What: step.what, Value: medianCost(runs, step.cost), Baseline: baseline, Ratio: ratioRange(ratios)})
	}
}

// perRows is a cost's CPU time per 100,000 rows, in seconds.
func perRows(c cpuCost, rows int64) float64 { return c.total().Seconds() * 1e5 / float64(rows) }

// medianCost renders the median of the runs' costs per 100,000 rows, with
// the split of a middle run (the median run when they are odd in number).
func medianCost(runs []ingestRun, cost func(ingestRun) (cpuCost, int64)) string {
	sorted := slices.Clone(runs)
	slices.SortFunc(sorted, func(a, b ingestRun) int { return cmp.Compare(perRows(cost(a)), perRows(cost(b))) })
	totals := make([]float64, len(runs))
	for i, m := range runs {
		totals[i] = perRows(cost(m))
	}
	c, rows := cost(sorted[len(sorted)/2])
	split := func(d time.Duration) float64 { return d.Seconds() * 1e5 / float64(rows) }
	return fmt.Sprintf("%.2f s (a middle run: %.2f + ClickHouse %.2f)", median(totals), split(c.client), split(c.server))
}

// median returns the median of xs (the mean of the middle two when their
// number is even).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// ratioRange renders the median of ratios, and their range when there are
// several: "0.22× (0.19-0.24×, 3 runs)".
func ratioRange(ratios []float64) string {
	m := fmt.Sprintf("%.2f×", median(ratios))
	if len(ratios) < 2 {
		return m
	}
	return fmt.Sprintf("%s (%.2f-%.2f×, %d runs)", m, slices.Min(ratios), slices.Max(ratios), len(ratios))
}

// pageCache serves the answers of next from memory: the first answer (200)
// to each request URI is kept and served again to later requests.
type pageCache struct {
	next   http.Handler
	mu     sync.Mutex
	pages  map[string][]byte
	served atomic.Int64 // bytes of the bodies served
}

func (c *pageCache) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	key := req.URL.RequestURI()
	c.mu.Lock()
	body, ok := c.pages[key]
	c.mu.Unlock()
	if !ok {
		rec := httptest.NewRecorder()
		c.next.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		body = rec.Body.Bytes()
		c.mu.Lock()
		c.pages[key] = body
		c.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	n, _ := w.Write(body)
	c.served.Add(int64(n))
}

// crawl reads both listings of the SODRA-style source at baseURL, as a
// first pass of the collector reads them, keeping nothing.
func crawl(ctx context.Context, baseURL string) error {
	src := config.Source{Name: "sodra-bench", Style: config.StyleSODRA, Institution: "sodra", BaseURL: baseURL, PageSize: ingestPageSize}
	c, err := collectorsodra.New(src, config.Institution{ID: "sodra"}, nil, nil)
	if err != nil {
		return err
	}
	if _, err := c.Collect(ctx, discard{collectorstest.NewMemSink()}); err != nil {
		return fmt.Errorf("crawl the simulator: %w", err)
	}
	return nil
}

// discard is a sink that keeps checkpoints only.
type discard struct{ *collectorstest.MemSink }

func (discard) InsertContacts(context.Context, []records.Contact) error     { return nil }
func (discard) InsertFeedback(context.Context, []records.Feedback) error    { return nil }
func (discard) Quarantine(context.Context, []records.Quarantined) error     { return nil }
func (discard) InsertAggregates(context.Context, []records.Aggregate) error { return nil }

// ingestPageSize is the page size the collector asks for.
const ingestPageSize = 5000

// watchPeakRSS samples the peak resident set size (VmHWM, in kB) of the
// process pid every few milliseconds until the returned function is called,
// which returns the largest value seen. The rusage of a child is no
// measure of it on Linux: a child started by os/exec shares its parent's
// memory until it execs, and the kernel counts the parent's peak in the
// child's ru_maxrss, so it would report the benchmark's own memory (which
// holds the simulator and grows with the input).
func watchPeakRSS(pid int) func() int64 {
	var (
		mu   sync.Mutex
		peak int64
		done = make(chan struct{})
		stop = make(chan struct{})
	)
	sample := func() {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			return // gone, or not Linux
		}
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				var kb int64
				if _, err := fmt.Sscan(rest, &kb); err == nil {
					mu.Lock()
					peak = max(peak, kb)
					mu.Unlock()
				}
			}
		}
	}
	go func() {
		defer close(done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			sample()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 {
		close(stop)
		<-done
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// writeIngestConfig writes the configuration of one SODRA-style source.
func writeIngestConfig(path, dsn, baseURL string) error {
	cfg := map[string]any{
		"clickhouse":   map[string]any{"dsn": dsn},
		"institutions": []map[string]any{{"id": "sodra", "name": "SODRA", "country": "LT", "timezone": "Europe/Vilnius"}},
		"sources": []map[string]any{{"name": "sodra-bench", "style": "sodra", "institution": "sodra",
			"base_url": baseURL, "page_size": ingestPageSize}},
	}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// csvLoads is how many times each ingest run loads the CSV: the run's
// CSV rate is their median. On the machines measured here the same load,
// repeated back to back, took from 2.1 to 3.4 s (docs/benchmarks.md, "The
// CSV load's own noise"), which one load per run carried straight into
// every ratio.
const csvLoads = 3

// csvRate exports the collected contacts as CSV and times clickhouse-client
// loading them, csvLoads times, each into a new copy of the table, and
// returns the median load (medianLoad).
func (r *run) csvRate(ctx context.Context, database string, meter serverMeter) (csvLoad, error) {
	csv := filepath.Join(r.dir, "contacts.csv")
	if err := r.dumpCSV(ctx, database, csv); err != nil {
		return csvLoad{}, err
	}
	loads := make([]csvLoad, csvLoads)
	for i := range loads {
		var err error
		if loads[i], err = r.loadCSV(ctx, database, fmt.Sprintf("contacts_csv_%d", i+1), csv, meter); err != nil {
			return csvLoad{}, err
		}
	}
	return medianLoad(loads), nil
}

// csvLoad is what one CSV load measured: its rate, the rows it loaded and
// its CPU time.
type csvLoad struct {
	rate float64
	rows int64
	cost cpuCost
}

// medianLoad returns the load of the median rate (of the upper middle
// two when their number is even), so that the rate and the CPU time a run
// reports come from the same load.
func medianLoad(loads []csvLoad) csvLoad {
	sorted := slices.Clone(loads)
	slices.SortFunc(sorted, func(a, b csvLoad) int { return cmp.Compare(a.rate, b.rate) })
	return sorted[len(sorted)/2]
}

// clickhouseClient returns the clickhouse-client command that runs query
// in database on the bench's server.
func (r *run) clickhouseClient(ctx context.Context, database, query string) *exec.Cmd {
	port := r.ch.Addr()[strings.LastIndex(r.ch.Addr(), ":")+1:]
	return exec.CommandContext(ctx, "clickhouse-client", "--port", port, "--database", database, "--query", query)
}

// dumpCSV writes the database's contacts to the file path as CSV.
func (r *run) dumpCSV(ctx context.Context, database, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	dump := r.clickhouseClient(ctx, database, "SELECT * FROM contacts FORMAT CSV")
	var stderr strings.Builder
	dump.Stdout, dump.Stderr = f, &stderr
	if err := dump.Run(); err != nil {
		f.Close()
		return fmt.Errorf("export CSV: %w: %s", err, stderr.String())
	}
	return f.Close()
}

// loadCSV times clickhouse-client loading the CSV file csv into table, a
// new copy of contacts dropped once its rows are counted.
func (r *run) loadCSV(ctx context.Context, database, table, csv string, meter serverMeter) (csvLoad, error) {
	if out, err := r.clickhouseClient(ctx, database, "CREATE TABLE "+table+" AS contacts").CombinedOutput(); err != nil {
		return csvLoad{}, fmt.Errorf("create CSV table: %w: %s", err, out)
	}
	in, err := os.Open(csv)
	if err != nil {
		return csvLoad{}, err
	}
	defer in.Close()
	load := r.clickhouseClient(ctx, database, "INSERT INTO "+table+" FORMAT CSV")
	load.Stdin = in
	var took time.Duration
	cost, err := meter.measure(ctx, func() (time.Duration, error) {
		start := time.Now()
		if out, err := load.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("load CSV: %w: %s", err, out)
		}
		took = time.Since(start)
		return childCPU(load.ProcessState), nil
	})
	if err != nil {
		return csvLoad{}, err
	}
	var n int
	out, err := r.clickhouseClient(ctx, database, "SELECT count() FROM "+table).Output()
	if err != nil {
		return csvLoad{}, fmt.Errorf("count CSV rows: %w", err)
	}
	if _, err := fmt.Sscan(string(out), &n); err != nil {
		return csvLoad{}, err
	}
	// No copy stays: the next load and the sink find the server as the
	// first load did.
	if out, err := r.clickhouseClient(ctx, database, "DROP TABLE "+table).CombinedOutput(); err != nil {
		return csvLoad{}, fmt.Errorf("drop CSV table: %w: %s", err, out)
	}
	return csvLoad{rate: float64(n) / took.Seconds(), rows: int64(n), cost: cost}, nil
}

// sinkRate times a store pass writing n contacts of another institution,
// in batches of collectors.BatchRows, as a collector's pass does, up to and including
// its Finish, which recounts the rollups; and the same up to its last batch
// (the rate of the batches alone); and the pass's CPU time (this process's,
// which does nothing else meanwhile, and the server's).
func (r *run) sinkRate(ctx context.Context, st *store.Store, n int, meter serverMeter) (sink, batches float64, cost cpuCost, err error) {
	cs := syntheticRecords(n, r.o.Now(), time.Duration(r.o.IngestDays)*24*time.Hour)
	var took, written time.Duration
	cost, err = meter.measure(ctx, func() (time.Duration, error) {
		self0 := selfCPU()
		start := time.Now()
		p := st.BeginPass()
		if err := writeBatches(ctx, cs, p.InsertContacts); err != nil {
			return 0, err
		}
		written = time.Since(start)
		if err := p.Finish(ctx); err != nil {
			return 0, err
		}
		took = time.Since(start)
		return selfCPU() - self0, nil
	})
	if err != nil {
		return 0, 0, cost, err
	}
	return float64(len(cs)) / took.Seconds(), float64(len(cs)) / written.Seconds(), cost, nil
}

// rawRate times the sink's n contacts, under an institution of their own,
// written as raw versions only (store.Store.InsertContactsWithoutRollups)
// in the sink's batches: what the insert costs by itself, the floor under
// the sink's rate; and its CPU time as sinkRate measures it.
func (r *run) rawRate(ctx context.Context, st *store.Store, n int, meter serverMeter) (float64, cpuCost, error) {
	cs := syntheticRecords(n, r.o.Now(), time.Duration(r.o.IngestDays)*24*time.Hour)
	for i := range cs {
		cs[i].Institution = "sink-raw"
	}
	var took time.Duration
	cost, err := meter.measure(ctx, func() (time.Duration, error) {
		self0 := selfCPU()
		start := time.Now()
		if err := writeBatches(ctx, cs, st.InsertContactsWithoutRollups); err != nil {
			return 0, err
		}
		took = time.Since(start)
		return selfCPU() - self0, nil
	})
	if err != nil {
		return 0, cost, err
	}
	return float64(len(cs)) / took.Seconds(), cost, nil
}

// writeBatches writes cs with insert in batches of collectors.BatchRows, as
// a collector's pass does.
func writeBatches(ctx context.Context, cs []records.Contact, insert func(context.Context, []records.Contact) error) error {
	for i := 0; i < len(cs); i += collectors.BatchRows {
		if err := insert(ctx, cs[i:min(i+collectors.BatchRows, len(cs))]); err != nil {
			return err
		}
	}
	return nil
}

// syntheticRecords makes n answered phone and visit contacts arriving in
// order over the span before now (the simulator's days), as a backfill
// delivers them.
func syntheticRecords(n int, now time.Time, span time.Duration) []records.Contact {
	rnd := rand.New(rand.NewPCG(1, 2))
	out := make([]records.Contact, n)
	for i := range out {
		arrived := now.Add(-span + time.Duration(int64(span)/int64(n)*int64(i))).UTC()
		answered := arrived.Add(time.Duration(rnd.IntN(60000)) * time.Millisecond)
		ended := answered.Add(time.Duration(30+rnd.IntN(600)) * time.Second)
		channel := records.ChannelPhone
		if i%2 == 1 {
			channel = records.ChannelVisit
		}
		out[i] = records.Contact{Institution: "sink", Source: "sink", ID: fmt.Sprint(i), Version: 1, UpdatedAt: ended,
			Unit: "contact-centre", Channel: channel, Queue: "general", ArrivedAt: arrived, AnsweredAt: &answered, EndedAt: &ended,
			Outcome: records.OutcomeAnswered, TalkS: uint32(ended.Sub(answered).Seconds()), AcwS: 10,
			Measures: records.MeasureTalk | records.MeasureHold | records.MeasureACW, Origin: "bench"}
	}
	return out
}

func rate(perSecond float64) string { return fmt.Sprintf("%s rows/s", thousands(perSecond)) }

func ratio(a, b float64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// thousands renders a non-negative number rounded, with thousands
// separators.
func thousands(f float64) string {
	s := fmt.Sprintf("%.0f", f)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
