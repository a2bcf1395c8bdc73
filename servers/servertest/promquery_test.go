package servertest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPromQuery(t *testing.T) {
	for _, tc := range []struct {
		name    string
		body    string
		want    []PromSample
		wantErr string
	}{
		{
			name: "vector",
			body: `{"status":"success","data":{"resultType":"vector","result":[
				{"metric":{"institution":"sodra"},"value":[1700000000,"0.75"]},
				{"metric":{"institution":"vmi"},"value":[1700000000,"12"]}]}}`,
			want: []PromSample{
				{Metric: map[string]string{"institution": "sodra"}, Value: 0.75},
				{Metric: map[string]string{"institution": "vmi"}, Value: 12},
			},
		},
		{
			name: "empty vector",
			body: `{"status":"success","data":{"resultType":"vector","result":[]}}`,
			want: []PromSample{},
		},
		{
			name:    "error status",
			body:    `{"status":"error","errorType":"bad_data","error":"parse error at char 3"}`,
			wantErr: `status "error": parse error at char 3`,
		},
		{
			name:    "scalar",
			body:    `{"status":"success","data":{"resultType":"scalar","result":[1700000000,"1"]}}`,
			wantErr: `result type "scalar", want vector`,
		},
		{
			name:    "sample without value",
			body:    `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"b"},"value":[]}]}}`,
			wantErr: "has no value",
		},
		{
			name:    "value not a number",
			body:    `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"x"]}]}}`,
			wantErr: "invalid syntax",
		},
		{
			name:    "not JSON",
			body:    `<html>`,
			wantErr: "decode response",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var gotQuery string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/api/v1/query" {
					http.NotFound(w, r)
					return
				}
				gotQuery = r.URL.Query().Get("query")
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()

			const expr = `sum(x{a="b c"}) / 2`
			got, err := PromQuery(context.Background(), srv.URL, expr)
			if gotQuery != expr {
				t.Errorf("server got query %q, want %q", gotQuery, expr)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestWaitForPromSeries(t *testing.T) {
	// The series shows up on the third query.
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		result := `[]`
		if calls.Add(1) >= 3 {
			result = `[{"metric":{},"value":[1,"1"]}]`
		}
		io.WriteString(w, `{"status":"success","data":{"resultType":"vector","result":`+result+`}}`)
	}))
	defer srv.Close()

	WaitForPromSeries(context.Background(), t, srv.URL, "up", 10*time.Second)
	if n := calls.Load(); n != 3 {
		t.Errorf("queried %d times, want 3", n)
	}
}
