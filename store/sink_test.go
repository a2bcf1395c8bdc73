package store_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/servers/servertest"
)

var (
	day      = time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)
	dayAfter = day.AddDate(0, 0, 1)
	nineAM   = day.Add(9 * time.Hour)
)

func TestNewestVersionWins(t *testing.T) {
	// v1 was answered within T (wait 10 s), v2 says the caller abandoned
	// after 30 s: the contact counts once, as abandoned.
	v1 := withVersion(answered("c1", "cc", "phone", nineAM, 10, 60, 0, 5), 1)
	v2 := withVersion(abandoned("c1", "cc", "phone", nineAM, 30), 2)
	for _, tc := range []struct {
		name  string
		order []records.Contact
	}{
		{"v1 then v2", []records.Contact{v1, v2}},
		{"v2 then v1", []records.Contact{v2, v1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := servertest.NewStore(t)
			for _, c := range tc.order {
				mustInsert(t, s, c) // separate inserts: separate parts
			}
			got := totals(t, s, day, dayAfter)["cc/phone"]
			if got.Offered != 1 || got.Answered != 0 || got.Abandoned != 1 || got.AnsweredWithinT != 0 || got.AbandonedNotShort != 1 || got.MaxWaitS != 30 {
				t.Errorf("counts = %+v, want one abandoned contact with a 30 s wait", got)
			}
		})
	}
}

func TestNewestVersionMovedOutOfWindow(t *testing.T) {
	s := servertest.NewStore(t)
	// v2 corrects the arrival to the next day: it leaves day and joins dayAfter.
	v1 := withVersion(answered("c1", "cc", "phone", nineAM, 10, 60, 0, 5), 1)
	v2 := withVersion(answered("c1", "cc", "phone", nineAM.AddDate(0, 0, 1), 10, 60, 0, 5), 2)
	mustInsert(t, s, v1)
	mustInsert(t, s, v2)
	if got := totals(t, s, day, dayAfter); len(got) != 0 {
		t.Errorf("first day: %+v, want nothing", got)
	}
	if got := totals(t, s, dayAfter, dayAfter.AddDate(0, 0, 1))["cc/phone"]; got.Offered != 1 {
		t.Errorf("second day offered = %v, want 1", got.Offered)
	}
}

func TestTombstoneRemovesContact(t *testing.T) {
	s := servertest.NewStore(t)
	keep := answered("keep", "cc", "phone", nineAM, 10, 60, 0, 5)
	gone := answered("gone", "cc", "phone", nineAM, 10, 60, 0, 5)
	tomb := withVersion(gone, 2)
	tomb.Deleted = true
	mustInsert(t, s, keep, gone)
	mustInsert(t, s, tomb)
	if got := totals(t, s, day, dayAfter)["cc/phone"]; got.Offered != 1 {
		t.Errorf("offered = %v, want 1 (the tombstoned contact must not count)", got.Offered)
	}
}

func TestReinsertedBatchCountsOnce(t *testing.T) {
	s := servertest.NewStore(t)
	batch := []records.Contact{
		answered("a", "cc", "phone", nineAM, 10, 60, 0, 5),
		abandoned("b", "cc", "phone", nineAM, 30),
	}
	mustInsert(t, s, batch...)
	mustInsert(t, s, batch...)
	got := totals(t, s, day, dayAfter)["cc/phone"]
	if got.Offered != 2 || got.Answered != 1 || got.Abandoned != 1 || got.HandleSumS != 65 {
		t.Errorf("counts = %+v, want offered 2, answered 1, abandoned 1, handle 65 s", got)
	}
}

