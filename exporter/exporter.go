// Package exporter is `ccbench serve`: it computes every KPI of the
// catalogue for the configured institutions over the configured trailing
// windows, with the report package's query layer (the same computation as
// `ccbench compare`), and exposes the values with their numerators,
// denominators, sample sizes, confidence intervals and targets on /metrics
// for Prometheus, next to cumulative contact counters.
//
// Scrapes never wait on ClickHouse: a refresh loop queries the store in the
// background and swaps in a new snapshot; /metrics renders the last
// snapshot. A snapshot is built from parts, one per institution and window
// plus one per institution for the contact totals, so that one failing
// query does not freeze the others: a failed part is counted against its
// institution and serves its previous values for a bounded time, after
// which its series disappear rather than go on showing old figures.
//
// When ClickHouse is down (Options.ClickHouse does not answer a ping),
// every part fails but none is dropped: /metrics goes on answering from the
// last snapshot, ccbench_exporter_clickhouse_up says 0 and
// ccbench_exporter_data_age_seconds rises for every institution; the next
// refresh after ClickHouse returns serves fresh values, without a restart.
package exporter

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/model"
	"github.com/prometheus/common/version"

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

// Pinger checks that ClickHouse answers (the store does).
type Pinger interface {
	Ping(ctx context.Context) error
}

// Defaults of Options.
const (
	// DefaultConcurrency is how many parts of a refresh query the store at
	// the same time.
	DefaultConcurrency = 2
	// DefaultStaleIntervals is how many refresh intervals a failing part's
	// last values are served for before its series are dropped.
	DefaultStaleIntervals = 5
)

// Options configure an Exporter.
type Options struct {
	Config *config.Config
	// Reader is what report.Build reads the windowed KPIs from (the store).
	Reader report.Reader
	// Totals reads the cumulative contact counters.
	Totals TotalsQuerier
	// ClickHouse is pinged at every refresh for
	// ccbench_exporter_clickhouse_up; while it does not answer, no part
	// is dropped for staleness: the last snapshot is served. When nil,
	// ClickHouse counts as up when some part of the refresh succeeded.
	ClickHouse Pinger
	Logger     *slog.Logger     // default: discard
	Now        func() time.Time // default: time.Now
	// Version and Revision are reported in ccbench_build_info; they
	// default to prometheus/common/version's, set at build time.
	Version  string
	Revision string
	// Concurrency bounds the parts of a refresh that query the store at
	// the same time; default DefaultConcurrency.
	Concurrency int
	// MaxStaleness is how long, on the Now clock, a part that fails keeps
	// serving the values of its last success; after that its series are
	// dropped. Default: DefaultStaleIntervals × exporter.refresh_interval.
	MaxStaleness time.Duration
}

// part is one independently refreshed piece of a snapshot: the KPIs of
// one institution in one window, or (window zero) the institution's
// cumulative contact totals. A part that fails does not hold back the
// others.
type part struct {
	institution string
	window      time.Duration
}

func (p part) String() string {
	if p.window == 0 {
		return fmt.Sprintf("contact totals of institution %q", p.institution)
	}
	return fmt.Sprintf("KPIs of institution %q in window %s", p.institution, config.WindowLabel(model.Duration(p.window)))
}

// partValues is what a part contributed at its last success.
type partValues struct {
	rows   []windowRow
	totals []totalCounts
	at     time.Time // the Now clock of the refresh that produced them
}

// Exporter refreshes KPI snapshots and serves them to Prometheus.
type Exporter struct {
	cfg         *config.Config
	reader      report.Reader
	totals      TotalsQuerier
	clickhouse  Pinger
	logger      *slog.Logger
	now         func() time.Time
	version     string
	concurrency int
	maxStale    time.Duration

	registry  *prometheus.Registry
	collector *kpiCollector
	ready     atomic.Bool

	// mu serialises refreshes and guards parts, the values of every part
	// that succeeded within maxStale.
	// partsMu guards writes to parts, which the scrape-time data age
	// reads while a refresh runs.
	mu      sync.Mutex
	partsMu sync.Mutex
	parts   map[part]partValues
	// dropped holds when each part whose series were dropped last
	// succeeded, so that the data age goes on rising from it.
	dropped map[part]time.Time

	refreshes    prometheus.Counter
	errors       *prometheus.CounterVec
	lastSuccess  *prometheus.GaugeVec
	refreshTimer prometheus.Histogram
	clickhouseUp prometheus.Gauge
}

