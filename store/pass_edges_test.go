package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/store"
)

// TestPassEdgesEqualRawPath covers what a pass's recount must get right
// beyond the random sequences of TestPassRollupsEqualRawPath: new contacts
// in the very second of stored ones, two versions of a record in one
// batch, a tombstone of a record never seen, a negative wait, a rebuild of
// the rollups while a pass runs, contacts moved (and back, and an old
// version replayed) before and after recounts ahead of their buckets, and
// thresholds changed between passes.
// After each case the counts served through the rollups equal the raw
// path's, and the number of contacts offered is the one the case wrote.
func TestPassEdgesEqualRawPath(t *testing.T) {
	s := servertest.NewStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// Superseded versions stay on disk, as they may for a long time: a
	// merge that drops them would hide a count that picks one.
	if err := s.Exec(ctx, "SYSTEM STOP MERGES contacts"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Exec(context.Background(), "SYSTEM START MERGES contacts") })
	day := time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC)
	at := func(h, m, sec int) time.Time {
		return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second)
	}
	phone := func(id string, arrived time.Time, waitS int) records.Contact {
		return answered(id, "cc", records.ChannelPhone, arrived, waitS, 100, 10, 5)
	}
	deleted := func(c records.Contact) records.Contact { c.Deleted = true; return c }
	longer := func(c records.Contact) records.Contact {
		c = withVersion(c, 2)
		later := c.ArrivedAt.Add(45 * time.Second)
		c.AnsweredAt = &later
		return c
	}
	moved := func(c records.Contact, to time.Time) records.Contact {
		c = withVersion(c, 2)
		shift := to.Sub(c.ArrivedAt)
		c.ArrivedAt = to
		c.AnsweredAt = ptr(c.AnsweredAt.Add(shift))
		c.EndedAt = ptr(c.EndedAt.Add(shift))
		return c
	}
	negative := phone("neg", at(11, 0, 0), 0)
	before := negative.ArrivedAt.Add(-3 * time.Second)
	negative.AnsweredAt = &before

	type step struct {
		passes  [][][]records.Contact // passes of batches
		rebuild bool                  // rebuild the rollups after the first pass's batches, before it finishes
		ahead   bool                  // recount ahead whatever the latest batch did not touch, before the next batch
		failing bool                  // and let every recount ahead fail
		params  time.Duration         // when set, the phone threshold from the second pass on
	}
	for _, tc := range []struct {
		name    string
		step    step
		offered float64
	}{
		{"into the second, bucket and day of stored contacts", step{passes: [][][]records.Contact{
			{{phone("a", at(10, 0, 0), 5)}},
			{{phone("b", at(10, 0, 0), 25), phone("c", at(10, 7, 0), 20)}, {phone("d", at(13, 0, 0), 21)}},
		}}, 4},
		{"two versions of a new contact in one batch", step{passes: [][][]records.Contact{
			{{phone("x", at(9, 0, 0), 5), longer(phone("x", at(9, 0, 0), 5)), phone("y", at(9, 1, 0), 5)}},
		}}, 2},
		{"a new contact, then its new version in a later batch", step{passes: [][][]records.Contact{
			{{phone("x", at(9, 0, 0), 5)}, {longer(phone("x", at(9, 0, 0), 5)), phone("z", at(9, 0, 30), 1)}},
		}}, 2},
		{"a tombstone of a contact never seen", step{passes: [][][]records.Contact{
			{{deleted(phone("gone", at(8, 0, 0), 5)), phone("kept", at(8, 0, 0), 5)}},
		}}, 1},
		{"a negative wait", step{passes: [][][]records.Contact{
			{{openCase("p", "cc", records.ChannelPhone, at(11, 0, 0))}},
			{{negative}},
		}}, 2},
		{"rollups recounted while the pass runs", step{rebuild: true, passes: [][][]records.Contact{
			{{phone("r1", at(12, 0, 0), 5)}, {phone("r2", at(12, 0, 1), 50)}},
			{{phone("r3", at(12, 0, 0), 5)}},
		}}, 3},
		{"a contact moved after its bucket was recounted ahead", step{ahead: true, passes: [][][]records.Contact{
			{{phone("a1", at(9, 0, 0), 5)}, {phone("a2", at(13, 0, 0), 5)}, {moved(phone("a1", at(9, 0, 0), 5), at(16, 0, 0)), phone("a3", at(9, 1, 0), 50)},
				{phone("a4", at(20, 0, 0), 5)}},
		}}, 4},
		{"a contact moved out of a bucket recounted ahead without its new one", step{ahead: true, passes: [][][]records.Contact{
			{{phone("m1", at(9, 0, 0), 5)}, {phone("m2", at(13, 0, 0), 5)}, {moved(phone("m1", at(9, 0, 0), 5), at(16, 0, 0))},
				{phone("m3", at(16, 0, 0), 5)}},
		}}, 3},
		{"a contact moved back after both its buckets were recounted ahead", step{ahead: true, passes: [][][]records.Contact{
			{{phone("b1", at(9, 0, 0), 5)}, {phone("b2", at(13, 0, 0), 5)}, {moved(phone("b1", at(9, 0, 0), 5), at(16, 0, 0))},
				{phone("b3", at(16, 0, 0), 5)}, {withVersion(phone("b1", at(9, 0, 0), 5), 3)}, {phone("b4", at(9, 5, 0), 5)}},
		}}, 4},
		{"an old version replayed after the new one was recounted ahead", step{ahead: true, passes: [][][]records.Contact{
			{{phone("o1", at(9, 0, 0), 5)}, {phone("o2", at(13, 0, 0), 5)}, {moved(phone("o1", at(9, 0, 0), 5), at(16, 0, 0))},
				{phone("o3", at(16, 0, 0), 5)}, {phone("o1", at(9, 0, 0), 5)}, {phone("o4", at(9, 5, 0), 5)}},
		}}, 4},
		{"recounts ahead that fail", step{ahead: true, failing: true, passes: [][][]records.Contact{
			{{phone("f1", at(9, 0, 0), 5)}, {phone("f2", at(13, 0, 0), 5)}, {phone("f3", at(16, 0, 0), 50)}},
		}}, 3},
		{"thresholds changed between passes", step{params: 30 * time.Second, passes: [][][]records.Contact{
			{{phone("t1", at(14, 0, 0), 25)}},
			{{phone("t2", at(14, 0, 0), 25), phone("t3", at(14, 20, 0), 25)}},
		}}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			institution := fmt.Sprintf("edge %s", tc.name)
			s.SetParams(nil)
			if err := s.RebuildRollups(ctx, institution); err != nil {
				t.Fatal(err)
			}
			for i, batches := range tc.step.passes {
				if i > 0 && tc.step.params > 0 {
					s.SetParams(func(_, _, channel string) kpi.Params {
						p := kpi.DefaultParams(channel)
						p.Threshold = tc.step.params
						return p
					})
				}
				p := s.BeginPass()
				if tc.step.ahead {
					p.SetRecountAhead(1)
				}
				if tc.step.failing {
					p.FailRecountsAhead(errors.New("injected"))
				}
				for _, b := range batches {
					for j := range b {
						b[j].Institution = institution
					}
					if err := p.InsertContacts(ctx, b); err != nil {
						t.Fatal(err)
					}
					if tc.step.ahead {
						p.WaitAhead() // each recount ahead sees the batches before it, and no later one
					}
				}
				if i == 0 && tc.step.rebuild {
					if err := s.RebuildRollups(ctx, institution); err != nil {
						t.Fatal(err)
					}
				}
				if tc.step.ahead && p.RecountsAhead() == 0 {
					t.Fatal("the pass recounted nothing ahead: the case shows nothing")
				}
				if err := p.Finish(ctx); err != nil {
					t.Fatal(err)
				}
			}
			params := func(_, channel string) kpi.Params {
				p := kpi.DefaultParams(channel)
				if tc.step.params > 0 {
					p.Threshold = tc.step.params
				}
				return p
			}
			for _, by := range []store.By{store.ByDay, store.ByTotal} {
				q := store.ContactQuery{Institution: institution, From: day.AddDate(0, 0, -1), To: day.AddDate(0, 0, 2), By: by, Params: params}
				rolled, _, diff := contactsVsRaw(ctx, t, s, q)
				if diff != "" {
					t.Errorf("by %v: rollups differ from the raw path:\n%s", by, diff)
				}
				var offered float64
				for _, r := range rolled {
					offered += r.Counts.Offered
				}
				if offered != tc.offered {
					t.Errorf("by %v: %v contacts offered through the rollups, want %v", by, offered, tc.offered)
				}
			}
		})
	}
}

