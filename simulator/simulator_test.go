package simulator

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestRandIsDeterministic(t *testing.T) {
	a, b := Rand(7, "2024-01-15", "phone"), Rand(7, "2024-01-15", "phone")
	c := Rand(7, "2024-01-16", "phone")
	same := true
	for i := 0; i < 10; i++ {
		x, y, z := a.Uint64(), b.Uint64(), c.Uint64()
		if x != y {
			t.Fatalf("draw %d: same seed and parts gave %d and %d", i, x, y)
		}
		if x != z {
			same = false
		}
	}
	if same {
		t.Fatal("different parts gave the same stream")
	}
}

func TestRequireToken(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	h := RequireToken("s3cret", ok)
	for _, tc := range []struct {
		header string
		want   int
	}{
		{"", http.StatusUnauthorized},
		{"Bearer wrong", http.StatusUnauthorized},
		{"s3cret", http.StatusUnauthorized},
		{"Bearer s3cret", http.StatusNoContent},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("Authorization %q: got %d, want %d", tc.header, w.Code, tc.want)
		}
	}
	w := httptest.NewRecorder()
	RequireToken("", ok).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if w.Code != http.StatusNoContent {
		t.Errorf("no token configured: got %d, want 204", w.Code)
	}
}

func TestLocalMidnightAcrossDST(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Vilnius")
	if err != nil {
		t.Fatal(err)
	}
	// 2024-03-31 is the spring change in Vilnius: the day has 23 hours.
	got := LocalMidnight(time.Date(2024, 3, 31, 20, 0, 0, 0, time.UTC), loc)
	want := time.Date(2024, 3, 31, 0, 0, 0, 0, loc)
	if !got.Equal(want) || got.UTC().Hour() != 22 {
		t.Errorf("got %v, want %v (22:00 UTC the day before)", got, want)
	}
}

func TestClock(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewClock(t0)
	c.Advance(time.Hour)
	if got := c.Now(); !got.Equal(t0.Add(time.Hour)) {
		t.Errorf("after Advance: %v", got)
	}
}
