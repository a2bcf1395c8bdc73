package store_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/servers/servertest"
)

func TestPracticesRegister(t *testing.T) {
	s := servertest.NewStore(t)
	ctx := testContext(t)

	if got, err := s.Practices(ctx); err != nil || len(got) != 0 {
		t.Fatalf("never loaded: practices %+v, err %v; want none", got, err)
	}
	sodra := records.Practice{
		Institution: "SODRA", Country: "LT",
		Websites:  []string{"https://www.sodra.lt"},
		Languages: []string{"lt", "en"},
		Channels:  []string{"phone", "email", "chat"},
		Practices: []string{"self_service_first"},
		Notes:     "it's quoted",
	}
	vmi := records.Practice{Institution: "VMI", Country: "LT", FeedbackMechanisms: []string{"post_contact_rating"}}
	ind := records.Practice{Institution: "IND", Country: "NL", Practices: []string{"late_decision_compensation"}}

	load := func(ps ...records.Practice) {
		t.Helper()
		if err := s.LoadPractices(ctx, ps); err != nil {
			t.Fatalf("load practices: %v", err)
		}
	}
	check := func(step string, want ...records.Practice) {
		t.Helper()
		got, err := s.Practices(ctx)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if len(want) == 0 {
			want = nil
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got  %+v\n want %+v", step, got, want)
		}
	}

	load(vmi, sodra, ind)
	check("first load", ind, sodra, vmi) // sorted by institution
	load(vmi, sodra, ind)
	check("same load twice", ind, sodra, vmi)
	changed := sodra
	changed.Channels = []string{"phone"}
	load(changed, ind) // VMI removed from the configuration
	check("VMI removed", ind, changed)
	load()
	check("empty load")

	if err := s.LoadPractices(ctx, []records.Practice{ind, ind}); err == nil || !strings.Contains(err.Error(), "institution IND") {
		t.Errorf("duplicate institution: err %v, want one naming IND", err)
	}
	if err := s.LoadPractices(ctx, []records.Practice{{Country: "LT"}}); err == nil || !strings.Contains(err.Error(), "institution") {
		t.Errorf("empty institution: err %v, want one naming the field", err)
	}
	check("after rejected loads")
}

