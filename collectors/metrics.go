package collectors

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the runner's own metrics, per source.
type Metrics struct {
	passes      *prometheus.CounterVec
	records     *prometheus.CounterVec
	quarantined *prometheus.CounterVec
	fetched     *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	lastSuccess *prometheus.GaugeVec
	ready       atomic.Bool
}

// NewMetrics creates the runner's metrics and registers them with reg (when
// not nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ccbench_collector_passes_total",
			Help: "Collection passes per source, by result (success or failure).",
		}, []string{"source", "result"}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ccbench_collector_records_total",
			Help: "Records (or aggregate rows) written per source.",
		}, []string{"source"}),
		quarantined: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ccbench_collector_quarantined_total",
			Help: "Records quarantined per source for breaking its contract.",
		}, []string{"source"}),
		fetched: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ccbench_collector_fetches_total",
			Help: "Pages or files fetched per source.",
		}, []string{"source"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ccbench_collector_pass_duration_seconds",
			Help:    "Duration of collection passes per source.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 9),
		}, []string{"source"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ccbench_collector_last_success_timestamp_seconds",
			Help: "Unix time of the last successful pass per source.",
		}, []string{"source"}),
	}
	if reg != nil {
		reg.MustRegister(m.passes, m.records, m.quarantined, m.fetched, m.duration, m.lastSuccess)
	}
	return m
}

func (m *Metrics) observe(source string, st Stats, err error, start, end time.Time) {
	if m == nil {
		return
	}
	result := "success"
	if err != nil {
		result = "failure"
	} else {
		m.lastSuccess.WithLabelValues(source).Set(float64(end.UnixNano()) / 1e9)
		m.ready.Store(true)
	}
	m.passes.WithLabelValues(source, result).Inc()
	m.records.WithLabelValues(source).Add(float64(st.Records))
	m.quarantined.WithLabelValues(source).Add(float64(st.Quarantined))
	m.fetched.WithLabelValues(source).Add(float64(st.Fetched))
	m.duration.WithLabelValues(source).Observe(end.Sub(start).Seconds())
}

// Ready reports whether a pass of some source has succeeded yet: the
// collector's /-/ready.
func (m *Metrics) Ready() bool { return m != nil && m.ready.Load() }
