package vmi

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ccbench/ccbench/records"
)

// Kinds of VMI-style export files.
const (
	KindCalls         = "calls"
	KindWritten       = "written"
	KindWrittenSurvey = "written_survey"
	KindChats         = "chats"
	KindSeminars      = "seminars"
)

// Columns is the header every file of a kind must have, in the contract's
// order. Files may order them differently and add columns of their own.
var Columns = map[string][]string{
	KindCalls:         {"call_id", "queue", "offered_at", "answered_at", "ended_at", "talk_s", "acw_s", "survey_score"},
	KindWritten:       {"case_id", "channel", "received_at", "answered_at", "complexity", "corrected", "audit_score"},
	KindWrittenSurvey: {"response_id", "case_id", "submitted_at", "score"},
	KindChats:         {"chat_id", "queue", "started_at", "answered_at", "ended_at"},
	KindSeminars:      {"seminar_id", "held_on", "participants", "responses", "would_recommend"},
}

// Prefixes of the record ids the collector derives from a file's ids, so that
// a call, a chat and a written case with the same source id stay apart.
const (
	prefixCall   = "call:"
	prefixChat   = "chat:"
	prefixCase   = "case:"
	prefixAudit  = "audit:"
	prefixSurvey = "survey:"
)

// callMeasures are the handling times a calls file carries: talk and
// after-contact work, no hold (so a call's handling time is talk + acw).
const (
	callMeasures = records.MeasureTalk | records.MeasureACW
)

// Instrument of seminar questionnaires, as written to aggregates.
const InstrumentSeminar = records.InstrumentSeminar

// Metrics of a seminar row.
const (
	MetricParticipants   = "participants"
	MetricResponses      = records.AggResponses
	MetricWouldRecommend = records.AggWouldRecommend
)

// DefaultUnit is the unit recorded when the source configures none.
const DefaultUnit = "tax-information"

// localLayout is how the files write local times.
const (
	localLayout = "2006-01-02 15:04:05"
	dateLayout  = "2006-01-02"
)

// File says which export a body is and where it belongs.
type File struct {
	Name        string    // e.g. calls-2024-01-15.csv
	Kind        string    // one of the Kind constants
	PublishedAt time.Time // this publication; its Unix ms is every record's version
}

// Meta is what the parser stamps on every record.
type Meta struct {
	Institution string
	Source      string
	Unit        string         // DefaultUnit when empty
	Location    *time.Location // the institution's time zone (UTC when nil)
	ReceivedAt  time.Time      // for quarantined records
}

// Parsed is what one file yields.
type Parsed struct {
	Contacts    []records.Contact
	Feedback    []records.Feedback
	Aggregates  []records.Aggregate
	Quarantined []records.Quarantined
	// KeepContacts and KeepFeedback hold the ids of records that the file
	// still names, valid or not: a republished file's quarantined row must
	// not take the last valid version of its record away.
	KeepContacts map[string]bool
	KeepFeedback map[string]bool
	// BrokenItems holds the items (seminar ids) whose row broke the
	// contract: their rows of the revision in force are carried into the
	// new one.
	BrokenItems map[string]bool
}

// FileError rejects a whole file: no header, a missing required column, or
// a body that is not CSV at all.
type FileError struct {
	File   string
	Column string // the missing column, when that is the reason
	Msg    string
}

