package kpi

import (
	"github.com/ccbench/ccbench/records"

	"fmt"
	"strings"
)

// Groups of the practice catalogue; each is a list in PracticeProfile and a
// key of an institution's entry in the practices register.
const (
	GroupChannels  = "channels"
	GroupLanguages = "languages"
	GroupFeedback  = "feedback_mechanisms"
	GroupPractices = "practices"
)

// PracticeItem is one good practice of the catalogue practice_score counts.
type PracticeItem struct {
	ID          string // identifier used in the practices register
	Group       string // GroupChannels, GroupLanguages, GroupFeedback or GroupPractices
	Description string
}

// The language items are derived from the profile's language codes rather
// than listed in it.
const (
	PracticeMultilingual     = "multilingual"
	PracticeEnglishAvailable = "english_available"
)

// practiceCatalogue is the fixed catalogue of practice_score (shared/kpis.md:
// channels, languages, feedback mechanisms, compensation, self-service
// guidance), drawn from the seed study's good practices. Identifiers are
// unique across groups.
var practiceCatalogue = []PracticeItem{
	{"phone", GroupChannels, "consultation by phone"},
	{"email", GroupChannels, "consultation by e-mail"},
	{"chat", GroupChannels, "consultation by web chat"},
	{"social_media", GroupChannels, "consultation on social media (Facebook, Twitter)"},
	{"in_person", GroupChannels, "consultation in person at a branch or information centre, walk-in"},
	{"appointment_booking", GroupChannels, "a visit can be booked as an appointment"},
	{"web_form", GroupChannels, "an inquiry form on the website stating the question and contact details"},
	{"post", GroupChannels, "inquiries by post"},

	{PracticeMultilingual, GroupLanguages, "information in at least two languages"},
	{PracticeEnglishAvailable, GroupLanguages, "information in English"},

	{"page_useful_survey", GroupFeedback, `a one-question "was this useful?" vote on every information page or FAQ item`},
	{"page_usability_survey", GroupFeedback, "a pop-up survey on the website's usability"},
	{"question_feedback", GroupFeedback, "feedback on a specific question or answer"},
	{"general_site_feedback", GroupFeedback, "general feedback on the website"},
	{"post_contact_rating", GroupFeedback, "the client rates the service right after a call or contact"},
	{"satisfaction_survey", GroupFeedback, "a regular client-satisfaction survey"},
	{"mystery_shopper", GroupFeedback, "mystery-shopper checks of the service"},

	{"late_decision_compensation", GroupPractices, "compensation for the client when a decision is late"},
	{"self_service_first", GroupPractices, "self-service first: the website, then an inquiry form, and only then the phone"},
	{"step_by_step_guides", GroupPractices, "step-by-step guides with clear steps and the document forms"},
	{"standardised_procedures", GroupPractices, "standardised work procedures"},
	{"visual_instructions", GroupPractices, "visual instructions and check sheets for staff"},
}

// PracticeCatalogue returns the practice catalogue in display order.
func PracticeCatalogue() []PracticeItem {
	out := make([]PracticeItem, len(practiceCatalogue))
	copy(out, practiceCatalogue)
	return out
}

// PracticeProfile is what one institution has, as listed in the practices
// register: consultation channels, information languages (ISO 639-1 codes
// such as "en"), feedback mechanisms and other practices, by catalogue ID.
type PracticeProfile struct {
	Channels           []string
	Languages          []string
	FeedbackMechanisms []string
	Practices          []string
}

func normalise(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func set(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, s := range list {
		if s = normalise(s); s != "" {
			m[s] = true
		}
	}
	return m
}

// lists returns the profile's list of each group but languages.
func (p PracticeProfile) lists() map[string][]string {
	return map[string][]string{
		GroupChannels:  p.Channels,
		GroupFeedback:  p.FeedbackMechanisms,
		GroupPractices: p.Practices,
	}
}

// PracticeMatrix reports, for every catalogue ID, whether the profile has
// it. A channel, feedback mechanism or practice counts only when listed in
// its own group (case and surrounding blanks do not matter); multilingual
// means at least two distinct language codes, english_available means "en"
// is one of them.
func PracticeMatrix(p PracticeProfile) map[string]bool {
	langs := set(p.Languages)
	groups := map[string]map[string]bool{}
	for g, list := range p.lists() {
		groups[g] = set(list)
	}
	out := make(map[string]bool, len(practiceCatalogue))
	for _, it := range practiceCatalogue {
		switch it.ID {
		case PracticeMultilingual:
			out[it.ID] = len(langs) >= 2
		case PracticeEnglishAvailable:
			out[it.ID] = langs["en"]
		default:
			out[it.ID] = groups[it.Group][it.ID]
		}
	}
	return out
}

// ScorePractices returns practice_score: the catalogue practices the
// profile has ÷ the practices in the catalogue. (The KPI identifier
// PracticeScore already names the constant.)
func ScorePractices(p PracticeProfile) (present, total int, v Value) {
	for _, has := range PracticeMatrix(p) {
		if has {
			present++
		}
	}
	total = len(practiceCatalogue)
	return present, total, ratio(PracticeScore, float64(present), float64(total))
}

// UnknownPractices lists the profile's channels, feedback mechanisms and
// practices that are not catalogue items of that group, as "group: id"
// (with the right group when the ID belongs to another one). They do not
// count towards the score; configuration checks can warn about them.
func UnknownPractices(p PracticeProfile) []string {
	groupOf := make(map[string]string, len(practiceCatalogue))
	for _, it := range practiceCatalogue {
		groupOf[it.ID] = it.Group
	}
	var out []string
	for _, g := range []string{GroupChannels, GroupFeedback, GroupPractices} {
		for _, id := range p.lists()[g] {
			n := normalise(id)
			switch other, ok := groupOf[n]; {
			case !ok:
				out = append(out, fmt.Sprintf("%s: %s", g, id))
			case other != g:
				out = append(out, fmt.Sprintf("%s: %s (an item of %s)", g, id, other))
			}
		}
	}
	return out
}

// ProfileOf returns the practice profile of a practices-register entry.
func ProfileOf(p records.Practice) PracticeProfile {
	return PracticeProfile{Channels: p.Channels, Languages: p.Languages, FeedbackMechanisms: p.FeedbackMechanisms, Practices: p.Practices}
}