func TestLiveIDs(t *testing.T) {
	s := servertest.NewStore(t)
	ctx := testContext(t)
	from := func(c records.Contact, origin string, v int64) records.Contact {
		c = withVersion(c, v)
		c.Origin = origin
		return c
	}
	x := answered("x", "cc", "phone", nineAM, 10, 60, 0, 5)
	y := answered("y", "cc", "phone", nineAM, 10, 60, 0, 5)
	z := answered("z", "cc", "phone", nineAM, 10, 60, 0, 5)
	zDeleted := from(z, "a.csv", 2)
	zDeleted.Deleted = true
	mustInsert(t, s,
		from(x, "a.csv", 1), from(x, "b.csv", 2), // x moved on to b.csv
		from(y, "a.csv", 1),           // y lives in a.csv
		from(z, "a.csv", 1), zDeleted, // z was withdrawn
	)
	for _, tc := range []struct {
		origin string
		want   []string
	}{
		{"a.csv", []string{"y"}},
		{"b.csv", []string{"x"}},
		{"c.csv", nil},
	} {
		got, err := s.LiveIDs(ctx, "contacts", "sodra-cc", tc.origin)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("LiveIDs(contacts, sodra-cc, %s) = %v, want %v", tc.origin, got, tc.want)
		}
	}
	if _, err := s.LiveIDs(ctx, "calls", "sodra-cc", "a.csv"); err == nil {
		t.Error("LiveIDs of kind calls: want an error")
	}

	fb := records.Feedback{Institution: "VMI", Source: "vmi-fb", ID: "f1", Version: 1, UpdatedAt: nineAM, Instrument: records.InstrumentPostContact,
		SubmittedAt: nineAM, Scale: records.Scale1to5, Score: 5, Origin: "fb.csv"}
	fbGone := fb
	fbGone.ID = "f2"
	fbTomb := fbGone
	fbTomb.Version, fbTomb.Deleted = 2, true
	if err := s.InsertFeedback(ctx, []records.Feedback{fb, fbGone, fbTomb}); err != nil {
		t.Fatal(err)
	}
	got, err := s.LiveIDs(ctx, "feedback", "vmi-fb", "fb.csv")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"f1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("LiveIDs(feedback) = %v, want %v", got, want)
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	s := servertest.NewStore(t)
	ctx := testContext(t)
	if _, ok, err := s.Checkpoint(ctx, "sodra-cc", "contacts"); err != nil || ok {
		t.Fatalf("Checkpoint before any save: ok=%v err=%v, want ok=false", ok, err)
	}
	at := time.Date(2024, 3, 4, 10, 0, 0, 0, time.UTC)
	// Saves in quick succession: the last one must win.
	for i, pos := range []string{"p1", "p2", "p3"} {
		cp := records.Checkpoint{Source: "sodra-cc", Stream: "contacts", Position: pos, UpdatedAt: at.Add(time.Duration(i) * time.Second)}
		if err := s.SaveCheckpoint(ctx, cp); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SaveCheckpoint(ctx, records.Checkpoint{Source: "sodra-cc", Stream: "feedback", Position: "other", UpdatedAt: at}); err != nil {
		t.Fatal(err)
	}
	cp, ok, err := s.Checkpoint(ctx, "sodra-cc", "contacts")
	if err != nil || !ok {
		t.Fatalf("Checkpoint: ok=%v err=%v", ok, err)
	}
	want := records.Checkpoint{Source: "sodra-cc", Stream: "contacts", Position: "p3", UpdatedAt: at.Add(2 * time.Second)}
	if !reflect.DeepEqual(cp, want) {
		t.Errorf("Checkpoint = %+v, want %+v", cp, want)
	}
	if err := s.SaveCheckpoint(ctx, records.Checkpoint{Source: "", Stream: "contacts"}); err == nil {
		t.Error("SaveCheckpoint without a source: want an error")
	}
}

func TestQuarantine(t *testing.T) {
	s := servertest.NewStore(t)
	ctx := testContext(t)
	at := time.Date(2024, 3, 4, 10, 0, 0, 0, time.UTC)
	q := func(source, id string, minute int) records.Quarantined {
		return records.Quarantined{Institution: "VMI", Source: source, Stream: "contacts", RecordID: id, Field: "answered_at",
			Reason: "answered_at before arrived_at", Raw: `{"id":"` + id + `","quote":"it's"}`, Origin: "file.csv:7", ReceivedAt: at.Add(time.Duration(minute) * time.Minute)}
	}
	in := []records.Quarantined{q("vmi", "r1", 1), q("vmi", "r2", 2), q("vmi", "r3", 3), q("ind", "r4", 4)}
	if err := s.Quarantine(ctx, in); err != nil {
		t.Fatal(err)
	}
	for source, want := range map[string]uint64{"vmi": 3, "ind": 1, "": 4, "none": 0} {
		n, err := s.QuarantineCount(ctx, source)
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("QuarantineCount(%q) = %d, want %d", source, n, want)
		}
	}
	got, err := s.ListQuarantine(ctx, "vmi", 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := []records.Quarantined{in[2], in[1]}; !reflect.DeepEqual(got, want) {
		t.Errorf("ListQuarantine(vmi, 2) = %+v, want the two newest %+v", got, want)
	}

	// A retried file quarantines the same records again, later: they are
	// kept once. The same record from another file is another fact.
	again := q("vmi", "r1", 30)
	other := q("vmi", "r1", 31)
	other.Origin = "file-2.csv:3"
	if err := s.Quarantine(ctx, []records.Quarantined{again, other, q("ind", "r4", 32)}); err != nil {
		t.Fatal(err)
	}
	for source, want := range map[string]uint64{"vmi": 4, "ind": 1} {
		if n, err := s.QuarantineCount(ctx, source); err != nil || n != want {
			t.Errorf("after a retry, QuarantineCount(%q) = %d, %v; want %d", source, n, err, want)
		}
	}
}

