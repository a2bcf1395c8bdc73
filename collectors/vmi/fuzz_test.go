package vmi

import (
	"errors"
	"strings"
	"testing"

	"github.com/ccbench/ccbench/records"
)

// FuzzParseCSV feeds arbitrary bytes to Parse under every kind: it must
// never panic, must either reject the file with a *FileError or return
// records that keep the contract's consistency rules, and must account for
// every quarantined row with an origin in the file.
func FuzzParseCSV(f *testing.F) {
	for _, seed := range []string{
		callsHeader + "C1;vat;2024-01-15 10:00:00;2024-01-15 10:00:30;2024-01-15 10:03:30;180;25;4\r\n",
		"\ufeff" + callsHeader + "C2;;2024-03-31 03:30:00;;2024-10-27 03:30:00;;;\n",
		writtenHeader + "W1;email;2024-01-15 10:00:00;2024-01-17 09:00:00;complex;1;5\nW2;fax;x;;;2;\n",
		"response_id;case_id;submitted_at;score\nS1;W1;2024-01-15 12:00:00;4\n",
		"chat_id;queue;started_at;answered_at;ended_at\nH1;g;2024-01-15 10:00:00;;\n\"a;b\";\"\n",
		"seminar_id;held_on;participants;responses;would_recommend\nM1;2024-01-15;40;30;20\nM2;2024-01-15;1;2;3\n",
		"",
		"\ufeff",
		"a;b\n\"unterminated",
	} {
		for k := range len(Columns) {
			f.Add(uint8(k), []byte(seed))
		}
	}
	kinds := []string{KindCalls, KindWritten, KindWrittenSurvey, KindChats, KindSeminars}
	f.Fuzz(func(t *testing.T, k uint8, data []byte) {
		kind := kinds[int(k)%len(kinds)]
		name := kind + "-2024-01-15.csv"
		p, err := Parse(data, File{Name: name, Kind: kind, PublishedAt: published}, testMeta())
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), name) {
				t.Fatalf("Parse error %v: want a *FileError naming %s", err, name)
			}
			return
		}
		for _, c := range p.Contacts {
			checkConsistent(t, c)
		}
		for _, fb := range p.Feedback {
			if fb.Score < 1 || fb.Score > 5 || fb.SubmittedAt.IsZero() || fb.ID == "" {
				t.Fatalf("feedback breaks the contract: %+v", fb)
			}
		}
		for _, a := range p.Aggregates {
			if a.Value < 0 || !a.PeriodEnd.After(a.PeriodStart) || a.Item == "" {
				t.Fatalf("aggregate breaks the contract: %+v", a)
			}
		}
		for _, q := range p.Quarantined {
			if !strings.HasPrefix(q.Origin, name+":") || q.Reason == "" || q.Stream != kind {
				t.Fatalf("quarantined record without origin or reason: %+v", q)
			}
		}
	})
}

// checkConsistent checks the conventions of kpis.md on one contact.
func checkConsistent(t *testing.T, c records.Contact) {
	t.Helper()
	if c.ID == "" || c.ArrivedAt.IsZero() {
		t.Fatalf("contact without id or arrival: %s", show(c))
	}
	for _, tm := range []*struct {
		name string
		v    bool
	}{
		{"answered_at before arrival", c.AnsweredAt != nil && c.AnsweredAt.Before(c.ArrivedAt)},
		{"ended_at before arrival", c.EndedAt != nil && c.EndedAt.Before(c.ArrivedAt)},
		{"answered exactly when answered_at", (c.Outcome == records.OutcomeAnswered) != (c.AnsweredAt != nil)},
		{"abandoned without end", c.Outcome == records.OutcomeAbandoned && c.EndedAt == nil},
		{"unknown channel", !records.IsChannel(c.Channel)},
	} {
		if tm.v {
			t.Fatalf("contact breaks %q: %s", tm.name, show(c))
		}
	}
}