// TestBatchWaitsForTheRecountAheadOfItsBucket: a batch that revises a
// contact in a bucket that a recount ahead is counting waits for that
// recount, which does not know the contact revised and would count both
// its versions. Until the pass finishes, the bucket's rollup is then as it
// was before the batch (stale), never the contact twice; after, as it is.
func TestBatchWaitsForTheRecountAheadOfItsBucket(t *testing.T) {
	const institution = "ahead"
	s, ctx, phone := builtStore(t, institution)
	nine := time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)
	p := s.BeginPass()
	p.SetRecountAhead(1)
	started, release := make(chan struct{}, 8), make(chan struct{})
	p.BlockRecountsAhead(started, release)
	for _, c := range []records.Contact{phone("a", nine, 5), phone("b", nine.Add(4*time.Hour), 5)} {
		if err := p.InsertContacts(ctx, []records.Contact{c}); err != nil {
			t.Fatal(err)
		}
	}
	<-started // the 9:00 bucket, settled by the second batch, is being recounted ahead

	done := make(chan error, 1)
	go func() { done <- p.InsertContacts(ctx, []records.Contact{withVersion(phone("a", nine, 40), 2)}) }()
	for p.AheadWaits() == 0 {
		select {
		case err := <-done:
			t.Fatalf("the batch revising a contact of the bucket being recounted ahead did not wait for the recount (err %v)", err)
		case <-time.After(time.Millisecond):
		}
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	p.WaitAhead()
	checkBucket(t, s, institution, nine, 1, 5) // as before the batch
	if err := p.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	checkBucket(t, s, institution, nine, 1, 40)
}

