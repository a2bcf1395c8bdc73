// Package kpi is ccbench's KPI catalogue: the identifiers, units and default
// parameters of every KPI in shared/kpis.md, the service-level methods, and
// the arithmetic that turns summed numerators and denominators into values.
// Every other package (store, exporter, dashboards, CLI) takes its KPI names
// and formulas from here.
package kpi

import (
	"fmt"

	"github.com/ccbench/ccbench/records"
)

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

// Scope says which channels a KPI is computed for.
type Scope string

// Scopes of KPIs.
const (
	// ScopeRealTime: the real-time channels (phone, chat, facebook, visit),
	// which have an answer-time threshold and waits.
	ScopeRealTime Scope = "real_time"
	// ScopeWritten: the written channels (email, web_form, post), which have
	// working-day deadlines.
	ScopeWritten Scope = "written"
	// ScopeAllChannels: every channel of contacts, real-time and written.
	ScopeAllChannels Scope = "all_channels"
	// ScopeFeedback: feedback responses, under the channel of the contact
	// they are about (ChannelWeb for votes on web content), per instrument.
	ScopeFeedback Scope = "feedback"
	// ScopeInstitution: figures of a whole institution or unit that have no
	// channel (decisions, penalties, the practices register).
	ScopeInstitution Scope = "institution"
)

// Measure is what a KPI needs a record to carry. A record (or a whole
// channel of a source) that does not carry the measure is left out of the
// KPI's numerator and denominator: absent is not zero.
type Measure string

// Measures KPIs need.
const (
	MeasureWait         Measure = "wait"          // arrival, answer and end times
	MeasureHandlingTime Measure = "handling_time" // talk (+ hold) (+ after-contact work) seconds
	MeasureACW          Measure = "acw"           // after-contact work seconds
	MeasureArrival      Measure = "arrival"       // an arrival time: every contact has one
	MeasureDeadline     Measure = "deadline"      // a received and (maybe) answered time of a written case
	MeasureCorrection   Measure = "correction"    // a corrected flag on a written answer
	MeasureResponse     Measure = "response"      // a survey response or vote
	MeasureDecision     Measure = "decision"      // aggregate decision counts
	MeasureRegister     Measure = "register"      // the practices register
)

// Definition describes one KPI of the catalogue. It is the one home of the
// facts every consumer needs: the report, the exporter, the dashboards, the
// alert rules and the CLI read them from here and decide none of them
// themselves.
type Definition struct {
	ID        ID
	Title     string // display name on panels, tables and alerts
	Unit      Unit
	Help      string    // one line: metric help, panel description, alert text
	Direction Direction // the usual direction of a target on it
	// Workload KPIs measure demand, not performance: a target may bound
	// them, but institutions are not ranked on them (more contacts is
	// not better).
	Workload bool
	// Metric is the Prometheus metric name of the value, TargetMetric of
	// its target.
	Metric       string
	TargetMetric string
	// Aggregation says how the KPI rolls up across units, channels and
	// periods.
	Aggregation Aggregation
	Scope       Scope   // which channels it is computed for
	Measure     Measure // what a record must carry to count
	// PerMethod KPIs are computed once per service-level method and name
	// the method wherever they are shown.
	PerMethod bool
	// PerInstrument KPIs are computed per feedback instrument.
	PerInstrument bool
	// Sampled KPIs are shares of (usually sampled) survey responses: they
	// carry their sample size and a Wilson 95 % interval, and a sample
	// smaller than MinSampleSize is flagged.
	Sampled bool
	// Instruments are the feedback instruments whose responses this KPI
	// measures; for favourable_share, every instrument not claimed by
	// another KPI (see ShareKPI).
	Instruments []string
	// EventBudget is set on ratio KPIs whose numerator and denominator count
	// events (contacts, cases), so that a target leaves an event-based error
	// budget that burn-rate alerts can watch: a bad event is one in the
	// denominator and not the numerator for an at_least KPI, one in the
	// numerator for an at_most KPI.
	EventBudget bool
	// Parameters are the KPI parameters its value depends on, named
	// wherever figures are compared (see Params).
	Parameters []Parameter
}

// Parameter names a KPI parameter (see Params).
type Parameter string

// KPI parameters.
const (
	ParamMethod       Parameter = "sl_method"
	ParamThreshold    Parameter = "threshold_s"
	ParamShortAbandon Parameter = "short_abandon_s"
	ParamLongWait     Parameter = "long_wait_s"
	ParamDeadlineDays Parameter = "deadline_days"
)

