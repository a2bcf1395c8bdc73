package exporter

import (
	"strings"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/report"
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

// windowRow is one report row of one window.
type windowRow struct {
	window string
	row    report.Row
}

// totalCounts are the cumulative counts of one group.
type totalCounts struct {
	institution, unit, channel string
	counts                     kpi.ContactCounts
}

// snapshot is one refresh's result; it is never modified once swapped in.
type snapshot struct {
	rows    []windowRow
	totals  []totalCounts
	metrics []prometheus.Metric // rendered from rows and totals
	encoded encodedSnapshot     // metrics and targets, encoded per format on first scrape
}

// counterDef is one cumulative contact counter.
type counterDef struct {
	desc  *prometheus.Desc
	value func(kpi.ContactCounts) float64
	// allChannels is set for counters that written channels have too;
	// the others count waits and abandons, which only real-time channels
	// have.
	allChannels bool
}

// kpiCollector emits the KPI, numerator/denominator, sample, counter and
// target metrics of the last snapshot. Collect never blocks on a refresh.
type kpiCollector struct {
	kpiDescs    map[kpi.ID]*prometheus.Desc
	kpiOrder    []kpi.ID
	numerator   *prometheus.Desc
	denominator *prometheus.Desc
	sampleSize  *prometheus.Desc
	ciLower     *prometheus.Desc
	ciUpper     *prometheus.Desc
	counters    []counterDef
	targetInfo  *prometheus.Desc
	targetDescs []*prometheus.Desc
	targets     []prometheus.Metric // static: they come from the configuration

	current    atomic.Pointer[snapshot]
	noSnapshot encodedSnapshot // the targets alone, before the first refresh
}

// hasMethod reports whether KPI id's series carry a method label.
func hasMethod(id kpi.ID) bool { return kpi.MustLookup(id).PerMethod }

// hasInstrument reports whether KPI id's series carry an instrument label.
func hasInstrument(id kpi.ID) bool { return kpi.MustLookup(id).PerInstrument }

func newKPICollector(targets func(c *kpiCollector) []prometheus.Metric) *kpiCollector {
	c := &kpiCollector{kpiDescs: map[kpi.ID]*prometheus.Desc{}}
	for _, d := range kpi.Catalogue() {
		labels := []string{labelInstitution, labelUnit, labelChannel, labelWindow}
		if hasMethod(d.ID) {
			labels = append(labels, labelMethod)
		}
		if hasInstrument(d.ID) {
			labels = append(labels, labelInstrument)
		}
		c.kpiDescs[d.ID] = prometheus.NewDesc(d.Metric, d.Help, labels, nil)
		c.kpiOrder = append(c.kpiOrder, d.ID)
	}
	partLabels := []string{labelKPI, labelMethod, labelInstitution, labelUnit, labelChannel, labelInstrument, labelWindow}
	c.numerator = prometheus.NewDesc(kpi.NumeratorMetric,
		"Numerator of a KPI in a window (method is empty except for service_level, instrument except for survey shares); roll KPIs up as sum(numerator) / sum(denominator).",
		partLabels, nil)
	c.denominator = prometheus.NewDesc(kpi.DenominatorMetric,
		"Denominator of a KPI in a window (method is empty except for service_level, instrument except for survey shares); roll KPIs up as sum(numerator) / sum(denominator).",
		partLabels, nil)
	sampleLabels := []string{labelKPI, labelInstitution, labelUnit, labelChannel, labelInstrument, labelWindow}
	c.sampleSize = prometheus.NewDesc(kpi.SampleSizeMetric,
		"Responses a sampled share (favourable_share, recommend_share, useful_share) rests on in a window; fewer than 30 is a small sample.",
		sampleLabels, nil)
	c.ciLower = prometheus.NewDesc(kpi.CILowerMetric,
		"Lower bound of the 95 % Wilson score interval of a sampled share in a window.",
		sampleLabels, nil)
	c.ciUpper = prometheus.NewDesc(kpi.CIUpperMetric,
		"Upper bound of the 95 % Wilson score interval of a sampled share in a window.",
		sampleLabels, nil)

	groupLabels := []string{labelInstitution, labelUnit, labelChannel}
	counter := func(name, help string, allChannels bool, value func(kpi.ContactCounts) float64) counterDef {
		return counterDef{desc: prometheus.NewDesc(name, help, groupLabels, nil), value: value, allChannels: allChannels}
	}
	c.counters = []counterDef{
		counter("ccbench_contacts_offered_total", "Contacts offered since the data begins, of every channel.", true,
			func(k kpi.ContactCounts) float64 { return k.Offered }),
		counter("ccbench_contacts_answered_total", "Contacts of real-time channels answered since the data begins.", false,
			func(k kpi.ContactCounts) float64 { return k.Answered }),
		counter("ccbench_contacts_answered_within_threshold_total", "Contacts of real-time channels answered within the answer-time threshold since the data begins.", false,
			func(k kpi.ContactCounts) float64 { return k.AnsweredWithinT }),
		counter("ccbench_contacts_abandoned_within_threshold_total", "Contacts of real-time channels abandoned within the answer-time threshold, short abandons excluded, since the data begins.", false,
			func(k kpi.ContactCounts) float64 { return k.AbandonedWithinT }),
		counter("ccbench_contacts_short_abandoned_total", "Contacts of real-time channels abandoned before the short-abandon limit since the data begins.", false,
			func(k kpi.ContactCounts) float64 { return k.ShortAbandoned }),
		counter("ccbench_contacts_abandoned_not_short_total", "Contacts of real-time channels abandoned at or after the short-abandon limit since the data begins.", false,
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
			if d.PerMethod && method == "" {
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

// exported reports whether a report row becomes series. Prometheus users
// roll KPIs up themselves by summing numerators and denominators, so only
// the finest rows are exported: those with a unit (the report's rows with a
// unit have their channel where the KPI has one); the report's roll-ups
// would count everything twice.
// practice_score, which exists per institution only and comes from the
// practices register, is the one exception. Other reported figures are
// published numbers, not time series: they are left to `ccbench compare`.
func exported(r report.Row) bool {
	d, ok := kpi.Lookup(kpi.ID(r.KPI))
	switch {
	case !ok:
		return false
	case d.Measure == kpi.MeasureRegister:
		return true
	}
	return r.Source == report.SourceMeasured && r.Unit != nil
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// render turns a snapshot's rows and totals into const metrics. A KPI value
// is emitted where the report has one, with its numerator and denominator,
// and for sampled shares the sample size and confidence bounds. Rows that
// would repeat a label set already emitted are left out and returned, so
// that a scrape never fails on duplicates.
func (c *kpiCollector) render(s *snapshot) (out []prometheus.Metric, duplicates []string) {
	seen := map[string]bool{}
	for _, wr := range s.rows {
		r, window := wr.row, wr.window
		id := kpi.ID(r.KPI)
		desc, ok := c.kpiDescs[id]
		if !ok {
			continue
		}
		inst, unit, channel, instrument := r.Institution, str(r.Unit), str(r.Channel), str(r.Instrument)
		method := ""
		if hasMethod(id) {
			method = string(r.Method)
		}
		key := strings.Join([]string{r.KPI, method, inst, unit, channel, instrument, window}, "\xff")
		if seen[key] {
			duplicates = append(duplicates, strings.ReplaceAll(key, "\xff", "/"))
			continue
		}
		seen[key] = true

		if r.Value != nil {
			labels := []string{inst, unit, channel, window}
			if hasMethod(id) {
				labels = append(labels, method)
			}
			if hasInstrument(id) {
				labels = append(labels, instrument)
			}
			out = append(out, prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, *r.Value, labels...))
		}
		parts := []string{r.KPI, method, inst, unit, channel, instrument, window}
		if r.Numerator != nil {
			out = append(out, prometheus.MustNewConstMetric(c.numerator, prometheus.GaugeValue, *r.Numerator, parts...))
		}
		if r.Denominator != nil {
			out = append(out, prometheus.MustNewConstMetric(c.denominator, prometheus.GaugeValue, *r.Denominator, parts...))
		}
		sample := []string{r.KPI, inst, unit, channel, instrument, window}
		if r.N != nil {
			out = append(out, prometheus.MustNewConstMetric(c.sampleSize, prometheus.GaugeValue, *r.N, sample...))
		}
		if r.CILow != nil && r.CIHigh != nil {
			out = append(out,
				prometheus.MustNewConstMetric(c.ciLower, prometheus.GaugeValue, *r.CILow, sample...),
				prometheus.MustNewConstMetric(c.ciUpper, prometheus.GaugeValue, *r.CIHigh, sample...),
			)
		}
	}
	for _, t := range s.totals {
		realTime := records.IsRealTime(t.channel)
		for _, cd := range c.counters {
			if !cd.allChannels && !realTime {
				continue
			}
			out = append(out, prometheus.MustNewConstMetric(cd.desc, prometheus.CounterValue, cd.value(t.counts),
				t.institution, t.unit, t.channel))
		}
	}
	return out, duplicates
}

func (c *kpiCollector) swap(s *snapshot) { c.current.Store(s) }

// Describe implements prometheus.Collector.
func (c *kpiCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, id := range c.kpiOrder {
		ch <- c.kpiDescs[id]
	}
	ch <- c.numerator
	ch <- c.denominator
	ch <- c.sampleSize
	ch <- c.ciLower
	ch <- c.ciUpper
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
