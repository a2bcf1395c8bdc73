package servertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"
)

// PromSample is one series of the instant vector Prometheus returned.
type PromSample struct {
	Metric map[string]string
	Value  float64
}

func (s PromSample) String() string { return fmt.Sprintf("%v %v", s.Metric, s.Value) }

// PromQuery runs expr on the instant-query API (/api/v1/query) of the
// Prometheus at promURL and returns the vector. A status other than
// success, a result that is not a vector, or a sample without a number is
// an error.
func PromQuery(ctx context.Context, promURL, expr string) ([]PromSample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, promURL+"/api/v1/query?query="+url.QueryEscape(expr), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("decode response (%s): %w", resp.Status, err)
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("status %q: %s", body.Status, body.Error)
	}
	if body.Data.ResultType != "vector" {
		return nil, fmt.Errorf("result type %q, want vector", body.Data.ResultType)
	}
	var raw []struct {
		Metric map[string]string `json:"metric"`
		Value  []any             `json:"value"` // [unix time, "number"]
	}
	if err := json.Unmarshal(body.Data.Result, &raw); err != nil {
		return nil, fmt.Errorf("decode vector: %w", err)
	}
	out := make([]PromSample, len(raw))
	for i, s := range raw {
		if len(s.Value) != 2 {
			return nil, fmt.Errorf("sample %v has no value", s.Metric)
		}
		str, _ := s.Value[1].(string)
		v, err := strconv.ParseFloat(str, 64)
		if err != nil {
			return nil, fmt.Errorf("sample %v: %w", s.Metric, err)
		}
		out[i] = PromSample{Metric: s.Metric, Value: v}
	}
	return out, nil
}

// WaitForPromSeries polls the Prometheus at promURL until expr returns at
// least one sample, e.g. until the first scrape of a target landed. It
// fails the test when timeout passes or ctx is done first.
func WaitForPromSeries(ctx context.Context, tb testing.TB, promURL, expr string, timeout time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		res, err := PromQuery(ctx, promURL, expr)
		if err == nil && len(res) > 0 {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			tb.Fatalf("Prometheus has no %s after %v (last error: %v)", expr, timeout, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
}
