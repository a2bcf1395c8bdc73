package ind

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/ccbench/ccbench/kpi"
	"github.com/ccbench/ccbench/records"
)

// Period is one validated period document of an IND-style source
// (`GET {base}/v1/periods/{period}`, contract 3 of shared/sources.md). A
// section the document leaves out (or sets to null) is nil or empty.
type Period struct {
	Period          string    // "YYYY-MM"
	Revision        int64     // ≥ 1; a higher revision replaces the period
	PublishedAt     time.Time // zero when the document gives none
	Decisions       []Decision
	Phone           *Phone
	Appointments    *Appointments
	WebFeedback     []PageFeedback
	UsabilitySurvey *Survey
}

// Decision is the decisions of one procedure in a period.
type Decision struct {
	Procedure      string
	Decided        int64
	WithinDeadline int64
	PenaltiesPaid  int64
	PenaltiesEUR   float64
}

// Phone is the phone block of a period.
type Phone struct {
	Offered                 int64
	Answered                int64
	AnsweredWithinThreshold int64
	ThresholdS              int64
	ShortAbandoned          int64
	WaitSSum                float64 // waits of answered calls, seconds
}

// Appointments is the appointment block of a period.
type Appointments struct {
	Booked         int64
	MedianLeadDays float64
}

// PageFeedback is the "was this page useful?" votes of one web page.
type PageFeedback struct {
	Page      string
	UsefulYes int64
	UsefulNo  int64
}

// Survey is the usability survey of a period.
type Survey struct {
	Responses  int64
	Favourable int64
}

// ValidationError is a period document that breaks the contract. Period and
// Revision are what could be read of the document (the period asked for and
// 0 when the revision was unreadable); Field names the offending field, e.g.
// "decisions[2].penalties_eur", or is empty when the document as a whole is
// to blame.
type ValidationError struct {
	Period   string
	Revision int64
	Field    string
	Reason   string
}

func (e *ValidationError) Error() string {
	s := "period " + e.Period
	if e.Revision > 0 {
		s += " revision " + strconv.FormatInt(e.Revision, 10)
	}
	if e.Field != "" {
		s += ": " + e.Field
	}
	return s + ": " + e.Reason
}

// RecordID is how a quarantined period is named: "2024-01@r2", or the bare
// period when its revision could not be read.
func (e *ValidationError) RecordID() string { return recordID(e.Period, e.Revision) }

func recordID(period string, revision int64) string {
	if revision <= 0 {
		return period
	}
	return period + "@r" + strconv.FormatInt(revision, 10)
}

// fieldError is a broken rule, before the period and revision are attached.
type fieldError struct{ field, reason string }

func bad(field, format string, args ...any) *fieldError {
	return &fieldError{field: field, reason: fmt.Sprintf(format, args...)}
}

// maxExactInt is the largest count a float64 row value holds exactly.
const maxExactInt = 1 << 53

// ParsePeriod decodes and validates a period document fetched for the
// period want ("YYYY-MM"; empty accepts any). Unknown fields are ignored;
// every known field must have its contract type: counts are non-negative
// integers, amounts non-negative finite numbers. Besides the types it
// checks, naming the field of the first violation:
//   - period is YYYY-MM and equals want, revision is an integer ≥ 1,
//     published_at (optional) is RFC 3339;
//   - per decision row: a non-empty, unique procedure, within_deadline ≤
//     decided and penalties_eur ≤ penalties_paid × kpi.MaxPenaltyPerDecisionEUR
//     (the Dutch cap holds per decision, so it is checked per procedure,
//     which is stricter than on the period's total);
//   - phone: answered ≤ offered, answered_within_threshold ≤ answered,
//     short_abandoned ≤ offered − answered, threshold_s > 0;
//   - web_feedback: a non-empty, unique page per row;
//   - usability_survey: favourable ≤ responses;
//   - the document holds at least one figure.
//
// Any violation makes the whole period invalid: the error is a
// *ValidationError.
func ParsePeriod(body []byte, want string) (*Period, error) {
	p := &Period{Period: want}
	ferr := p.parse(body, want)
	if ferr != nil {
		return nil, &ValidationError{Period: p.Period, Revision: p.Revision, Field: ferr.field, Reason: ferr.reason}
	}
	return p, nil
}

