package kpi

import (
	"regexp"
	"testing"
)

// TestCatalogueIsComplete checks that every definition states the facts its
// consumers read, and that the facts agree with each other.
func TestCatalogueIsComplete(t *testing.T) {
	metricName := regexp.MustCompile(`^ccbench_[a-z0-9_]+$`)
	seen := map[string]ID{}
	instruments := map[string]ID{}
	for _, d := range Catalogue() {
		t.Run(string(d.ID), func(t *testing.T) {
			if d.Title == "" || d.Help == "" || d.Unit == "" || d.Direction == "" || d.Aggregation == "" || d.Scope == "" || d.Measure == "" {
				t.Errorf("missing a fact: %+v", d)
			}
			for _, m := range []string{d.Metric, d.TargetMetric} {
				if !metricName.MatchString(m) {
					t.Errorf("metric name %q is not a ccbench_ metric", m)
				}
				if other, ok := seen[m]; ok {
					t.Errorf("metric %q also belongs to %s", m, other)
				}
				seen[m] = d.ID
			}
			if d.Sampled && (!d.PerInstrument || d.Unit != UnitRatio) {
				t.Errorf("a sampled share must be a ratio per instrument")
			}
			if d.EventBudget && (d.Unit != UnitRatio || d.Aggregation != AggRatio) {
				t.Errorf("an event budget needs a ratio of event counts")
			}
			if d.PerMethod && d.Scope != ScopeRealTime {
				t.Errorf("service-level methods exist only for real-time channels")
			}
			for _, in := range d.Instruments {
				if other, ok := instruments[in]; ok {
					t.Errorf("instrument %q is claimed by %s too", in, other)
				}
				instruments[in] = d.ID
				if ShareKPI(in) != d.ID {
					t.Errorf("ShareKPI(%q) = %s", in, ShareKPI(in))
				}
			}
			if got, ok := Lookup(d.ID); !ok || got.ID != d.ID {
				t.Errorf("Lookup(%s) = %v, %v", d.ID, got.ID, ok)
			}
		})
	}
	if ShareKPI("post_contact") != FavourableShare {
		t.Errorf("an instrument no KPI claims measures favourable_share")
	}
}

func TestAppliesTo(t *testing.T) {
	for _, tc := range []struct {
		id      ID
		channel string
		want    bool
	}{
		{ServiceLevel, "phone", true},
		{ServiceLevel, "email", false},
		{AHTSeconds, "facebook", true}, // the scope allows it; the measure decides
		{DeadlineMetRate, "email", true},
		{DeadlineMetRate, "phone", true}, // complex inquiries
		{CorrectionRate, "phone", false},
		{FavourableShare, "chat", true},
		{UsefulShare, "web", true},
		{ContactsOffered, "post", true},
		{ContactsOffered, "web", false},
		{PenaltyEUR, "", true},
		{PenaltyEUR, "phone", false},
	} {
		if got := MustLookup(tc.id).AppliesTo(tc.channel); got != tc.want {
			t.Errorf("%s applies to %q = %v, want %v", tc.id, tc.channel, got, tc.want)
		}
	}
}

func TestBadEvents(t *testing.T) {
	// 80 of 100 answered within T: 20 bad events against an at-least
	// target; 5 of 100 abandoned: 5 bad events against an at-most target.
	if got := MustLookup(ServiceLevel).Bad(80, 100); got != 20 {
		t.Errorf("service level bad events = %v, want 20", got)
	}
	if got := MustLookup(AbandonRate).Bad(5, 100); got != 5 {
		t.Errorf("abandon rate bad events = %v, want 5", got)
	}
}
