package collectors_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ccbench/ccbench/collectors"
	"github.com/ccbench/ccbench/collectors/collectorstest"
	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/records"
)

func TestLoadMapCheckpoint(t *testing.T) {
	for _, tc := range []struct {
		name     string
		position *string // nil: never saved
		want     map[string]int64
		wantErr  string
	}{
		{name: "never saved", want: map[string]int64{}},
		{name: "empty", position: ptr(""), want: map[string]int64{}},
		{name: "null", position: ptr("null"), want: map[string]int64{}},
		{name: "object", position: ptr(`{"2024-01":2,"2024-02":1}`), want: map[string]int64{"2024-01": 2, "2024-02": 1}},
		{name: "not an object", position: ptr(`[1]`), wantErr: `checkpoint src/periods: unreadable position "[1]"`},
		{name: "wrong value type", position: ptr(`{"2024-01":"x"}`), wantErr: "unreadable position"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := collectorstest.NewMemSink()
			if tc.position != nil {
				if err := sink.SaveCheckpoint(context.Background(), records.Checkpoint{Source: "src", Stream: "periods", Position: *tc.position}); err != nil {
					t.Fatal(err)
				}
			}
			got, err := collectors.LoadMapCheckpoint[int64](context.Background(), sink, "src", "periods")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if got == nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestLoadMapCheckpointSinkError(t *testing.T) {
	sink := collectorstest.NewMemSink()
	sink.Fail = collectorstest.FailOnce(collectorstest.OpCheckpoint, 1)
	_, err := collectors.LoadMapCheckpoint[string](context.Background(), sink, "src", "index")
	if err == nil || !strings.HasPrefix(err.Error(), "reading checkpoint src/index: ") {
		t.Errorf("err = %v, want a failure reading checkpoint src/index", err)
	}
}

func TestSaveMapCheckpoint(t *testing.T) {
	sink := collectorstest.NewMemSink()
	at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	m := map[string]string{"b.csv": "2", "a.csv": "1"}
	if err := collectors.SaveMapCheckpoint(context.Background(), sink, "src", "index", m, at); err != nil {
		t.Fatal(err)
	}
	got, ok := sink.SavedCheckpoint("src", "index")
	want := records.Checkpoint{Source: "src", Stream: "index", Position: `{"a.csv":"1","b.csv":"2"}`, UpdatedAt: at}
	if !ok || got != want {
		t.Errorf("saved %+v (%v), want %+v", got, ok, want)
	}

	sink.Fail = collectorstest.FailOnce(collectorstest.OpSaveCheckpoint, 2)
	err := collectors.SaveMapCheckpoint(context.Background(), sink, "src", "index", m, at)
	if err == nil || !strings.HasPrefix(err.Error(), "saving checkpoint src/index: ") {
		t.Errorf("err = %v, want a failure saving checkpoint src/index", err)
	}
}

func TestBaseURL(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		bad      bool
	}{
		{in: "http://127.0.0.1:8080/", want: "http://127.0.0.1:8080"},
		{in: "https://example.org/api", want: "https://example.org/api"},
		{in: "ftp://example.org", bad: true},
		{in: "/relative", bad: true},
		{in: "http://", bad: true},
		{in: "", bad: true},
	} {
		got, err := collectors.BaseURL(config.Source{Name: "s1", BaseURL: tc.in})
		var ce *collectors.ConfigError
		switch {
		case tc.bad && !errors.As(err, &ce):
			t.Errorf("BaseURL(%q) = %q, %v; want a ConfigError", tc.in, got, err)
		case tc.bad && (ce.Source != "s1" || !strings.Contains(err.Error(), "base_url")):
			t.Errorf("BaseURL(%q): error %v does not name source s1 and field base_url", tc.in, err)
		case !tc.bad && (err != nil || got != tc.want):
			t.Errorf("BaseURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func ptr(s string) *string { return &s }
