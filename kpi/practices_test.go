package kpi

import (
	"reflect"
	"testing"
)

// Profiles of the seed study's rows (shared/seed/README.md).
var (
	seedNL = PracticeProfile{ // IND
		Languages:          []string{"EN", "NL"},
		Channels:           []string{"appointment_booking", "social_media", "email", "phone", "post", "fax"},
		FeedbackMechanisms: []string{"page_usability_survey", "question_feedback", "general_site_feedback"},
		Practices:          []string{"late_decision_compensation"},
	}
	seedUK = PracticeProfile{ // gov.uk
		Languages:          []string{"en"},
		Channels:           []string{"phone", "email", "web_form"},
		FeedbackMechanisms: []string{"page_useful_survey", "question_feedback", "general_site_feedback"},
		Practices:          []string{"self_service_first", "step_by_step_guides"},
	}
	seedPL = PracticeProfile{ // mazowieckie.pl, migrant.info.pl
		Languages:          []string{"pl", "en", "ru", "uk", "hy", "fr", "zh", "vi"},
		Channels:           []string{"phone", "email", "in_person"},
		FeedbackMechanisms: []string{"general_site_feedback"},
	}
	seedSODRA = PracticeProfile{ // languages not given in the seed
		Channels:           []string{"phone", "email", "chat", "social_media", "in_person"},
		FeedbackMechanisms: []string{"page_useful_survey", "satisfaction_survey", "post_contact_rating", "mystery_shopper"},
		Practices:          []string{"standardised_procedures", "visual_instructions"},
	}
)

func TestPracticeCatalogue(t *testing.T) {
	// 8 channels + 2 language items + 7 feedback mechanisms + 5 practices.
	items := PracticeCatalogue()
	if len(items) != 22 {
		t.Fatalf("catalogue has %d items, want 22", len(items))
	}
	seen := map[string]bool{}
	perGroup := map[string]int{}
	for _, it := range items {
		if seen[it.ID] || it.ID == "" || it.Description == "" {
			t.Errorf("bad or duplicate item %+v", it)
		}
		seen[it.ID] = true
		perGroup[it.Group]++
	}
	want := map[string]int{GroupChannels: 8, GroupLanguages: 2, GroupFeedback: 7, GroupPractices: 5}
	if !reflect.DeepEqual(perGroup, want) {
		t.Errorf("items per group = %v, want %v", perGroup, want)
	}
}

func TestScorePractices(t *testing.T) {
	for _, tc := range []struct {
		name    string
		p       PracticeProfile
		present int
	}{
		// channels 5 (fax is not in the catalogue) + languages 2 + feedback 3 + compensation 1.
		{"NL", seedNL, 11},
		// channels 3 + English only 1 + feedback 3 + practices 2.
		{"UK", seedUK, 9},
		// channels 3 + languages 2 (eight, English among them) + feedback 1 + practices 0.
		{"PL", seedPL, 6},
		// channels 5 + languages 0 + feedback 4 + practices 2.
		{"SODRA", seedSODRA, 11},
		{"empty", PracticeProfile{}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			present, total, v := ScorePractices(tc.p)
			if present != tc.present || total != 22 {
				t.Errorf("ScorePractices = %d of %d, want %d of 22", present, total, tc.present)
			}
			if v.KPI != PracticeScore || !v.Valid || v.Numerator != float64(tc.present) || v.Denominator != 22 || !near(v.Value, float64(tc.present)/22, 1e-12) {
				t.Errorf("value = %+v, want %d/22", v, tc.present)
			}
		})
	}
}

func TestPracticeMatrix(t *testing.T) {
	m := PracticeMatrix(seedUK)
	if len(m) != 22 {
		t.Fatalf("matrix has %d entries, want one per catalogue item (22)", len(m))
	}
	for id, want := range map[string]bool{
		"phone": true, "web_form": true, "chat": false, "appointment_booking": false,
		"multilingual": false, "english_available": true,
		"page_useful_survey": true, "page_usability_survey": false,
		"self_service_first": true, "late_decision_compensation": false,
	} {
		if m[id] != want {
			t.Errorf("UK %s = %v, want %v", id, m[id], want)
		}
	}
	// Case and blanks do not matter; a practice listed under the wrong group does not count.
	m = PracticeMatrix(PracticeProfile{Channels: []string{" Phone ", "step_by_step_guides"}, Languages: []string{"en", "EN"}})
	if !m["phone"] || m["step_by_step_guides"] || m["multilingual"] || !m["english_available"] {
		t.Errorf("matrix = %v: want phone, english_available; not step_by_step_guides (wrong group) nor multilingual (one language twice)", m)
	}
}

func TestUnknownPractices(t *testing.T) {
	p := seedNL
	p.Channels = append(append([]string{}, p.Channels...), "step_by_step_guides")
	p.FeedbackMechanisms = append(append([]string{}, p.FeedbackMechanisms...), "faq_useful_survey")
	want := []string{
		"channels: fax",
		"channels: step_by_step_guides (an item of practices)",
		"feedback_mechanisms: faq_useful_survey",
	}
	if got := UnknownPractices(p); !reflect.DeepEqual(got, want) {
		t.Errorf("UnknownPractices = %q, want %q", got, want)
	}
	if got := UnknownPractices(seedUK); got != nil {
		t.Errorf("UK profile: unexpected unknown items %q", got)
	}
}