// parse fills p; on a violation p keeps the period and revision read so far.
func (p *Period) parse(body []byte, want string) *fieldError {
	o, ferr := decodeObject(body, "")
	if ferr != nil {
		return ferr
	}
	name, ferr := o.str("period", "period")
	if ferr != nil {
		return ferr
	}
	if _, _, err := PeriodBounds(name); err != nil {
		return bad("period", "%v", err)
	}
	if want != "" && name != want {
		return bad("period", "document is for %q but was fetched as %q", name, want)
	}
	p.Period = name
	if p.Revision, ferr = o.count("revision", "revision"); ferr != nil {
		return ferr
	}
	if p.Revision < 1 {
		return bad("revision", "must be at least 1, got %d", p.Revision)
	}
	if s, ok, ferr := o.optStr("published_at", "published_at"); ferr != nil {
		return ferr
	} else if ok {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return bad("published_at", "not an RFC 3339 time: %q", s)
		}
		p.PublishedAt = t
	}

	decisions, ferr := o.array("decisions", "decisions")
	if ferr != nil {
		return ferr
	}
	seen := map[string]bool{}
	for i, raw := range decisions {
		path := fmt.Sprintf("decisions[%d]", i)
		d, ferr := parseDecision(raw, path)
		if ferr != nil {
			return ferr
		}
		if seen[d.Procedure] {
			return bad(path+".procedure", "procedure %q appears twice", d.Procedure)
		}
		seen[d.Procedure] = true
		p.Decisions = append(p.Decisions, d)
	}

	if o.has("phone") {
		if p.Phone, ferr = parsePhone(o["phone"], "phone"); ferr != nil {
			return ferr
		}
	}
	if o.has("appointments") {
		if p.Appointments, ferr = parseAppointments(o["appointments"], "appointments"); ferr != nil {
			return ferr
		}
	}

	pages, ferr := o.array("web_feedback", "web_feedback")
	if ferr != nil {
		return ferr
	}
	seen = map[string]bool{}
	for i, raw := range pages {
		path := fmt.Sprintf("web_feedback[%d]", i)
		w, ferr := parsePageFeedback(raw, path)
		if ferr != nil {
			return ferr
		}
		if seen[w.Page] {
			return bad(path+".page", "page %q appears twice", w.Page)
		}
		seen[w.Page] = true
		p.WebFeedback = append(p.WebFeedback, w)
	}

	if o.has("usability_survey") {
		if p.UsabilitySurvey, ferr = parseSurvey(o["usability_survey"], "usability_survey"); ferr != nil {
			return ferr
		}
	}

	if len(p.Decisions) == 0 && p.Phone == nil && p.Appointments == nil && len(p.WebFeedback) == 0 && p.UsabilitySurvey == nil {
		// Ingesting it would leave an earlier revision in force while
		// claiming the period was replaced by nothing.
		return bad("", "the document holds no figures (no decisions, phone, appointments, web_feedback or usability_survey)")
	}
	return nil
}

func parseDecision(raw json.RawMessage, path string) (Decision, *fieldError) {
	var d Decision
	o, ferr := decodeObject(raw, path)
	if ferr != nil {
		return d, ferr
	}
	if d.Procedure, ferr = o.str("procedure", path+".procedure"); ferr != nil {
		return d, ferr
	}
	if d.Procedure == "" {
		return d, bad(path+".procedure", "must not be empty")
	}
	if ferr = o.counts(path, map[string]*int64{
		"decided": &d.Decided, "within_deadline": &d.WithinDeadline, "penalties_paid": &d.PenaltiesPaid,
	}); ferr != nil {
		return d, ferr
	}
	if d.PenaltiesEUR, ferr = o.amount("penalties_eur", path+".penalties_eur"); ferr != nil {
		return d, ferr
	}
	if d.WithinDeadline > d.Decided {
		return d, bad(path+".within_deadline", "%d is more than decided (%d) for procedure %q", d.WithinDeadline, d.Decided, d.Procedure)
	}
	if limit := float64(d.PenaltiesPaid) * kpi.MaxPenaltyPerDecisionEUR; d.PenaltiesEUR > limit {
		return d, bad(path+".penalties_eur",
			"EUR %s for procedure %q is more than penalties_paid × EUR %d = %d × %d = EUR %s: the Dutch scale caps a penalty at EUR %d per decision",
			strconv.FormatFloat(d.PenaltiesEUR, 'f', -1, 64), d.Procedure, kpi.MaxPenaltyPerDecisionEUR,
			d.PenaltiesPaid, kpi.MaxPenaltyPerDecisionEUR, strconv.FormatFloat(limit, 'f', -1, 64), kpi.MaxPenaltyPerDecisionEUR)
	}
	return d, nil
}