// New returns an Exporter with its own metric registry; it serves no KPI
// values until a Refresh has succeeded in part.
func New(opts Options) *Exporter {
	e := &Exporter{
		cfg:         opts.Config,
		reader:      opts.Reader,
		totals:      opts.Totals,
		clickhouse:  opts.ClickHouse,
		logger:      opts.Logger,
		now:         opts.Now,
		version:     opts.Version,
		concurrency: opts.Concurrency,
		maxStale:    opts.MaxStaleness,
		parts:       map[part]partValues{},
		dropped:     map[part]time.Time{},
	}
	if e.logger == nil {
		e.logger = slog.New(slog.DiscardHandler)
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.version == "" {
		e.version = cmp.Or(version.Version, "dev")
	}
	if e.concurrency <= 0 {
		e.concurrency = DefaultConcurrency
	}
	if e.maxStale <= 0 {
		e.maxStale = DefaultStaleIntervals * e.refreshInterval()
	}

	e.registry = prometheus.NewRegistry()
	e.collector = newKPICollector(targetMetrics(e.cfg))
	e.refreshes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ccbench_exporter_refreshes_total",
		Help: "KPI snapshot refreshes attempted.",
	})
	e.errors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ccbench_exporter_refresh_errors_total",
		Help: "Parts of KPI snapshot refreshes (an institution's KPIs in one window, or its contact totals) that failed; the part's previous values are served for a bounded time. An empty institution counts failures of the whole refresh.",
	}, []string{labelInstitution})
	e.lastSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ccbench_exporter_last_refresh_success_timestamp_seconds",
		Help: "Unix time of the last refresh in which every part of the institution (its KPIs in every window and its contact totals) succeeded; until one has, the time the exporter started.",
	}, []string{labelInstitution})
	e.refreshTimer = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "ccbench_exporter_refresh_duration_seconds",
		Help:    "Time a KPI snapshot refresh took, successful or not.",
		Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
	})
	e.clickhouseUp = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "ccbench_exporter_clickhouse_up",
		Help: "1 when ClickHouse answered at the last refresh, 0 when it did not; while it is 0 the last snapshot is served and ccbench_exporter_data_age_seconds rises.",
	})
	if e.cfg != nil {
		// Every institution's error series exists from the start, so
		// that rate() and increase() see its first failure.
		// Every institution's last-success series exists from the start
		// too, at the exporter's start time: an institution that never
		// completes a refresh (ClickHouse down when the exporter starts)
		// then goes stale like one that stopped, and `time() - last
		// success` alerts on it, instead of having no series to evaluate.
		// Wall time, as the refreshes set it: Prometheus compares it
		// with its own time(), whatever clock the KPI windows run on.
		started := float64(time.Now().UnixNano()) / 1e9
		for _, in := range e.cfg.Institutions {
			e.errors.WithLabelValues(in.ID)
			e.lastSuccess.WithLabelValues(in.ID).Set(started)
		}
	}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "ccbench_build_info",
		Help: "A metric with a constant '1' value labeled by version, revision, branch, goversion from which ccbench was built, and the goos and goarch for the build.",
		ConstLabels: prometheus.Labels{
			"version":   e.version,
			"revision":  cmp.Or(opts.Revision, version.GetRevision()),
			"branch":    version.Branch,
			"goversion": runtime.Version(),
			"goos":      runtime.GOOS,
			"goarch":    runtime.GOARCH,
			"tags":      version.GetTags(),
		},
	})
	buildInfo.Set(1)

	// The KPI series are not on the registry: the handler serves them from
	// the snapshot's cached encoding (see metricsHandler); Gatherer gathers
	// both.
	e.registry.MustRegister(
		e.refreshes, e.errors, e.lastSuccess, e.refreshTimer, buildInfo, e.clickhouseUp,
		dataAge{e},
		collectors.NewBuildInfoCollector(),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return e
}

// Registry is the registry of the exporter's own series (refreshes,
// errors, build info, Go and process metrics); callers may register more
// collectors on it. The KPI series are served beside it; Gatherer gathers
// both.
func (e *Exporter) Registry() *prometheus.Registry { return e.registry }

// Ready reports whether a refresh has succeeded, at least in part, yet.
func (e *Exporter) Ready() bool { return e.ready.Load() }

