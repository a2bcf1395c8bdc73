package staffing

import (
	"math"
	"testing"
	"time"
)

// published is the textbook Erlang C example (e.g. the call-centre
// literature's "100 calls in 30 minutes" worked example): 100 calls per
// 30 minutes, AHT 180 s, 20 s threshold, 80 % target.
var published = Load{Calls: 100, Interval: 30 * time.Minute, AHT: 180 * time.Second}

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

func TestPublishedExample(t *testing.T) {
	// A = 100 × 180 ÷ 1800 = 10 Erlangs.
	if a := published.Erlangs(); a != 10 {
		t.Fatalf("Erlangs = %v, want 10", a)
	}
	q, err := AgentsFor(published, 0.80, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// Published: 14 agents, P(wait) 0.1741, service level 0.8884,
	// ASA 7.84 s, occupancy 71.4 %.
	if q.Agents != 14 {
		t.Errorf("agents = %d, want 14", q.Agents)
	}
	if !near(q.PWait, 0.1741, 0.00005) || !near(q.ServiceLevel, 0.8884, 0.0001) ||
		!near(q.ASA.Seconds(), 7.84, 0.005) || !near(q.Occupancy, 10.0/14, 1e-12) {
		t.Errorf("got P(wait) %.4f SL %.4f ASA %.2fs occupancy %.4f, want 0.1741 0.8884 7.84s 0.7143",
			q.PWait, q.ServiceLevel, q.ASA.Seconds(), q.Occupancy)
	}
}

func TestPredictAroundThePublishedExample(t *testing.T) {
	// 13 agents, by hand from the sums: Σ_{k<13} 10^k/k! = 20959.5 and
	// 10^13/13! × 13/3 = 8364.6, so C = 8364.6 ÷ 29324.1 = 0.2853 and
	// SL = 1 − 0.2853 × e^(−3 × 20 ÷ 180) = 1 − 0.2853 × 0.71653 = 0.7956,
	// just below 80 %: so 14 is the fewest.
	q, err := Predict(published, 13, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !near(q.PWait, 0.2853, 0.0001) || !near(q.ServiceLevel, 0.7956, 0.0001) {
		t.Errorf("13 agents: P(wait) %.4f SL %.4f, want 0.2853 0.7956", q.PWait, q.ServiceLevel)
	}
	// 10 agents carry 10 Erlangs only with an unbounded queue.
	q, err = Predict(published, 10, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if q.PWait != 1 || q.ServiceLevel != 0 {
		t.Errorf("10 agents: %+v, want P(wait) 1 SL 0", q)
	}
}

func TestErlangCSmallCases(t *testing.T) {
	// One agent (M/M/1): C = ρ. Two agents, A = 1:
	// C = (A²/2! × 2/(2−1)) ÷ (1 + A + A²/2! × 2/(2−1)) = 1 ÷ 3.
	for _, tc := range []struct {
		n    int
		a    float64
		want float64
	}{{1, 0.5, 0.5}, {2, 1, 1.0 / 3}, {1, 0, 0}, {3, 3, 1}} {
		if got := ErlangC(tc.n, tc.a); !near(got, tc.want, 1e-12) {
			t.Errorf("ErlangC(%d, %v) = %v, want %v", tc.n, tc.a, got, tc.want)
		}
	}
}

func TestImpliedAgents(t *testing.T) {
	for _, tc := range []struct {
		measured float64
		want     int
	}{
		{0.8883, 14}, // 14 agents' service level, 0.88835, rounded down
		{0.80, 14},   // 13 agents reach only 0.7956
		{0.79, 13},
		{0, 10}, // ⌊A⌋
	} {
		q, err := ImpliedAgents(published, tc.measured, 20*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if q.Agents != tc.want {
			t.Errorf("ImpliedAgents(%v) = %d, want %d", tc.measured, q.Agents, tc.want)
		}
	}
}

func TestBadInputs(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"target 1", func() error { _, err := AgentsFor(published, 1, 20*time.Second); return err }()},
		{"target 0", func() error { _, err := AgentsFor(published, 0, 20*time.Second); return err }()},
		{"no interval", func() error { _, err := AgentsFor(Load{Calls: 1, AHT: time.Second}, 0.8, time.Second); return err }()},
		{"negative calls", func() error {
			_, err := Predict(Load{Calls: -1, Interval: time.Hour, AHT: time.Second}, 1, time.Second)
			return err
		}()},
		{"measured above 1", func() error { _, err := ImpliedAgents(published, 1.5, 20*time.Second); return err }()},
	} {
		if tc.err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	// No calls need no agents.
	q, err := AgentsFor(Load{Interval: time.Hour, AHT: time.Minute}, 0.95, 20*time.Second)
	if err != nil || q.Agents != 0 || q.ServiceLevel != 1 {
		t.Errorf("no calls: %+v %v, want 0 agents, SL 1", q, err)
	}
}

func BenchmarkAgentsFor(b *testing.B) {
	big := Load{Calls: 3500, Interval: time.Hour, AHT: 180 * time.Second}
	for i := 0; i < b.N; i++ {
		if _, err := AgentsFor(big, 0.95, 20*time.Second); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPlanWeek(t *testing.T) {
	hours := []HourCounts{
		// 200 calls over two Mondays 09:00: 100 an hour; AHT 6000 s ÷ 50 = 120 s.
		{Weekday: time.Monday, Hour: 9, Occurrences: 2, Offered: 200, ShortAbandoned: 20, AnsweredWithinT: 144, Handled: 50, HandleSumS: 6000},
		// No handling times: the window's mean, (6000 + 0) ÷ 50 = 120 s.
		{Weekday: time.Monday, Hour: 10, Occurrences: 2, Offered: 2},
		{Weekday: time.Monday, Hour: 11, Occurrences: 2},
	}
	plans, aht, err := PlanWeek(hours, 0.8, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if aht != 120*time.Second || len(plans) != 2 {
		t.Fatalf("aht %s, %d plans, want 120s and 2 (an hour without contacts has none)", aht, len(plans))
	}
	p := plans[0]
	// 100 calls an hour × 120 s = 3.33 Erlangs; measured SL 144 ÷ 180 = 0.8.
	if p.Calls != 100 || p.AHT != 120*time.Second || *p.MeasuredSL != 0.8 {
		t.Errorf("Monday 09: calls %v AHT %s SL %v", p.Calls, p.AHT, *p.MeasuredSL)
	}
	// The implied agents reach the measured 0.8, which is the target: the
	// same number.
	if p.Implied == nil || p.Implied.Agents != p.Needed.Agents {
		t.Errorf("implied %+v, needed %+v: want equal at SL = target", p.Implied, p.Needed)
	}
	if _, _, err := PlanWeek([]HourCounts{{Weekday: time.Monday, Occurrences: 1, Offered: 3}}, 0.8, time.Second); err == nil {
		t.Error("no handling times anywhere: want an error")
	}
}

func TestOccurrences(t *testing.T) {
	vilnius, err := time.LoadLocation("Europe/Vilnius")
	if err != nil {
		t.Fatal(err)
	}
	// Monday 2024-03-25 to Monday 2024-04-01 local: a week that includes
	// the change to summer time on Sunday 31 March 03:00, which has no
	// 03:00 hour.
	from := time.Date(2024, 3, 25, 0, 0, 0, 0, vilnius)
	to := time.Date(2024, 4, 1, 0, 0, 0, 0, vilnius)
	n := Occurrences(from, to, vilnius)
	total := 0
	for _, v := range n {
		total += v
	}
	if total != 167 || n[int(time.Sunday)*24+3] != 0 || n[int(time.Monday)*24+9] != 1 {
		t.Errorf("total %d (want 167), Sunday 03:00 %d (want 0), Monday 09:00 %d (want 1)", total, n[3], n[24+9])
	}
}