// builtStore returns a store whose rollups of institution are built (so
// reads are served from them), a context, and a maker of the
// institution's phone calls answered after waitS seconds.
func builtStore(t *testing.T, institution string) (*store.Store, context.Context, func(id string, arrived time.Time, waitS int) records.Contact) {
	t.Helper()
	s := servertest.NewStore(t)
	ctx := testContext(t)
	if err := s.RebuildRollups(ctx, institution); err != nil {
		t.Fatal(err)
	}
	return s, ctx, func(id string, arrived time.Time, waitS int) records.Contact {
		c := answered(id, "cc", records.ChannelPhone, arrived, waitS, 100, 10, 5)
		c.Institution = institution
		return c
	}
}

// checkBucket checks the contacts offered and the sum of the answer waits
// served through the rollups for the bucket from from.
func checkBucket(t *testing.T, s *store.Store, institution string, from time.Time, offered, waitSumS float64) {
	t.Helper()
	rows, err := s.ContactCounts(testContext(t), store.ContactQuery{Institution: institution, From: from, To: from.Add(store.BucketSize)})
	if err != nil {
		t.Fatal(err)
	}
	var waits float64
	for _, r := range rows {
		waits += r.Counts.AnswerWaitSumS
	}
	if got := offeredIn(rows); got != offered || waits != waitSumS {
		t.Errorf("bucket %s: %v contacts offered with %v s of answer waits, want %v with %v s", from.Format("15:04"), got, waits, offered, waitSumS)
	}
}

