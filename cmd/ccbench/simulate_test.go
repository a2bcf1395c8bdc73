package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ccbench/ccbench/simulator"
)

// TestSimulatorChecksTheTokenBeforeFaults: with every request faulted, a
// request without the token still gets 401, not a retryable 503 or 429.
func TestSimulatorChecksTheTokenBeforeFaults(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	h := withFaults(ok, "t0ken", simulator.Faults{ErrorRate: 1, Seed: 1})
	for _, tc := range []struct {
		auth string
		want []int
	}{
		{"", []int{http.StatusUnauthorized}},
		{"Bearer wrong", []int{http.StatusUnauthorized}},
		{"Bearer t0ken", []int{http.StatusServiceUnavailable, http.StatusTooManyRequests}},
	} {
		req := httptest.NewRequest(http.MethodGet, "/v1/contacts", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if got := rec.Code; got != tc.want[0] && (len(tc.want) < 2 || got != tc.want[1]) {
			t.Errorf("Authorization %q: status %d, want %v", tc.auth, got, tc.want)
		}
	}
}