func (e *FileError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("file %s: column %q: %s", e.File, e.Column, e.Msg)
	}
	return fmt.Sprintf("file %s: %s", e.File, e.Msg)
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Parse reads one export file. Rows that break the contract are returned
// as quarantined records naming the field; the rest of the file is kept. A
// file that cannot be read as a whole gets a *FileError.
func Parse(data []byte, f File, m Meta) (Parsed, error) {
	cols, ok := Columns[f.Kind]
	if !ok {
		return Parsed{}, &FileError{File: f.Name, Msg: fmt.Sprintf("unknown kind %q", f.Kind)}
	}
	if m.Location == nil {
		m.Location = time.UTC
	}
	if m.Unit == "" {
		m.Unit = DefaultUnit
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = ';'
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return Parsed{}, &FileError{File: f.Name, Msg: "empty file: the header row is missing"}
	}
	if err != nil {
		return Parsed{}, &FileError{File: f.Name, Msg: fmt.Sprintf("reading the header row: %v", err)}
	}
	index := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if _, dup := index[h]; !dup {
			index[h] = i
		}
	}
	for _, c := range cols {
		if _, ok := index[c]; !ok {
			return Parsed{}, &FileError{File: f.Name, Column: c, Msg: fmt.Sprintf("required column is missing from the header (want %s)", strings.Join(cols, ";"))}
		}
	}

	p := &parser{file: f, meta: m, index: index, columns: len(header), version: f.PublishedAt.UnixMilli(),
		out: Parsed{KeepContacts: map[string]bool{}, KeepFeedback: map[string]bool{}, BrokenItems: map[string]bool{}}}
	start := r.InputOffset()
	for {
		rec, err := r.Read()
		end := r.InputOffset()
		if errors.Is(err, io.EOF) {
			break
		}
		raw := strings.TrimRight(string(data[start:end]), "\r\n")
		var (
			pe   *csv.ParseError
			line int
		)
		switch {
		case errors.As(err, &pe):
			line = pe.StartLine
			p.quarantine(line, raw, "", "", fmt.Sprintf("unreadable CSV: %v", pe.Err))
		case err != nil:
			return Parsed{}, &FileError{File: f.Name, Msg: fmt.Sprintf("after byte %d: %v", start, err)}
		case len(rec) == 1 && strings.TrimSpace(rec[0]) == "":
			// A blank line (csv skips empty ones; this one held spaces).
		default:
			line, _ = r.FieldPos(0)
			p.row(line, raw, rec)
		}
		if end <= start {
			return Parsed{}, &FileError{File: f.Name, Msg: fmt.Sprintf("line %d: the CSV reader made no progress", line)}
		}
		start = end
	}
	return p.out, nil
}

// parser holds the state of one file's parse.
type parser struct {
	file    File
	meta    Meta
	index   map[string]int // column name to position
	columns int            // fields in the header row
	version int64
	out     Parsed
}

// row is one data row being checked: its fields by column name and the
// problems found so far, the first of which names the quarantine's field.
type row struct {
	p      *parser
	rec    []string
	issues []issue
}

type issue struct{ field, msg string }

func (r *row) get(col string) string {
	i := r.p.index[col]
	if i >= len(r.rec) {
		return ""
	}
	return strings.TrimSpace(r.rec[i])
}

func (r *row) fail(field, format string, args ...any) {
	r.issues = append(r.issues, issue{field, fmt.Sprintf(format, args...)})
}

// required returns the field's value, noting a problem when it is empty.
func (r *row) required(col string) string {
	v := r.get(col)
	if v == "" {
		r.fail(col, "required, got an empty field")
	}
	return v
}

// time parses an optional local time; nil when empty or bad.
func (r *row) time(col string) *time.Time {
	v := r.get(col)
	if v == "" {
		return nil
	}
	t, err := ParseLocalTime(v, r.p.meta.Location)
	if err != nil {
		r.fail(col, "%v", err)
		return nil
	}
	return &t
}

// requiredTime parses a required local time; the zero time when empty or
// bad (the problem is noted).
func (r *row) requiredTime(col string) time.Time {
	if r.get(col) == "" {
		r.fail(col, "required, got an empty field")
		return time.Time{}
	}
	if t := r.time(col); t != nil {
		return *t
	}
	return time.Time{}
}

// seconds parses a count of seconds: a non-negative integer, 0 when the
// field is empty (null: the caller leaves the measure out).
func (r *row) seconds(col string) uint32 {
	v := r.get(col)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	switch {
	case err != nil:
		r.fail(col, "want a whole number of seconds, got %q", v)
	case n < 0:
		r.fail(col, "seconds must not be negative, got %d", n)
	case n > math.MaxUint32:
		r.fail(col, "too large: %d", n)
	default:
		return uint32(n)
	}
	return 0
}

// count parses a required non-negative integer count.
func (r *row) count(col string) int64 {
	v := r.required(col)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	switch {
	case err != nil:
		r.fail(col, "want a whole number, got %q", v)
	case n < 0:
		r.fail(col, "must not be negative, got %d", n)
	default:
		return n
	}
	return 0
}

// score parses a 1..5 score; 0 when empty or bad.
func (r *row) score(col string) int {
	v := r.get(col)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 5 {
		r.fail(col, "want a score from 1 to 5, got %q", v)
		return 0
	}
	return n
}

