package report

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
)

func share(inst, id, channel string, x, n float64) Row {
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 1, 0)
	r := Row{Institution: inst, KPI: id, PeriodStart: &start, PeriodEnd: &end,
		Value: ptr(x / n), Numerator: ptr(x), Denominator: ptr(n), Source: SourceMeasured}
	if channel != "" {
		r.Channel = ptr(channel)
	}
	return r
}

func TestCompareHandComputed(t *testing.T) {
	a := share("sodra", string(kpi.AnswerRate), "phone", 89, 100)
	b := share("vmi", string(kpi.AnswerRate), "phone", 80, 100)
	c := share("ind", string(kpi.AnswerRate), "phone", 20, 25)
	// ind's March is in its own zone: the same local dates.
	amsterdam, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	cs, ce := time.Date(2024, 3, 1, 0, 0, 0, 0, amsterdam), time.Date(2024, 4, 1, 0, 0, 0, 0, amsterdam)
	c.PeriodStart, c.PeriodEnd = &cs, &ce
	unitRow := share("vmi", string(kpi.AnswerRate), "phone", 1, 2)
	unitRow.Unit = ptr("x") // parts are not compared
	notShare := share("vmi", string(kpi.ASASeconds), "phone", 10, 2)
	got := Compare([]Row{a, b, c, unitRow, notShare})
	if len(got) != 3 {
		t.Fatalf("%d comparisons, want 3 (ind-sodra, ind-vmi, sodra-vmi): %+v", len(got), got)
	}
	var sv Comparison
	for _, g := range got {
		if g.InstitutionA == "sodra" && g.InstitutionB == "vmi" {
			sv = g
		}
		if g.InstitutionA == "ind" && !g.SmallSample {
			t.Errorf("ind has 25 responses: small_sample should be set: %+v", g)
		}
	}
	// By hand: p̂ = 169/200 = 0.845, se = √(0.845 × 0.155 × 0.02) = 0.051181,
	// z = 0.09 ÷ 0.051181 = 1.7585, p = 2(1 − Φ(1.7585)) = 0.0787: not
	// significant at 5 %. Wilson 89/100: [0.8137, 0.9375]; 80/100:
	// [0.7112, 0.8666].
	near := func(got, want, tol float64) bool { return math.Abs(got-want) <= tol }
	if sv.Z == nil || !near(*sv.Z, 1.7585, 0.0005) || !near(*sv.PValue, 0.0787, 0.0005) || sv.Significant ||
		!near(sv.Difference, 0.09, 1e-12) || sv.SmallSample {
		t.Errorf("sodra vs vmi: %+v", sv)
	}
	if !near(sv.CILowA, 0.8137, 0.00005) || !near(sv.CIHighA, 0.9375, 0.00005) ||
		!near(sv.CILowB, 0.7112, 0.00005) || !near(sv.CIHighB, 0.8666, 0.00005) {
		t.Errorf("intervals: A [%.4f, %.4f] B [%.4f, %.4f]", sv.CILowA, sv.CIHighA, sv.CILowB, sv.CIHighB)
	}
	// 20/30 vs 10/30: z = 2.5820, p = 0.0098: significant.
	sig := Compare([]Row{share("a", string(kpi.AnswerRate), "", 20, 30), share("b", string(kpi.AnswerRate), "", 10, 30)})
	if len(sig) != 1 || !sig[0].Significant || !near(*sig[0].PValue, 0.0098, 0.0005) {
		t.Errorf("20/30 vs 10/30: %+v", sig)
	}
}

func TestAttachParams(t *testing.T) {
	cfg, err := config.Parse([]byte(`
clickhouse: {dsn: "clickhouse://127.0.0.1:9000/x"}
institutions:
  - {id: sodra, name: SODRA, country: LT, timezone: Europe/Vilnius}
targets:
  - {institution: sodra, channel: chat, kpi: service_level, value: 0.8, threshold: 45s}
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sl := string(kpi.ServiceLevel)
	row := func(unit, channel string) Row {
		r := share("sodra", sl, channel, 1, 2)
		r.Method = kpi.MethodNegative
		if unit != "" {
			r.Unit = ptr(unit)
		}
		return r
	}
	rep := []Row{row("a", "phone"), row("b", "phone"), row("a", "chat"), row("", "phone"), row("", "chat"), row("", ""),
		{Institution: "sodra", KPI: sl, Source: SourceReported, Value: ptr(0.9)}}
	attachParams(cfg, rep)
	f := func(v float64) *float64 { return &v }
	want := []*Params{
		{SLMethod: "negative", ThresholdS: f(20), ShortAbandonS: f(5)},
		{SLMethod: "negative", ThresholdS: f(20), ShortAbandonS: f(5)},
		{SLMethod: "negative", ThresholdS: f(45), ShortAbandonS: f(5)},
		{SLMethod: "negative", ThresholdS: f(20), ShortAbandonS: f(5)},
		{SLMethod: "negative", ThresholdS: f(45), ShortAbandonS: f(5)},
		{SLMethod: "negative", ShortAbandonS: f(5), Mixed: []kpi.Parameter{kpi.ParamThreshold}},
		{SLMethod: "unknown"},
	}
	for i, w := range want {
		if !reflect.DeepEqual(rep[i].Params, w) {
			t.Errorf("row %d params %+v, want %+v", i, *rep[i].Params, *w)
		}
	}
	if d := ParamsDiffer(sl, rep[3].Params, rep[4].Params); !reflect.DeepEqual(d, []kpi.Parameter{kpi.ParamThreshold}) {
		t.Errorf("ParamsDiffer phone vs chat = %v, want [threshold_s]", d)
	}
}
