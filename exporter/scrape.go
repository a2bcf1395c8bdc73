package exporter

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// encodedSnapshot caches, per exposition format, the encoding of one
// snapshot's KPI series and the targets, so that a scrape encodes only the
// exporter's own few series: a snapshot of many institutions holds tens of
// thousands of series, and scrapes between two refreshes would otherwise
// gather and encode them again each time.
type encodedSnapshot struct {
	mu      sync.Mutex
	formats map[expfmt.Format][]byte
}

// snapshotSeries is a collector of one snapshot's series and the targets.
type snapshotSeries struct {
	c *kpiCollector
	s *snapshot
}

func (s snapshotSeries) Describe(ch chan<- *prometheus.Desc) { s.c.Describe(ch) }

func (s snapshotSeries) Collect(ch chan<- prometheus.Metric) {
	if s.s != nil {
		for _, m := range s.s.metrics {
			ch <- m
		}
	}
	for _, m := range s.c.targets {
		ch <- m
	}
}

// encoded returns the KPI series of the current snapshot in format,
// without an OpenMetrics end marker.
func (c *kpiCollector) encoded(format expfmt.Format) ([]byte, error) {
	s := c.current.Load()
	cache := &c.noSnapshot
	if s != nil {
		cache = &s.encoded
	}
	cache.mu.Lock()
	defer cache.mu.Unlock()
	if b, ok := cache.formats[format]; ok {
		return b, nil
	}
	reg := prometheus.NewRegistry()
	if err := reg.Register(snapshotSeries{c: c, s: s}); err != nil {
		return nil, err
	}
	families, err := reg.Gather()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, format)
	for _, mf := range families {
		if err := enc.Encode(mf); err != nil {
			return nil, err
		}
	}
	if cache.formats == nil {
		cache.formats = map[expfmt.Format][]byte{}
	}
	cache.formats[format] = buf.Bytes()
	return buf.Bytes(), nil
}

// metricsHandler serves /metrics: the exporter's own series gathered now,
// then the KPI series of the last snapshot, encoded once per snapshot and
// format.
func (e *Exporter) metricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		format := expfmt.NegotiateIncludingOpenMetrics(r.Header)
		body, err := e.scrape(format)
		if err != nil {
			e.logger.Error("serving metrics", "err", err)
			http.Error(w, "error gathering metrics: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", string(format))
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			gz := gzip.NewWriter(w)
			defer gz.Close()
			gz.Write(body)
			return
		}
		w.Write(body)
	})
}

// scrape renders one scrape in format.
func (e *Exporter) scrape(format expfmt.Format) ([]byte, error) {
	live, err := e.registry.Gather()
	if err != nil {
		return nil, fmt.Errorf("gather: %w", err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, format)
	for _, mf := range live {
		if err := enc.Encode(mf); err != nil {
			return nil, fmt.Errorf("encode %s: %w", mf.GetName(), err)
		}
	}
	kpis, err := e.collector.encoded(format)
	if err != nil {
		return nil, fmt.Errorf("encode the KPI snapshot: %w", err)
	}
	buf.Write(kpis)
	if closer, ok := enc.(expfmt.Closer); ok {
		if err := closer.Close(); err != nil { // the OpenMetrics end marker
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

// Gatherer gathers every series the exporter serves: its own and the KPI
// snapshot's.
func (e *Exporter) Gatherer() prometheus.Gatherer {
	kpis := prometheus.NewRegistry()
	kpis.MustRegister(e.collector)
	return prometheus.Gatherers{e.registry, kpis}
}
