package exporter

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ccbench/ccbench/kpi"
)

// TestFamiliesFollowTheCatalogue walks the KPI catalogue: every KPI has a
// value family with the labels its facts call for, and the exporter serves
// no KPI family that the catalogue does not define.
func TestFamiliesFollowTheCatalogue(t *testing.T) {
	c := newKPICollector(nil)
	ch := make(chan *prometheus.Desc, 1000)
	c.Describe(ch)
	close(ch)
	described := map[string]string{}
	for d := range ch {
		s := d.String()
		name := s[strings.Index(s, `fqName: "`)+9:]
		name = name[:strings.Index(name, `"`)]
		described[name] = s
	}
	want := map[string]bool{}
	for _, d := range kpi.Catalogue() {
		want[d.Metric] = true
		s, ok := described[d.Metric]
		if !ok {
			t.Errorf("%s: no family %s", d.ID, d.Metric)
			continue
		}
		labels := "," + strings.Trim(s[strings.LastIndex(s, "variableLabels: ")+16:], "{}") + ","
		if got := strings.Contains(labels, ",method,"); got != d.PerMethod {
			t.Errorf("%s: method label %v, catalogue says per method %v", d.ID, got, d.PerMethod)
		}
		if got := strings.Contains(labels, ",instrument,"); got != d.PerInstrument {
			t.Errorf("%s: instrument label %v, catalogue says per instrument %v", d.ID, got, d.PerInstrument)
		}
	}
	parts := map[string]bool{kpi.NumeratorMetric: true, kpi.DenominatorMetric: true, kpi.SampleSizeMetric: true,
		kpi.CILowerMetric: true, kpi.CIUpperMetric: true, "ccbench_kpi_target_info": true}
	for name := range described {
		if strings.HasPrefix(name, "ccbench_contacts_") && strings.HasSuffix(name, "_total") {
			continue // the cumulative counters
		}
		if !want[name] && !parts[name] {
			t.Errorf("family %s is not a KPI of the catalogue nor one of its parts", name)
		}
	}
}

// TestSeriesFollowTheCatalogue checks the refreshed series of the fake
// store: sampled KPIs, and only they, carry sample sizes and intervals.
func TestSeriesFollowTheCatalogue(t *testing.T) {
	e := newTestExporter(t, newFake(), newTotals())
	if err := e.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	mfs, err := e.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	sampled := map[string]bool{}
	for _, mf := range mfs {
		if mf.GetName() != kpi.SampleSizeMetric {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "kpi" {
					sampled[l.GetValue()] = true
				}
			}
		}
	}
	for _, d := range kpi.Catalogue() {
		if !d.Sampled && sampled[string(d.ID)] {
			t.Errorf("%s has a sample size series but is not sampled", d.ID)
		}
	}
	if len(sampled) == 0 {
		t.Errorf("no sample size series at all")
	}
}