func parsePhone(raw json.RawMessage, path string) (*Phone, *fieldError) {
	var ph Phone
	o, ferr := decodeObject(raw, path)
	if ferr != nil {
		return nil, ferr
	}
	if ferr = o.counts(path, map[string]*int64{
		"offered": &ph.Offered, "answered": &ph.Answered, "answered_within_threshold": &ph.AnsweredWithinThreshold,
		"threshold_s": &ph.ThresholdS, "short_abandoned": &ph.ShortAbandoned,
	}); ferr != nil {
		return nil, ferr
	}
	if ph.WaitSSum, ferr = o.amount("wait_s_sum", path+".wait_s_sum"); ferr != nil {
		return nil, ferr
	}
	switch {
	case ph.Answered > ph.Offered:
		return nil, bad(path+".answered", "%d is more than offered (%d)", ph.Answered, ph.Offered)
	case ph.AnsweredWithinThreshold > ph.Answered:
		return nil, bad(path+".answered_within_threshold", "%d is more than answered (%d)", ph.AnsweredWithinThreshold, ph.Answered)
	case ph.ShortAbandoned > ph.Offered-ph.Answered:
		return nil, bad(path+".short_abandoned", "%d is more than the abandoned calls, offered − answered = %d", ph.ShortAbandoned, ph.Offered-ph.Answered)
	case ph.ThresholdS <= 0:
		return nil, bad(path+".threshold_s", "must be more than 0, got %d", ph.ThresholdS)
	}
	return &ph, nil
}

func parseAppointments(raw json.RawMessage, path string) (*Appointments, *fieldError) {
	var a Appointments
	o, ferr := decodeObject(raw, path)
	if ferr != nil {
		return nil, ferr
	}
	if a.Booked, ferr = o.count("booked", path+".booked"); ferr != nil {
		return nil, ferr
	}
	if a.MedianLeadDays, ferr = o.amount("median_lead_days", path+".median_lead_days"); ferr != nil {
		return nil, ferr
	}
	return &a, nil
}

func parsePageFeedback(raw json.RawMessage, path string) (PageFeedback, *fieldError) {
	var w PageFeedback
	o, ferr := decodeObject(raw, path)
	if ferr != nil {
		return w, ferr
	}
	if w.Page, ferr = o.str("page", path+".page"); ferr != nil {
		return w, ferr
	}
	if w.Page == "" {
		return w, bad(path+".page", "must not be empty")
	}
	ferr = o.counts(path, map[string]*int64{"useful_yes": &w.UsefulYes, "useful_no": &w.UsefulNo})
	return w, ferr
}

func parseSurvey(raw json.RawMessage, path string) (*Survey, *fieldError) {
	var s Survey
	o, ferr := decodeObject(raw, path)
	if ferr != nil {
		return nil, ferr
	}
	if ferr = o.counts(path, map[string]*int64{"responses": &s.Responses, "favourable": &s.Favourable}); ferr != nil {
		return nil, ferr
	}
	if s.Favourable > s.Responses {
		return nil, bad(path+".favourable", "%d is more than responses (%d)", s.Favourable, s.Responses)
	}
	return &s, nil
}

// object is a decoded JSON object whose values are decoded on demand, so
// that unknown fields cost nothing and every error names its field.
type object map[string]json.RawMessage

func decodeObject(raw []byte, path string) (object, *fieldError) {
	var o object
	if err := json.Unmarshal(raw, &o); err != nil || o == nil {
		what := "the document"
		if path != "" {
			what = "the value"
		}
		reason := what + " is not a JSON object"
		if err != nil {
			reason += ": " + err.Error()
		}
		return nil, bad(path, "%s", reason)
	}
	return o, nil
}

