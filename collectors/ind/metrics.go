package ind

import "github.com/ccbench/ccbench/records"

// Metric vocabulary of the aggregate rows an IND-style period becomes, in
// the KPI layer's own names (records.Agg*). Every
// row is a records.Aggregate with Batch = the period ("2024-01"), Revision =
// the period's revision and PeriodStart/PeriodEnd = the first day of the
// month and of the next month. The KPIs are computed from these rows in SQL,
// over the highest revision of each batch only, by summing numerators and
// denominators across periods, procedures and pages:
//
//	decisions_on_time_rate = Σ within_deadline ÷ Σ decided        (rows with Item = procedure)
//	penalty_eur            = Σ penalties_eur
//	useful_share           = Σ useful_yes ÷ Σ (useful_yes + useful_no)  (Instrument InstrumentWebPage)
//	favourable_share       = Σ favourable ÷ Σ responses           (Instrument records.InstrumentUsabilitySurvey)
//
// and the phone block (Channel records.ChannelPhone) as shared/kpis.md
// "Aggregates" prescribes (see kpi.PhoneAggregateCounts):
//
//	service_level (negative) = Σ answered_within_threshold ÷ Σ (offered − short_abandoned)
//	abandon_rate             = Σ (offered − answered − short_abandoned) ÷ Σ (offered − short_abandoned)
//	answer_rate              = Σ answered ÷ Σ offered
//	asa_seconds              = Σ wait_s_sum ÷ Σ answered
//	contacts_offered         = Σ offered ÷ days of the window
//
// threshold_s and median_lead_days are parameters and statistics of their
// period, not counts: they must never be summed (read them per batch, e.g.
// with max()).
const (
	// Decisions, one set per procedure (Item = procedure, Channel empty).
	MetricDecided        = records.AggDecided
	MetricWithinDeadline = records.AggWithinDeadline
	MetricPenaltiesPaid  = records.AggPenaltiesPaid // late decisions for which a penalty was paid
	MetricPenaltiesEUR   = records.AggPenaltiesEUR  // sum of those penalties, at most penalties_paid × 1,442

	// Phone block (Channel = records.ChannelPhone).
	MetricOffered                 = records.AggOffered
	MetricAnswered                = records.AggAnswered
	MetricAnsweredWithinThreshold = records.AggAnsweredWithinThreshold // judged by the block's own threshold_s
	MetricThresholdS              = records.AggThresholdS              // the block's answer-time threshold; not a count
	MetricShortAbandoned          = records.AggShortAbandoned
	MetricWaitSSum                = records.AggWaitSSum // waits of answered calls, seconds

	// Appointments (Item = ItemAppointments).
	MetricBooked         = "booked"
	MetricMedianLeadDays = "median_lead_days" // not a count

	// Web-page feedback (Instrument = InstrumentWebPage, Item = page).
	MetricUsefulYes = records.AggYesVotes
	MetricUsefulNo  = records.AggNoVotes

	// Usability survey (Instrument = records.InstrumentUsabilitySurvey).
	MetricResponses  = records.AggResponses
	MetricFavourable = records.AggFavourable
)

// Dimension values of IND-style rows.
const (
	// ItemAppointments is the Item of the appointment rows.
	ItemAppointments = "appointments"
	// InstrumentWebPage is the Instrument of the web-page feedback rows
	// ("was this page useful?" votes).
	InstrumentWebPage = records.InstrumentWebPage
	// InstrumentUsabilitySurvey is the Instrument of the usability survey
	// rows.
	InstrumentUsabilitySurvey = records.InstrumentUsabilitySurvey
	// DefaultUnit is the Unit of the rows when the source configures none.
	DefaultUnit = "ind"
)
