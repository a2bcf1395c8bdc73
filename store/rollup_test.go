package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/store"
)

// TestRollupsEqualRawPath writes random sequences of record versions
// (new versions that move a contact to another bucket, unit or channel,
// tombstones, answers given later, feedback about contacts that arrive
// before or after it) in random batches, then checks for random windows,
// institutions, groupings and as-of times that the counts served through
// the rollups equal, exactly, the counts of the raw versions.
func TestRollupsEqualRawPath(t *testing.T) {
	s := servertest.NewStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // many queries; a loaded CI machine is slow
	defer cancel()
	loc := vilnius(t)
	lt, err := kpi.NewCalendar("LT")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2024, 3, 29, 0, 0, 0, 0, loc) // across the spring DST change and Easter
	if err := s.LoadCalendar(ctx, lt.Days("LT", start.AddDate(0, 0, -7), start.AddDate(0, 2, 0))); err != nil {
		t.Fatal(err)
	}
	params := func(_, unit, channel string) kpi.Params {
		p := kpi.DefaultParams(channel)
		if unit == "north" {
			p.Threshold, p.DeadlineDays = 30*time.Second, 2
		}
		return p
	}
	s.SetParams(params)
	zones := func(in string) *time.Location { // the written rollup counts SODRA's days in Vilnius, V'MI's in UTC
		if in == "SODRA" {
			return loc
		}
		return time.UTC
	}
	s.SetZones(zones)
	// The seconds are kept from 30 March (UTC) on: the first day's buckets
	// are counted straight into the 15-minute level, and windows with an
	// end in them are read from the raw versions.
	s.SetSecondsHorizon(48*time.Hour, func() time.Time { return start.AddDate(0, 0, 4) })
	institutions := []string{"SODRA", `V'MI`}
	for _, in := range institutions {
		if err := s.RebuildRollups(ctx, in); err != nil {
			t.Fatal(err)
		}
	}

	r := rand.New(rand.NewPCG(7, 11))
	w := newWorld(r, start)
	var last time.Time // the latest time of any version written
	for batch := 0; batch < 30; batch++ {
		cs, fs := w.batch(institutions)
		for _, c := range cs {
			last = latest(last, c.ArrivedAt)
		}
		for _, f := range fs {
			last = latest(last, f.SubmittedAt)
		}
		if err := s.InsertContacts(ctx, cs); err != nil {
			t.Fatal(err)
		}
		if err := s.InsertFeedback(ctx, fs); err != nil {
			t.Fatal(err)
		}
	}

	// The exporter's trailing windows, read in one pass for both
	// institutions.
	for trial := 0; trial < 5; trial++ {
		to := start.Add(time.Duration(3*24*time.Hour) + time.Duration(r.Int64N(int64(3*24*time.Hour))))
		froms := []time.Time{to.Add(-5 * time.Minute), to.Add(-time.Hour), to.Add(-24 * time.Hour), to.Add(-72 * time.Hour)}
		switch trial {
		case 0:
			to = to.Truncate(store.BucketSize) // windows of whole buckets
			froms = []time.Time{to.Add(-time.Hour), to.Add(-24 * time.Hour)}
		case 1:
			// Nothing is stored after to.
			to = last.Add(time.Second)
			froms = []time.Time{to.Add(-time.Hour), to.Add(-24 * time.Hour), to.Add(-72 * time.Hour)}
		case 2:
			// Two windows that start in the same bucket.
			froms = []time.Time{to.Add(-time.Hour), to.Add(-time.Hour - time.Minute), to.Add(-90 * time.Second)}
		}
		var cqs []store.ContactQuery
		var fqs []store.FeedbackQuery
		for _, in := range institutions {
			p := func(unit, channel string) kpi.Params { return params(in, unit, channel) }
			cqs = append(cqs, store.ContactQuery{Institution: in, Location: loc, To: to, Params: p})
			fqs = append(fqs, store.FeedbackQuery{Institution: in, Location: loc, To: to})
		}
		multi, err := s.ContactCountsWindowsAll(ctx, cqs, froms)
		if err != nil {
			t.Fatal(err)
		}
		multiF, err := s.FeedbackCountsWindowsAll(ctx, fqs, froms)
		if err != nil {
			t.Fatal(err)
		}
		var wqs []store.WrittenQuery
		for n, in := range institutions {
			wqs = append(wqs, store.WrittenQuery{Institution: in, Location: loc, Calendar: "LT", To: to, AsOf: to.Add(-36 * time.Hour), Params: cqs[n].Params})
		}
		multiW, err := s.WrittenCountsWindowsAll(ctx, wqs, froms)
		if err != nil {
			t.Fatal(err)
		}
		for n, in := range institutions {
			checkWindows(ctx, t, s, cqs[n], fqs[n], froms, multi[n], multiF[n])
			for i, from := range froms {
				oneW := wqs[n]
				oneW.From, oneW.Raw = from, true
				rawW, err := s.WrittenCounts(ctx, oneW)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(multiW[n][i], rawW) {
					t.Errorf("%s window [%s, %s): written counts differ:\n%s", in, from, to, diffRows(multiW[n][i], rawW, func(r store.WrittenRow) string { return r.Unit + "/" + r.Channel }))
				}
			}
		}
	}

	served := 0 // written-case queries served by the written rollup
	for trial := 0; trial < 24; trial++ {
		in := institutions[r.IntN(len(institutions))]
		loc := []*time.Location{loc, time.UTC}[r.IntN(2)] // in UTC, every whole day of a period comes from the day rollup
		from := start.Add(time.Duration(r.Int64N(int64(3 * 24 * time.Hour))))
		to := from.Add(time.Duration(1 + r.Int64N(int64(4*24*time.Hour))))
		switch r.IntN(3) {
		case 0:
			from = from.Truncate(time.Hour) // aligned to buckets
		case 1: // whole local days, which the written rollup serves in its zone
			from, to = localMidnight(from, loc), localMidnight(to, loc).AddDate(0, 0, 1)
		}
		by := []store.By{store.ByTotal, store.ByDay, store.ByWeek, store.ByMonth}[r.IntN(4)]
		asOf := from.Add(time.Duration(r.Int64N(int64(10 * 24 * time.Hour))))
		p := func(unit, channel string) kpi.Params { return params(in, unit, channel) }
		name := fmt.Sprintf("%s [%s, %s) by %s in %s as of %s", in, from.Format(time.RFC3339), to.Format(time.RFC3339), by, loc, asOf.Format(time.RFC3339))

		cq := store.ContactQuery{Institution: in, Location: loc, From: from, To: to, By: by, Params: p}
		fq := store.FeedbackQuery{Institution: in, Location: loc, From: from, To: to, By: by}
		wq := store.WrittenQuery{Institution: in, Location: loc, Calendar: "LT", From: from, To: to, By: by, AsOf: asOf, Params: p}
		serves, err := s.WrittenRollupServes(ctx, wq)
		if err != nil {
			t.Fatal(err)
		}
		wholeDays := localMidnight(from, loc).Equal(from) && localMidnight(to, loc).Equal(to)
		if want := wholeDays && zones(in) == loc; serves != want {
			t.Errorf("%s: served by the written rollup: %v, want %v", name, serves, want)
		}
		if serves {
			served++
		}
		diff, contacts := rolledVsRaw(ctx, t, s, cq, fq, wq)
		diff += writtenAllVsOne(ctx, t, s, wq, institutions, func(in string) func(unit, channel string) kpi.Params {
			return func(unit, channel string) kpi.Params { return params(in, unit, channel) }
		})
		if contacts == 0 {
			t.Logf("%s: no contacts", name)
		}
		if diff != "" {
			t.Errorf("%s: counts differ:\n%s", name, diff)
		}
	}
	if served < 3 {
		t.Errorf("the written rollup served %d written-case queries, want at least 3", served)
	}
}

