package simulator

import (
	"strconv"
	"strings"
	"testing"

	"github.com/ccbench/ccbench/kpi"
)

func TestParseDegradation(t *testing.T) {
	d, err := ParseDegradation("sodra:phone:service_level=0.6")
	if err != nil || d.Institution != "sodra" || d.Channel != "phone" || d.KPI != kpi.ServiceLevel || d.Value != 0.6 {
		t.Fatalf("got %+v, %v", d, err)
	}
	for _, bad := range []string{
		"sodra:phone:service_level", "sodra:phone=0.6", "sodra:phone:service_level=1.5",
		"sodra:phone:aht_seconds=0.5", "sodra:email:service_level=0.5", "sodra:phone:nope=0.5",
	} {
		if _, err := ParseDegradation(bad); err == nil || !strings.Contains(err.Error(), "want institution:channel:kpi=value") {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

// TestOutcomeShares checks that the share of contacts a degradation answers
// at once follows the value: v for service_level and answer_rate, 1 − v for
// abandon_rate, over 20 000 ids.
func TestOutcomeShares(t *testing.T) {
	for _, tc := range []struct {
		kpi  kpi.ID
		v    float64
		good float64
	}{{kpi.ServiceLevel, 0.6, 0.6}, {kpi.AnswerRate, 0.3, 0.3}, {kpi.AbandonRate, 0.25, 0.75}} {
		f := NewIncidents(nil)
		f.Degrade(Degradation{Channel: "phone", KPI: tc.kpi, Value: tc.v})
		var good float64
		const n = 20000
		for i := range n {
			g, ok := f.Outcome("phone", "ph-20240115-"+strconv.Itoa(i), f.now())
			if !ok {
				t.Fatal("not covered")
			}
			if g {
				good++
			}
		}
		if share := good / n; share < tc.good-0.02 || share > tc.good+0.02 {
			t.Errorf("%s=%v: answered share %.3f, want %.2f ± 0.02", tc.kpi, tc.v, share, tc.good)
		}
		if _, ok := f.Outcome("chat", "x", f.now()); ok {
			t.Error("chat covered by a phone degradation")
		}
	}
}
