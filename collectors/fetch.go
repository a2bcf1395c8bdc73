package collectors

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cenkalti/backoff/v4"
)

// DefaultMaxElapsed is how long a Fetcher keeps retrying one request.
const DefaultMaxElapsed = 2 * time.Minute

// maxBody bounds what one response may hold.
const maxBody = 256 << 20

// ConfigError is a failure that retrying cannot fix: the source refused the
// credentials (401/403) or the configuration names a source that cannot be
// built. The runner stops on it instead of polling in a loop.
type ConfigError struct {
	Source string // configured source name, when known
	URL    string // never holds the token
	Status int    // HTTP status, when the source answered
	Msg    string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("configuration error")
	if e.Source != "" {
		fmt.Fprintf(&b, " in source %q", e.Source)
	}
	if e.URL != "" {
		fmt.Fprintf(&b, ": GET %s", e.URL)
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, ": %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Msg != "" {
		b.WriteString(": " + e.Msg)
	}
	return b.String()
}

// IsConfigError reports whether err is or wraps a *ConfigError.
func IsConfigError(err error) bool {
	var ce *ConfigError
	return errors.As(err, &ce)
}

// StatusError is a non-retryable HTTP answer other than 401/403: the URL,
// the status and the start of the body.
type StatusError struct {
	URL     string
	Status  int
	Snippet string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("GET %s: %d %s: %s", e.URL, e.Status, http.StatusText(e.Status), e.Snippet)
}

// Fetcher gets documents from a source over HTTP, with the source's bearer
// token and retries with exponential backoff for what may pass: 5xx, 429
// (honouring Retry-After), timeouts and connection errors.
type Fetcher struct {
	Source string       // configured source name, for error messages
	Client *http.Client // default http.DefaultClient
	Token  string       // sent as `Authorization: Bearer <token>` when set; never logged
	// TokenSource says where the token comes from (e.g. "$SODRA_TOKEN"),
	// for the message of a 401/403.
	TokenSource string
	MaxElapsed  time.Duration // retry budget per request; default DefaultMaxElapsed
	// InitialInterval is the first backoff; default 500ms.
	InitialInterval time.Duration
	Logger          *slog.Logger // default: discard
	// Sleep waits between attempts; default a timer. Clock is what the
	// retry budget is measured on; default the wall clock. Tests inject
	// both, so that no test depends on wall-clock timing.
	Sleep SleepFunc
	Clock backoff.Clock
}

// retryable is a failure worth another try, after at least wait.
type retryable struct {
	err  error
	wait time.Duration
}

func (r *retryable) Error() string { return r.err.Error() }
func (r *retryable) Unwrap() error { return r.err }

// Get returns the body of a 200 answer to GET url. It retries until the
// answer comes, a permanent error, MaxElapsed, or ctx is done.
func (f *Fetcher) Get(ctx context.Context, url string) ([]byte, error) {
	return f.GetInto(ctx, url, nil)
}

// GetInto is Get reading the body into buf's storage when it fits, and
// into a new buffer otherwise. A caller that is done with one page before
// it fetches the next can so read every page into one buffer, instead of
// allocating (and the runtime clearing) a new one of a page's size each
// time; the returned body must not be kept past the next call.
func (f *Fetcher) GetInto(ctx context.Context, url string, buf []byte) ([]byte, error) {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = cmpOr(f.InitialInterval, 500*time.Millisecond)
	b.MaxInterval = 30 * time.Second
	b.MaxElapsedTime = cmpOr(f.MaxElapsed, DefaultMaxElapsed)
	if f.Clock != nil {
		b.Clock = f.Clock
	}
	b.Reset()
	for attempt := 1; ; attempt++ {
		body, err := f.try(ctx, url, buf)
		if err == nil {
			return body, nil
		}
		var r *retryable
		if !errors.As(err, &r) {
			return nil, err
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("GET %s: %w", url, ctx.Err())
		}
		wait := b.NextBackOff()
		if wait == backoff.Stop {
			return nil, fmt.Errorf("giving up after %d attempts: %w", attempt, r.err)
		}
		if r.wait > wait {
			wait = min(r.wait, b.MaxElapsedTime-b.GetElapsedTime())
		}
		f.logger().Warn("fetch failed, retrying", "url", url, "attempt", attempt, "wait", wait, "err", r.err)
		if err := sleepOr(f.Sleep)(ctx, wait); err != nil {
			return nil, fmt.Errorf("GET %s: %w (last error: %v)", url, err, r.err)
		}
	}
}

func (f *Fetcher) try(ctx context.Context, url string, buf []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	if f.Token != "" {
		req.Header.Set("Authorization", "Bearer "+f.Token)
	}
	req.Header.Set("Accept", "application/json, text/csv, */*")
	client := f.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("GET %s: %w", url, ctx.Err())
		}
		var cert *tls.CertificateVerificationError
		if errors.As(err, &cert) {
			// An untrusted or mismatched certificate does not mend itself.
			return nil, &ConfigError{Source: f.Source, URL: url, Msg: fmt.Sprintf("TLS: %v", cert.Err)}
		}
		// Timeouts, refused and reset connections: the source may come back.
		return nil, &retryable{err: fmt.Errorf("GET %s: %w", url, err)}
	}
	defer resp.Body.Close()
	body, err := readBody(resp, buf)
	if err != nil {
		return nil, &retryable{err: fmt.Errorf("GET %s: reading body: %w", url, err)}
	}
	switch s := resp.StatusCode; {
	case s == http.StatusOK:
		if len(body) > maxBody {
			return nil, fmt.Errorf("GET %s: body larger than %d bytes", url, maxBody)
		}
		return body, nil
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		hint := "check the source's token (token_env or token_file)"
		if f.TokenSource != "" {
			hint = "check the token in " + f.TokenSource
		}
		if f.Token == "" {
			hint = "no token is configured: set the source's token_env or token_file"
		}
		return nil, &ConfigError{Source: f.Source, URL: url, Status: s, Msg: hint}
	case s == http.StatusTooManyRequests || s >= 500:
		return nil, &retryable{
			err:  &StatusError{URL: url, Status: s, Snippet: snippet(body)},
			wait: retryAfter(resp.Header.Get("Retry-After"), time.Now()),
		}
	default:
		return nil, &StatusError{URL: url, Status: s, Snippet: snippet(body)}
	}
}

func (f *Fetcher) logger() *slog.Logger {
	if f.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return f.Logger
}

// retryAfter reads a Retry-After header: delay seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(s, 0)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// snippet is the start of a body, fit for an error message.
func snippet(b []byte) string {
	const n = 200
	s := strings.ToValidUTF8(string(b), "?")
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n]) + "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// readBody reads at most maxBody+1 bytes of a response's body into buf's
// storage, grown once to the right size when the response gives its
// length and buf is shorter (io.ReadAll grows its buffer step by step,
// allocating about three times a large page's size).
func readBody(resp *http.Response, buf []byte) ([]byte, error) {
	b := bytes.NewBuffer(buf[:0])
	if n := resp.ContentLength; n > 0 && n <= maxBody {
		b.Grow(int(n) + bytes.MinRead) // room to read the end of the body without growing
	}
	_, err := b.ReadFrom(io.LimitReader(resp.Body, maxBody+1))
	return b.Bytes(), err
}
