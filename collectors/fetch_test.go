package collectors

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// scripted answers each request with the next status of the script (the
// last one repeats) and counts the requests.
type scripted struct {
	statuses   []int
	retryAfter string
	calls      atomic.Int32
	auth       atomic.Value
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(s.calls.Add(1)) - 1
	s.auth.Store(r.Header.Get("Authorization"))
	status := s.statuses[min(n, len(s.statuses)-1)]
	if s.retryAfter != "" && status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", s.retryAfter)
	}
	w.WriteHeader(status)
	if status == http.StatusOK {
		w.Write([]byte("payload"))
	} else {
		w.Write([]byte(`{"error": "status ` + http.StatusText(status) + `"}`))
	}
}

// fastFetcher is a Fetcher whose waits are recorded on a fake clock
// instead of slept.
func fastFetcher(token string) *Fetcher {
	ft := newFakeTime()
	return &Fetcher{Source: "src", Token: token, TokenSource: "$SRC_TOKEN", InitialInterval: time.Millisecond, MaxElapsed: 2 * time.Second,
		Sleep: ft.Sleep, Clock: ft}
}

// fakeTimeOf returns the fake clock of a fastFetcher.
func fakeTimeOf(f *Fetcher) *fakeTime { return f.Clock.(*fakeTime) }

func TestFetcherRetriesTransientFailures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		statuses  []int
		wantCalls int32
	}{
		{"ok", []int{200}, 1},
		{"5xx then ok", []int{500, 502, 503, 200}, 4},
		{"429 then ok", []int{429, 200}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &scripted{statuses: tc.statuses}
			srv := httptest.NewServer(s)
			defer srv.Close()
			body, err := fastFetcher("tok").Get(context.Background(), srv.URL+"/x")
			if err != nil {
				t.Fatal(err)
			}
			if string(body) != "payload" {
				t.Errorf("body %q", body)
			}
			if got := s.calls.Load(); got != tc.wantCalls {
				t.Errorf("%d requests, want %d", got, tc.wantCalls)
			}
			if got := s.auth.Load(); got != "Bearer tok" {
				t.Errorf("Authorization %q, want Bearer tok", got)
			}
		})
	}
}