// TestFinishRecountsAlongsideTheRecountAhead: the buckets a pass has left
// when it finishes are recounted while a recount ahead of other buckets is
// still running, in two halves that share a day, and the rollups of every
// bucket and day then equal the raw path's.
func TestFinishRecountsAlongsideTheRecountAhead(t *testing.T) {
	const institution = "alongside"
	s, ctx, phone := builtStore(t, institution)
	first := time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)
	// After the first day, a contact in every bucket of three days: the
	// halves of what Finish has left meet in the middle of the second.
	from := first.AddDate(0, 0, 2).Truncate(24 * time.Hour)
	var later []records.Contact
	for i := range 3 * 96 {
		later = append(later, phone(fmt.Sprint("l", i), from.Add(time.Duration(i)*store.BucketSize+time.Minute), 1+i%60))
	}
	p := s.BeginPass()
	p.SetRecountAhead(1)
	started, release := make(chan struct{}, 8), make(chan struct{})
	p.BlockRecountsAhead(started, release)
	for _, b := range [][]records.Contact{{phone("a", first, 5)}, later} {
		if err := p.InsertContacts(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	<-started // the first day's bucket, settled by the second batch, is being recounted ahead

	done := make(chan error, 1)
	go func() { done <- p.Finish(ctx) }()
	middle := from.Add(36 * time.Hour) // where the two halves meet
	for {
		rows, err := s.ContactCounts(ctx, store.ContactQuery{Institution: institution, From: middle, To: middle.Add(store.BucketSize)})
		if err != nil {
			t.Fatal(err)
		}
		if offeredIn(rows) == 1 {
			break // recounted while the recount ahead is held
		}
		select {
		case err := <-done:
			t.Fatalf("Finish returned (err %v) before the recount ahead it had to wait for was released", err)
		case <-ctx.Done():
			t.Fatal("Finish did not recount the buckets it had left while a recount ahead ran")
		case <-time.After(10 * time.Millisecond):
		}
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, by := range []store.By{store.ByDay, store.ByTotal} {
		q := store.ContactQuery{Institution: institution, From: first.AddDate(0, 0, -1), To: from.AddDate(0, 0, 4), By: by}
		rolled, _, diff := contactsVsRaw(ctx, t, s, q)
		if diff != "" {
			t.Errorf("by %v: rollups differ from the raw path:\n%s", by, diff)
		}
		if got, want := offeredIn(rolled), float64(1+len(later)); got != want {
			t.Errorf("by %v: %v contacts offered through the rollups, want %v", by, got, want)
		}
	}
}

// TestSettleContactsRecountsAhead: SettleContacts starts a recount ahead of
// the contact buckets a pass's contact batches left, which no contact
// batch had started (too few settled), and a batch of feedback alone does
// not (a VMI-style collector writes contacts and feedback file by file).
func TestSettleContactsRecountsAhead(t *testing.T) {
	const institution = "settle"
	s, ctx, phone := builtStore(t, institution)
	nine := time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)
	c := phone("c1", nine, 5)
	p := s.BeginPass()
	if err := p.InsertContacts(ctx, []records.Contact{c}); err != nil {
		t.Fatal(err)
	}
	if n := p.RecountsAhead(); n != 0 {
		t.Fatalf("%d recounts ahead after one contact batch, want none", n)
	}
	f := response("f1", "cc", records.ChannelPhone, "post_contact", records.Scale1to5, 5, nine.Add(time.Hour))
	f.Institution = institution
	if err := p.InsertFeedback(ctx, []records.Feedback{f}); err != nil {
		t.Fatal(err)
	}
	if n := p.RecountsAhead(); n != 0 {
		t.Errorf("%d recounts ahead after a feedback batch, want none", n)
	}
	p.SettleContacts(ctx)
	if n := p.RecountsAhead(); n != 1 {
		t.Errorf("%d recounts ahead after SettleContacts, want 1", n)
	}
	if err := p.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	checkBucket(t, s, institution, nine, 1, 5)
}
