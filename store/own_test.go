package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/store"
)

// TestOwnBuckets checks which contact buckets a pass counts as its own
// (it wrote every row in them) and which of its records it knows to be
// revised, and that every bucket then holds the count worked out by hand.
// Merges are stopped, so that superseded and deleted versions stay on
// disk, as they may for a long time: a bucket that holds one, counted as
// the pass's own without knowing its record revised, would count it.
func TestOwnBuckets(t *testing.T) {
	s := servertest.NewStore(t)
	ctx := testContext(t)
	if err := s.Exec(ctx, "SYSTEM STOP MERGES contacts"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Exec(ctx, "SYSTEM START MERGES contacts") })
	ownBuckets(t, s, "own")
}

// ownBuckets runs the passes of TestOwnBuckets for the institution.
func ownBuckets(t *testing.T, s *store.Store, institution string) {
	ctx := testContext(t)
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
	checkOwn(t, p, institution, []time.Time{at(10, 0), at(11, 0)}, []string{"d", "m"})
	if err := p.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	checkOffered(t, s, institution, map[time.Time]float64{at(10, 0): 0, at(11, 0): 1})

	// The second pass: "n1" goes where the old rows are, "n2" into an empty
	// bucket, "n3" into another and then, in a later batch, moves on; "n4"
	// is new in that later batch; "gone" is a tombstone of a contact never
	// seen.
	p = s.BeginPass()
	batch(phone("n1", at(10, 5)), phone("n2", at(12, 30)), phone("n3", at(12, 1)), deleted(phone("gone", at(15, 0))))
	checkOwn(t, p, institution, []time.Time{at(12, 0), at(12, 30), at(15, 0)}, nil)
	batch(moved(phone("n3", at(12, 1)), 2, at(13, 0)), phone("n4", at(14, 0)))
	checkOwn(t, p, institution, []time.Time{at(12, 0), at(12, 30), at(13, 0), at(14, 0), at(15, 0)}, []string{"n3"})
	if err := p.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	checkOffered(t, s, institution, map[time.Time]float64{
		at(10, 0):  1, // n1: m moved away, d was deleted
		at(11, 0):  1, // m
		at(12, 0):  0, // n3 moved away
		at(12, 30): 1,
		at(13, 0):  1,
		at(14, 0):  1,
		at(15, 0):  0,
	})

	// A pass with more revised records than it keeps counts no bucket as
	// its own: "n5" is new, in an empty bucket, but "n2" and "n4" change.
	p = s.BeginPass()
	p.SetMaxRevised(1)
	batch(phone("n5", at(16, 0)), moved(phone("n2", at(12, 30)), 2, at(16, 1)), withVersion(phone("n4", at(14, 0)), 2))
	checkOwn(t, p, institution, nil, nil)
	if err := p.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	checkOffered(t, s, institution, map[time.Time]float64{at(12, 30): 0, at(14, 0): 1, at(16, 0): 2})
}

func checkOwn(t *testing.T, p *store.Pass, institution string, buckets []time.Time, revised []string) {
	t.Helper()
	gotBuckets, gotRevised := p.OwnBuckets(institution)
	if fmt.Sprint(gotBuckets) != fmt.Sprint(buckets) || fmt.Sprint(gotRevised) != fmt.Sprint(revised) {
		t.Errorf("own buckets %v and revised records %v, want %v and %v", gotBuckets, gotRevised, buckets, revised)
	}
}

// checkOffered checks the contacts offered in each bucket starting at a
// key of want.
func checkOffered(t *testing.T, s *store.Store, institution string, want map[time.Time]float64) {
	t.Helper()
	ctx := testContext(t)
	for from, offered := range want {
		q := store.ContactQuery{Institution: institution, From: from, To: from.Add(store.BucketSize)}
		rows, err := s.ContactCounts(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if got := offeredIn(rows); got != offered {
			t.Errorf("bucket %s: %v contacts offered, want %v", from.Format("15:04"), got, offered)
		}
	}
}
