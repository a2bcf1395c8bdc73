package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/exporter"
	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/report"
	"github.com/ccbench/ccbench/store"
)

const scaleDatabase = "bench_scale"

// institutionID names the i-th synthetic institution.
func institutionID(i int) string { return fmt.Sprintf("inst%03d", i) }

// scaleConfig is the configuration of n synthetic institutions.
func scaleConfig(n int) (*config.Config, error) {
	var ins []map[string]any
	for i := range n {
		ins = append(ins, map[string]any{"id": institutionID(i), "name": institutionID(i), "country": "LT", "timezone": "Europe/Vilnius"})
	}
	b, err := yaml.Marshal(map[string]any{
		"clickhouse":   map[string]any{"dsn": "clickhouse://127.0.0.1:9000/" + scaleDatabase},
		"exporter":     map[string]any{"windows": []string{"1h", "1d", "7d", "30d"}},
		"institutions": ins,
	})
	if err != nil {
		return nil, err
	}
	return config.Parse(b, "bench.yaml")
}

// scaleStore opens the scale database with n institutions (cfg, see
// scaleConfig): the first Institutions with Days days of data, the rest
// with ExporterDays, rolled up with cfg's thresholds and time zones, as a
// collector would.
func (r *run) scaleStore(ctx context.Context, cfg *config.Config, have *int) (*store.Store, error) {
	st, _, err := r.openStore(ctx, scaleDatabase)
	if err != nil {
		return nil, err
	}
	st.SetParams(cfg.Params)
	st.SetZones(cfg.Zone)
	st.SetSecondsHorizon(cfg.Exporter.SecondsHorizon(), r.o.Now)
	n := len(cfg.Institutions)
	cal, err := kpi.NewCalendar("LT")
	if err != nil {
		return nil, err
	}
	now := r.o.Now()
	if *have == 0 {
		if err := st.LoadCalendar(ctx, cal.Days("LT", now.AddDate(-1, -1, 0), now.AddDate(0, 2, 0))); err != nil {
			return nil, err
		}
	}
	for ; *have < n; *have++ {
		days := r.o.Days
		if *have >= r.o.Institutions {
			days = r.o.ExporterDays
		}
		from := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -days)
		start := time.Now()
		rows, err := st.GenerateSynthetic(ctx, store.Synthetic{Institution: institutionID(*have), Source: "synthetic", From: from, Days: days, PerDay: r.o.PerDay})
		if err != nil {
			return nil, err
		}
		r.o.Logger.Info("generated", "institution", institutionID(*have), "contacts", rows, "took", time.Since(start).Round(time.Millisecond))
	}
	return st, nil
}

// compare times `compare` over the last year of the first Institutions
// institutions through the rollups and through the raw versions.
func (r *run) compare(ctx context.Context) error {
	cfg, err := scaleConfig(r.o.Institutions)
	if err != nil {
		return err
	}
	have := 0
	st, err := r.scaleStore(ctx, cfg, &have)
	if err != nil {
		return err
	}
	defer st.Close()
	r.haveScale = have
	rows, err := st.CountRows(ctx)
	if err != nil {
		return err
	}
	now := r.o.Now()
	to := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	q := report.Query{From: to.AddDate(0, 0, -r.o.Days), To: to, By: "total", AsOf: to}
	build := func(raw bool) (*report.Report, time.Duration, error) {
		q.Raw = raw
		start := time.Now()
		rep, err := report.Build(ctx, cfg, st, q)
		return rep, time.Since(start), err
	}
	build(false) // warm the caches the rollup path keeps (rollup state)
	rolled, rolledTook, err := build(false)
	if err != nil {
		return err
	}
	raw, rawTook, err := build(true)
	if err != nil {
		return err
	}
	same := "identical rows"
	if !reflect.DeepEqual(rolled.Rows, raw.Rows) {
		same = "ROWS DIFFER"
	}
	r.add(Figure{Section: "compare", What: fmt.Sprintf("`compare --by total`, %d days of %d institutions (%s contact versions), %s rows, %s",
		r.o.Days, r.o.Institutions, thousands(float64(rows)), thousands(float64(len(rolled.Rows))), same),
		Value: rolledTook.Round(time.Millisecond).String(), Baseline: "raw versions " + rawTook.Round(time.Millisecond).String(),
		Ratio:  ratio(rawTook.Seconds(), rolledTook.Seconds()) + " faster",
		Target: r.o.compareTarget(rolledTook.Seconds(), rawTook.Seconds()/rolledTook.Seconds(), same == "identical rows")})
	if same != "identical rows" {
		return fmt.Errorf("the rollups and the raw versions disagree")
	}
	return nil
}

// countingReader counts the store queries of a report.
type countingReader struct {
	report.Reader
	n *atomic.Int64
}

func (c countingReader) ContactCounts(ctx context.Context, q store.ContactQuery) ([]store.ContactRow, error) {
	c.n.Add(1)
	return c.Reader.ContactCounts(ctx, q)
}

func (c countingReader) WrittenCounts(ctx context.Context, q store.WrittenQuery) ([]store.WrittenRow, error) {
	c.n.Add(1)
	return c.Reader.WrittenCounts(ctx, q)
}

func (c countingReader) FeedbackCounts(ctx context.Context, q store.FeedbackQuery) ([]store.FeedbackRow, error) {
	c.n.Add(1)
	return c.Reader.FeedbackCounts(ctx, q)
}