// localMidnight returns the midnight in loc that starts t's local day.
func localMidnight(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
}

// rolledVsRaw runs the contact, feedback and written-case queries through
// the rollups and through the raw versions, and describes where they
// differ; it also returns how many contact rows the raw path gave.
func rolledVsRaw(ctx context.Context, t *testing.T, s *store.Store, cq store.ContactQuery, fq store.FeedbackQuery, wq store.WrittenQuery) (string, int) {
	t.Helper()
	var out string
	_, raw, diff := contactsVsRaw(ctx, t, s, cq)
	if diff != "" {
		out += "contacts:\n" + diff
	}
	rolledF, err := s.FeedbackCounts(ctx, fq)
	if err != nil {
		t.Fatal(err)
	}
	fq.Raw = true
	rawF, err := s.FeedbackCounts(ctx, fq)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rolledF, rawF) {
		out += "feedback:\n" + diffRows(rolledF, rawF, func(r store.FeedbackRow) string {
			return r.Unit + "/" + r.Channel + "/" + r.Instrument + "@" + r.PeriodStart.String()
		})
	}
	rolledW, err := s.WrittenCounts(ctx, wq)
	if err != nil {
		t.Fatal(err)
	}
	wq.Raw = true
	rawW, err := s.WrittenCounts(ctx, wq)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rolledW, rawW) {
		out += "written:\n" + diffRows(rolledW, rawW, func(r store.WrittenRow) string { return r.Unit + "/" + r.Channel + "@" + r.PeriodStart.String() })
	}
	return out, len(raw)
}