func TestReportedFiguresRegister(t *testing.T) {
	s := servertest.NewStore(t)
	ctx := testContext(t)
	sl := records.ReportedFigure{Institution: "SODRA", Unit: "cc", Channel: "phone", KPI: "service_level", Period: "2023",
		Value: 0.95, Method: "unknown", Source: "annual report 2023"}
	staff := records.ReportedFigure{Institution: "SODRA", Metric: "customer_service_staff", Label: "before", Value: 120, Source: "study"}
	fav := records.ReportedFigure{Institution: "VMI", Channel: "phone", Instrument: "post_contact", KPI: "favourable_share",
		Period: "2023-06", Value: 0.89, Source: "VMI report", Note: "sample of every 10th call"}
	ind := records.ReportedFigure{Institution: "IND", KPI: "decisions_on_time_rate", Period: "2024-01", Value: 0.7, Source: "IND site"}

	if err := s.LoadReported(ctx, []records.ReportedFigure{fav, sl, ind, staff}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name         string
		institutions []string
		want         []records.ReportedFigure
	}{
		{"all", nil, []records.ReportedFigure{ind, sl, staff, fav}}, // by institution, then load order
		{"SODRA", []string{"SODRA"}, []records.ReportedFigure{sl, staff}},
		{"VMI and IND", []string{"VMI", "IND"}, []records.ReportedFigure{ind, fav}},
		{"unknown", []string{"nobody"}, nil},
	} {
		got, err := s.ReportedFigures(ctx, tc.institutions)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got  %+v\n want %+v", tc.name, got, tc.want)
		}
	}

	// Reload without the staff figure: it is gone.
	if err := s.LoadReported(ctx, []records.ReportedFigure{sl, fav, ind}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReportedFigures(ctx, []string{"SODRA"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []records.ReportedFigure{sl}; !reflect.DeepEqual(got, want) {
		t.Errorf("after reload:\n got  %+v\n want %+v", got, want)
	}
	if err := s.LoadReported(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ReportedFigures(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("after empty load: %+v, %v; want none", got, err)
	}
}

func TestCalendarLoad(t *testing.T) {
	s := servertest.NewStore(t)
	ctx := testContext(t)
	lt, err := kpi.NewCalendar("LT")
	if err != nil {
		t.Fatal(err)
	}
	mar := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	apr := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	may := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	jun := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)

	loaded := func(from, to time.Time) bool {
		t.Helper()
		ok, err := s.CalendarLoaded(ctx, "LT", from, to)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if loaded(mar, apr) {
		t.Errorf("never loaded: CalendarLoaded = true")
	}
	if err := s.LoadCalendar(ctx, lt.Days("LT", mar, may)); err != nil {
		t.Fatal(err)
	}
	if err := s.LoadCalendar(ctx, lt.Days("LT", mar, may)); err != nil { // again: harmless
		t.Fatal(err)
	}
	for _, tc := range []struct {
		from, to time.Time
		want     bool
	}{
		{mar, may, true},
		{mar, apr, true},
		{apr.AddDate(0, 0, 10), apr.AddDate(0, 0, 11), true},
		{mar, may.AddDate(0, 0, 1), false},
		{mar.AddDate(0, 0, -1), apr, false},
	} {
		if got := loaded(tc.from, tc.to); got != tc.want {
			t.Errorf("CalendarLoaded(%s, %s) = %v, want %v", tc.from.Format(time.DateOnly), tc.to.Format(time.DateOnly), got, tc.want)
		}
	}
	// A load replaces the whole calendar, whatever range it had.
	if err := s.LoadCalendar(ctx, lt.Days("LT", apr, jun)); err != nil {
		t.Fatal(err)
	}
	if loaded(mar, apr) || !loaded(apr, jun) {
		t.Errorf("after loading April and May: March loaded %v (want false), April-May loaded %v (want true)", loaded(mar, apr), loaded(apr, jun))
	}
	if ok, err := s.CalendarLoaded(ctx, "NL", apr, may); err != nil || ok {
		t.Errorf("NL never loaded: CalendarLoaded = %v, %v", ok, err)
	}

	days := lt.Days("LT", mar, apr)
	gap := append(append([]kpi.CalendarDay{}, days[:3]...), days[4:]...)
	badSeq := append([]kpi.CalendarDay{}, days...)
	badSeq[10].Seq += 2
	for name, ds := range map[string][]kpi.CalendarDay{
		"no days":     nil,
		"gap":         gap,
		"bad seq":     badSeq,
		"no calendar": {{Day: mar}},
	} {
		if err := s.LoadCalendar(ctx, ds); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
	if !loaded(apr, jun) {
		t.Errorf("rejected loads changed the calendar")
	}
}

func TestTargetsRegister(t *testing.T) {
	s := servertest.NewStore(t)
	ctx := testContext(t)

	if got, err := s.Targets(ctx); err != nil || len(got) != 0 {
		t.Fatalf("never loaded: targets %+v, err %v; want none", got, err)
	}
	sl := records.Target{Institution: "sodra", Unit: "contact-centre", Channel: "phone", KPI: "service_level", Value: 0.95,
		Direction: "at_least", Threshold: 20 * time.Second, ShortAbandon: 5 * time.Second, Method: "negative", Note: "service level 95 %"}
	fb := records.Target{Institution: "sodra", Channel: "facebook", KPI: "max_wait_seconds", Value: 900, Threshold: 15 * time.Minute}
	mail := records.Target{Institution: "vmi", Channel: "email", KPI: "deadline_met_rate", Value: 1, DeadlineDays: 5, ComplexDeadlineDays: 3}
	fav := records.Target{Institution: "vmi", Instrument: "post_contact", KPI: "favourable_share", Value: 0.89, LongWait: 1800500 * time.Millisecond}

	for _, step := range []struct {
		name string
		load []records.Target
	}{
		{"first load", []records.Target{sl, fb, mail, fav}},
		{"same load twice", []records.Target{sl, fb, mail, fav}},
		{"two targets dropped from the configuration, order kept", []records.Target{fav, sl}},
		{"emptied", nil},
	} {
		if err := s.LoadTargets(ctx, step.load); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		got, err := s.Targets(ctx)
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if !reflect.DeepEqual(got, step.load) {
			t.Errorf("%s:\n got  %+v\n want %+v", step.name, got, step.load)
		}
	}
	if err := s.LoadTargets(ctx, []records.Target{{Institution: "sodra"}}); err == nil || !strings.Contains(err.Error(), "field kpi") {
		t.Errorf("target without a KPI: error %v, want one naming field kpi", err)
	}
}