func (c countingReader) Aggregates(ctx context.Context, institution string, from, to time.Time) ([]records.Aggregate, error) {
	c.n.Add(1)
	return c.Reader.Aggregates(ctx, institution, from, to)
}

func (c countingReader) Practices(ctx context.Context) ([]records.Practice, error) {
	c.n.Add(1)
	return c.Reader.Practices(ctx)
}

func (c countingReader) ReportedFigures(ctx context.Context, institutions []string) ([]records.ReportedFigure, error) {
	c.n.Add(1)
	return c.Reader.ReportedFigures(ctx, institutions)
}

// countingReader passes the exporter's multi-window reads on, counted.
func (c countingReader) ContactCountsWindowsAll(ctx context.Context, qs []store.ContactQuery, froms []time.Time) ([][][]store.ContactRow, error) {
	c.n.Add(1)
	return c.Reader.(exporter.WindowsReader).ContactCountsWindowsAll(ctx, qs, froms)
}

func (c countingReader) FeedbackCountsWindowsAll(ctx context.Context, qs []store.FeedbackQuery, froms []time.Time) ([][][]store.FeedbackRow, error) {
	c.n.Add(1)
	return c.Reader.(exporter.WindowsReader).FeedbackCountsWindowsAll(ctx, qs, froms)
}

func (c countingReader) WrittenCountsWindowsAll(ctx context.Context, qs []store.WrittenQuery, froms []time.Time) ([][][]store.WrittenRow, error) {
	c.n.Add(1)
	return c.Reader.(exporter.WindowsReader).WrittenCountsWindowsAll(ctx, qs, froms)
}

type countingTotals struct {
	exporter.ContactTotalsReader
	n *atomic.Int64
}

func (c countingTotals) ContactTotalsAll(ctx context.Context, institutions []string, upTo time.Time, params func(institution, unit, channel string) kpi.Params) ([][]store.ContactRow, error) {
	c.n.Add(1)
	return c.ContactTotalsReader.(exporter.ContactTotalsAllReader).ContactTotalsAll(ctx, institutions, upTo, params)
}

func (c countingTotals) ContactTotals(ctx context.Context, institution string, upTo time.Time, params func(unit, channel string) kpi.Params) ([]store.ContactRow, error) {
	c.n.Add(1)
	return c.ContactTotalsReader.ContactTotals(ctx, institution, upTo, params)
}

// exporter times one refresh of ExporterInstitutions institutions and then
// concurrent scrapes of the snapshot.
func (r *run) exporter(ctx context.Context) error {
	cfg, err := scaleConfig(r.o.ExporterInstitutions)
	if err != nil {
		return err
	}
	have := r.haveScale
	st, err := r.scaleStore(ctx, cfg, &have)
	if err != nil {
		return err
	}
	defer st.Close()
	var queries atomic.Int64
	var _ exporter.WindowsReader = countingReader{}
	e := exporter.New(exporter.Options{Config: cfg, Reader: countingReader{Reader: st, n: &queries},
		Totals: exporter.StoreTotals(countingTotals{ContactTotalsReader: st, n: &queries}), Now: r.o.Now})
	if err := e.Refresh(ctx); err != nil { // first refresh: rollup state is read and cached
		return err
	}
	queries.Store(0)
	statements := st.Statements()
	start := time.Now()
	if err := e.Refresh(ctx); err != nil {
		return err
	}
	took := time.Since(start)
	r.add(Figure{Section: "exporter", What: fmt.Sprintf("one refresh of %d institutions × %d windows (and their cumulative counters)", r.o.ExporterInstitutions, len(cfg.Exporter.Windows)),
		Value:    took.Round(time.Millisecond).String(),
		Baseline: fmt.Sprintf("%d KPI reads, %d ClickHouse queries", queries.Load(), st.Statements()-statements),
		Target:   r.o.refreshTarget(took.Seconds(), len(cfg.Exporter.Windows))})

	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	queries.Store(0)
	statements = st.Statements()
	lat, err := scrape(ctx, srv.URL+"/metrics", r.o.Scrapes, r.o.ScrapeConcurrency)
	if err != nil {
		return err
	}
	reads, sent := queries.Load(), st.Statements()-statements
	r.add(Figure{Section: "exporter", What: fmt.Sprintf("scrape latency, %d scrapes by %d concurrent clients; KPI reads and ClickHouse queries during scrapes: %d and %d",
		r.o.Scrapes, r.o.ScrapeConcurrency, reads, sent),
		Value: fmt.Sprintf("p50 %s, p99 %s", lat(0.50), lat(0.99)), Target: scrapeTarget(uint64(reads), sent)})
	return nil
}

// scrape GETs url n times from c clients and returns the latency quantile
// function.
func scrape(ctx context.Context, url string, n, c int) (func(q float64) time.Duration, error) {
	var (
		mu   sync.Mutex
		lats []time.Duration
		errs []error
		wg   sync.WaitGroup
		next atomic.Int64
	)
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				start := time.Now()
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				mu.Lock()
				lats = append(lats, time.Since(start))
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, errs[0]
	}
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	return func(q float64) time.Duration {
		return lats[min(len(lats)-1, int(q*float64(len(lats))))].Round(100 * time.Microsecond)
	}, nil
}
