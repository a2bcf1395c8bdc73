package store

import (
	"testing"
	"time"

	"github.com/ccbench/ccbench/records"
)

func TestWaitMS(t *testing.T) {
	arrived := time.Date(2024, 3, 4, 10, 0, 0, 900_000_000, time.UTC) // 10:00:00.900
	at := func(d time.Duration) *time.Time { v := arrived.Add(d); return &v }
	for _, tc := range []struct {
		name     string
		outcome  string
		answered *time.Time
		ended    *time.Time
		want     *int64
	}{
		{"answered 20.05 s later", records.OutcomeAnswered, at(20050 * time.Millisecond), at(time.Minute), ptr(int64(20050))},
		{"answered: ended_at does not count", records.OutcomeAnswered, at(3 * time.Second), at(time.Hour), ptr(int64(3000))},
		{"answered without answered_at", records.OutcomeAnswered, nil, at(time.Second), nil},
		{"abandoned 4.9999 s later: truncated", records.OutcomeAbandoned, nil, at(4999900 * time.Microsecond), ptr(int64(4999))},
		{"abandoned without ended_at", records.OutcomeAbandoned, nil, nil, nil},
		{"open", records.OutcomeOpen, nil, at(time.Second), nil},
		{"zero wait", records.OutcomeAbandoned, nil, at(0), ptr(int64(0))},
	} {
		c := records.Contact{ID: "c", ArrivedAt: arrived, Outcome: tc.outcome, AnsweredAt: tc.answered, EndedAt: tc.ended}
		got, ok := waitMS(c)
		switch {
		case ok != (tc.want != nil):
			t.Errorf("%s: waitMS = %d, %v, want %v", tc.name, got, ok, tc.want)
		case ok && got != *tc.want:
			t.Errorf("%s: waitMS = %d, want %d", tc.name, got, *tc.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