// Refresh takes one snapshot. It is made of parts, at most Concurrency of
// them querying the store at a time: for every institution and every
// configured window [now−w, now), the report of every KPI (every
// service-level method, open cases judged as of now), and for every
// institution the cumulative contact totals up to now. A part that
// succeeds replaces its previous values; a part that fails is counted
// against its institution and keeps its previous values while they are at
// most MaxStaleness old, after which its series disappear. The error joins
// the errors of every failed part.
func (e *Exporter) Refresh(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	start := time.Now()
	e.refreshes.Inc()
	defer func() { e.refreshTimer.Observe(time.Since(start).Seconds()) }()

	if e.cfg == nil || e.reader == nil || e.totals == nil {
		e.errors.WithLabelValues("").Inc()
		return errors.New("exporter: configuration, report reader and totals querier are required")
	}
	now := e.now()
	parts := e.partsOf()
	windows := make([]time.Duration, len(e.cfg.Exporter.Windows))
	for i, w := range e.cfg.Exporter.Windows {
		windows[i] = time.Duration(w)
	}
	outcomes := e.refreshParts(ctx, now, newRefreshReader(e.reader, e.cfg, now, windows), newRefreshTotals(e.totals, e.cfg, now), parts)
	down := e.clickHouseDown(ctx)

	var errs []error
	failed := map[string]bool{}
	succeeded := false
	for i, p := range parts {
		o := outcomes[i]
		if o.err == nil {
			e.setPart(p, o.values)
			succeeded = true
			continue
		}
		errs = append(errs, o.err)
		failed[p.institution] = true
		e.errors.WithLabelValues(p.institution).Inc()
		// While ClickHouse is down every part fails: the last snapshot
		// stays, and ccbench_exporter_data_age_seconds says how old it is.
		if old, ok := e.parts[p]; ok && !down && now.Sub(old.at) > e.maxStale {
			e.setPart(p, partValues{})
			e.logger.Warn("dropping the series of a part that has failed for too long",
				"part", p.String(), "last_success", old.at, "max_staleness", e.maxStale)
		}
	}

	snap := &snapshot{}
	for _, p := range parts {
		v := e.parts[p]
		snap.rows = append(snap.rows, v.rows...)
		snap.totals = append(snap.totals, v.totals...)
	}
	metrics, duplicates := e.collector.render(snap)
	if len(duplicates) > 0 {
		e.logger.Warn("KPI rows with the same labels; the first of each is served", "rows", duplicates)
	}
	snap.metrics = metrics
	e.collector.swap(snap)

	done := float64(time.Now().UnixNano()) / 1e9
	for _, in := range e.cfg.Institutions {
		if !failed[in.ID] {
			e.lastSuccess.WithLabelValues(in.ID).Set(done)
		}
	}
	if succeeded {
		e.ready.Store(true)
	}
	switch {
	case down, e.clickhouse == nil && !succeeded:
		e.clickhouseUp.Set(0)
	default:
		e.clickhouseUp.Set(1)
	}
	return errors.Join(errs...)
}

// partsOf lists the parts of a refresh in a stable order: per institution,
// its windows in configuration order, then its contact totals.
func (e *Exporter) partsOf() []part {
	var out []part
	for _, in := range e.cfg.Institutions {
		for _, w := range e.cfg.Exporter.Windows {
			out = append(out, part{institution: in.ID, window: time.Duration(w)})
		}
		out = append(out, part{institution: in.ID})
	}
	return out
}

// partOutcome is the result of refreshing one part.
type partOutcome struct {
	values partValues
	err    error
}

