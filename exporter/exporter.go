// Package exporter is `ccbench serve`: it computes every KPI of the
// catalogue for the configured institutions over the configured trailing
// windows, with the report package's query layer (the same computation as
// `ccbench compare`), and exposes the values with their numerators,
// denominators, sample sizes, confidence intervals and targets on /metrics
// for Prometheus, next to cumulative contact counters.
//
// Scrapes never wait on ClickHouse: a refresh loop queries the store in the
// background and swaps in a new snapshot; /metrics renders the last
// snapshot. A failed refresh keeps the previous snapshot and is counted.
package exporter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sort"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/report"
)

// GroupCounts are the contact counts of one unit and channel of an
// institution.
type GroupCounts struct {
	Unit, Channel string
	Counts        kpi.ContactCounts
}

// TotalsQuerier reads the cumulative contact counts behind the
// ccbench_contacts_*_total counters. params gives the KPI parameters
// (thresholds, short-abandon and long-wait limits) of each unit and channel.
type TotalsQuerier interface {
	// ContactTotals returns the counts of every contact of institution that
	// arrived before upTo, one row per unit and channel.
	ContactTotals(ctx context.Context, institution string, upTo time.Time, params func(unit, channel string) kpi.Params) ([]GroupCounts, error)
}

// Options configure an Exporter.
type Options struct {
	Config *config.Config
	// Reader is what report.Build reads the windowed KPIs from (the store).
	Reader report.Reader
	// Totals reads the cumulative contact counters.
	Totals TotalsQuerier
	Logger *slog.Logger     // default: discard
	Now    func() time.Time // default: time.Now
	// Version and Revision are reported in ccbench_build_info; Version
	// defaults to "dev".
	Version  string
	Revision string
}

// Exporter refreshes KPI snapshots and serves them to Prometheus.
type Exporter struct {
	cfg     *config.Config
	reader  report.Reader
	totals  TotalsQuerier
	logger  *slog.Logger
	now     func() time.Time
	version string

	registry  *prometheus.Registry
	collector *kpiCollector
	ready     atomic.Bool

	refreshes    prometheus.Counter
	errors       prometheus.Counter
	lastSuccess  prometheus.Gauge
	refreshTimer prometheus.Histogram
}

// New returns an Exporter with its own metric registry; it serves no KPI
// values until the first successful Refresh.
func New(opts Options) *Exporter {
	e := &Exporter{
		cfg:     opts.Config,
		reader:  opts.Reader,
		totals:  opts.Totals,
		logger:  opts.Logger,
		now:     opts.Now,
		version: opts.Version,
	}
	if e.logger == nil {
		e.logger = slog.New(slog.DiscardHandler)
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.version == "" {
		e.version = "dev"
	}

	e.registry = prometheus.NewRegistry()
	e.collector = newKPICollector(targetMetrics(e.cfg))
	e.refreshes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ccbench_exporter_refreshes_total",
		Help: "KPI snapshot refreshes attempted.",
	})
	e.errors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ccbench_exporter_refresh_errors_total",
		Help: "KPI snapshot refreshes that failed; the previous snapshot stayed in place.",
	})
	e.lastSuccess = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "ccbench_exporter_last_refresh_success_timestamp_seconds",
		Help: "Unix time of the last successful KPI snapshot refresh.",
	})
	e.refreshTimer = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "ccbench_exporter_refresh_duration_seconds",
		Help:    "Time a KPI snapshot refresh took, successful or not.",
		Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
	})
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "ccbench_build_info",
		Help:        "A metric with a constant '1' value labelled by the version, revision and Go version ccbench was built from.",
		ConstLabels: prometheus.Labels{"version": e.version, "revision": opts.Revision, "goversion": runtime.Version()},
	})
	buildInfo.Set(1)

	e.registry.MustRegister(
		e.collector,
		e.refreshes, e.errors, e.lastSuccess, e.refreshTimer, buildInfo,
		collectors.NewBuildInfoCollector(),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return e
}

// Registry is the exporter's metric registry; callers may register more
// collectors on it.
func (e *Exporter) Registry() *prometheus.Registry { return e.registry }