// writtenAllVsOne runs wq for every institution at once (WrittenCountsAll)
// and for each on its own, and describes where they differ.
func writtenAllVsOne(ctx context.Context, t *testing.T, s *store.Store, wq store.WrittenQuery, institutions []string,
	params func(in string) func(unit, channel string) kpi.Params) string {
	t.Helper()
	var qs []store.WrittenQuery
	for _, in := range institutions {
		q := wq
		q.Institution, q.Params = in, params(in)
		qs = append(qs, q)
	}
	all, err := s.WrittenCountsAll(ctx, qs)
	if err != nil {
		t.Fatal(err)
	}
	var out string
	for i, q := range qs {
		one, err := s.WrittenCounts(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(all[i], one) {
			out += "written, all institutions at once, " + q.Institution + ":\n" +
				diffRows(all[i], one, func(r store.WrittenRow) string { return r.Unit + "/" + r.Channel + "@" + r.PeriodStart.String() })
		}
	}
	return out
}

// contactsVsRaw runs a contact query through the rollups and through the
// raw versions; it returns both results and, where they differ, a
// description.
func contactsVsRaw(ctx context.Context, t *testing.T, s *store.Store, cq store.ContactQuery) (rolled, raw []store.ContactRow, diff string) {
	t.Helper()
	rolled, err := s.ContactCounts(ctx, cq)
	if err != nil {
		t.Fatal(err)
	}
	cq.Raw = true
	raw, err = s.ContactCounts(ctx, cq)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rolled, raw) {
		diff = diffRows(rolled, raw, func(r store.ContactRow) string { return r.Unit + "/" + r.Channel + "@" + r.PeriodStart.String() })
	}
	return rolled, raw, diff
}

// world is the state of a random source: every contact's latest version.
type world struct {
	r        *rand.Rand
	start    time.Time
	contacts []records.Contact
	feedback []records.Feedback
	seq      int
}

func newWorld(r *rand.Rand, start time.Time) *world { return &world{r: r, start: start} }

// batch returns a random batch of new records and new versions of old ones.
func (w *world) batch(institutions []string) ([]records.Contact, []records.Feedback) {
	var cs []records.Contact
	var fs []records.Feedback
	for n := w.r.IntN(40); n >= 0; n-- {
		switch x := w.r.IntN(10); {
		case x < 6 || len(w.contacts) == 0:
			c := w.newContact(institutions[w.r.IntN(len(institutions))])
			w.contacts = append(w.contacts, c)
			cs = append(cs, c)
		case x < 9:
			i := w.r.IntN(len(w.contacts))
			c := w.change(w.contacts[i])
			w.contacts[i] = c
			cs = append(cs, c)
		default:
			f := w.newFeedback()
			w.feedback = append(w.feedback, f)
			fs = append(fs, f)
		}
	}
	if len(w.feedback) > 0 && w.r.IntN(2) == 0 { // a new version of a response
		i := w.r.IntN(len(w.feedback))
		f := w.feedback[i]
		f.Version++
		f.Score = 1 + w.r.IntN(5)
		f.Deleted = w.r.IntN(5) == 0
		w.feedback[i] = f
		fs = append(fs, f)
	}
	return cs, fs
}

var (
	worldUnits    = []string{"cc", "north"}
	worldChannels = []string{records.ChannelPhone, records.ChannelChat, records.ChannelFacebook, records.ChannelVisit,
		records.ChannelEmail, records.ChannelWebForm}
	// edgeWaits are waits in ms at the thresholds' edges (S 5 s, T 20 s,
	// 30 s, 60 s, L 30 min).
	edgeWaits = []int64{0, 4999, 5000, 5001, 19999, 20000, 20001, 29999, 30000, 30001, 60000, 1800000, 1800001}
)

