package reportfmt

import (
	"time"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/report"
)

func f(v float64) *float64 { return &v }
func s(v string) *string   { return &v }
func b(v bool) *bool       { return &v }

// fixture is a fixed report of three institutions for March 2024:
//
//   - service level on the phone: sodra 89/100 (target 95 %: −6.0 pp,
//     not met), vmi 80/100, ind 60/100 measured with a 60 s threshold
//     where the others used 20 s (so ind's cell gets a footnote);
//   - ASA on the phone: sodra 12.5 s, vmi 30 s (at_most: sodra ranks 1);
//   - favourable share of post-contact ratings: sodra 20/25 (n < 30),
//     vmi 178/200 (target 89 %: met, +0.0 pp);
//   - practice score from the register: ind 4/22.
func fixture() *report.Report {
	vilnius, _ := time.LoadLocation("Europe/Vilnius")
	amsterdam, _ := time.LoadLocation("Europe/Amsterdam")
	period := func(loc *time.Location) (*time.Time, *time.Time) {
		a := time.Date(2024, 3, 1, 0, 0, 0, 0, loc)
		e := time.Date(2024, 4, 1, 0, 0, 0, 0, loc)
		return &a, &e
	}
	slParams := func(t float64) *report.Params {
		return &report.Params{SLMethod: kpi.MethodNegative, ThresholdS: f(t), ShortAbandonS: f(5)}
	}
	share := func(inst string, loc *time.Location, id kpi.ID, channel, instrument *string, x, n float64) report.Row {
		ps, pe := period(loc)
		return report.Row{Institution: inst, Channel: channel, Instrument: instrument, KPI: string(id), PeriodStart: ps, PeriodEnd: pe,
			Value: f(x / n), Numerator: f(x), Denominator: f(n), Source: report.SourceMeasured}
	}
	sl := func(inst string, loc *time.Location, x, t float64) report.Row {
		r := share(inst, loc, kpi.ServiceLevel, s("phone"), nil, x, 100)
		r.Method, r.Params = kpi.MethodNegative, slParams(t)
		return r
	}
	sodraSL := sl("sodra", vilnius, 89, 20)
	sodraSL.Target, sodraSL.Met = f(0.95), b(false)
	asa := func(inst string, v float64) report.Row {
		r := share(inst, vilnius, kpi.ASASeconds, s("phone"), nil, v*10, 10)
		return r
	}
	fav := func(inst string, x, n float64) report.Row {
		r := share(inst, vilnius, kpi.FavourableShare, s("phone"), s("post_contact"), x, n)
		ci := kpi.Wilson(x, n, kpi.Z95)
		r.N, r.CILow, r.CIHigh = f(n), f(ci.Low), f(ci.High)
		return r
	}
	vmiFav := fav("vmi", 178, 200)
	vmiFav.Target, vmiFav.Met = f(0.89), b(true)
	return &report.Report{
		From: "2024-03-01", To: "2024-04-01", By: "total", AsOf: time.Date(2024, 4, 2, 12, 0, 0, 0, time.UTC), SLMethod: kpi.MethodNegative,
		Rows: []report.Row{
			sl("ind", amsterdam, 60, 60),
			{Institution: "ind", KPI: string(kpi.PracticeScore), Value: f(4.0 / 22), Numerator: f(4), Denominator: f(22), Source: report.SourceReported},
			sodraSL,
			asa("sodra", 12.5),
			fav("sodra", 20, 25),
			sl("vmi", vilnius, 80, 20),
			asa("vmi", 30),
			vmiFav,
		},
	}
}