// refreshParts refreshes parts with at most e.concurrency at a time; the
// outcomes are in the order of parts.
func (e *Exporter) refreshParts(ctx context.Context, now time.Time, r report.Reader, t TotalsQuerier, parts []part) []partOutcome {
	out := make([]partOutcome, len(parts))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(e.concurrency, len(parts)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = e.refreshPart(ctx, now, r, t, parts[i])
			}
		}()
	}
	for i := range parts {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// refreshPart queries one part's values as of now.
func (e *Exporter) refreshPart(ctx context.Context, now time.Time, r report.Reader, t TotalsQuerier, p part) partOutcome {
	fail := func(err error) partOutcome { return partOutcome{err: fmt.Errorf("refresh: %s: %w", p, err)} }
	if err := ctx.Err(); err != nil {
		return fail(err) // the refresh timed out before this part began
	}
	values := partValues{at: now}
	if p.window == 0 {
		params := func(unit, channel string) kpi.Params { return e.cfg.Params(p.institution, unit, channel) }
		rows, err := t.ContactTotals(ctx, p.institution, now, params)
		if err != nil {
			return fail(err)
		}
		for _, g := range mergeGroups(rows) {
			values.totals = append(values.totals, totalCounts{institution: p.institution, unit: g.Unit, channel: g.Channel, counts: g.Counts})
		}
		return partOutcome{values: values}
	}
	rep, err := report.Build(ctx, e.cfg, r, windowQuery(now, p.window, p.institution))
	if err != nil {
		return fail(err)
	}
	label := config.WindowLabel(model.Duration(p.window))
	for _, r := range rep.Rows {
		if exported(r) {
			values.rows = append(values.rows, windowRow{window: label, row: r})
		}
	}
	return partOutcome{values: values}
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
	ticker := time.NewTicker(e.refreshInterval())
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
		timeout = config.DefaultRefreshTimeout
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	if err := e.Refresh(rctx); err != nil {
		if ctx.Err() != nil {
			return // shutting down
		}
		e.logger.Error("KPI refresh failed in part; the failed parts serve their previous values for a while", "err", err, "duration", time.Since(start))
		return
	}
	e.logger.Debug("KPI snapshot refreshed", "duration", time.Since(start))
}

// refreshInterval is exporter.refresh_interval, config's default when
// unset (a Config not made by config.Parse).
func (e *Exporter) refreshInterval() time.Duration {
	if e.cfg != nil && e.cfg.Exporter.RefreshInterval > 0 {
		return time.Duration(e.cfg.Exporter.RefreshInterval)
	}
	return config.DefaultRefreshInterval
}

// pingTimeout bounds the ping that tells whether ClickHouse is up.
const pingTimeout = 5 * time.Second

// clickHouseDown reports whether ClickHouse fails to answer a ping; false
// without a Pinger.
func (e *Exporter) clickHouseDown(ctx context.Context) bool {
	if e.clickhouse == nil {
		return false
	}
	// A refresh that ran out of time is no sign that ClickHouse is down:
	// the ping gets its own few seconds.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pingTimeout)
	defer cancel()
	if err := e.clickhouse.Ping(ctx); err != nil {
		e.logger.Warn("ClickHouse does not answer; serving the last snapshot", "err", err)
		return true
	}
	return false
}

// dataAgeDesc describes ccbench_exporter_data_age_seconds.
var dataAgeDesc = prometheus.NewDesc(
	"ccbench_exporter_data_age_seconds",
	"Age, at scrape time, of the oldest data served for the institution: seconds since the last successful refresh of its least recently refreshed part, including a part whose series were dropped. Rises while ClickHouse is down.",
	[]string{labelInstitution}, nil,
)

// dataAge computes ccbench_exporter_data_age_seconds at every scrape, on
// the exporter's Now clock, so that it rises between refreshes.
type dataAge struct{ e *Exporter }

func (d dataAge) Describe(ch chan<- *prometheus.Desc) { ch <- dataAgeDesc }

func (d dataAge) Collect(ch chan<- prometheus.Metric) {
	oldest := d.e.oldestParts()
	now := d.e.now()
	for _, in := range sortedKeys(oldest) {
		ch <- prometheus.MustNewConstMetric(dataAgeDesc, prometheus.GaugeValue, now.Sub(oldest[in]).Seconds(), in)
	}
}

// setPart records a part's values; zero values drop its series, and
// remember when it last succeeded.
func (e *Exporter) setPart(p part, v partValues) {
	e.partsMu.Lock()
	defer e.partsMu.Unlock()
	if v.at.IsZero() {
		if old, ok := e.parts[p]; ok {
			e.dropped[p] = old.at
		}
		delete(e.parts, p)
		return
	}
	delete(e.dropped, p)
	e.parts[p] = v
}

// oldestParts returns, per institution with values served or dropped, when
// its least recently refreshed part last succeeded.
func (e *Exporter) oldestParts() map[string]time.Time {
	e.partsMu.Lock()
	defer e.partsMu.Unlock()
	out := map[string]time.Time{}
	older := func(institution string, at time.Time) {
		if old, ok := out[institution]; !ok || at.Before(old) {
			out[institution] = at
		}
	}
	for p, v := range e.parts {
		older(p.institution, v.at)
	}
	for p, at := range e.dropped {
		older(p.institution, at)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