// AppliesTo reports whether the KPI is computed for channel c of contacts
// ("" for figures without a channel).
func (d Definition) AppliesTo(channel string) bool {
	switch d.Scope {
	case ScopeRealTime:
		return records.IsRealTime(channel)
	case ScopeWritten:
		return records.IsWritten(channel)
	case ScopeAllChannels:
		return records.IsChannel(channel)
	case ScopeFeedback:
		return records.IsChannel(channel) || channel == records.ChannelWeb || channel == ""
	}
	return channel == ""
}

// Bad returns the bad events of a value of an EventBudget KPI: the
// denominator's events that miss the target's direction.
func (d Definition) Bad(numerator, denominator float64) float64 {
	if d.Direction == AtMost {
		return numerator
	}
	return denominator - numerator
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

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// catalogue lists every KPI in the order of shared/kpis.md.
var catalogue = []Definition{
	{ID: ServiceLevel, Title: "Service level", Unit: UnitRatio, Direction: AtLeast, Aggregation: AggRatio,
		Metric: "ccbench_service_level_ratio", TargetMetric: "ccbench_service_level_target_ratio",
		Scope: ScopeRealTime, Measure: MeasureWait, PerMethod: true, EventBudget: true,
		Parameters: []Parameter{ParamMethod, ParamThreshold, ParamShortAbandon},
		Help:       "Share of contacts answered within the answer-time threshold, of those offered less short abandons (method label names the formula)."},
	{ID: AbandonRate, Title: "Abandon rate", Unit: UnitRatio, Direction: AtMost, Aggregation: AggRatio,
		Metric: "ccbench_abandon_rate_ratio", TargetMetric: "ccbench_abandon_rate_target_ratio",
		Scope: ScopeRealTime, Measure: MeasureWait, EventBudget: true, Parameters: []Parameter{ParamShortAbandon},
		Help: "Share of contacts abandoned after the short-abandon limit, of those offered less short abandons."},
	{ID: AnswerRate, Title: "Answer rate", Unit: UnitRatio, Direction: AtLeast, Aggregation: AggRatio,
		Metric: "ccbench_answer_rate_ratio", TargetMetric: "ccbench_answer_rate_target_ratio",
		Scope: ScopeRealTime, Measure: MeasureWait, EventBudget: true,
		Help: "Share of all offered contacts that were answered."},
	{ID: ASASeconds, Title: "Average speed of answer (ASA)", Unit: UnitSeconds, Direction: AtMost, Aggregation: AggRatio,
		Metric: "ccbench_asa_seconds", TargetMetric: "ccbench_asa_target_seconds",
		Scope: ScopeRealTime, Measure: MeasureWait,
		Help: "Average speed of answer: mean wait of answered contacts."},
	{ID: AHTSeconds, Title: "Average handling time (AHT)", Unit: UnitSeconds, Direction: AtMost, Aggregation: AggRatio,
		Metric: "ccbench_aht_seconds", TargetMetric: "ccbench_aht_target_seconds",
		Scope: ScopeRealTime, Measure: MeasureHandlingTime,
		Help: "Average handling time: mean talk + hold + after-contact work of answered contacts whose source records handling times."},
	{ID: ACWSeconds, Title: "After-contact work", Unit: UnitSeconds, Direction: AtMost, Aggregation: AggRatio,
		Metric: "ccbench_acw_seconds", TargetMetric: "ccbench_acw_target_seconds",
		Scope: ScopeRealTime, Measure: MeasureACW,
		Help: "Mean after-contact work of answered contacts whose source records it."},
	{ID: LongWaitShare, Title: "Long-wait share", Unit: UnitRatio, Direction: AtMost, Aggregation: AggRatio,
		Metric: "ccbench_long_wait_share_ratio", TargetMetric: "ccbench_long_wait_share_target_ratio",
		Scope: ScopeRealTime, Measure: MeasureWait, Parameters: []Parameter{ParamLongWait},
		Help: "Share of offered contacts that waited longer than the long-wait limit."},
	{ID: MaxWaitSeconds, Title: "Longest wait", Unit: UnitSeconds, Direction: AtMost, Aggregation: AggMax,
		Metric: "ccbench_max_wait_seconds", TargetMetric: "ccbench_max_wait_target_seconds",
		Scope: ScopeRealTime, Measure: MeasureWait,
		Help: "Largest wait of any contact in the window."},
	{ID: DeadlineMetRate, Title: "Deadlines met", Unit: UnitRatio, Direction: AtLeast, Aggregation: AggRatio,
		Metric: "ccbench_deadline_met_rate_ratio", TargetMetric: "ccbench_deadline_met_rate_target_ratio",
		Scope: ScopeAllChannels, Measure: MeasureDeadline, EventBudget: true, Parameters: []Parameter{ParamDeadlineDays},
		Help: "Share of due cases answered by their working-day deadline (open cases past due count as missed); written cases and complex inquiries."},
	{ID: CorrectionRate, Title: "Correction rate", Unit: UnitRatio, Direction: AtMost, Aggregation: AggRatio,
		Metric: "ccbench_correction_rate_ratio", TargetMetric: "ccbench_correction_rate_target_ratio",
		Scope: ScopeWritten, Measure: MeasureCorrection,
		Help: "Share of written answers that were later corrected."},
	{ID: FavourableShare, Title: "Favourable responses", Unit: UnitRatio, Direction: AtLeast, Aggregation: AggRatio,
		Metric: "ccbench_favourable_share_ratio", TargetMetric: "ccbench_favourable_share_target_ratio",
		Scope: ScopeFeedback, Measure: MeasureResponse, PerInstrument: true, Sampled: true,
		Help: "Share of favourable survey responses, per instrument (1-5: score ≥ 4; yes-no: yes)."},
	{ID: RecommendShare, Title: "Would recommend", Unit: UnitRatio, Direction: AtLeast, Aggregation: AggRatio,
		Metric: "ccbench_recommend_share_ratio", TargetMetric: "ccbench_recommend_share_target_ratio",
		Scope: ScopeInstitution, Measure: MeasureResponse, PerInstrument: true, Sampled: true, Instruments: []string{"seminar"},
		Help: "Share of seminar respondents who would recommend the seminar."},
	{ID: UsefulShare, Title: "Useful votes", Unit: UnitRatio, Direction: AtLeast, Aggregation: AggRatio,
		Metric: "ccbench_useful_share_ratio", TargetMetric: "ccbench_useful_share_target_ratio",
		Scope: ScopeFeedback, Measure: MeasureResponse, PerInstrument: true, Sampled: true, Instruments: []string{"faq", "web_page"},
		Help: "Share of useful votes on FAQ items and web pages (channel web)."},
	{ID: DecisionsOnTimeRate, Title: "Decisions on time", Unit: UnitRatio, Direction: AtLeast, Aggregation: AggRatio,
		Metric: "ccbench_decisions_on_time_rate_ratio", TargetMetric: "ccbench_decisions_on_time_rate_target_ratio",
		Scope: ScopeInstitution, Measure: MeasureDecision,
		Help: "Share of decisions taken within the statutory deadline."},
	{ID: PenaltyEUR, Title: "Penalties", Unit: UnitEUR, Direction: AtMost, Aggregation: AggSum,
		Metric: "ccbench_penalty_eur", TargetMetric: "ccbench_penalty_target_eur",
		Scope: ScopeInstitution, Measure: MeasureDecision,
		Help: "Penalties paid for late decisions, in euro."},
	{ID: ContactsOffered, Title: "Contacts offered per day", Unit: UnitContactsDay, Direction: AtLeast, Workload: true, Aggregation: AggRate,
		Metric: "ccbench_contacts_offered_per_day", TargetMetric: "ccbench_contacts_offered_target_per_day",
		Scope: ScopeAllChannels, Measure: MeasureArrival,
		Help: "Contacts offered per calendar day of the window."},
	{ID: PracticeScore, Title: "Practice score", Unit: UnitRatio, Direction: AtLeast, Aggregation: AggRatio,
		Metric: "ccbench_practice_score_ratio", TargetMetric: "ccbench_practice_score_target_ratio",
		Scope: ScopeInstitution, Measure: MeasureRegister,
		Help: "Share of the catalogue's good practices that the institution has."},
}

// ShareKPI returns the KPI that the responses of a feedback instrument
// measure: the KPI that lists the instrument, else favourable_share.
func ShareKPI(instrument string) ID {
	for _, d := range catalogue {
		if contains(d.Instruments, instrument) {
			return d.ID
		}
	}
	return FavourableShare
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
