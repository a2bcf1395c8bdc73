package main

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestLimitMemory(t *testing.T) {
	prev := debug.SetMemoryLimit(math.MaxInt64) // none, as in a process without GOMEMLIMIT
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	for _, tc := range []struct {
		name    string
		before  int64 // the limit before the collector starts
		sources int
		want    int64
	}{
		{"no limit, one source", math.MaxInt64, 1, 64 << 20},
		{"no limit, three sources", math.MaxInt64, 3, 192 << 20},
		{"no limit, no sources", math.MaxInt64, 0, 64 << 20},
		{"GOMEMLIMIT kept", 500 << 20, 1, 500 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetMemoryLimit(tc.before)
			restore := limitMemory(tc.sources)
			if got := debug.SetMemoryLimit(-1); got != tc.want {
				t.Errorf("limit while collecting %d, want %d", got, tc.want)
			}
			restore()
			if got := debug.SetMemoryLimit(-1); got != tc.before {
				t.Errorf("limit after %d, want the one before, %d", got, tc.before)
			}
		})
	}
}