func (w *world) newContact(institution string) records.Contact {
	w.seq++
	arrived := w.start.Add(time.Duration(w.r.Int64N(int64(6 * 24 * time.Hour))))
	c := records.Contact{Institution: institution, Source: "src", ID: fmt.Sprint("c", w.seq), Version: 1,
		UpdatedAt: arrived, Origin: "test", Queue: "q"}
	c.Unit = worldUnits[w.r.IntN(len(worldUnits))]
	c.Channel = worldChannels[w.r.IntN(len(worldChannels))]
	c.ArrivedAt = arrived
	return w.outcome(c)
}

// outcome draws the contact's outcome, waits and handling times.
func (w *world) outcome(c records.Contact) records.Contact {
	c.AnsweredAt, c.EndedAt, c.ResolvedAt, c.Corrected = nil, nil, nil, nil
	c.TalkS, c.HoldS, c.AcwS, c.Measures, c.Complex = 0, 0, 0, records.NoMeasures, false
	wait := edgeWaits[w.r.IntN(len(edgeWaits))]
	if w.r.IntN(3) == 0 {
		wait = w.r.Int64N(3 * 3600 * 1000)
	}
	at := c.ArrivedAt.Add(time.Duration(wait) * time.Millisecond)
	switch {
	case records.IsWritten(c.Channel):
		c.Outcome = records.OutcomeOpen
		if w.r.IntN(3) > 0 {
			answered := c.ArrivedAt.Add(time.Duration(w.r.Int64N(int64(10 * 24 * time.Hour))))
			c.Outcome, c.AnsweredAt, c.EndedAt = records.OutcomeAnswered, &answered, &answered
			corrected := w.r.IntN(10) == 0
			c.Corrected = &corrected
		}
		c.Complex = w.r.IntN(10) == 0
	case w.r.IntN(4) == 0:
		c.Outcome, c.EndedAt = records.OutcomeAbandoned, &at
	default:
		c.Outcome, c.AnsweredAt = records.OutcomeAnswered, &at
		end := at.Add(time.Duration(30+w.r.IntN(600)) * time.Second)
		c.EndedAt = &end
		c.TalkS, c.HoldS, c.AcwS = uint32(w.r.IntN(600)), uint32(w.r.IntN(60)), uint32(w.r.IntN(60))
		c.Measures = records.Measures(w.r.IntN(8))
		if w.r.IntN(5) == 0 {
			c.Complex = true
			if w.r.IntN(2) == 0 {
				resolved := end.Add(time.Duration(w.r.Int64N(int64(6 * 24 * time.Hour))))
				c.ResolvedAt = &resolved
			}
		}
	}
	return c
}

// change makes a new version of c: answered later, moved to another time
// (and bucket), unit or channel, or withdrawn.
func (w *world) change(c records.Contact) records.Contact {
	c.Version++
	c.UpdatedAt = c.UpdatedAt.Add(time.Hour)
	c.Deleted = false
	switch w.r.IntN(5) {
	case 0:
		c.Deleted = true
	case 1:
		c.ArrivedAt = c.ArrivedAt.Add(time.Duration(w.r.Int64N(int64(48*time.Hour))) - 24*time.Hour)
		c = w.outcome(c)
	case 2:
		c.Unit = worldUnits[w.r.IntN(len(worldUnits))]
	case 3:
		c.Channel = worldChannels[w.r.IntN(len(worldChannels))]
		c = w.outcome(c)
	default:
		c = w.outcome(c)
	}
	return c
}

