package report_test

import (
	"context"
	"testing"
	"time"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/report"
	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/store"
)

func TestMain(m *testing.M) { servertest.Main(m) }

// The integration fixture covers one week, Monday 2024-03-04 to Monday
// 2024-03-11 (exclusive), 7 days, local time in each institution's zone.
// Monday 11 March is a Lithuanian public holiday (Restoration of
// Independence), which the e-mail deadlines must skip. Parameters are the
// catalogue defaults: T = 20 s (phone), 60 s (chat), S = 5 s, L = 30 min, 5
// working days for e-mails and 3 for complex inquiries.
const chConfig = `
institutions:
  - {id: sodra, name: SODRA, country: LT, timezone: Europe/Vilnius}
  - {id: ind, name: IND, country: NL, timezone: Europe/Amsterdam}
  - {id: vmi, name: VMI, country: LT, timezone: Europe/Vilnius}
targets:
  - {institution: sodra, channel: phone, kpi: service_level, value: 0.5}
`

var (
	chFrom = day(2024, 3, 4)
	chTo   = day(2024, 3, 11)
	// Saturday 16 March, noon UTC: open e-mails due by Friday 15 March are
	// missed, those due later are not due yet.
	chAsOf = time.Date(2024, 3, 16, 12, 0, 0, 0, time.UTC)
)

func boolp(b bool) *bool { return &b }

// fixture builds the SODRA-style contacts and feedback, IND-style and
// VMI-style aggregates and the registers of the integration test.
type fixture struct {
	contacts  []records.Contact
	feedback  []records.Feedback
	aggs      []records.Aggregate
	practices []records.Practice
	reported  []records.ReportedFigure
}

