package exporter

import (
	"sort"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
)

// Label names of the KPI metrics.
const (
	labelInstitution = "institution"
	labelUnit        = "unit"
	labelChannel     = "channel"
	labelWindow      = "window"
	labelMethod      = "method"
	labelKPI         = "kpi"
	labelInstrument  = "instrument"
	labelDirection   = "direction"
)

// windowCounts are the counts of one group in one window.
type windowCounts struct {
	institution, unit, channel, window string
	counts                             kpi.ContactCounts
}

// totalCounts are the cumulative counts of one group.
type totalCounts struct {
	institution, unit, channel string
	counts                     kpi.ContactCounts
}

// snapshot is one refresh's result; it is never modified once swapped in.
type snapshot struct {
	windows []windowCounts
	totals  []totalCounts
	metrics []prometheus.Metric // rendered from windows and totals
}

// counterDef is one cumulative contact counter.
type counterDef struct {
	desc  *prometheus.Desc
	value func(kpi.ContactCounts) float64
}

// kpiCollector emits the KPI, numerator/denominator, counter and target
// metrics of the last snapshot. Collect never blocks on a refresh.
type kpiCollector struct {
	kpiDescs    map[kpi.ID]*prometheus.Desc
	numerator   *prometheus.Desc
	denominator *prometheus.Desc
	counters    []counterDef
	targetInfo  *prometheus.Desc
	targetDescs []*prometheus.Desc
	targets     []prometheus.Metric // static: they come from the configuration

	current atomic.Pointer[snapshot]
}

// contactKPIs lists the KPIs kpi.ContactCounts computes, in its order.
func contactKPIs() []kpi.ID {
	var ids []kpi.ID
	seen := map[kpi.ID]bool{}
	for _, v := range (kpi.ContactCounts{}).Values() {
		if !seen[v.KPI] {
			seen[v.KPI] = true
			ids = append(ids, v.KPI)
		}
	}
	return ids
}

func newKPICollector(targets func(c *kpiCollector) []prometheus.Metric) *kpiCollector {
	c := &kpiCollector{kpiDescs: map[kpi.ID]*prometheus.Desc{}}
	for _, id := range contactKPIs() {
		d := kpi.MustLookup(id)
		labels := []string{labelInstitution, labelUnit, labelChannel, labelWindow}
		if id == kpi.ServiceLevel {
			labels = append(labels, labelMethod)
		}
		c.kpiDescs[id] = prometheus.NewDesc(d.Metric, d.Help, labels, nil)
	}
	partLabels := []string{labelKPI, labelMethod, labelInstitution, labelUnit, labelChannel, labelWindow}
	c.numerator = prometheus.NewDesc("ccbench_kpi_numerator",
		"Numerator of a KPI in a window (method is empty except for service_level); roll KPIs up as sum(numerator) / sum(denominator).",
		partLabels, nil)
	c.denominator = prometheus.NewDesc("ccbench_kpi_denominator",
		"Denominator of a KPI in a window (method is empty except for service_level); roll KPIs up as sum(numerator) / sum(denominator).",
		partLabels, nil)

	groupLabels := []string{labelInstitution, labelUnit, labelChannel}
	counter := func(name, help string, value func(kpi.ContactCounts) float64) counterDef {
		return counterDef{desc: prometheus.NewDesc(name, help, groupLabels, nil), value: value}
	}
	c.counters = []counterDef{
		counter("ccbench_contacts_offered_total", "Contacts offered since the data begins.",
			func(k kpi.ContactCounts) float64 { return k.Offered }),
		counter("ccbench_contacts_answered_total", "Contacts answered since the data begins.",
			func(k kpi.ContactCounts) float64 { return k.Answered }),
		counter("ccbench_contacts_answered_within_threshold_total", "Contacts answered within the answer-time threshold since the data begins.",
			func(k kpi.ContactCounts) float64 { return k.AnsweredWithinT }),
		counter("ccbench_contacts_abandoned_within_threshold_total", "Contacts abandoned within the answer-time threshold, short abandons excluded, since the data begins.",
			func(k kpi.ContactCounts) float64 { return k.AbandonedWithinT }),
		counter("ccbench_contacts_short_abandoned_total", "Contacts abandoned before the short-abandon limit since the data begins.",
			func(k kpi.ContactCounts) float64 { return k.ShortAbandoned }),
		counter("ccbench_contacts_abandoned_not_short_total", "Contacts abandoned at or after the short-abandon limit since the data begins.",
			func(k kpi.ContactCounts) float64 { return k.AbandonedNotShort }),
	}

	c.targetInfo = prometheus.NewDesc("ccbench_kpi_target_info",
		"Targets of the configuration with their direction (at_least, at_most) and, for service_level, method; always 1.",
		[]string{labelKPI, labelInstitution, labelUnit, labelChannel, labelInstrument, labelDirection, labelMethod}, nil)
	if targets != nil {
		c.targets = targets(c)
	}
	return c
}

