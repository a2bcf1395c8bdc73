package store

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestRecountAheadLeavesTheLatestBatchesBuckets adds the buckets of five
// batches to a pass, a day each, and checks which a recount ahead takes
// after each batch: none that the latest lag batches touched.
func TestRecountAheadLeavesTheLatestBatchesBuckets(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2024, 5, d, 9, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		lag  int
		want [][]time.Time // the buckets recounted ahead after each batch
	}{
		{1, [][]time.Time{nil, {day(1)}, {day(2)}, {day(3)}, {day(4)}}},
		// The fifth batch touches the second day again, which three
		// batches keep back, and one batch does not.
		{3, [][]time.Time{nil, nil, nil, {day(1)}, nil}},
	} {
		var got []time.Time
		p := &Pass{ahead: ahead{min: 1, lag: tc.lag, recount: func(_ context.Context, r contactRecount) error {
			got = append(append(got, r.own...), r.other...)
			return nil
		}}}
		p.reset()
		for i := range 5 {
			batch := touched{}
			batch.add("sodra", day(i+1))
			if i == 4 { // the last batch also revises a record of the second day's
				batch.add("sodra", day(2))
			}
			for b := range batch["sodra"] {
				p.contacts.add("sodra", time.Unix(b, 0))
			}
			got = nil
			p.recountAhead(context.Background(), batch)
			if err := p.waitAhead(context.Background()); err != nil {
				t.Fatal(err)
			}
			if want := tc.want[i]; !slices.EqualFunc(got, want, time.Time.Equal) {
				t.Errorf("lag %d, after batch %d: recounted ahead %v, want %v", tc.lag, i+1, got, want)
			}
		}
	}
}

// TestSettleContactsTakesTheHeldBackBuckets: the buckets of the latest
// contact batches, held back from a recount ahead, are recounted ahead once
// the contacts are settled (the collector has moved on to its feedback),
// even fewer of them than start a recount ahead between contact batches.
func TestSettleContactsTakesTheHeldBackBuckets(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2024, 5, d, 9, 0, 0, 0, time.UTC) }
	var got []time.Time
	p := &Pass{ahead: ahead{min: 1024, lag: 3, recount: func(_ context.Context, r contactRecount) error {
		got = append(append(got, r.own...), r.other...)
		return nil
	}}}
	p.reset()
	ctx := context.Background()
	for i := range 4 {
		batch := touched{}
		batch.add("sodra", day(i+1))
		p.contacts.add("sodra", day(i+1))
		p.recountAhead(ctx, batch)
		if err := p.waitAhead(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 0 {
		t.Fatalf("recounted ahead %v between contact batches, want nothing (fewer than 1,024 buckets settled)", got)
	}
	p.settleContacts(ctx)
	if err := p.waitAhead(ctx); err != nil {
		t.Fatal(err)
	}
	want := []time.Time{day(1), day(2), day(3), day(4)}
	slices.SortFunc(got, time.Time.Compare)
	if !slices.EqualFunc(got, want, time.Time.Equal) {
		t.Errorf("recounted ahead %v when the contacts were settled, want %v", got, want)
	}
	if n := len(p.contacts["sodra"]); n != 0 {
		t.Errorf("%d contact buckets still pending, want none", n)
	}
}

// TestSettledContactsWaitForTheRunningRecount: contacts settled while a
// recount ahead runs are recounted by the next batch of other records
// once it has ended, and no longer after a batch of contacts.
func TestSettledContactsWaitForTheRunningRecount(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2024, 5, d, 9, 0, 0, 0, time.UTC) }
	release := make(chan struct{})
	var got []time.Time
	p := &Pass{ahead: ahead{min: 1, lag: 1, recount: func(_ context.Context, r contactRecount) error {
		<-release
		got = append(append(got, r.own...), r.other...)
		return nil
	}}}
	p.reset()
	ctx := context.Background()
	contacts := func(d int) {
		batch := touched{}
		batch.add("sodra", day(d))
		p.contacts.add("sodra", day(d))
		p.recountAhead(ctx, batch)
	}
	contacts(1)
	contacts(2) // the first day's bucket is settled: its recount starts, and waits
	p.settleContacts(ctx)
	if p.ahead.runs != 1 {
		t.Fatalf("%d recounts ahead started while one ran, want 1", p.ahead.runs)
	}
	close(release)
	<-p.ahead.done
	p.keepSettling(ctx) // after a batch of feedback
	if err := p.waitAhead(ctx); err != nil {
		t.Fatal(err)
	}
	if want := []time.Time{day(1), day(2)}; !slices.EqualFunc(got, want, time.Time.Equal) {
		t.Errorf("recounted ahead %v, want %v", got, want)
	}
	contacts(3)
	p.keepSettling(ctx)
	if p.ahead.runs != 2 {
		t.Errorf("%d recounts ahead started after a batch of contacts came, want still 2", p.ahead.runs)
	}
}