func newFixture(t *testing.T) fixture {
	vilnius := zone(t, "Europe/Vilnius")
	at := func(d, h, m, sec int) time.Time { return time.Date(2024, 3, d, h, m, sec, 0, vilnius) }
	var f fixture
	n := 0
	contact := func(unit, channel string, arrived time.Time, outcome string, waitS int, talk, hold, acw uint32) *records.Contact {
		n++
		c := records.Contact{Institution: "sodra", Source: "sodra-cc", ID: string(rune('a'+n/26)) + string(rune('a'+n%26)), Version: 1,
			UpdatedAt: arrived.Add(time.Hour), Unit: unit, Channel: channel, Queue: "general", ArrivedAt: arrived, Outcome: outcome, Origin: "test"}
		end := arrived.Add(time.Duration(waitS) * time.Second)
		switch outcome {
		case records.OutcomeAnswered:
			answered := end
			c.AnsweredAt = &answered
			end = end.Add(time.Duration(talk+hold) * time.Second)
			c.EndedAt = &end
			c.TalkS, c.HoldS, c.AcwS = talk, hold, acw
			c.Measures = records.MeasureTalk | records.MeasureHold | records.MeasureACW
		case records.OutcomeAbandoned:
			c.EndedAt = &end
		}
		f.contacts = append(f.contacts, c)
		return &f.contacts[len(f.contacts)-1]
	}
	ans, abd := records.OutcomeAnswered, records.OutcomeAbandoned
	// Vilnius phone: 7 offered.
	contact("vilnius", "phone", at(4, 0, 30, 0), ans, 10, 100, 20, 10) // 00:30 local is 3 March in UTC, still in the window
	contact("vilnius", "phone", at(5, 9, 0, 0), ans, 30, 200, 0, 20)
	contact("vilnius", "phone", at(5, 10, 0, 0), ans, 15, 60, 0, 0)
	contact("vilnius", "phone", at(6, 11, 0, 0), abd, 3, 0, 0, 0)        // short abandon
	contact("vilnius", "phone", at(6, 12, 0, 0), abd, 12, 0, 0, 0)       // abandoned within T (B)
	contact("vilnius", "phone", at(7, 13, 0, 0), abd, 40, 0, 0, 0)       // abandoned after T
	contact("vilnius", "phone", at(10, 23, 0, 0), ans, 2000, 300, 0, 30) // long wait (> 1800 s)
	// Kaunas phone: 2 offered; the first is a complex inquiry resolved
	// after its deadline.
	k1 := contact("kaunas", "phone", at(4, 9, 0, 0), ans, 5, 50, 0, 5)
	k1.Complex = true
	resolved := at(8, 10, 0, 0)
	k1.ResolvedAt = &resolved
	contact("kaunas", "phone", at(5, 9, 0, 0), abd, 25, 0, 0, 0)
	// Vilnius chat: 2 offered.
	contact("vilnius", "chat", at(5, 14, 0, 0), ans, 45, 120, 0, 0)
	contact("vilnius", "chat", at(6, 14, 0, 0), ans, 90, 100, 0, 0)
	// Outside the window: 00:30 on 11 March and 23:59 on 3 March, local.
	contact("vilnius", "phone", at(11, 0, 30, 0), ans, 1, 10, 0, 0)
	contact("vilnius", "phone", at(3, 23, 59, 0), abd, 100, 0, 0, 0)

	// Vilnius e-mails: 5 received.
	email := func(arrived time.Time, answered *time.Time, corrected *bool) {
		c := contact("vilnius", "email", arrived, records.OutcomeOpen, 0, 0, 0, 0)
		if answered != nil {
			c.Outcome, c.AnsweredAt, c.EndedAt = records.OutcomeAnswered, answered, answered
		}
		c.Corrected = corrected
	}
	tp := func(t time.Time) *time.Time { return &t }
	email(at(4, 10, 0, 0), tp(at(12, 15, 0, 0)), boolp(true)) // e1: due Tue 12 (Mon 11 a holiday); met; corrected
	email(at(4, 11, 0, 0), tp(at(13, 9, 0, 0)), boolp(false)) // e2: due Tue 12; late
	email(at(7, 10, 0, 0), nil, nil)                          // e3: due Fri 15; open at Sat 16: due and missed
	email(at(8, 10, 0, 0), nil, nil)                          // e4: due Mon 18; open, not due yet
	email(at(5, 10, 0, 0), tp(at(6, 10, 0, 0)), nil)          // e5: due Tue 12; met; correction unknown

	fb := func(id, unit, channel, instrument, scale string, score int, submitted time.Time) {
		f.feedback = append(f.feedback, records.Feedback{Institution: "sodra", Source: "sodra-cc", ID: id, Version: 1, UpdatedAt: submitted,
			Instrument: instrument, Unit: unit, Channel: channel, SubmittedAt: submitted, Scale: scale, Score: score, Origin: "test"})
	}
	for i, score := range []int{5, 4, 3, 2, 5} { // favourable: 5, 4, 5
		fb("v"+string(rune('0'+i)), "vilnius", "phone", records.InstrumentPostContact, records.Scale1to5, score, at(5, 12, i, 0))
	}
	fb("k1", "kaunas", "phone", records.InstrumentPostContact, records.ScaleYesNo, 1, at(5, 12, 0, 0))
	fb("k2", "kaunas", "phone", records.InstrumentPostContact, records.ScaleYesNo, 0, at(6, 12, 0, 0))
	fb("k3", "kaunas", "phone", records.InstrumentPostContact, records.ScaleYesNo, 1, at(11, 12, 0, 0)) // outside
	fb("f1", "", "", records.InstrumentFAQ, records.ScaleYesNo, 1, at(4, 8, 0, 0))
	fb("f2", "", "", records.InstrumentFAQ, records.ScaleYesNo, 1, at(5, 8, 0, 0))
	fb("f3", "", "", records.InstrumentFAQ, records.ScaleYesNo, 0, at(6, 8, 0, 0))

	// IND: March 2024 overlaps the window and counts whole; its revision 2
	// replaces revision 1. February does not overlap.
	month := func(batch string, rev int64, start time.Time) func(channel, instrument, item, metric string, v float64) {
		return func(channel, instrument, item, metric string, v float64) {
			f.aggs = append(f.aggs, records.Aggregate{Institution: "ind", Source: "ind-api", Batch: batch, Revision: rev,
				PeriodStart: start, PeriodEnd: start.AddDate(0, 1, 0), Unit: "ind",
				Channel: channel, Instrument: instrument, Item: item, Metric: metric, Value: v})
		}
	}
	old := month("2024-03", 1, day(2024, 3, 1))
	old("", "", "asylum", records.AggDecided, 999)
	old("", "", "asylum", records.AggWithinDeadline, 1)
	old(records.ChannelPhone, "", "", records.AggOffered, 9999)
	mar := month("2024-03", 2, day(2024, 3, 1))
	mar("", "", "asylum", records.AggDecided, 40)
	mar("", "", "asylum", records.AggWithinDeadline, 30)
	mar("", "", "asylum", records.AggPenaltiesPaid, 2)
	mar("", "", "asylum", records.AggPenaltiesEUR, 69) // 23 (1 day late) + 46 (2 days)
	mar("", "", "family", records.AggDecided, 10)
	mar("", "", "family", records.AggWithinDeadline, 10)
	mar("", "", "family", records.AggPenaltiesPaid, 0)
	mar("", "", "family", records.AggPenaltiesEUR, 0)
	mar(records.ChannelPhone, "", "", records.AggOffered, 500)
	mar(records.ChannelPhone, "", "", records.AggAnswered, 450)
	mar(records.ChannelPhone, "", "", records.AggAnsweredWithinThreshold, 400)
	mar(records.ChannelPhone, "", "", records.AggThresholdS, 30)
	mar(records.ChannelPhone, "", "", records.AggShortAbandoned, 10)
	mar(records.ChannelPhone, "", "", records.AggWaitSSum, 9000)
	mar("", records.InstrumentWebPage, "/visa", records.AggYesVotes, 8)
	mar("", records.InstrumentWebPage, "/visa", records.AggNoVotes, 2)
	mar("", records.InstrumentUsabilitySurvey, "", records.AggResponses, 50)
	mar("", records.InstrumentUsabilitySurvey, "", records.AggFavourable, 40)
	feb := month("2024-02", 1, day(2024, 2, 1))
	feb("", "", "asylum", records.AggDecided, 100)
	feb("", "", "asylum", records.AggWithinDeadline, 0)

	// VMI seminars: 5 March is in the window, 12 March is not.
	seminar := func(id string, held time.Time, participants, responses, recommend float64) {
		for metric, v := range map[string]float64{"participants": participants, records.AggResponses: responses, records.AggWouldRecommend: recommend} {
			f.aggs = append(f.aggs, records.Aggregate{Institution: "vmi", Source: "vmi-files", Batch: "seminars-" + id + ".csv", Revision: 1,
				PeriodStart: held, PeriodEnd: held.AddDate(0, 0, 1), Unit: "tax-information", Instrument: records.InstrumentSeminar,
				Item: id, Metric: metric, Value: v})
		}
	}
	seminar("s1", day(2024, 3, 5), 25, 20, 15)
	seminar("s2", day(2024, 3, 12), 30, 10, 0)

	f.practices = []records.Practice{{
		Institution: "ind", Country: "NL",
		Languages:          []string{"nl", "en"},                    // multilingual, english_available: 2
		Channels:           []string{"phone", "email", "in_person"}, // 3
		FeedbackMechanisms: []string{"page_useful_survey"},          // 1
		Practices:          []string{"late_decision_compensation"},  // 1
	}}
	f.reported = []records.ReportedFigure{
		{Institution: "sodra", Channel: "phone", KPI: "service_level", Period: "2024-03", Value: 0.9, Method: "unknown", Source: "annual report"},
		{Institution: "sodra", KPI: "service_level", Period: "2023", Value: 0.8, Method: "unknown", Source: "annual report 2023"},
	}
	return f
}

