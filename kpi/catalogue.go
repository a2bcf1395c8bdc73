// Package kpi is ccbench's KPI catalogue: the identifiers, units and default
// parameters of every KPI in shared/kpis.md, the service-level methods, and
// the arithmetic that turns summed numerators and denominators into values.
// Every other package (store, exporter, dashboards, CLI) takes its KPI names
// and formulas from here.
package kpi

import "fmt"

// ID identifies a KPI everywhere: configuration keys, metric names,
// dashboard titles and CLI flags.
type ID string

// The KPIs of the catalogue.
const (
	ServiceLevel        ID = "service_level"
	AbandonRate         ID = "abandon_rate"
	AnswerRate          ID = "answer_rate"
	ASASeconds          ID = "asa_seconds"
	AHTSeconds          ID = "aht_seconds"
	ACWSeconds          ID = "acw_seconds"
	LongWaitShare       ID = "long_wait_share"
	MaxWaitSeconds      ID = "max_wait_seconds"
	DeadlineMetRate     ID = "deadline_met_rate"
	CorrectionRate      ID = "correction_rate"
	FavourableShare     ID = "favourable_share"
	RecommendShare      ID = "recommend_share"
	UsefulShare         ID = "useful_share"
	DecisionsOnTimeRate ID = "decisions_on_time_rate"
	PenaltyEUR          ID = "penalty_eur"
	ContactsOffered     ID = "contacts_offered"
	PracticeScore       ID = "practice_score"
)

// Unit is the unit a KPI value is expressed in.
type Unit string

// Units of KPI values.
const (
	UnitRatio       Unit = "ratio"
	UnitSeconds     Unit = "seconds"
	UnitEUR         Unit = "eur"
	UnitContactsDay Unit = "contacts/day"
)

// Direction says which way a target is met.
type Direction string

// Directions of targets.
const (
	AtLeast Direction = "at_least" // value ≥ target
	AtMost  Direction = "at_most"  // value ≤ target
)

// Met reports whether value meets target in direction d.
func (d Direction) Met(value, target float64) bool {
	if d == AtMost {
		return value <= target
	}
	return value >= target
}

// Definition describes one KPI of the catalogue.
type Definition struct {
	ID           ID
	Unit         Unit
	Help         string    // one line, used as metric help and panel description
	Direction    Direction // the usual direction of a target on it
	Metric       string    // Prometheus metric name of the value
	TargetMetric string    // Prometheus metric name of its target
	// Ratio KPIs are numerator ÷ denominator and roll up by summing both;
	// Max KPIs roll up by taking the largest value; Sum KPIs by adding.
	Aggregation Aggregation
}

// Aggregation says how a KPI rolls up across units, channels and periods.
type Aggregation string

// Ways a KPI rolls up.
const (
	AggRatio Aggregation = "ratio" // sum numerators ÷ sum denominators (means included)
	AggMax   Aggregation = "max"
	AggSum   Aggregation = "sum"
	AggRate  Aggregation = "per_day" // sum of counts ÷ days of the window
)

func def(id ID, unit Unit, dir Direction, agg Aggregation, metric, target, help string) Definition {
	return Definition{ID: id, Unit: unit, Direction: dir, Aggregation: agg, Metric: metric, TargetMetric: target, Help: help}
}

