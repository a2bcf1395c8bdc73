// Package records holds the normalised records that every collector writes
// to ClickHouse and every reader gets back: contacts, feedback, aggregates of
// aggregate-only sources, checkpoints and quarantined records.
package records

import "time"

// Channels a contact can come in on. Real-time channels have an answer-time
// threshold and the wait KPIs; written channels have working-day deadlines.
const (
	ChannelPhone    = "phone"
	ChannelChat     = "chat"
	ChannelFacebook = "facebook"
	ChannelEmail    = "email"
	ChannelWebForm  = "web_form"
	ChannelPost     = "post"
	ChannelVisit    = "visit"
	// ChannelWeb is the pseudo-channel of feedback on web content (FAQ
	// items, web pages), which is about no contact.
	ChannelWeb = "web"
)

// Outcomes of a contact.
const (
	OutcomeAnswered  = "answered"
	OutcomeAbandoned = "abandoned"
	OutcomeOpen      = "open"
)

// Channels lists every known channel in display order.
var Channels = []string{ChannelPhone, ChannelChat, ChannelFacebook, ChannelVisit, ChannelEmail, ChannelWebForm, ChannelPost}

// IsChannel reports whether c is a known channel.
func IsChannel(c string) bool {
	for _, k := range Channels {
		if k == c {
			return true
		}
	}
	return false
}

// IsRealTime reports whether the channel is answered while the client waits
// (phone, chat, facebook, visit).
func IsRealTime(c string) bool {
	switch c {
	case ChannelPhone, ChannelChat, ChannelFacebook, ChannelVisit:
		return true
	}
	return false
}

// IsWritten reports whether the channel is answered later, against a
// working-day deadline (email, web_form, post).
func IsWritten(c string) bool {
	switch c {
	case ChannelEmail, ChannelWebForm, ChannelPost:
		return true
	}
	return false
}

// Measures says which handling-time measures a source carries for a
// contact. A measure the source does not carry is unknown, not zero: the
// KPIs that need it leave the contact out of their numerator and
// denominator (shared/kpis.md, "Absent measures are not zero").
type Measures uint8

// Handling-time measures.
const (
	MeasureTalk Measures = 1 << iota // talk_s
	MeasureHold                      // hold_s
	MeasureACW                       // acw_s
)

// HandlingMeasures are the measures a contact's handling time (talk + hold
// + acw) needs. Hold is not among them, for some sources carry no hold
// times at all (VMI-style calls: talk + acw); a source that does carry them
// sets MeasureTalk only when hold_s is known as well.
const HandlingMeasures = MeasureTalk | MeasureACW

// NoMeasures is the value of a contact whose source carries no handling
// times (a facebook message, a VMI-style chat, a written case).
const NoMeasures Measures = 0

// Has reports whether every measure of x is carried.
func (m Measures) Has(x Measures) bool { return m&x == x }

// Contact is one version of a contact record: a call, chat, facebook message,
// e-mail, web form, letter or branch visit. The version with the greatest
// Version wins; a Deleted version removes the record from every KPI.
type Contact struct {
	Institution string
	Source      string // configured source name
	ID          string // unique within Source
	Version     int64  // UpdatedAt in Unix milliseconds, or a file publication time
	UpdatedAt   time.Time
	Unit        string
	Channel     string
	Queue       string
	ArrivedAt   time.Time  // offered, received, ticket drawn
	AnsweredAt  *time.Time // nil unless Outcome is answered
	EndedAt     *time.Time
	Outcome     string
	TalkS       uint32
	HoldS       uint32
	AcwS        uint32
	Measures    Measures   // which of TalkS, HoldS, AcwS the source carries
	Complex     bool       // needs a follow-up answer within a working-day deadline
	ResolvedAt  *time.Time // follow-up answer of a complex inquiry
	Corrected   *bool      // written answers: later corrected (nil when unknown)
	Origin      string     // where this version came from (file name, page), for audits
	Deleted     bool       // tombstone: the record was withdrawn at its source
}

// Feedback instruments.
const (
	InstrumentPostContact        = "post_contact"
	InstrumentSatisfactionSurvey = "satisfaction_survey"
	InstrumentMysteryShopper     = "mystery_shopper"
	InstrumentFAQ                = "faq"
	InstrumentWrittenSurvey      = "written_survey"
	InstrumentWrittenAudit       = "written_audit"
	InstrumentUsabilitySurvey    = "usability_survey"
)

// Scales of feedback responses.
const (
	Scale1to5  = "1-5"
	ScaleYesNo = "yes-no"
)

// Feedback is one version of one feedback response.
type Feedback struct {
	Institution string
	Source      string
	ID          string
	Version     int64
	UpdatedAt   time.Time
	Instrument  string
	Subject     string // contact id, FAQ item, branch
	// ContactID is the id, in the same source, of the contact (or written
	// case) the response is about, when the source names one; the response
	// then counts under that contact's unit and channel.
	ContactID   string
	Unit        string // may be empty
	Channel     string // may be empty
	SubmittedAt time.Time
	Scale       string
	Score       int
	Origin      string
	Deleted     bool
}

// Favourable reports whether the response counts as favourable: a score of
// at least 4 on a 1-5 scale, or yes on a yes-no scale.
func (f Feedback) Favourable() bool {
	if f.Scale == ScaleYesNo {
		return f.Score == 1
	}
	return f.Score >= 4
}

// Aggregate is one figure of an aggregate-only source (an IND-style period,
// a VMI-style seminar row). A batch (a period, a file) is replaced as a
// whole: only the rows of the highest Revision of a batch count.
type Aggregate struct {
	Institution string
	Source      string
	Batch       string // e.g. "2024-01" or a file name
	Revision    int64
	PeriodStart time.Time // local date, inclusive
	PeriodEnd   time.Time // local date, exclusive
	Unit        string
	Channel     string
	Instrument  string
	Item        string // procedure, web page, seminar id
	Metric      string // e.g. "decided", "within_deadline", "offered"
	Value       float64
}

// Checkpoint is where a source stream's next pull starts.
type Checkpoint struct {
	Source    string
	Stream    string // e.g. "contacts", "feedback", "index"
	Position  string // opaque to the store: a time, a page token, a hash list
	UpdatedAt time.Time
}

// Quarantined is a record that broke its source's contract, kept with the
// reason and its raw bytes so that an operator can inspect and replay it.
type Quarantined struct {
	Institution string
	Source      string
	Stream      string
	RecordID    string // may be empty when the record had no readable id
	Field       string // the offending field, when one is to blame
	Reason      string
	Raw         string
	Origin      string // page, file and line
	ReceivedAt  time.Time
}