func TestAggregatesHighestRevisionWins(t *testing.T) {
	s := servertest.NewStore(t)
	ctx := testContext(t)
	date := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	row := func(batch string, rev int64, start, end time.Time, metric string, v float64) records.Aggregate {
		return records.Aggregate{Institution: "IND", Source: "ind", Batch: batch, Revision: rev, PeriodStart: start, PeriodEnd: end,
			Unit: "phone", Channel: "phone", Metric: metric, Value: v}
	}
	jan, feb, mar := date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)
	if err := s.InsertAggregates(ctx, []records.Aggregate{
		row("2024-01", 1, jan, feb, "offered", 100),
		row("2024-01", 1, jan, feb, "answered", 90),
		row("2024-02", 1, feb, mar, "offered", 200),
	}); err != nil {
		t.Fatal(err)
	}
	// Revision 2 of January replaces revision 1 whole: "answered" is gone.
	rev2 := row("2024-01", 2, jan, feb, "offered", 110)
	if err := s.InsertAggregates(ctx, []records.Aggregate{rev2}); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertAggregates(ctx, []records.Aggregate{rev2}); err != nil { // a re-run must not double it
		t.Fatal(err)
	}
	loc := vilnius(t)
	for _, tc := range []struct {
		name     string
		from, to time.Time
		want     []records.Aggregate
	}{
		{"January", time.Date(2024, 1, 1, 0, 0, 0, 0, loc), time.Date(2024, 2, 1, 0, 0, 0, 0, loc), []records.Aggregate{rev2}},
		{"one day of February", time.Date(2024, 2, 10, 0, 0, 0, 0, loc), time.Date(2024, 2, 11, 0, 0, 0, 0, loc),
			[]records.Aggregate{row("2024-02", 1, feb, mar, "offered", 200)}},
		{"both", time.Date(2024, 1, 31, 0, 0, 0, 0, loc), time.Date(2024, 2, 1, 8, 0, 0, 0, loc),
			[]records.Aggregate{rev2, row("2024-02", 1, feb, mar, "offered", 200)}},
		{"March", time.Date(2024, 3, 1, 0, 0, 0, 0, loc), time.Date(2024, 4, 1, 0, 0, 0, 0, loc), nil},
	} {
		got, err := s.Aggregates(ctx, "IND", tc.from, tc.to)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Aggregates = %+v, want %+v", tc.name, got, tc.want)
		}
	}
	// A batch's rows in force, whatever their period: its highest
	// revision, once, and nothing of another source's batch of that name.
	if err := s.InsertAggregates(ctx, []records.Aggregate{{Institution: "IND", Source: "other", Batch: "2024-01", Revision: 3,
		PeriodStart: jan, PeriodEnd: feb, Metric: "offered", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		institution, batch string
		want               []records.Aggregate
	}{
		{"IND", "2024-01", []records.Aggregate{rev2}},
		{"IND", "2024-02", []records.Aggregate{row("2024-02", 1, feb, mar, "offered", 200)}},
		{"IND", "2024-03", nil},
		{"SODRA", "2024-01", nil},
	} {
		got, err := s.BatchAggregates(ctx, tc.institution, "ind", tc.batch)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("BatchAggregates(%s, ind, %s) = %+v, want %+v", tc.institution, tc.batch, got, tc.want)
		}
	}
}

func TestInsertAggregates(t *testing.T) {
	s := servertest.NewStore(t)
	ctx := testContext(t)
	a := records.Aggregate{Institution: "IND", Source: "ind", Batch: "2024-01", Revision: 1,
		PeriodStart: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC),
		Unit: "phone", Channel: "phone", Metric: "offered", Value: 1234}
	if err := s.InsertAggregates(ctx, []records.Aggregate{a}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Count(ctx, "SELECT count() FROM aggregates WHERE batch = '2024-01' AND period_start = toDate('2024-01-01') AND value = 1234"); err != nil || n != 1 {
		t.Errorf("aggregate rows = %d (err %v), want 1", n, err)
	}
}