// notBefore notes a problem when t is before the arrival time.
func (r *row) notBefore(col string, t *time.Time, arrivedCol string, arrived time.Time) {
	if t != nil && !arrived.IsZero() && t.Before(arrived) {
		r.fail(col, "%s is before %s %s", t.In(r.p.meta.Location).Format(localLayout), arrivedCol, arrived.In(r.p.meta.Location).Format(localLayout))
	}
}

func (p *parser) quarantine(line int, raw, id, field, reason string) {
	p.out.Quarantined = append(p.out.Quarantined, records.Quarantined{
		Institution: p.meta.Institution,
		Source:      p.meta.Source,
		Stream:      p.file.Kind,
		RecordID:    id,
		Field:       field,
		Reason:      reason,
		Raw:         raw,
		Origin:      fmt.Sprintf("%s:%d", p.file.Name, line),
		ReceivedAt:  p.meta.ReceivedAt,
	})
}

// row checks one data row and either adds its records or quarantines it.
func (p *parser) row(line int, raw string, rec []string) {
	r := &row{p: p, rec: rec}
	if len(rec) != p.columns {
		id := r.get(Columns[p.file.Kind][0])
		p.keep(id)
		p.quarantine(line, raw, id, "", fmt.Sprintf("row has %d fields, the header has %d", len(rec), p.columns))
		return
	}
	var (
		id       string
		contacts []records.Contact
		feedback []records.Feedback
		aggs     []records.Aggregate
	)
	switch p.file.Kind {
	case KindCalls:
		id = r.required("call_id")
		contacts, feedback = p.call(r, id)
	case KindChats:
		id = r.required("chat_id")
		contacts = p.chat(r, id)
	case KindWritten:
		id = r.required("case_id")
		contacts, feedback = p.written(r, id)
	case KindWrittenSurvey:
		id = r.required("response_id")
		feedback = p.writtenSurvey(r, id)
	case KindSeminars:
		id = r.required("seminar_id")
		aggs = p.seminar(r, id)
	}
	if len(r.issues) > 0 {
		p.keep(id)
	}
	if len(r.issues) > 0 {
		msgs := make([]string, len(r.issues))
		for i, is := range r.issues {
			msgs[i] = is.field + ": " + is.msg
		}
		p.quarantine(line, raw, id, r.issues[0].field, strings.Join(msgs, "; "))
		return
	}
	for _, c := range contacts {
		p.out.KeepContacts[c.ID] = true
	}
	for _, f := range feedback {
		p.out.KeepFeedback[f.ID] = true
	}
	p.out.Contacts = append(p.out.Contacts, contacts...)
	p.out.Feedback = append(p.out.Feedback, feedback...)
	p.out.Aggregates = append(p.out.Aggregates, aggs...)
}

// keep notes that the file still names the record with the given source id,
// although its row is broken: the record's last valid version stays.
func (p *parser) keep(id string) {
	if id == "" {
		return
	}
	switch p.file.Kind {
	case KindCalls:
		p.out.KeepContacts[prefixCall+id] = true
		p.out.KeepFeedback[prefixCall+id] = true
	case KindChats:
		p.out.KeepContacts[prefixChat+id] = true
	case KindWritten:
		p.out.KeepContacts[prefixCase+id] = true
		p.out.KeepFeedback[prefixAudit+id] = true
	case KindWrittenSurvey:
		p.out.KeepFeedback[prefixSurvey+id] = true
	case KindSeminars:
		p.out.BrokenItems[id] = true
	}
}

func (p *parser) contact(id, channel string) records.Contact {
	return records.Contact{
		Institution: p.meta.Institution,
		Source:      p.meta.Source,
		ID:          id,
		Version:     p.version,
		UpdatedAt:   p.file.PublishedAt.UTC(),
		Unit:        p.meta.Unit,
		Channel:     channel,
		Origin:      p.file.Name,
	}
}

func (p *parser) feedback(id, instrument string) records.Feedback {
	return records.Feedback{
		Institution: p.meta.Institution,
		Source:      p.meta.Source,
		ID:          id,
		Version:     p.version,
		UpdatedAt:   p.file.PublishedAt.UTC(),
		Instrument:  instrument,
		Unit:        p.meta.Unit,
		Scale:       records.Scale1to5,
		Origin:      p.file.Name,
	}
}