// loadFixture writes f through the store's Sink and register methods and
// loads the LT and NL working-day calendars.
func loadFixture(t *testing.T, st *store.Store, f fixture) {
	t.Helper()
	ctx := context.Background()
	if err := st.InsertContacts(ctx, f.contacts); err != nil {
		t.Fatal(err)
	}
	if err := st.InsertFeedback(ctx, f.feedback); err != nil {
		t.Fatal(err)
	}
	if err := st.InsertAggregates(ctx, f.aggs); err != nil {
		t.Fatal(err)
	}
	if err := st.LoadPractices(ctx, f.practices); err != nil {
		t.Fatal(err)
	}
	if err := st.LoadReported(ctx, f.reported); err != nil {
		t.Fatal(err)
	}
	for _, country := range []string{"LT", "NL"} {
		c, err := kpi.NewCalendar(country)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.LoadCalendar(ctx, c.Days(country, day(2023, 1, 1), day(2026, 1, 1))); err != nil {
			t.Fatal(err)
		}
	}
}

func buildFromClickHouse(t *testing.T, q report.Query) *report.Report {
	t.Helper()
	st := servertest.NewStore(t)
	loadFixture(t, st, newFixture(t))
	cfg, err := config.Parse([]byte(chConfig), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	q.From, q.To, q.AsOf = chFrom, chTo, chAsOf
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := report.Build(ctx, cfg, st, q)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return rep
}

// measured picks the one measured row of a selection (reported figures may
// share its breakdown).
func measured(t *testing.T, rows []report.Row, q sel) report.Row {
	t.Helper()
	var got []report.Row
	for _, r := range find(rows, q) {
		if r.Source == report.SourceMeasured {
			got = append(got, r)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%v: want one measured row, got %d", q, len(got))
	}
	return got[0]
}

func TestClickHouseReportEveryKPI(t *testing.T) {
	rep := buildFromClickHouse(t, report.Query{AllMethods: true})
	rows := rep.Rows
	vp := func(id kpi.ID) sel { return sel{"sodra", s("vilnius"), s("phone"), nil, id} }
	phone := func(id kpi.ID) sel { return sel{"sodra", all, s("phone"), nil, id} }
	total := func(id kpi.ID) sel { return sel{"sodra", all, all, nil, id} }

	t.Run("service_level", func(t *testing.T) {
		// Vilnius phone: offered 7, short abandons 1 (3 s) → O = 6; answered
		// within 20 s: 10 s and 15 s → A = 2; abandoned within T, not short:
		// 12 s → B = 1.
		// Kaunas phone: O = 2, A = 1 (5 s), B = 0 (25 s > 20 s).
		// Vilnius chat: O = 2, A = 1 (45 s ≤ 60 s, 90 s is not), B = 0.
		want := []struct {
			q        sel
			m        kpi.Method
			num, den float64
		}{
			{vp(kpi.ServiceLevel), kpi.MethodNegative, 2, 6},
			{vp(kpi.ServiceLevel), kpi.MethodIgnore, 2, 6 - 1},
			{vp(kpi.ServiceLevel), kpi.MethodPositive, 2 + 1, 6},
			{phone(kpi.ServiceLevel), kpi.MethodNegative, 2 + 1, 6 + 2},
			{phone(kpi.ServiceLevel), kpi.MethodIgnore, 2 + 1, 6 + 2 - 1},
			{phone(kpi.ServiceLevel), kpi.MethodPositive, 2 + 1 + 1, 6 + 2},
			{total(kpi.ServiceLevel), kpi.MethodNegative, 2 + 1 + 1, 6 + 2 + 2},
			{total(kpi.ServiceLevel), kpi.MethodIgnore, 2 + 1 + 1, 6 + 2 + 2 - 1},
			{total(kpi.ServiceLevel), kpi.MethodPositive, 2 + 1 + 1 + 1, 6 + 2 + 2},
		}
		for _, w := range want {
			var found bool
			for _, r := range find(rows, w.q) {
				if r.Source == report.SourceMeasured && r.Method == w.m {
					checkRatio(t, r, w.num, w.den)
					found = true
				}
			}
			if !found {
				t.Errorf("%v method %s: no row", w.q, w.m)
			}
		}
		// Target 0.5 on SODRA phone: 3/8 = 0.375 is not met.
		for _, r := range find(rows, phone(kpi.ServiceLevel)) {
			if r.Source == report.SourceMeasured && r.Method == kpi.MethodNegative {
				checkTarget(t, r, 0.5, false)
			}
		}
		// IND's phone block: answered_within_threshold ÷ (offered − short) =
		// 400 ÷ (500 − 10), by the negative method only.
		r := measured(t, rows, sel{"ind", s("ind"), s("phone"), nil, kpi.ServiceLevel})
		checkRatio(t, r, 400, 500-10)
		if r.Method != kpi.MethodNegative {
			t.Errorf("IND block method %q, want negative", r.Method)
		}
	})
	t.Run("abandon_rate", func(t *testing.T) {
		// Abandoned after 5 s: Vilnius 12 s and 40 s, Kaunas 25 s.
		checkRatio(t, measured(t, rows, vp(kpi.AbandonRate)), 2, 6)
		checkRatio(t, measured(t, rows, phone(kpi.AbandonRate)), 2+1, 6+2)
		checkRatio(t, measured(t, rows, total(kpi.AbandonRate)), 2+1, 6+2+2)
		// IND: offered − answered − short = 500 − 450 − 10.
		checkRatio(t, measured(t, rows, sel{"ind", s("ind"), s("phone"), nil, kpi.AbandonRate}), 500-450-10, 500-10)
	})
	t.Run("answer_rate", func(t *testing.T) {
		checkRatio(t, measured(t, rows, vp(kpi.AnswerRate)), 4, 7)
		checkRatio(t, measured(t, rows, total(kpi.AnswerRate)), 4+1+2, 7+2+2)
		checkRatio(t, measured(t, rows, sel{"ind", all, all, nil, kpi.AnswerRate}), 450, 500)
	})
	t.Run("asa_seconds", func(t *testing.T) {
		// Waits of answered calls: Vilnius 10 + 30 + 15 + 2000; Kaunas 5;
		// chats 45 + 90.
		checkRatio(t, measured(t, rows, vp(kpi.ASASeconds)), 10+30+15+2000, 4)
		checkRatio(t, measured(t, rows, total(kpi.ASASeconds)), 10+30+15+2000+5+45+90, 4+1+2)
		// IND: wait_s_sum ÷ answered.
		checkRatio(t, measured(t, rows, sel{"ind", all, s("phone"), nil, kpi.ASASeconds}), 9000, 450)
	})
	t.Run("aht_seconds", func(t *testing.T) {
		// talk + hold + acw: (100+20+10) + (200+0+20) + 60 + (300+0+30).
		checkRatio(t, measured(t, rows, vp(kpi.AHTSeconds)), 130+220+60+330, 4)
		// + Kaunas 50 + 5, chats 120 and 100.
		checkRatio(t, measured(t, rows, total(kpi.AHTSeconds)), 130+220+60+330+55+120+100, 7)
	})
	t.Run("acw_seconds", func(t *testing.T) {
		checkRatio(t, measured(t, rows, vp(kpi.ACWSeconds)), 10+20+0+30, 4)
		checkRatio(t, measured(t, rows, total(kpi.ACWSeconds)), 10+20+0+30+5, 7)
	})
	t.Run("long_wait_share", func(t *testing.T) {
		// One wait over 30 min (2000 s), of all offered.
		checkRatio(t, measured(t, rows, vp(kpi.LongWaitShare)), 1, 7)
		checkRatio(t, measured(t, rows, total(kpi.LongWaitShare)), 1, 7+2+2)
	})
	t.Run("max_wait_seconds", func(t *testing.T) {
		checkValue(t, measured(t, rows, total(kpi.MaxWaitSeconds)), 2000)
		checkValue(t, measured(t, rows, sel{"sodra", s("kaunas"), s("phone"), nil, kpi.MaxWaitSeconds}), 25)
		checkValue(t, measured(t, rows, sel{"sodra", s("vilnius"), s("chat"), nil, kpi.MaxWaitSeconds}), 90)
	})
	t.Run("deadline_met_rate", func(t *testing.T) {
		// E-mails: e1, e2, e5 answered and e3 past due are due (4); e1 and
		// e5 met. e4 is not due yet.
		checkRatio(t, measured(t, rows, sel{"sodra", s("vilnius"), s("email"), nil, kpi.DeadlineMetRate}), 2, 4)
		// Kaunas' complex inquiry: received Mon 4, due Thu 7 (3 working
		// days), resolved Fri 8: missed.
		checkRatio(t, measured(t, rows, sel{"sodra", s("kaunas"), s("phone"), nil, kpi.DeadlineMetRate}), 0, 1)
		checkRatio(t, measured(t, rows, total(kpi.DeadlineMetRate)), 2, 4+1)
	})
	t.Run("correction_rate", func(t *testing.T) {
		// Answered e-mails with a known flag: e1 (corrected) and e2.
		checkRatio(t, measured(t, rows, sel{"sodra", s("vilnius"), s("email"), nil, kpi.CorrectionRate}), 1, 2)
		checkRatio(t, measured(t, rows, total(kpi.CorrectionRate)), 1, 2)
	})
	t.Run("favourable_share", func(t *testing.T) {
		// Vilnius 1-5: 5, 4, 5 of 5, 4, 3, 2, 5; Kaunas yes-no: 1 of 1, 0.
		r := measured(t, rows, sel{"sodra", s("vilnius"), s("phone"), s(records.InstrumentPostContact), kpi.FavourableShare})
		checkRatio(t, r, 3, 5)
		if r.N == nil || *r.N != 5 {
			t.Errorf("n = %v, want 5", fv(r.N))
		}
		checkRatio(t, measured(t, rows, sel{"sodra", all, all, s(records.InstrumentPostContact), kpi.FavourableShare}), 3+1, 5+2)
		// IND's usability survey: favourable ÷ responses.
		checkRatio(t, measured(t, rows, sel{"ind", all, all, s(records.InstrumentUsabilitySurvey), kpi.FavourableShare}), 40, 50)
	})
	t.Run("recommend_share", func(t *testing.T) {
		// The 5 March seminar only.
		checkRatio(t, measured(t, rows, sel{"vmi", s("tax-information"), all, s(records.InstrumentSeminar), kpi.RecommendShare}), 15, 20)
	})
	t.Run("useful_share", func(t *testing.T) {
		checkRatio(t, measured(t, rows, sel{"sodra", all, all, s(records.InstrumentFAQ), kpi.UsefulShare}), 2, 3)
		checkRatio(t, measured(t, rows, sel{"ind", all, all, s(records.InstrumentWebPage), kpi.UsefulShare}), 8, 8+2)
	})
	t.Run("decisions_on_time_rate", func(t *testing.T) {
		// March revision 2: asylum 30 of 40, family 10 of 10.
		for _, u := range []*string{s("ind"), all} {
			checkRatio(t, measured(t, rows, sel{"ind", u, all, nil, kpi.DecisionsOnTimeRate}), 30+10, 40+10)
		}
	})
	t.Run("penalty_eur", func(t *testing.T) {
		checkValue(t, measured(t, rows, sel{"ind", all, all, nil, kpi.PenaltyEUR}), 69+0)
	})
	t.Run("contacts_offered", func(t *testing.T) {
		// 7 + 2 phone calls, 2 chats and 5 e-mails over 7 days.
		checkRatio(t, measured(t, rows, total(kpi.ContactsOffered)), 7+2+2+5, 7)
		checkRatio(t, measured(t, rows, sel{"sodra", all, s("email"), nil, kpi.ContactsOffered}), 5, 7)
		// IND: March's 500 calls over its 31 days.
		checkRatio(t, measured(t, rows, sel{"ind", all, all, nil, kpi.ContactsOffered}), 500, 31)
	})
	t.Run("practice_score", func(t *testing.T) {
		r := one(t, rows, sel{"ind", all, all, nil, kpi.PracticeScore})
		checkRatio(t, r, 2+3+1+1, float64(len(kpi.PracticeCatalogue())))
	})
	t.Run("reported", func(t *testing.T) {
		var got []report.Row
		for _, r := range find(rows, phone(kpi.ServiceLevel)) {
			if r.Source == report.SourceReported {
				got = append(got, r)
			}
		}
		if len(got) != 1 || *got[0].Value != 0.9 || got[0].Method != kpi.MethodUnknown {
			t.Errorf("reported service_level rows: %+v, want the March 2024 figure only", got)
		}
	})
}

// TestClickHouseReportCoversCatalogue fails when a KPI of the catalogue has
// no computation in the report.
func TestClickHouseReportCoversCatalogue(t *testing.T) {
	rep := buildFromClickHouse(t, report.Query{})
	have := map[string]bool{}
	for _, r := range rep.Rows {
		if r.Value != nil && (r.Source == report.SourceMeasured || r.KPI == string(kpi.PracticeScore)) {
			have[r.KPI] = true
		}
	}
	for _, d := range kpi.Catalogue() {
		if !have[string(d.ID)] {
			t.Errorf("KPI %s of the catalogue is not in the report", d.ID)
		}
	}
}

func TestClickHouseReportByDay(t *testing.T) {
	rep := buildFromClickHouse(t, report.Query{By: store.ByDay, Institutions: []string{"sodra", "ind"},
		KPIs: []kpi.ID{kpi.ContactsOffered, kpi.DecisionsOnTimeRate}})
	vilnius := zone(t, "Europe/Vilnius")
	perDay := map[string]float64{}
	for _, r := range find(rep.Rows, sel{"sodra", all, all, nil, kpi.ContactsOffered}) {
		perDay[r.PeriodStart.In(vilnius).Format(time.DateOnly)] = *r.Numerator
		if *r.Denominator != 1 {
			t.Errorf("%s: %v days, want 1", r.PeriodStart, *r.Denominator)
		}
	}
	// Local days of arrival: 4th: 00:30 call, Kaunas complex call, e1, e2;
	// 5th: two Vilnius calls, Kaunas call, chat, e5; 6th: two abandons,
	// chat; 7th: abandon, e3; 8th: e4; 10th: the 23:00 call.
	want := map[string]float64{"2024-03-04": 4, "2024-03-05": 5, "2024-03-06": 3, "2024-03-07": 2, "2024-03-08": 1, "2024-03-10": 1}
	for d, n := range want {
		if perDay[d] != n {
			t.Errorf("contacts offered on %s: %v, want %v", d, perDay[d], n)
		}
	}
	if len(perDay) != len(want) {
		t.Errorf("days with contacts: %v, want %v", perDay, want)
	}
	// IND's March belongs whole to each of the 7 days.
	dec := find(rep.Rows, sel{"ind", all, all, nil, kpi.DecisionsOnTimeRate})
	if len(dec) != 7 {
		t.Fatalf("IND decisions_on_time_rate rows: %d, want 7", len(dec))
	}
	for _, r := range dec {
		checkRatio(t, r, 40, 50)
	}
}
