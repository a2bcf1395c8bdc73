package store_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/store"
)

// TestFreshBuckets checks which contact buckets a pass counts from their
// rows as they are (fresh: only first and only versions of new contacts,
// written by the pass into buckets that held nothing), and that every
// bucket then holds the count worked out by hand. Merges are stopped, so
// that superseded and deleted versions stay on disk, as they may for a
// long time; a bucket that holds them, counted as fresh, would count them.
func TestFreshBuckets(t *testing.T) {
	s := servertest.NewStore(t)
	ctx := testContext(t)
	if err := s.Exec(ctx, "SYSTEM STOP MERGES contacts"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Exec(ctx, "SYSTEM START MERGES contacts") })
	const institution = "fresh"
	if err := s.RebuildRollups(ctx, institution); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC)
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	phone := func(id string, arrived time.Time) records.Contact {
		c := answered(id, "cc", records.ChannelPhone, arrived, 5, 100, 0, 5)
		c.Institution = institution
		return c
	}
	moved := func(c records.Contact, v int64, to time.Time) records.Contact {
		c = withVersion(c, v)
		c.ArrivedAt = to
		return c
	}
	deleted := func(c records.Contact) records.Contact {
		c = withVersion(c, 2)
		c.Deleted = true
		return c
	}

	// A first pass leaves the 10:00 bucket holding a version of "m", which
	// moved to 11:00, and both versions of "d", which was deleted.
	p := s.BeginPass()
	batch := func(cs ...records.Contact) {
		t.Helper()
		if err := p.InsertContacts(ctx, cs); err != nil {
			t.Fatal(err)
		}
	}
	batch(phone("m", at(10, 0)), phone("d", at(10, 1)), deleted(phone("d", at(10, 1))))
	batch(moved(phone("m", at(10, 0)), 2, at(11, 0)))
	if got := p.FreshBuckets(institution); len(got) != 0 {
		t.Errorf("first pass: fresh buckets %v, want none (a contact with two versions is in each)", got)
	}
	if err := p.Finish(ctx); err != nil {
		t.Fatal(err)
	}

	// The second pass: "n1" goes where the old rows are, "n2" into an empty
	// bucket, "n3" into another and then, in a later batch, moves on; "n4"
	// is new in that later batch; "gone" is a tombstone of a contact never
	// seen.
	p = s.BeginPass()
	batch(phone("n1", at(10, 5)), phone("n2", at(12, 30)), phone("n3", at(12, 1)), deleted(phone("gone", at(15, 0))))
	if got, want := p.FreshBuckets(institution), []time.Time{at(12, 0), at(12, 30), at(15, 0)}; !reflect.DeepEqual(got, want) {
		t.Errorf("after the first batch: fresh buckets %v, want %v", got, want)
	}
	batch(moved(phone("n3", at(12, 1)), 2, at(13, 0)), phone("n4", at(14, 0)))
	if got, want := p.FreshBuckets(institution), []time.Time{at(12, 30), at(14, 0), at(15, 0)}; !reflect.DeepEqual(got, want) {
		t.Errorf("after the second batch: fresh buckets %v, want %v", got, want)
	}
	if err := p.Finish(ctx); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		from    time.Time
		offered float64
	}{
		{at(10, 0), 1}, // n1: m moved away, d was deleted
		{at(11, 0), 1}, // m
		{at(12, 0), 0}, // n3 moved away
		{at(12, 30), 1},
		{at(13, 0), 1},
		{at(14, 0), 1},
		{at(15, 0), 0},
	} {
		q := store.ContactQuery{Institution: institution, From: tc.from, To: tc.from.Add(store.BucketSize)}
		rows, err := s.ContactCounts(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var offered float64
		for _, r := range rows {
			offered += r.Counts.Offered
		}
		if offered != tc.offered {
			t.Errorf("bucket %s: %v contacts offered, want %v", tc.from.Format("15:04"), offered, tc.offered)
		}
	}
}
