package simulator

import (
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Faults are transport faults a simulator can put in front of its contract,
// for fault tests and demos: some requests are refused with 503 or 429
// before they reach the simulator, and every request can be delayed.
// Garbage records are each style's own option (BadRecordEvery).
type Faults struct {
	// ErrorRate is the share of requests, in [0, 1], answered with 503
	// Service Unavailable or 429 Too Many Requests (alternately) instead
	// of the data.
	ErrorRate float64
	// Latency is added to every request before it is answered.
	Latency time.Duration
	// Seed makes the sequence of refused requests reproducible.
	Seed int64
}

// Enabled reports whether the faults change anything.
func (f Faults) Enabled() bool { return f.ErrorRate > 0 || f.Latency > 0 }

// Wrap returns h behind the faults; h itself when there are none.
func (f Faults) Wrap(h http.Handler) http.Handler {
	if !f.Enabled() {
		return h
	}
	w := &faulty{next: h, f: f, rng: rand.New(rand.NewPCG(uint64(f.Seed), 0x5eed_fa17))}
	return w
}

type faulty struct {
	next http.Handler
	f    Faults

	mu      sync.Mutex
	rng     *rand.Rand
	refused int
}

func (h *faulty) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.f.Latency > 0 {
		t := time.NewTimer(h.f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if status, refuse := h.refuse(); refuse {
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "0")
		}
		http.Error(w, "simulated fault: "+http.StatusText(status), status)
		return
	}
	h.next.ServeHTTP(w, r)
}

// refuse draws whether the next request fails, and with which status.
func (h *faulty) refuse() (int, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.rng.Float64() >= h.f.ErrorRate {
		return 0, false
	}
	h.refused++
	if h.refused%2 == 0 {
		return http.StatusTooManyRequests, true
	}
	return http.StatusServiceUnavailable, true
}