// realTime checks the times of a call or chat: arrival required, answered
// and ended not before it, ended not before answered, and an abandoned
// contact must say when the client hung up.
func (r *row) realTime(arrivedCol string) (arrived time.Time, answered, ended *time.Time) {
	arrived = r.requiredTime(arrivedCol)
	answered = r.time("answered_at")
	ended = r.time("ended_at")
	r.notBefore("answered_at", answered, arrivedCol, arrived)
	r.notBefore("ended_at", ended, arrivedCol, arrived)
	if answered != nil && ended != nil && ended.Before(*answered) && !ended.Before(arrived) {
		r.fail("ended_at", "%s is before answered_at %s", ended.In(r.p.meta.Location).Format(localLayout), answered.In(r.p.meta.Location).Format(localLayout))
	}
	if r.get("answered_at") == "" && r.get("ended_at") == "" {
		r.fail("ended_at", "required for an abandoned contact (empty answered_at), got an empty field")
	}
	return arrived, answered, ended
}

func (p *parser) call(r *row, id string) ([]records.Contact, []records.Feedback) {
	arrived, answered, ended := r.realTime("offered_at")
	abandoned := answered == nil && r.get("answered_at") == ""
	// Empty means null: an answered call whose talk_s or acw_s is empty
	// still counts, without that measure (absent is not zero).
	talk := r.seconds("talk_s")
	acw := r.seconds("acw_s")
	if abandoned && talk > 0 {
		r.fail("talk_s", "an abandoned call (empty answered_at) has no talk time, got %d", talk)
	}
	score := r.score("survey_score")
	c := p.contact(prefixCall+id, records.ChannelPhone)
	c.Queue = r.get("queue")
	c.ArrivedAt, c.AnsweredAt, c.EndedAt = utc(arrived), utcPtr(answered), utcPtr(ended)
	c.TalkS, c.AcwS = talk, acw
	c.Measures = callMeasures
	if r.get("talk_s") == "" {
		c.Measures &^= records.MeasureTalk
	}
	if r.get("acw_s") == "" {
		c.Measures &^= records.MeasureACW
	}
	c.Outcome = records.OutcomeAnswered
	if abandoned {
		c.Outcome = records.OutcomeAbandoned
	}
	out := []records.Contact{c}
	if score == 0 {
		return out, nil
	}
	f := p.feedback(prefixCall+id, records.InstrumentPostContact)
	f.Subject, f.ContactID, f.Channel, f.Score = id, c.ID, records.ChannelPhone, score
	switch {
	case c.EndedAt != nil:
		f.SubmittedAt = *c.EndedAt
	case c.AnsweredAt != nil:
		f.SubmittedAt = *c.AnsweredAt
	default:
		f.SubmittedAt = c.ArrivedAt
	}
	return out, []records.Feedback{f}
}

func (p *parser) chat(r *row, id string) []records.Contact {
	arrived, answered, ended := r.realTime("started_at")
	c := p.contact(prefixChat+id, records.ChannelChat)
	c.Queue = r.get("queue")
	c.ArrivedAt, c.AnsweredAt, c.EndedAt = utc(arrived), utcPtr(answered), utcPtr(ended)
	c.Outcome = records.OutcomeAbandoned
	if answered != nil || r.get("answered_at") != "" {
		c.Outcome = records.OutcomeAnswered
	}
	// The chats file has no handling-time columns: a chat's talk, hold and
	// after-contact work are unknown (records.NoMeasures), not zero.
	return []records.Contact{c}
}

func (p *parser) written(r *row, id string) ([]records.Contact, []records.Feedback) {
	channel := r.required("channel")
	if channel != "" && !records.IsWritten(channel) {
		r.fail("channel", "want email, web_form or post, got %q", channel)
	}
	received := r.requiredTime("received_at")
	answered := r.time("answered_at")
	r.notBefore("answered_at", answered, "received_at", received)
	isAnswered := answered != nil || r.get("answered_at") != ""
	var complex bool
	switch v := r.required("complexity"); v {
	case "":
	case "simple":
	case "complex":
		complex = true
	default:
		r.fail("complexity", "want simple or complex, got %q", v)
	}
	var corrected *bool
	switch v := r.get("corrected"); v {
	case "":
	case "0", "1":
		b := v == "1"
		corrected = &b
		if b && !isAnswered {
			r.fail("corrected", "an unanswered case (empty answered_at) cannot have a corrected answer")
		}
	default:
		r.fail("corrected", "want 0 or 1, got %q", v)
	}
	score := r.score("audit_score")
	if score != 0 && !isAnswered {
		r.fail("audit_score", "an unanswered case (empty answered_at) has no answer to audit")
	}
	c := p.contact(prefixCase+id, channel)
	c.ArrivedAt, c.AnsweredAt = utc(received), utcPtr(answered)
	c.Complex, c.Corrected = complex, corrected
	c.Outcome = records.OutcomeOpen
	if isAnswered {
		c.Outcome = records.OutcomeAnswered
	}
	out := []records.Contact{c}
	if score == 0 || answered == nil {
		return out, nil
	}
	f := p.feedback(prefixAudit+id, records.InstrumentWrittenAudit)
	f.Subject, f.ContactID, f.Channel, f.Score, f.SubmittedAt = id, c.ID, channel, score, *c.AnsweredAt
	return out, []records.Feedback{f}
}