// Ready reports whether a refresh has succeeded yet.
func (e *Exporter) Ready() bool { return e.ready.Load() }

// Refresh takes one snapshot: for every configured window [now−w, now) it
// builds the report of every KPI of every institution (every service-level
// method, open cases judged as of now), and it queries the cumulative
// contact totals up to now. The new snapshot replaces the old one only when
// every query succeeded.
func (e *Exporter) Refresh(ctx context.Context) (err error) {
	start := time.Now()
	e.refreshes.Inc()
	defer func() {
		e.refreshTimer.Observe(time.Since(start).Seconds())
		if err != nil {
			e.errors.Inc()
		}
	}()

	if e.cfg == nil || e.reader == nil || e.totals == nil {
		return errors.New("exporter: configuration, report reader and totals querier are required")
	}
	now := e.now()
	snap := &snapshot{}
	for _, w := range e.cfg.Exporter.Windows {
		label := config.WindowLabel(w)
		rep, err := report.Build(ctx, e.cfg, e.reader, report.Query{
			From:       now.Add(-time.Duration(w)),
			To:         now,
			Exact:      true,
			AllMethods: true,
			AsOf:       now,
		})
		if err != nil {
			return fmt.Errorf("refresh: KPIs in window %s: %w", label, err)
		}
		for _, r := range rep.Rows {
			if exported(r) {
				snap.rows = append(snap.rows, windowRow{window: label, row: r})
			}
		}
	}
	for _, in := range e.cfg.Institutions {
		params := func(unit, channel string) kpi.Params { return e.cfg.Params(in.ID, unit, channel) }
		rows, err := e.totals.ContactTotals(ctx, in.ID, now, params)
		if err != nil {
			return fmt.Errorf("refresh: contact totals of institution %q: %w", in.ID, err)
		}
		for _, g := range mergeGroups(rows) {
			snap.totals = append(snap.totals, totalCounts{institution: in.ID, unit: g.Unit, channel: g.Channel, counts: g.Counts})
		}
	}
	metrics, duplicates := e.collector.render(snap)
	if len(duplicates) > 0 {
		e.logger.Warn("KPI rows with the same labels; the first of each is served", "rows", duplicates)
	}
	snap.metrics = metrics
	e.collector.swap(snap)
	e.lastSuccess.Set(float64(time.Now().UnixNano()) / 1e9)
	e.ready.Store(true)
	return nil
}

// mergeGroups adds up rows of the same unit and channel, so that every
// label set is emitted once, and sorts them for a stable output.
func mergeGroups(rows []GroupCounts) []GroupCounts {
	type key struct{ unit, channel string }
	idx := map[key]int{}
	var out []GroupCounts
	for _, r := range rows {
		k := key{r.Unit, r.Channel}
		if i, ok := idx[k]; ok {
			out[i].Counts = out[i].Counts.Add(r.Counts)
			continue
		}
		idx[k] = len(out)
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Unit != out[j].Unit {
			return out[i].Unit < out[j].Unit
		}
		return out[i].Channel < out[j].Channel
	})
	return out
}

// Run refreshes at once and then every exporter.refresh_interval, each
// refresh bounded by exporter.refresh_timeout, until ctx is done; then it
// returns nil. Failed refreshes are logged and counted, never fatal.
func (e *Exporter) Run(ctx context.Context) error {
	interval := time.Duration(e.cfg.Exporter.RefreshInterval)
	if interval <= 0 {
		interval = 30 * time.Second
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		e.refreshWithTimeout(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

func (e *Exporter) refreshWithTimeout(ctx context.Context) {
	timeout := time.Duration(e.cfg.Exporter.RefreshTimeout)
	if timeout <= 0 {
		timeout = 25 * time.Second
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	if err := e.Refresh(rctx); err != nil {
		if ctx.Err() != nil {
			return // shutting down
		}
		e.logger.Error("KPI refresh failed; serving the previous snapshot", "err", err, "duration", time.Since(start))
		return
	}
	e.logger.Debug("KPI snapshot refreshed", "duration", time.Since(start))
}
