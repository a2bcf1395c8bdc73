package sodra

import "time"

// BadRecord is a record the simulator served broken on purpose
// (Options.BadRecordEvery): its stream ("contacts" or "feedback"), its id
// and the field of contract 1 it breaks.
type BadRecord struct {
	Stream, ID, Field string
}

// contactBadField and feedbackBadField name the field each way of breaking
// the contract breaks (see wire.go).
var (
	contactBadField = map[int8]string{
		badChannel:      "channel",
		badTalk:         "talk_s",
		badAnswerBefore: "answered_at",
		badTime:         "arrived_at",
	}
	feedbackBadField = map[int8]string{
		badScore:      "score",
		badInstrument: "instrument",
	}
)

// BadRecords lists every record served up to now that breaks the contract
// on purpose, once per record (however many versions it has): the ground
// truth a test compares the collector's quarantine with.
func (s *Simulator) BadRecords(now time.Time) []BadRecord {
	cs, fs := s.snapshot(now)
	seen := map[BadRecord]bool{}
	var out []BadRecord
	add := func(b BadRecord) {
		if !seen[b] {
			seen[b] = true
			out = append(out, b)
		}
	}
	for _, c := range cs {
		if c.bad != 0 && c.updated <= now.Unix() {
			add(BadRecord{Stream: "contacts", ID: c.id, Field: contactBadField[c.bad]})
		}
	}
	for _, f := range fs {
		if f.bad != 0 && f.updated <= now.Unix() {
			add(BadRecord{Stream: "feedback", ID: f.id, Field: feedbackBadField[f.bad]})
		}
	}
	return out
}