// has reports whether key is present and not null.
func (o object) has(key string) bool {
	raw, ok := o[key]
	return ok && !isNull(raw)
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

func (o object) str(key, path string) (string, *fieldError) {
	s, ok, ferr := o.optStr(key, path)
	if ferr != nil {
		return "", ferr
	}
	if !ok {
		return "", bad(path, "missing")
	}
	return s, nil
}

func (o object) optStr(key, path string) (string, bool, *fieldError) {
	if !o.has(key) {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(o[key], &s); err != nil {
		return "", false, bad(path, "want a string, got %s", snippet(o[key]))
	}
	return s, true, nil
}

func (o object) array(key, path string) ([]json.RawMessage, *fieldError) {
	if !o.has(key) {
		return nil, nil
	}
	var a []json.RawMessage
	if err := json.Unmarshal(o[key], &a); err != nil {
		return nil, bad(path, "want an array, got %s", snippet(o[key]))
	}
	return a, nil
}

// number reads a required JSON number (not a string holding one).
func (o object) number(key, path string) (float64, string, *fieldError) {
	if !o.has(key) {
		return 0, "", bad(path, "missing")
	}
	raw := bytes.TrimSpace(o[key])
	var n json.Number
	if len(raw) == 0 || raw[0] == '"' || json.Unmarshal(raw, &n) != nil {
		return 0, "", bad(path, "want a number, got %s", snippet(raw))
	}
	f, err := strconv.ParseFloat(n.String(), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, "", bad(path, "number %s is out of range", snippet(raw))
	}
	return f, n.String(), nil
}

// count reads a required non-negative integer.
func (o object) count(key, path string) (int64, *fieldError) {
	f, text, ferr := o.number(key, path)
	if ferr != nil {
		return 0, ferr
	}
	if f < 0 {
		return 0, bad(path, "must not be negative, got %s", text)
	}
	if f != math.Trunc(f) {
		return 0, bad(path, "want a whole number, got %s", text)
	}
	if f > maxExactInt {
		return 0, bad(path, "%s is too large", text)
	}
	return int64(f), nil
}

// counts reads several required counts of one object, in a fixed order so
// that the error names the same field every time.
func (o object) counts(path string, dst map[string]*int64) *fieldError {
	keys := make([]string, 0, len(dst))
	for k := range dst {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, ferr := o.count(k, path+"."+k)
		if ferr != nil {
			return ferr
		}
		*dst[k] = v
	}
	return nil
}

// amount reads a required non-negative number.
func (o object) amount(key, path string) (float64, *fieldError) {
	f, text, ferr := o.number(key, path)
	if ferr != nil {
		return 0, ferr
	}
	if f < 0 {
		return 0, bad(path, "must not be negative, got %s", text)
	}
	return f, nil
}

func snippet(raw []byte) string {
	const n = 60
	s := string(bytes.TrimSpace(raw))
	if len(s) > n {
		s = s[:n] + "…"
	}
	return strconv.Quote(s)
}

// PeriodBounds returns the first day of the month a period "YYYY-MM" names
// and the first day of the next month, at midnight UTC (aggregate periods
// are calendar dates).
func PeriodBounds(period string) (start, end time.Time, err error) {
	t, err := time.Parse("2006-01", period)
	if err != nil || t.Format("2006-01") != period {
		return time.Time{}, time.Time{}, fmt.Errorf("want a month as YYYY-MM, got %q", period)
	}
	start = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return start, start.AddDate(0, 1, 0), nil
}

// Aggregates maps the period to aggregate rows (see metrics.go for the
// vocabulary). unit is the rows' Unit; empty means DefaultUnit.
func (p *Period) Aggregates(institution, source, unit string) []records.Aggregate {
	if unit == "" {
		unit = DefaultUnit
	}
	start, end, err := PeriodBounds(p.Period)
	if err != nil {
		return nil // a parsed Period always has a valid name
	}
	var out []records.Aggregate
	add := func(channel, instrument, item, metric string, v float64) {
		out = append(out, records.Aggregate{
			Institution: institution, Source: source, Batch: p.Period, Revision: p.Revision,
			PeriodStart: start, PeriodEnd: end, Unit: unit,
			Channel: channel, Instrument: instrument, Item: item, Metric: metric, Value: v,
		})
	}
	for _, d := range p.Decisions {
		add("", "", d.Procedure, MetricDecided, float64(d.Decided))
		add("", "", d.Procedure, MetricWithinDeadline, float64(d.WithinDeadline))
		add("", "", d.Procedure, MetricPenaltiesPaid, float64(d.PenaltiesPaid))
		add("", "", d.Procedure, MetricPenaltiesEUR, d.PenaltiesEUR)
	}
	if ph := p.Phone; ph != nil {
		add(records.ChannelPhone, "", "", MetricOffered, float64(ph.Offered))
		add(records.ChannelPhone, "", "", MetricAnswered, float64(ph.Answered))
		add(records.ChannelPhone, "", "", MetricAnsweredWithinThreshold, float64(ph.AnsweredWithinThreshold))
		add(records.ChannelPhone, "", "", MetricThresholdS, float64(ph.ThresholdS))
		add(records.ChannelPhone, "", "", MetricShortAbandoned, float64(ph.ShortAbandoned))
		add(records.ChannelPhone, "", "", MetricWaitSSum, ph.WaitSSum)
	}
	if a := p.Appointments; a != nil {
		add("", "", ItemAppointments, MetricBooked, float64(a.Booked))
		add("", "", ItemAppointments, MetricMedianLeadDays, a.MedianLeadDays)
	}
	for _, w := range p.WebFeedback {
		add("", InstrumentWebPage, w.Page, MetricUsefulYes, float64(w.UsefulYes))
		add("", InstrumentWebPage, w.Page, MetricUsefulNo, float64(w.UsefulNo))
	}
	if s := p.UsabilitySurvey; s != nil {
		add("", InstrumentUsabilitySurvey, "", MetricResponses, float64(s.Responses))
		add("", InstrumentUsabilitySurvey, "", MetricFavourable, float64(s.Favourable))
	}
	return out
}