// newFeedback is a response about a known contact, or about one that does
// not exist yet (an id the world will give a later contact).
func (w *world) newFeedback() records.Feedback {
	w.seq++
	instrument := []string{records.InstrumentPostContact, records.InstrumentSatisfactionSurvey, records.InstrumentFAQ}[w.r.IntN(3)]
	f := records.Feedback{Institution: "SODRA", Source: "src", ID: fmt.Sprint("f", w.seq), Version: 1, Instrument: instrument,
		Unit: "cc", Scale: records.Scale1to5, Score: 1 + w.r.IntN(5), Origin: "test"}
	f.SubmittedAt = w.start.Add(time.Duration(w.r.Int64N(int64(6 * 24 * time.Hour))))
	f.UpdatedAt = f.SubmittedAt
	switch {
	case instrument == records.InstrumentFAQ:
		f.Channel, f.Scale, f.Score = records.ChannelWeb, records.ScaleYesNo, w.r.IntN(2)
	case len(w.contacts) > 0 && w.r.IntN(4) > 0:
		c := w.contacts[w.r.IntN(len(w.contacts))]
		f.Institution, f.ContactID, f.Subject = c.Institution, c.ID, c.ID
	default:
		f.ContactID = fmt.Sprint("c", w.seq+1+w.r.IntN(20)) // a contact to come
	}
	return f
}

// diffRows lists the rows of got and want that differ, by key.
func diffRows[R any](got, want []R, key func(R) string) string {
	g, w := map[string]R{}, map[string]R{}
	for _, r := range got {
		g[key(r)] = r
	}
	for _, r := range want {
		w[key(r)] = r
	}
	out := ""
	for k, r := range w {
		if x, ok := g[k]; !ok || !reflect.DeepEqual(x, r) {
			out += fmt.Sprintf("  %s:\n    got  %+v\n    want %+v\n", k, x, r)
		}
	}
	for k, r := range g {
		if _, ok := w[k]; !ok {
			out += fmt.Sprintf("  %s: got %+v, want no row\n", k, r)
		}
	}
	if len(got) != len(want) || out == "" {
		out += fmt.Sprintf("  (%d rows, want %d; order or duplicates differ)\n", len(got), len(want))
	}
	return out
}

// TestSyntheticContacts checks the bench's generator: the contacts it
// writes are counted alike through the rollups and the raw versions.
func TestSyntheticContacts(t *testing.T) {
	s := servertest.NewStore(t)
	ctx := testContext(t)
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	n, err := s.GenerateSynthetic(ctx, store.Synthetic{Institution: "bench", Source: "synthetic", From: from, Days: 2, PerDay: 960})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.CountRows(ctx); err != nil || got != n || n != 1920 { // contacts only: it writes no feedback
		t.Fatalf("%d contacts stored (%v), generated %d, want 1920", got, err, n)
	}
	q := store.ContactQuery{Institution: "bench", From: from, To: from.AddDate(0, 0, 2).Add(-100 * time.Second), By: store.ByDay}
	rolled, err := s.ContactCounts(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	q.Raw = true
	raw, err := s.ContactCounts(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var offered float64
	for _, r := range raw {
		offered += r.Counts.Offered
	}
	if !reflect.DeepEqual(rolled, raw) || offered != 1920-1 { // one every 90 s: the last, at 2 d − 90 s, is outside
		t.Errorf("rollup %+v\nraw %+v (offered %v)", rolled, raw, offered)
	}
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// checkWindows compares the windows read together (multi, multiF) with
// each window read alone through the rollups and from the raw versions.
func checkWindows(ctx context.Context, t *testing.T, s *store.Store, cq store.ContactQuery, fq store.FeedbackQuery, froms []time.Time,
	multi [][]store.ContactRow, multiF [][]store.FeedbackRow) {
	t.Helper()
	in, to := cq.Institution, cq.To
	for i, from := range froms {
		one := cq
		one.From, one.Raw = from, true
		raw, err := s.ContactCounts(ctx, one)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(multi[i], raw) {
			t.Errorf("%s window [%s, %s): contact counts differ:\n%s", in, from, to, diffRows(multi[i], raw, func(r store.ContactRow) string { return r.Unit + "/" + r.Channel }))
		}
		one.Raw = false
		rolled, err := s.ContactCounts(ctx, one)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rolled, raw) {
			t.Errorf("%s window [%s, %s) alone: contact counts differ:\n%s", in, from, to, diffRows(rolled, raw, func(r store.ContactRow) string { return r.Unit + "/" + r.Channel }))
		}
		oneF := fq
		oneF.From, oneF.Raw = from, true
		rawF, err := s.FeedbackCounts(ctx, oneF)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(multiF[i], rawF) {
			t.Errorf("%s window [%s, %s): feedback counts differ:\n%s", in, from, to, diffRows(multiF[i], rawF, func(r store.FeedbackRow) string {
				return r.Unit + "/" + r.Channel + "/" + r.Instrument
			}))
		}
	}
}
