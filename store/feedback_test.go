package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/store"
)

// response builds a feedback response of institution SODRA, source
// sodra-fb, version 1.
func response(id, unit, channel, instrument, scale string, score int, submitted time.Time) records.Feedback {
	return records.Feedback{
		Institution: "SODRA", Source: "sodra-fb", ID: id, Version: 1, UpdatedAt: submitted,
		Instrument: instrument, Subject: "s-" + id, Unit: unit, Channel: channel,
		SubmittedAt: submitted, Scale: scale, Score: score, Origin: "test",
	}
}

func TestFeedbackCounts(t *testing.T) {
	s := servertest.NewStore(t)
	ctx := testContext(t)
	loc := vilnius(t)
	day1 := time.Date(2024, 3, 4, 0, 0, 0, 0, loc)
	day2 := day1.AddDate(0, 0, 1)
	at := day1.Add(10 * time.Hour)
	const post, faq, mystery = records.InstrumentPostContact, records.InstrumentFAQ, records.InstrumentMysteryShopper

	// p3 is 2 in version 1 and 5 in version 2; p4 is 5 in version 1 and
	// 1 in version 2; p5 is withdrawn by version 2.
	p3v2 := response("p3", "cc", "phone", post, "1-5", 5, at)
	p3v2.Version = 2
	p4v2 := response("p4", "cc", "phone", post, "1-5", 1, at)
	p4v2.Version = 2
	p5v2 := response("p5", "cc", "phone", post, "1-5", 5, at)
	p5v2.Version, p5v2.Deleted = 2, true
	other := response("o1", "cc", "phone", post, "1-5", 5, at)
	other.Institution = "VMI"
	fs := []records.Feedback{
		response("p1", "cc", "phone", post, "1-5", 4, at), // favourable: exactly 4
		response("p2", "cc", "phone", post, "1-5", 3, at), // not
		response("p3", "cc", "phone", post, "1-5", 2, at), p3v2,
		response("p4", "cc", "phone", post, "1-5", 5, at), p4v2,
		response("p5", "cc", "phone", post, "1-5", 5, at), p5v2,
		// The same unit and channel, another instrument: its own row.
		response("m1", "cc", "phone", mystery, "1-5", 5, at),
		// FAQ votes name no unit or channel; 1 is yes.
		response("f1", "", "", faq, "yes-no", 1, at),
		response("f2", "", "", faq, "yes-no", 0, at),
		response("f3", "", "", faq, "yes-no", 1, day2.Add(-time.Second)), // 23:59:59 local, day 1
		response("f4", "", "", faq, "yes-no", 1, day2.Add(time.Hour)),    // day 2
		// Outside the window or another institution.
		response("b1", "cc", "phone", post, "1-5", 5, day1.Add(-time.Second)),
		response("b2", "cc", "phone", post, "1-5", 5, day2.AddDate(0, 0, 1)),
		other,
	}
	if err := s.InsertFeedback(ctx, fs); err != nil {
		t.Fatal(err)
	}

	rows, err := s.FeedbackCounts(ctx, store.FeedbackQuery{Institution: "SODRA", Location: loc, From: day1, To: day2.AddDate(0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]kpi.FeedbackCounts{
		"cc/phone/post_contact":    {Responses: 4, Favourable: 2}, // p1 p2 p3 p4; favourable p1 p3
		"cc/phone/mystery_shopper": {Responses: 1, Favourable: 1},
		"//faq":                    {Responses: 4, Favourable: 3}, // f1 f2 f3 f4; yes f1 f3 f4
	}
	got := map[string]kpi.FeedbackCounts{}
	for _, r := range rows {
		if r.Institution != "SODRA" || !r.PeriodStart.Equal(day1) {
			t.Errorf("row %s/%s/%s: institution %q period %s", r.Unit, r.Channel, r.Instrument, r.Institution, r.PeriodStart)
		}
		got[r.Unit+"/"+r.Channel+"/"+r.Instrument] = r.Counts
	}
	if len(got) != len(want) {
		t.Errorf("got groups %v, want %d", got, len(want))
	}
	for k, w := range want {
		if g := got[k]; g != w {
			t.Errorf("%s: got %+v, want %+v", k, g, w)
		}
	}

	rows, err = s.FeedbackCounts(ctx, store.FeedbackQuery{Institution: "SODRA", Location: loc, From: day1, To: day2.AddDate(0, 0, 1), By: store.ByDay})
	if err != nil {
		t.Fatal(err)
	}
	var byDay []string
	for _, r := range rows {
		byDay = append(byDay, fmt.Sprintf("%s %s/%s/%s %v/%v", r.PeriodStart.Format(time.DateOnly), r.Unit, r.Channel, r.Instrument, r.Counts.Favourable, r.Counts.Responses))
	}
	wantByDay := []string{
		"2024-03-04 //faq 2/3",
		"2024-03-04 cc/phone/mystery_shopper 1/1",
		"2024-03-04 cc/phone/post_contact 2/4",
		"2024-03-05 //faq 1/1",
	}
	if strings.Join(byDay, "\n") != strings.Join(wantByDay, "\n") {
		t.Errorf("by day:\n got  %q\n want %q", byDay, wantByDay)
	}

	for name, q := range map[string]store.FeedbackQuery{
		"no institution": {From: day1, To: day2},
		"empty window":   {Institution: "SODRA", From: day2, To: day1},
		"bad grouping":   {Institution: "SODRA", From: day1, To: day2, By: "fortnight"},
	} {
		if _, err := s.FeedbackCounts(ctx, q); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

// TestFeedbackCountsUnderItsContactsChannel checks that a response about a
// contact counts under the unit and channel of the newest version of that
// contact (shared/kpis.md), even when the contact arrived before the
// window, and keeps its own unit and channel when the contact is unknown or
// withdrawn.
func TestFeedbackCountsUnderItsContactsChannel(t *testing.T) {
	s := servertest.NewStore(t)
	ctx := testContext(t)
	loc := vilnius(t)
	day1 := time.Date(2024, 3, 4, 0, 0, 0, 0, loc)
	at := day1.Add(10 * time.Hour)

	chat := answered("c1", "cc", "chat", at.Add(-48*time.Hour), 10, 60, 0, 5) // before the window
	chat.Source = "sodra"
	visit := answered("v1", "branch-a", "visit", at, 10, 600, 0, 60)
	visit.Source = "sodra"
	moved := answered("v2", "cc", "phone", at, 10, 60, 0, 5)
	moved.Source = "sodra"
	movedV2 := withVersion(moved, 2)
	movedV2.Unit, movedV2.Channel = "branch-b", "visit" // the newest version wins
	gone := answered("g1", "cc", "chat", at, 10, 60, 0, 5)
	gone.Source = "sodra"
	goneV2 := withVersion(gone, 2)
	goneV2.Deleted = true
	mustInsert(t, s, chat, visit, moved, movedV2, gone, goneV2)

	about := func(id, contact string, score int) records.Feedback {
		f := response(id, "source-unit", "", records.InstrumentSatisfactionSurvey, "1-5", score, at)
		f.Source, f.ContactID = "sodra", contact
		return f
	}
	otherSource := about("x1", "c1", 5)
	otherSource.Source = "elsewhere" // ids are unique within a source only
	fs := []records.Feedback{
		about("s1", "c1", 5), about("s2", "c1", 2), // chat: 1 of 2
		about("s3", "v1", 4),   // visit, branch-a
		about("s4", "v2", 5),   // visit, branch-b (its newest version)
		about("s5", "nope", 5), // unknown contact: its own unit, no channel
		about("s6", "g1", 1),   // withdrawn contact: likewise
		otherSource,            // likewise
	}
	if err := s.InsertFeedback(ctx, fs); err != nil {
		t.Fatal(err)
	}
	rows, err := s.FeedbackCounts(ctx, store.FeedbackQuery{Institution: "SODRA", Location: loc, From: day1, To: day1.AddDate(0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]kpi.FeedbackCounts{}
	for _, r := range rows {
		got[r.Unit+"/"+r.Channel] = r.Counts
	}
	want := map[string]kpi.FeedbackCounts{
		"cc/chat":        {Responses: 2, Favourable: 1},
		"branch-a/visit": {Responses: 1, Favourable: 1},
		"branch-b/visit": {Responses: 1, Favourable: 1},
		"source-unit/":   {Responses: 3, Favourable: 2}, // s5, s6, x1
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}
