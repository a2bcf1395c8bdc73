package records

// Vocabulary of aggregate rows (Aggregate.Metric, Aggregate.Instrument).
// Every aggregate-only source style maps its published figures to these
// names, and the KPI layer reads only them, so that it needs to know no
// source style. A row's dimensions say what it counts:
//
//   - decision rows have no Channel and no Instrument, and Item names the
//     procedure: AggDecided, AggWithinDeadline, AggPenaltiesPaid and
//     AggPenaltiesEUR;
//   - phone-block rows have Channel ChannelPhone: AggOffered, AggAnswered,
//     AggAnsweredWithinThreshold (judged by the block's own AggThresholdS),
//     AggShortAbandoned and AggWaitSSum (waits of answered calls);
//   - response rows have an Instrument: AggResponses with AggFavourable or
//     AggWouldRecommend among them, or yes and no votes (AggYesVotes,
//     AggNoVotes).
//
// AggThresholdS and any metric not listed here are parameters or statistics
// of their period, not counts: they are never summed.
const (
	AggDecided        = "decided"
	AggWithinDeadline = "within_deadline"
	AggPenaltiesPaid  = "penalties_paid" // late decisions for which a penalty was paid
	AggPenaltiesEUR   = "penalties_eur"  // sum of those penalties

	AggOffered                 = "offered"
	AggAnswered                = "answered"
	AggAnsweredWithinThreshold = "answered_within_threshold"
	AggThresholdS              = "threshold_s" // not a count
	AggShortAbandoned          = "short_abandoned"
	AggWaitSSum                = "wait_s_sum" // seconds

	AggResponses      = "responses"
	AggFavourable     = "favourable"      // of AggResponses
	AggWouldRecommend = "would_recommend" // of AggResponses
	AggYesVotes       = "useful_yes"      // votes that found the item useful
	AggNoVotes        = "useful_no"

	// AggRevision marks a revision of a batch and counts nothing: a batch
	// republished without a single row still has a newest revision, which
	// replaces the rows of the earlier ones.
	AggRevision = "revision"
)

// Instruments of aggregate response rows, next to those of Feedback.
const (
	InstrumentWebPage = "web_page" // "was this page useful?" votes
	InstrumentSeminar = "seminar"  // seminar questionnaires
)

// IsDecisionMetric reports whether a metric counts decisions.
func IsDecisionMetric(m string) bool {
	switch m {
	case AggDecided, AggWithinDeadline, AggPenaltiesPaid, AggPenaltiesEUR:
		return true
	}
	return false
}
