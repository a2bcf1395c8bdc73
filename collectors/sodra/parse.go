package sodra

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/ccbench/ccbench/records"
)

// meta is what a parsed page's records carry besides their own fields.
type meta struct {
	Institution string
	Source      string
	Unit        string // for feedback whose subject names no unit
	Origin      string // the page's URL
	ReceivedAt  time.Time
	// After is the position the stream's checkpoint has already accepted:
	// items at or before it were inserted or quarantined by an earlier
	// page and are skipped. The zero position skips nothing.
	After position
}

// position is a place in an ordered listing: (updated_at, id).
type position struct {
	UpdatedAt time.Time
	ID        string
}

func (p position) less(q position) bool {
	return p.UpdatedAt.Before(q.UpdatedAt) || (p.UpdatedAt.Equal(q.UpdatedAt) && p.ID < q.ID)
}

func (p position) isZero() bool { return p.UpdatedAt.IsZero() && p.ID == "" }

// accepted reports whether an item with this position lies at or before
// after, so an earlier page has already taken it in. An item is placed only
// when it has an id and a valid updated_at; one that cannot be placed is
// never taken as accepted.
func (p position) accepted(after position, placed bool) bool {
	return placed && !after.isZero() && !after.less(p)
}

// page is one parsed page: the valid records, the quarantined ones, the
// greatest (updated_at, id) seen, the token of the next page and how many
// items were skipped as already accepted (at or before meta.After).
type page[T any] struct {
	Records     []T
	Quarantined []records.Quarantined
	Max         position // zero when no item had a valid updated_at
	Next        string
	Skipped     int
}

// fieldError is a broken contract, naming the field.
type fieldError struct {
	Field, Reason string
}

func (e *fieldError) Error() string { return e.Field + ": " + e.Reason }

