package sodra

import (
	"time"
)

// contact is one version of a generated contact. Times are Unix seconds;
// zero means null.
type contact struct {
	id                                 string
	updated                            int64
	unit, channel, queue, outcome      string
	arrived, answered, ended, resolved int64
	talk, hold, acw                    int32
	complex                            bool
	bad                                int8 // 0 = valid; else the way it breaks the contract
}

// feedback is one version of a generated feedback response.
type feedback struct {
	id                 string
	updated, submitted int64
	instrument         string
	subject, scale     string
	score              int
	bad                int8
}

func (c contact) key() (int64, string)  { return c.updated, c.id }
func (f feedback) key() (int64, string) { return f.updated, f.id }

// Ways a bad contact breaks the contract (Options.BadRecordEvery).
const (
	badChannel      = 1 // unknown channel
	badTalk         = 2 // negative talk_s
	badAnswerBefore = 3 // answered_at before arrived_at
	badTime         = 4 // arrived_at not RFC3339
)

// Ways a bad feedback response breaks the contract.
const (
	badScore      = 1 // score out of its scale
	badInstrument = 2 // unknown instrument
)

type wireContact struct {
	ID         string  `json:"id"`
	UpdatedAt  string  `json:"updated_at"`
	Unit       string  `json:"unit"`
	Channel    string  `json:"channel"`
	Queue      string  `json:"queue"`
	ArrivedAt  string  `json:"arrived_at"`
	AnsweredAt *string `json:"answered_at"`
	EndedAt    *string `json:"ended_at"`
	Outcome    string  `json:"outcome"`
	TalkS      *int    `json:"talk_s"` // null on channels without handling times
	HoldS      *int    `json:"hold_s"`
	AcwS       *int    `json:"acw_s"`
	Complex    bool    `json:"complex"`
	ResolvedAt *string `json:"resolved_at"`
}

type wireFeedback struct {
	ID          string `json:"id"`
	UpdatedAt   string `json:"updated_at"`
	Instrument  string `json:"instrument"`
	Subject     string `json:"subject"`
	SubmittedAt string `json:"submitted_at"`
	Scale       string `json:"scale"`
	Score       int    `json:"score"`
}

func formatTime(s int64, loc *time.Location) string {
	return time.Unix(s, 0).In(loc).Format(time.RFC3339)
}

func optTime(s int64, loc *time.Location) *string {
	if s == 0 {
		return nil
	}
	v := formatTime(s, loc)
	return &v
}

func (c contact) wire(loc *time.Location) wireContact {
	w := wireContact{
		ID: c.id, UpdatedAt: formatTime(c.updated, loc), Unit: c.unit, Channel: c.channel,
		Queue: c.queue, ArrivedAt: formatTime(c.arrived, loc), AnsweredAt: optTime(c.answered, loc),
		EndedAt: optTime(c.ended, loc), Outcome: c.outcome, Complex: c.complex, ResolvedAt: optTime(c.resolved, loc),
	}
	// Contract 1 carries handling times for phone, chat and visit only.
	if handled(c.channel) {
		talk, hold, acw := int(c.talk), int(c.hold), int(c.acw)
		w.TalkS, w.HoldS, w.AcwS = &talk, &hold, &acw
	}
	switch c.bad {
	case badChannel:
		w.Channel = "carrier_pigeon"
	case badTalk:
		bad := -1 - int(c.talk)
		w.TalkS = &bad
	case badAnswerBefore:
		w.AnsweredAt = optTime(c.arrived-60, loc)
	case badTime:
		w.ArrivedAt = time.Unix(c.arrived, 0).In(loc).Format(time.DateTime)
	}
	return w
}

func (f feedback) wire(loc *time.Location) wireFeedback {
	w := wireFeedback{
		ID: f.id, UpdatedAt: formatTime(f.updated, loc), Instrument: f.instrument, Subject: f.subject,
		SubmittedAt: formatTime(f.submitted, loc), Scale: f.scale, Score: f.score,
	}
	switch f.bad {
	case badScore:
		w.Score = 7
	case badInstrument:
		w.Instrument = "horoscope"
	}
	return w
}

// handled reports whether contract 1 carries talk, hold and after-contact
// work seconds for a channel.
func handled(channel string) bool {
	switch channel {
	case "phone", "chat", "visit":
		return true
	}
	return false
}
