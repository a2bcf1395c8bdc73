package simulator

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestFaultsRefuseTheirShare(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	h := Faults{ErrorRate: 0.1, Seed: 3}.Wrap(ok)
	counts := map[int]int{}
	const n = 10000
	for range n {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		counts[rec.Code]++
	}
	refused := counts[http.StatusServiceUnavailable] + counts[http.StatusTooManyRequests]
	// 10 % of 10000 draws: the binomial standard deviation is 30.
	if refused < 850 || refused > 1150 {
		t.Errorf("refused %d of %d requests, want about 1000", refused, n)
	}
	if d := counts[http.StatusServiceUnavailable] - counts[http.StatusTooManyRequests]; d < 0 || d > 1 {
		t.Errorf("503s %d and 429s %d should alternate", counts[http.StatusServiceUnavailable], counts[http.StatusTooManyRequests])
	}
	if counts[http.StatusOK] != n-refused {
		t.Errorf("codes %v: only 200, 503 and 429 expected", counts)
	}
}

func TestNoFaultsIsTheHandler(t *testing.T) {
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	if h := (Faults{}).Wrap(ok); h == nil {
		t.Fatal("nil handler")
	}
}
