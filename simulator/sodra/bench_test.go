package sodra

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkPage serves pages of 5000 contacts from a 30-day history.
func BenchmarkPage(b *testing.B) {
	now := time.Date(2024, 1, 15, 12, 0, 0, 0, vilnius)
	start := time.Now()
	h := New(Options{Seed: 1, Days: 30, Now: func() time.Time { return now }}).Handler()
	warm := httptest.NewRecorder()
	h.ServeHTTP(warm, httptest.NewRequest(http.MethodGet, "/v1/contacts?page_size=1", nil))
	b.Logf("generated 30 days in %v", time.Since(start))
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v1/contacts?page_size=5000&updated_since=2024-01-10T10:00:00Z", nil))
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}