// targetDesc returns the descriptor of a KPI's target metric, creating it
// once.
func (c *kpiCollector) targetDesc(d kpi.Definition) *prometheus.Desc {
	desc := prometheus.NewDesc(d.TargetMetric, "Target of "+string(d.ID)+": "+d.Help,
		[]string{labelInstitution, labelUnit, labelChannel, labelInstrument}, nil)
	for _, td := range c.targetDescs {
		if td.String() == desc.String() {
			return td
		}
	}
	c.targetDescs = append(c.targetDescs, desc)
	return desc
}

// targetMetrics renders the configured targets; the most specific target
// for a label set is the first one in the file, later duplicates are
// ignored.
func targetMetrics(cfg *config.Config) func(c *kpiCollector) []prometheus.Metric {
	return func(c *kpiCollector) []prometheus.Metric {
		if cfg == nil {
			return nil
		}
		// Describe every target metric of the catalogue, so the set of
		// descriptors does not depend on the configuration.
		for _, d := range kpi.Catalogue() {
			c.targetDesc(d)
		}
		type key struct{ kpi, institution, unit, channel, instrument string }
		seen := map[key]bool{}
		var out []prometheus.Metric
		for _, t := range cfg.Targets {
			d, ok := kpi.Lookup(kpi.ID(t.KPI))
			if !ok {
				continue // config validation rejects these
			}
			k := key{t.KPI, t.Institution, t.Unit, t.Channel, t.Instrument}
			if seen[k] {
				continue
			}
			seen[k] = true
			method := t.Method
			if d.ID == kpi.ServiceLevel && method == "" {
				method = string(kpi.MethodNegative)
			}
			out = append(out,
				prometheus.MustNewConstMetric(c.targetDesc(d), prometheus.GaugeValue, t.Value,
					t.Institution, t.Unit, t.Channel, t.Instrument),
				prometheus.MustNewConstMetric(c.targetInfo, prometheus.GaugeValue, 1,
					t.KPI, t.Institution, t.Unit, t.Channel, t.Instrument, string(t.TargetDirection()), method),
			)
		}
		return out
	}
}

// render turns a snapshot's counts into const metrics. It emits a KPI value
// only where it is valid (its denominator is positive), but numerators and
// denominators always, so that rollups see every group.
func (c *kpiCollector) render(s *snapshot) []prometheus.Metric {
	var out []prometheus.Metric
	for _, w := range s.windows {
		for _, v := range w.counts.Values() {
			method := string(v.Method)
			out = append(out,
				prometheus.MustNewConstMetric(c.numerator, prometheus.GaugeValue, v.Numerator,
					string(v.KPI), method, w.institution, w.unit, w.channel, w.window),
				prometheus.MustNewConstMetric(c.denominator, prometheus.GaugeValue, v.Denominator,
					string(v.KPI), method, w.institution, w.unit, w.channel, w.window),
			)
			if !v.Valid {
				continue
			}
			labels := []string{w.institution, w.unit, w.channel, w.window}
			if v.KPI == kpi.ServiceLevel {
				labels = append(labels, method)
			}
			out = append(out, prometheus.MustNewConstMetric(c.kpiDescs[v.KPI], prometheus.GaugeValue, v.Value, labels...))
		}
	}
	for _, t := range s.totals {
		for _, cd := range c.counters {
			out = append(out, prometheus.MustNewConstMetric(cd.desc, prometheus.CounterValue, cd.value(t.counts),
				t.institution, t.unit, t.channel))
		}
	}
	return out
}

func (c *kpiCollector) swap(s *snapshot) { c.current.Store(s) }

// Describe implements prometheus.Collector.
func (c *kpiCollector) Describe(ch chan<- *prometheus.Desc) {
	ids := make([]string, 0, len(c.kpiDescs))
	for id := range c.kpiDescs {
		ids = append(ids, string(id))
	}
	sort.Strings(ids)
	for _, id := range ids {
		ch <- c.kpiDescs[kpi.ID(id)]
	}
	ch <- c.numerator
	ch <- c.denominator
	for _, cd := range c.counters {
		ch <- cd.desc
	}
	ch <- c.targetInfo
	for _, d := range c.targetDescs {
		ch <- d
	}
}

// Collect implements prometheus.Collector: it emits the last snapshot and
// the targets, without waiting for a refresh.
func (c *kpiCollector) Collect(ch chan<- prometheus.Metric) {
	if s := c.current.Load(); s != nil {
		for _, m := range s.metrics {
			ch <- m
		}
	}
	for _, m := range c.targets {
		ch <- m
	}
}
