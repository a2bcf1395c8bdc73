// Package staffing answers workforce-management what-ifs with the Erlang C
// model: how many agents a queue needs to reach a service-level target, and
// how many the service level it actually reached implies.
//
// Erlang C assumes Poisson arrivals, exponential handling times, callers
// who wait (no abandons) and agents who are all available; it is the
// standard first estimate of workforce-management suites, and it errs on
// the side of too many agents when callers abandon.
package staffing

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Load is the work offered to a queue in one interval.
type Load struct {
	Calls    float64       // arrivals in the interval
	Interval time.Duration // length of the interval
	AHT      time.Duration // average handling time
}

// Erlangs returns the traffic intensity A = calls × AHT ÷ interval.
func (l Load) Erlangs() float64 {
	if l.Interval <= 0 {
		return 0
	}
	return l.Calls * l.AHT.Seconds() / l.Interval.Seconds()
}

func (l Load) check() error {
	switch {
	case l.Interval <= 0:
		return errors.New("interval must be positive")
	case l.Calls < 0 || math.IsNaN(l.Calls) || math.IsInf(l.Calls, 0):
		return fmt.Errorf("calls must be a non-negative number, got %v", l.Calls)
	case l.AHT < 0:
		return fmt.Errorf("average handling time must not be negative, got %s", l.AHT)
	}
	return nil
}

// Queue is the Erlang C prediction for a number of agents.
type Queue struct {
	Agents       int
	Erlangs      float64
	Occupancy    float64       // A ÷ N
	PWait        float64       // probability that a call waits (Erlang C)
	ServiceLevel float64       // share answered within the threshold
	ASA          time.Duration // average speed of answer
}

// ErlangC returns the probability that a call waits with agents agents and
// traffic erlangs; 1 when agents ≤ erlangs (the queue grows without bound).
// It uses the stable recurrence of Erlang B,
//
//	B(0) = 1,  B(k) = A·B(k−1) ÷ (k + A·B(k−1)),
//	C(N) = N·B(N) ÷ (N − A·(1 − B(N))).
func ErlangC(agents int, erlangs float64) float64 {
	if erlangs <= 0 {
		return 0
	}
	if float64(agents) <= erlangs {
		return 1
	}
	b := 1.0
	for k := 1; k <= agents; k++ {
		b = erlangs * b / (float64(k) + erlangs*b)
	}
	n := float64(agents)
	return n * b / (n - erlangs*(1-b))
}

// Predict returns the Erlang C prediction for load l with agents agents and
// answer-time threshold t:
//
//	SL  = 1 − C · e^(−(N − A)·t ÷ AHT),
//	ASA = C · AHT ÷ (N − A).
//
// With agents ≤ A the queue grows without bound: SL is 0 and ASA is
// reported as the largest duration.
func Predict(l Load, agents int, t time.Duration) (Queue, error) {
	if err := l.check(); err != nil {
		return Queue{}, err
	}
	if agents < 0 {
		return Queue{}, fmt.Errorf("agents must not be negative, got %d", agents)
	}
	a := l.Erlangs()
	q := Queue{Agents: agents, Erlangs: a}
	if a == 0 {
		q.ServiceLevel = 1
		return q, nil
	}
	n := float64(agents)
	if n <= a {
		q.Occupancy, q.PWait, q.ASA = 1, 1, time.Duration(math.MaxInt64)
		return q, nil
	}
	aht := l.AHT.Seconds()
	q.Occupancy = a / n
	q.PWait = ErlangC(agents, a)
	q.ServiceLevel = 1 - q.PWait*math.Exp(-(n-a)*t.Seconds()/aht)
	q.ASA = time.Duration(q.PWait * aht / (n - a) * float64(time.Second))
	return q, nil
}

// maxAgents bounds the search; no single queue of a public-service contact
// centre is staffed by more.
const maxAgents = 100000

// AgentsFor returns the fewest agents whose predicted service level for
// load l and threshold t is at least target (0 < target < 1), with the
// prediction.
func AgentsFor(l Load, target float64, t time.Duration) (Queue, error) {
	if !(target > 0 && target < 1) {
		return Queue{}, fmt.Errorf("target service level must be between 0 and 1 (exclusive), got %v", target)
	}
	if err := l.check(); err != nil {
		return Queue{}, err
	}
	if l.Erlangs() == 0 {
		return Predict(l, 0, t)
	}
	// Start at the first stable staffing, ⌊A⌋ + 1.
	for n := int(math.Floor(l.Erlangs())) + 1; n <= maxAgents; n++ {
		q, err := Predict(l, n, t)
		if err != nil {
			return Queue{}, err
		}
		if q.ServiceLevel >= target {
			return q, nil
		}
	}
	return Queue{}, fmt.Errorf("more than %d agents needed for %.1f erlangs", maxAgents, l.Erlangs())
}

// ImpliedAgents returns the agents whose Erlang C service level comes
// closest to the measured one from above: the fewest agents that would
// have reached it. A measured service level of 0 implies no more agents
// than the traffic (⌊A⌋); one of 1 is treated as the largest share below
// 1 that Erlang C reaches, 0.9999.
func ImpliedAgents(l Load, measured float64, t time.Duration) (Queue, error) {
	if !(measured >= 0 && measured <= 1) {
		return Queue{}, fmt.Errorf("measured service level must be between 0 and 1, got %v", measured)
	}
	if err := l.check(); err != nil {
		return Queue{}, err
	}
	if measured <= 0 {
		return Predict(l, int(math.Floor(l.Erlangs())), t)
	}
	return AgentsFor(l, math.Min(measured, 0.9999), t)
}
