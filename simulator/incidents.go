package simulator

import (
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ccbench/ccbench/kpi"
)

// Degradation makes the contacts of one channel that arrive in [From,
// Until) meet a KPI at Value on purpose, so that a breach can be shown: a
// share Value of them (1 − Value for abandon_rate) is answered at once and
// the rest abandoned after a long enough wait to count. A zero Until never
// ends.
type Degradation struct {
	Institution string // the institution of the spec; simulators serve one
	Channel     string
	KPI         kpi.ID
	Value       float64
	From, Until time.Time
}

// degradable are the KPIs a Degradation can set, with the share of
// contacts that are answered at once for a value v.
var degradable = map[kpi.ID]func(v float64) float64{
	kpi.ServiceLevel: func(v float64) float64 { return v },
	kpi.AnswerRate:   func(v float64) float64 { return v },
	kpi.AbandonRate:  func(v float64) float64 { return 1 - v },
}

// ParseDegradation parses institution:channel:kpi=value, for example
// sodra:phone:service_level=0.6.
func ParseDegradation(spec string) (Degradation, error) {
	fail := func(format string, args ...any) (Degradation, error) {
		return Degradation{}, fmt.Errorf("degradation %q: %s (want institution:channel:kpi=value, e.g. sodra:phone:service_level=0.6)", spec, fmt.Sprintf(format, args...))
	}
	lhs, value, ok := strings.Cut(spec, "=")
	parts := strings.Split(lhs, ":")
	if !ok || len(parts) != 3 || parts[0] == "" {
		return fail("malformed")
	}
	v, err := strconv.ParseFloat(value, 64)
	if err != nil || v < 0 || v > 1 || math.IsNaN(v) {
		return fail("value must be a share between 0 and 1")
	}
	id, err := kpi.ParseID(parts[2])
	if err != nil {
		return fail("%v", err)
	}
	if _, ok := degradable[id]; !ok {
		return fail("only service_level, answer_rate and abandon_rate can be degraded")
	}
	if !kpi.MustLookup(id).AppliesTo(parts[1]) {
		return fail("%s is not computed for channel %q", id, parts[1])
	}
	return Degradation{Institution: parts[0], Channel: parts[1], KPI: id, Value: v}, nil
}

func (d Degradation) covers(channel string, arrived time.Time) bool {
	return channel == d.Channel && !arrived.Before(d.From) && (d.Until.IsZero() || arrived.Before(d.Until))
}

// Incidents are the degradations and the stalls a simulator serves. The zero
// value (and nil) serves no faults. It is safe for concurrent use; tests
// and `ccbench simulate` change it while the simulator runs.
type Incidents struct {
	mu           sync.Mutex
	degradations []Degradation
	stalls       [][2]time.Time
	now          func() time.Time
}

// NewIncidents returns incidents judged on the clock now (default
// time.Now).
func NewIncidents(now func() time.Time) *Incidents {
	if now == nil {
		now = time.Now
	}
	return &Incidents{now: now}
}

// Degrade adds a degradation.
func (f *Incidents) Degrade(d Degradation) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.degradations = append(f.degradations, d)
}

// Recover ends, at the clock's now, every degradation that has not ended.
func (f *Incidents) Recover() {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	for i := range f.degradations {
		if f.degradations[i].Until.IsZero() || f.degradations[i].Until.After(now) {
			f.degradations[i].Until = now
		}
	}
}

// Stall makes the simulator answer 503 to every request from from until
// until (zero: for ever).
func (f *Incidents) Stall(from, until time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stalls = append(f.stalls, [2]time.Time{from, until})
}

// Unstall ends every stall now.
func (f *Incidents) Unstall() {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	for i := range f.stalls {
		if f.stalls[i][1].IsZero() || f.stalls[i][1].After(now) {
			f.stalls[i][1] = now
		}
	}
}

// Stalled reports whether the feed is stalled now.
func (f *Incidents) Stalled() bool {
	if f == nil {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	for _, s := range f.stalls {
		if !now.Before(s[0]) && (s[1].IsZero() || now.Before(s[1])) {
			return true
		}
	}
	return false
}

// Outcome says how a degradation rewrites a contact: answered at once
// (good) or abandoned after a counted wait; ok is false when no
// degradation covers it. The choice depends only on the contact's id, so
// every version of a contact, served any number of times, gets the same.
func (f *Incidents) Outcome(channel, id string, arrived time.Time) (good, ok bool) {
	if f == nil {
		return false, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.degradations) - 1; i >= 0; i-- {
		d := f.degradations[i]
		if d.covers(channel, arrived) {
			return unit(id) < degradable[d.KPI](d.Value), true
		}
	}
	return false, false
}

// unit maps an id to [0, 1) uniformly.
func unit(id string) float64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	// FNV's high bits mix poorly for ids that differ in their last digits;
	// splitmix64's finaliser spreads them.
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

// Handler answers 503 while the feed is stalled, and passes requests to
// next otherwise.
func (f *Incidents) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.Stalled() {
			WriteError(w, http.StatusServiceUnavailable, "feed stalled on purpose (ccbench simulate --stall-after)")
			return
		}
		next.ServeHTTP(w, r)
	})
}