func (p *parser) writtenSurvey(r *row, id string) []records.Feedback {
	submitted := r.requiredTime("submitted_at")
	if r.required("score") == "" {
		return nil
	}
	score := r.score("score")
	f := p.feedback(prefixSurvey+id, records.InstrumentWrittenSurvey)
	f.Subject, f.Score, f.SubmittedAt = r.get("case_id"), score, utc(submitted)
	if f.Subject != "" {
		// The response counts under the channel of the case it is about.
		f.ContactID = prefixCase + f.Subject
	}
	return []records.Feedback{f}
}

func (p *parser) seminar(r *row, id string) []records.Aggregate {
	var day time.Time
	if v := r.required("held_on"); v != "" {
		d, err := time.Parse(dateLayout, v)
		if err != nil {
			r.fail("held_on", "want a date YYYY-MM-DD, got %q", v)
		} else {
			day = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, p.meta.Location)
		}
	}
	participants := r.count("participants")
	responses := r.count("responses")
	recommend := r.count("would_recommend")
	if len(r.issues) == 0 {
		if responses > participants {
			r.fail("responses", "%d responses from %d participants", responses, participants)
		}
		if recommend > responses {
			r.fail("would_recommend", "%d would recommend out of %d responses", recommend, responses)
		}
	}
	agg := func(metric string, v int64) records.Aggregate {
		return records.Aggregate{
			Institution: p.meta.Institution,
			Source:      p.meta.Source,
			Batch:       p.file.Name,
			Revision:    p.version,
			PeriodStart: day,
			PeriodEnd:   day.AddDate(0, 0, 1),
			Unit:        p.meta.Unit,
			Instrument:  InstrumentSeminar,
			Item:        id,
			Metric:      metric,
			Value:       float64(v),
		}
	}
	return []records.Aggregate{
		agg(MetricParticipants, participants),
		agg(MetricResponses, responses),
		agg(MetricWouldRecommend, recommend),
	}
}

// ParseLocalTime reads a local time written as YYYY-MM-DD HH:MM:SS in loc.
// A wall time that does not exist there (the spring daylight-saving gap) or
// exists twice (the repeated autumn hour) is an error: the file cannot say
// which instant it meant.
func ParseLocalTime(s string, loc *time.Location) (time.Time, error) {
	w, err := time.Parse(localLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want a local time YYYY-MM-DD HH:MM:SS, got %q", s)
	}
	// Every instant whose wall clock in loc reads w has one of the offsets
	// in force around it; try each and keep those that read back as w.
	guess := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, loc)
	var found []time.Time
	for _, probe := range []time.Time{guess.Add(-3 * time.Hour), guess, guess.Add(3 * time.Hour)} {
		_, off := probe.Zone()
		t := w.Add(-time.Duration(off) * time.Second).In(loc)
		if !sameWall(t, w) {
			continue
		}
		dup := false
		for _, f := range found {
			dup = dup || f.Equal(t)
		}
		if !dup {
			found = append(found, t)
		}
	}
	switch len(found) {
	case 0:
		return time.Time{}, fmt.Errorf("local time %s does not exist in %s (daylight-saving gap)", s, loc)
	case 1:
		return found[0], nil
	}
	return time.Time{}, fmt.Errorf("local time %s is ambiguous in %s (repeated daylight-saving hour)", s, loc)
}

func sameWall(t, w time.Time) bool {
	y1, m1, d1 := t.Date()
	y2, m2, d2 := w.Date()
	return y1 == y2 && m1 == m2 && d1 == d2 && t.Hour() == w.Hour() && t.Minute() == w.Minute() && t.Second() == w.Second()
}

func utc(t time.Time) time.Time { return t.UTC() }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