func bad(field, format string, args ...any) *fieldError {
	return &fieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Enumerations of contract 1.
var (
	contactChannels = []string{records.ChannelPhone, records.ChannelChat, records.ChannelFacebook, records.ChannelEmail, records.ChannelWebForm, records.ChannelVisit}
	outcomes        = []string{records.OutcomeAnswered, records.OutcomeAbandoned, records.OutcomeOpen}
	instruments     = []string{records.InstrumentPostContact, records.InstrumentSatisfactionSurvey, records.InstrumentMysteryShopper, records.InstrumentFAQ}
	scales          = []string{records.Scale1to5, records.ScaleYesNo}
)

// parseContactsPage parses a /v1/contacts page. A page that is not the
// contract's envelope is an error; an item that breaks the contract is
// quarantined and the rest of the page kept. The records go into into when
// it has room for the page's items (a page's slice that its reader is done
// with; see pull), else into a new slice.
func parseContactsPage(body []byte, m meta, into []records.Contact) (page[records.Contact], error) {
	return parsePageInChunks(body, m, "contacts", parseContact, chunksFor, into)
}

// parseFeedbackPage parses a /v1/feedback page, like parseContactsPage.
func parseFeedbackPage(body []byte, m meta, into []records.Feedback) (page[records.Feedback], error) {
	return parsePageInChunks(body, m, "feedback", parseFeedback, chunksFor, into)
}

type itemParser[T any] func(o fields, m meta) (T, *fieldError)

// minChunkItems is the fewest items a page parser gives a goroutine of their
// own: below it, starting one costs more than it saves.
const minChunkItems = 256

// chunksFor is how many chunks a page parser parses a page of n items in at
// once: one a processor, and at least minChunkItems items a chunk.
func chunksFor(n int) int {
	return max(1, min(runtime.GOMAXPROCS(0), n/minChunkItems))
}

// parsePageInChunks parses a page whose items it splits into chunks(n)
// consecutive chunks, parsed concurrently and joined in order, into into
// when it has room (see parseContactsPage).
func parsePageInChunks[T any](body []byte, m meta, stream string, parse itemParser[T], chunks func(n int) int, into []T) (page[T], error) {
	env, ok := scanEnvelope(body)
	if !ok {
		var err error
		if env, err = decodeEnvelope(body); err != nil {
			return page[T]{}, fmt.Errorf("page %s is not the contract's JSON envelope: %w", m.Origin, err)
		}
	}
	if !env.hasItems {
		return page[T]{}, fmt.Errorf("page %s has no items array", m.Origin)
	}
	n := len(env.items)
	// Every chunk writes its records into its own window of one slice,
	// which the join then closes up.
	records := into[:0]
	if cap(records) < n {
		records = make([]T, n)
	}
	records = records[:n]
	parts := make([]page[T], max(1, min(chunks(n), n)))
	var wg sync.WaitGroup
	for c := range parts {
		lo, hi := c*n/len(parts), (c+1)*n/len(parts)
		chunk := func() { parts[c] = parseItems(env.items[lo:hi], lo, records[lo:lo:hi], m, stream, parse) }
		if c == len(parts)-1 {
			chunk() // the last in this goroutine
		} else {
			wg.Go(chunk)
		}
	}
	wg.Wait()
	p := page[T]{Next: env.next, Records: records[:0]}
	for _, part := range parts {
		p.Records = append(p.Records, part.Records...) // within records: a copy down, no allocation
		p.Quarantined = append(p.Quarantined, part.Quarantined...)
		p.Skipped += part.Skipped
		if p.Max.less(part.Max) { // the first of equal greatest positions, as in one pass
			p.Max = part.Max
		}
	}
	if len(p.Records) == 0 {
		p.Records = nil // as when no record was appended
	}
	return p, nil
}

// parseItems parses consecutive items of a page, the first of which is the
// page's item first, appending the valid records to records.
func parseItems[T any](items [][]byte, first int, records []T, m meta, stream string, parse itemParser[T]) page[T] {
	p := page[T]{Records: records}
	var o object
	for i, raw := range items {
		if !o.split(raw) {
			p.Quarantined = append(p.Quarantined, quarantine(m, stream, "", "", fmt.Sprintf("item %d is not a JSON object", first+i), raw))
			continue
		}
		id, _ := o.str("id", false) // for the quarantine record, if the item is bad
		at, err := o.time("updated_at", true)
		pos, placed := position{at, id}, err == nil && id != ""
		if pos.accepted(m.After, placed) {
			// updated_since is inclusive, so the listing repeats the
			// items at the checkpoint; they were inserted or quarantined
			// already and must not be again.
			p.Skipped++
			continue
		}
		if placed && p.Max.less(pos) {
			p.Max = pos
		}
		rec, ferr := parse(&o, m)
		if ferr != nil {
			p.Quarantined = append(p.Quarantined, quarantine(m, stream, id, ferr.Field, ferr.Reason, raw))
			continue
		}
		p.Records = append(p.Records, rec)
	}
	return p
}

// decodeEnvelope decodes a page that scanEnvelope left to encoding/json.
func decodeEnvelope(body []byte) (envelope, error) {
	var env struct {
		Items         *[]json.RawMessage `json:"items"`
		NextPageToken *string            `json:"next_page_token"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return envelope{}, err
	}
	var out envelope
	if env.NextPageToken != nil {
		out.next = *env.NextPageToken
	}
	if env.Items != nil {
		out.hasItems = true
		for _, raw := range *env.Items {
			out.items = append(out.items, raw)
		}
	}
	return out, nil
}

func quarantine(m meta, stream, id, field, reason string, raw []byte) records.Quarantined {
	return records.Quarantined{
		Institution: m.Institution, Source: m.Source, Stream: stream, RecordID: id,
		Field: field, Reason: reason, Raw: string(raw), Origin: m.Origin, ReceivedAt: m.ReceivedAt,
	}
}

func parseContact(o fields, m meta) (records.Contact, *fieldError) {
	c := records.Contact{Institution: m.Institution, Source: m.Source, Origin: m.Origin}
	var err *fieldError
	if c.ID, err = o.str("id", true); err != nil {
		return c, err
	}
	if c.UpdatedAt, err = o.time("updated_at", true); err != nil {
		return c, err
	}
	c.Version = c.UpdatedAt.UnixMilli()
	if c.Unit, err = o.label("unit"); err != nil {
		return c, err
	}
	if c.Unit == "" {
		return c, bad("unit", "missing")
	}
	if c.Channel, err = o.enum("channel", contactChannels); err != nil {
		return c, err
	}
	if c.Queue, err = o.label("queue"); err != nil {
		return c, err
	}
	if c.ArrivedAt, err = o.time("arrived_at", true); err != nil {
		return c, err
	}
	if c.AnsweredAt, err = o.optTime("answered_at"); err != nil {
		return c, err
	}
	if c.EndedAt, err = o.optTime("ended_at"); err != nil {
		return c, err
	}
	if c.Outcome, err = o.enum("outcome", outcomes); err != nil {
		return c, err
	}
	if c.Measures, err = handlingTimes(o, &c); err != nil {
		return c, err
	}
	if c.Complex, err = o.boolean("complex"); err != nil {
		return c, err
	}
	if c.ResolvedAt, err = o.optTime("resolved_at"); err != nil {
		return c, err
	}
	// Consistency (kpis.md, Conventions).
	switch {
	case c.Outcome == records.OutcomeAnswered && c.AnsweredAt == nil:
		return c, bad("answered_at", "outcome is answered but answered_at is not set")
	case c.Outcome != records.OutcomeAnswered && c.AnsweredAt != nil:
		return c, bad("answered_at", "set, but outcome is %s", c.Outcome)
	}
	if c.UpdatedAt.Before(c.ArrivedAt) {
		return c, beforeArrival("updated_at", c.UpdatedAt, c.ArrivedAt)
	}
	for _, t := range []struct {
		name string
		at   *time.Time
	}{{"answered_at", c.AnsweredAt}, {"ended_at", c.EndedAt}, {"resolved_at", c.ResolvedAt}} {
		if t.at != nil && t.at.Before(c.ArrivedAt) {
			return c, beforeArrival(t.name, *t.at, c.ArrivedAt)
		}
	}
	// The KPIs must be able to classify the contact: an abandoned contact's
	// wait is ended_at - arrived_at, a contact cannot end before it was
	// answered, and only written channels wait open for their answer.
	switch {
	case c.Outcome == records.OutcomeAbandoned && c.EndedAt == nil:
		return c, bad("ended_at", "missing, but outcome is abandoned (its wait is ended_at - arrived_at)")
	case c.EndedAt != nil && c.AnsweredAt != nil && c.EndedAt.Before(*c.AnsweredAt):
		return c, bad("ended_at", "%s is before answered_at %s", c.EndedAt.Format(time.RFC3339), c.AnsweredAt.Format(time.RFC3339))
	case c.Outcome == records.OutcomeOpen && records.IsRealTime(c.Channel):
		return c, bad("outcome", "open on real-time channel %s (open means written, not yet answered)", c.Channel)
	}
	return c, nil
}

func beforeArrival(name string, at, arrived time.Time) *fieldError {
	return bad(name, "%s is before arrived_at %s", at.Format(time.RFC3339), arrived.Format(time.RFC3339))
}

func parseFeedback(o fields, m meta) (records.Feedback, *fieldError) {
	f := records.Feedback{Institution: m.Institution, Source: m.Source, Origin: m.Origin}
	var err *fieldError
	if f.ID, err = o.str("id", true); err != nil {
		return f, err
	}
	if f.UpdatedAt, err = o.time("updated_at", true); err != nil {
		return f, err
	}
	f.Version = f.UpdatedAt.UnixMilli()
	if f.Instrument, err = o.enum("instrument", instruments); err != nil {
		return f, err
	}
	if f.Subject, err = o.str("subject", false); err != nil {
		return f, err
	}
	if f.SubmittedAt, err = o.time("submitted_at", true); err != nil {
		return f, err
	}
	if f.Scale, err = o.enum("scale", scales); err != nil {
		return f, err
	}
	score, err := o.integer("score", true)
	if err != nil {
		return f, err
	}
	lo, hi := int64(1), int64(5)
	if f.Scale == records.ScaleYesNo {
		lo, hi = 0, 1
	}
	if score < lo || score > hi {
		return f, bad("score", "%d is outside the %s scale (%d..%d)", score, f.Scale, lo, hi)
	}
	f.Score = int(score)
	f.Unit, f.Channel, f.ContactID = subjectOf(f.Instrument, f.Subject, m.Unit)
	return f, nil
}

// handlingTimes reads talk_s, hold_s and acw_s into c and returns the
// measures c carries. Contract 1 has them on phone, chat and visit only:
// elsewhere whatever the source sends is not a measure. A time that is
// absent or null is not carried (not zero), and without hold_s the
// handling time (talk + hold + acw) is not known either, so talk goes too.
func handlingTimes(o fields, c *records.Contact) (records.Measures, *fieldError) {
	carried := channelMeasures(c.Channel)
	var m records.Measures
	for _, f := range []struct {
		name    string
		into    *uint32
		measure records.Measures
	}{{"talk_s", &c.TalkS, records.MeasureTalk}, {"hold_s", &c.HoldS, records.MeasureHold}, {"acw_s", &c.AcwS, records.MeasureACW}} {
		n, ok, err := o.seconds(f.name)
		if err != nil {
			return records.NoMeasures, err
		}
		if ok && carried.Has(f.measure) {
			*f.into, m = n, m|f.measure
		}
	}
	if !m.Has(records.MeasureHold) {
		c.TalkS, m = 0, m&^records.MeasureTalk
	}
	return m, nil
}

// channelMeasures are the handling times contract 1 carries on a channel:
// talk, hold and after-contact work on phone, chat and visit; none on
// facebook (a message is answered at its first reply) and written channels.
func channelMeasures(channel string) records.Measures {
	switch channel {
	case records.ChannelPhone, records.ChannelChat, records.ChannelVisit:
		return records.MeasureTalk | records.MeasureHold | records.MeasureACW
	}
	return records.NoMeasures
}

// subjectOf says where a response counts (shared/kpis.md, "Feedback about a
// contact counts under that contact's channel"). Post-contact ratings and
// satisfaction surveys name the contact: the store counts them under its
// unit and channel (a post-contact rating is a phone rating until the call
// is known). A mystery shopper names the unit visited; FAQ votes count
// under the pseudo-channel web.
func subjectOf(instrument, subject, sourceUnit string) (unit, channel, contactID string) {
	switch instrument {
	case records.InstrumentPostContact:
		return sourceUnit, records.ChannelPhone, subject
	case records.InstrumentSatisfactionSurvey:
		return sourceUnit, "", subject
	case records.InstrumentMysteryShopper:
		if subject == "" {
			subject = sourceUnit
		}
		return subject, records.ChannelVisit, ""
	case records.InstrumentFAQ:
		return sourceUnit, records.ChannelWeb, ""
	}
	return sourceUnit, "", ""
}