// Catalogue lists every KPI in the order of shared/kpis.md.
var catalogue = []Definition{
	def(ServiceLevel, UnitRatio, AtLeast, AggRatio, "ccbench_service_level_ratio", "ccbench_service_level_target_ratio",
		"Share of contacts answered within the answer-time threshold, of those offered less short abandons (method label names the formula)."),
	def(AbandonRate, UnitRatio, AtMost, AggRatio, "ccbench_abandon_rate_ratio", "ccbench_abandon_rate_target_ratio",
		"Share of contacts abandoned after the short-abandon limit, of those offered less short abandons."),
	def(AnswerRate, UnitRatio, AtLeast, AggRatio, "ccbench_answer_rate_ratio", "ccbench_answer_rate_target_ratio",
		"Share of all offered contacts that were answered."),
	def(ASASeconds, UnitSeconds, AtMost, AggRatio, "ccbench_asa_seconds", "ccbench_asa_target_seconds",
		"Average speed of answer: mean wait of answered contacts."),
	def(AHTSeconds, UnitSeconds, AtMost, AggRatio, "ccbench_aht_seconds", "ccbench_aht_target_seconds",
		"Average handling time: mean talk + hold + after-contact work of answered contacts."),
	def(ACWSeconds, UnitSeconds, AtMost, AggRatio, "ccbench_acw_seconds", "ccbench_acw_target_seconds",
		"Mean after-contact work of answered contacts."),
	def(LongWaitShare, UnitRatio, AtMost, AggRatio, "ccbench_long_wait_share_ratio", "ccbench_long_wait_share_target_ratio",
		"Share of offered contacts that waited longer than the long-wait limit."),
	def(MaxWaitSeconds, UnitSeconds, AtMost, AggMax, "ccbench_max_wait_seconds", "ccbench_max_wait_target_seconds",
		"Largest wait of any contact in the window."),
	def(DeadlineMetRate, UnitRatio, AtLeast, AggRatio, "ccbench_deadline_met_rate_ratio", "ccbench_deadline_met_rate_target_ratio",
		"Share of due cases answered by their working-day deadline (open cases past due count as missed)."),
	def(CorrectionRate, UnitRatio, AtMost, AggRatio, "ccbench_correction_rate_ratio", "ccbench_correction_rate_target_ratio",
		"Share of written answers that were later corrected."),
	def(FavourableShare, UnitRatio, AtLeast, AggRatio, "ccbench_favourable_share_ratio", "ccbench_favourable_share_target_ratio",
		"Share of favourable survey responses, per instrument (1-5: score ≥ 4; yes-no: yes)."),
	def(RecommendShare, UnitRatio, AtLeast, AggRatio, "ccbench_recommend_share_ratio", "ccbench_recommend_share_target_ratio",
		"Share of seminar respondents who would recommend the seminar."),
	def(UsefulShare, UnitRatio, AtLeast, AggRatio, "ccbench_useful_share_ratio", "ccbench_useful_share_target_ratio",
		"Share of useful votes on FAQ items and web pages."),
	def(DecisionsOnTimeRate, UnitRatio, AtLeast, AggRatio, "ccbench_decisions_on_time_rate_ratio", "ccbench_decisions_on_time_rate_target_ratio",
		"Share of decisions taken within the statutory deadline."),
	def(PenaltyEUR, UnitEUR, AtMost, AggSum, "ccbench_penalty_eur", "ccbench_penalty_target_eur",
		"Penalties paid for late decisions, in euro."),
	def(ContactsOffered, UnitContactsDay, AtLeast, AggRate, "ccbench_contacts_offered_per_day", "ccbench_contacts_offered_target_per_day",
		"Contacts offered per calendar day of the window."),
	def(PracticeScore, UnitRatio, AtLeast, AggRatio, "ccbench_practice_score_ratio", "ccbench_practice_score_target_ratio",
		"Share of the catalogue's good practices that the institution has."),
}

// Catalogue returns every KPI definition in catalogue order.
func Catalogue() []Definition {
	out := make([]Definition, len(catalogue))
	copy(out, catalogue)
	return out
}

// Lookup returns the definition of id.
func Lookup(id ID) (Definition, bool) {
	for _, d := range catalogue {
		if d.ID == id {
			return d, true
		}
	}
	return Definition{}, false
}

// MustLookup returns the definition of id and panics when there is none; for
// identifiers that are constants of this package.
func MustLookup(id ID) Definition {
	d, ok := Lookup(id)
	if !ok {
		panic(fmt.Sprintf("kpi: unknown KPI %q", id))
	}
	return d
}

// ParseID checks that s names a KPI of the catalogue.
func ParseID(s string) (ID, error) {
	if _, ok := Lookup(ID(s)); !ok {
		return "", fmt.Errorf("unknown KPI %q", s)
	}
	return ID(s), nil
}