// TestLargeBatchGoesWhole writes batches of several blocks (the store sends
// a batch in blocks of a few thousand rows): every contact, written case
// and response counts; and a batch with a bad record in its last block,
// written through a pass as a collector writes it, writes nothing at all,
// in none of its tables.
func TestLargeBatchGoesWhole(t *testing.T) {
	s := servertest.NewStore(t)
	ctx := testContext(t)
	const n = 10000 // more than two blocks of contacts and of responses, more than one of written cases
	cs := make([]records.Contact, n)
	fs := make([]records.Feedback, n)
	for i := range cs {
		at := day.Add(time.Duration(i) * 7 * time.Second)
		if i%2 == 0 {
			cs[i] = openCase(fmt.Sprint("c", i), "cc", records.ChannelEmail, at)
		} else {
			cs[i] = answered(fmt.Sprint("c", i), "cc", records.ChannelPhone, at, i%40, 60, 0, 5)
		}
		fs[i] = records.Feedback{Institution: "SODRA", Source: "sodra-fb", ID: fmt.Sprint("f", i), Version: 1, UpdatedAt: at,
			Instrument: records.InstrumentFAQ, Unit: "cc", Channel: records.ChannelWeb, SubmittedAt: at, Scale: records.ScaleYesNo, Score: i % 2}
	}
	badContacts, badFeedback := slices.Clone(cs), slices.Clone(fs)
	badContacts[n-1].Version = -1 // a phone call: the written cases themselves are all valid
	badFeedback[n-1].Version = -1
	p := s.BeginPass()
	if err := p.InsertContacts(ctx, badContacts); err == nil {
		t.Fatal("a batch of contacts with a negative version was accepted")
	}
	if err := p.InsertFeedback(ctx, badFeedback); err == nil {
		t.Fatal("a batch of responses with a negative version was accepted")
	}
	// Refused before anything was written: not even the pass's note of
	// the buckets the batch would touch, which goes before its rows.
	if n, err := s.PendingNotes(ctx); err != nil || n != 0 {
		t.Fatalf("after the refused batches, %d pending notes (%v), want none", n, err)
	}
	for _, table := range []string{"contacts", "written_cases", "feedback"} {
		if got, err := s.Count(ctx, "SELECT count() FROM "+table); err != nil || got != 0 {
			t.Fatalf("after the refused batches, %s holds %d rows (%v), want none", table, got, err)
		}
	}
	if err := s.InsertContacts(ctx, cs); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertFeedback(ctx, fs); err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]uint64{"contacts": n, "written_cases": n / 2, "feedback": n} {
		if got, err := s.Count(ctx, "SELECT count() FROM "+table); err != nil || got != want {
			t.Errorf("%s holds %d rows (%v), want %d", table, got, err, want)
		}
	}
}

// TestInsertContactsWithoutRollups checks that the bench's floor writes
// the versions and nothing of their upkeep, and refuses a bad batch before
// sending any of it.
func TestInsertContactsWithoutRollups(t *testing.T) {
	s := servertest.NewStore(t)
	ctx := testContext(t)
	cs := []records.Contact{
		answered("a", "cc", records.ChannelPhone, nineAM, 10, 60, 0, 5),
		openCase("b", "cc", records.ChannelEmail, nineAM),
		abandoned("c", "cc", records.ChannelPhone, nineAM, 30),
	}
	bad := slices.Clone(cs)
	bad[2].Version = -1
	err := s.InsertContactsWithoutRollups(ctx, bad)
	if err == nil || !strings.Contains(err.Error(), "sodra-cc/c") || !strings.Contains(err.Error(), "version") {
		t.Fatalf("a batch with a negative version: %v, want an error naming the record and the field", err)
	}
	if got, err := s.Count(ctx, "SELECT count() FROM contacts"); err != nil || got != 0 {
		t.Fatalf("after the refused batch, contacts holds %d rows (%v), want none", got, err)
	}
	if err := s.InsertContactsWithoutRollups(ctx, cs); err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]uint64{"contacts": 3, "written_cases": 0, "contact_rollup_15m": 0, "contact_rollup_1s": 0, "rollup_pending": 0} {
		if got, err := s.Count(ctx, "SELECT count() FROM "+table); err != nil || got != want {
			t.Errorf("%s holds %d rows (%v), want %d", table, got, err, want)
		}
	}
}