func TestFetcherHonoursRetryAfter(t *testing.T) {
	s := &scripted{statuses: []int{429, 200}, retryAfter: "1"}
	srv := httptest.NewServer(s)
	defer srv.Close()
	f := fastFetcher("")
	if _, err := f.Get(context.Background(), srv.URL); err != nil {
		t.Fatal(err)
	}
	if waits := fakeTimeOf(f).Waits(); len(waits) != 1 || waits[0] < time.Second {
		t.Errorf("waited %v before retrying, want once, at least the 1s of Retry-After", waits)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2024, 1, 15, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{"-3", 0},
		{"Mon, 15 Jan 2024 12:00:30 GMT", 30 * time.Second},
		{"Mon, 15 Jan 2024 11:00:00 GMT", 0},
		{"soon", 0},
	} {
		if got := retryAfter(tc.in, now); got != tc.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestFetcherUnauthorizedIsConfigError(t *testing.T) {
	for _, status := range []int{401, 403} {
		s := &scripted{statuses: []int{status}}
		srv := httptest.NewServer(s)
		_, err := fastFetcher("very-secret-token").Get(context.Background(), srv.URL+"/v1/contacts")
		srv.Close()
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Fatalf("%d: got %v, want a *ConfigError", status, err)
		}
		if s.calls.Load() != 1 {
			t.Errorf("%d: %d requests, want 1 (not retried)", status, s.calls.Load())
		}
		msg := err.Error()
		if strings.Contains(msg, "very-secret-token") {
			t.Errorf("%d: the error leaks the token: %s", status, msg)
		}
		if !strings.Contains(msg, "$SRC_TOKEN") || !strings.Contains(msg, "/v1/contacts") {
			t.Errorf("%d: the error should name the token variable and the URL: %s", status, msg)
		}
	}
}

func TestFetcherOtherClientErrorsArePermanent(t *testing.T) {
	s := &scripted{statuses: []int{404}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	_, err := fastFetcher("tok").Get(context.Background(), srv.URL+"/missing")
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 404 {
		t.Fatalf("got %v, want a 404 StatusError", err)
	}
	if s.calls.Load() != 1 {
		t.Errorf("%d requests, want 1", s.calls.Load())
	}
	if !strings.Contains(err.Error(), "/missing") || !strings.Contains(err.Error(), "Not Found") {
		t.Errorf("error should name the URL and carry the body: %v", err)
	}
	if IsConfigError(err) {
		t.Error("a 404 is not a configuration error")
	}
}

func TestFetcherGivesUpAfterMaxElapsed(t *testing.T) {
	// A port nobody listens on: connection refused every time.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	f := fastFetcher("")
	f.MaxElapsed = 200 * time.Millisecond
	_, err = f.Get(context.Background(), "http://"+addr+"/")
	if err == nil || !strings.Contains(err.Error(), "giving up") {
		t.Fatalf("got %v, want giving up", err)
	}
	var total time.Duration
	waits := fakeTimeOf(f).Waits()
	for _, w := range waits {
		total += w
	}
	if len(waits) < 2 || total > f.MaxElapsed {
		t.Errorf("waited %v (total %v) before giving up, want several retries within the 200ms budget", waits, total)
	}
}

func TestFetcherRetriesTimeouts(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			<-r.Context().Done() // answer only after the client has timed out
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	f := fastFetcher("")
	f.Client = &http.Client{Timeout: 500 * time.Millisecond}
	if _, err := f.Get(context.Background(), srv.URL); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 {
		t.Errorf("%d requests, want 2", calls.Load())
	}
}

func TestFetcherStopsWhenContextIsDone(t *testing.T) {
	s := &scripted{statuses: []int{503}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := fastFetcher("")
	f.MaxElapsed = time.Hour
	fakeTimeOf(f).onSleep = func(n int) {
		if n == 3 {
			cancel() // the caller gives up during the third wait
		}
	}
	_, err := f.Get(ctx, srv.URL)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want the context's error", err)
	}
	if s.calls.Load() != 3 {
		t.Errorf("%d requests, want 3 (none after the context ended)", s.calls.Load())
	}
}

func TestGetIntoReadsIntoTheCallersBuffer(t *testing.T) {
	bodies := []string{strings.Repeat("a", 3000), strings.Repeat("b", 10), strings.Repeat("c", 5000)}
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(bodies[n.Add(1)-1]))
	}))
	defer srv.Close()
	f := fastFetcher("")
	buf := make([]byte, 0, 4096+512) // room for the first two bodies and bytes.MinRead
	for i, want := range bodies {
		body, err := f.GetInto(context.Background(), srv.URL, buf)
		if err != nil {
			t.Fatal(err)
		}
		if string(body) != want {
			t.Fatalf("body %d: got %d bytes %.10q..., want %d bytes %.10q...", i, len(body), body, len(want), want)
		}
		inBuf := &body[0] == &buf[:1][0]
		if fits := len(want) <= 4096; inBuf != fits {
			t.Errorf("body %d of %d bytes: read into the caller's buffer of 4,608 bytes = %v, want %v", i, len(want), inBuf, fits)
		}
	}
}

// TestFetcherUntrustedCertificateIsConfigError: a source whose TLS
// certificate the client does not trust is a configuration error at once,
// not a failure retried until the fetcher gives up.
func TestFetcherUntrustedCertificateIsConfigError(t *testing.T) {
	s := &scripted{statuses: []int{http.StatusOK}}
	srv := httptest.NewTLSServer(s)
	defer srv.Close()
	f := fastFetcher("")
	f.Client = &http.Client{} // trusts the system's roots, not the test server's certificate
	_, err := f.Get(context.Background(), srv.URL+"/v1/contacts")
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "TLS") || !strings.Contains(err.Error(), "/v1/contacts") {
		t.Fatalf("got %v, want a *ConfigError naming TLS and the URL", err)
	}
	if n := len(fakeTimeOf(f).Waits()); n != 0 {
		t.Errorf("%d waits before the error, want none", n)
	}
}
