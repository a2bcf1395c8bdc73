package vmi

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccbench/ccbench/records"
)

var vilnius = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Vilnius")
	if err != nil {
		panic(err)
	}
	return loc
}()

var published = time.Date(2024, 1, 16, 5, 0, 0, 0, time.UTC)

func testMeta() Meta {
	return Meta{Institution: "vmi", Source: "vmi-exports", Location: vilnius, ReceivedAt: published}
}

func parse(t *testing.T, kind, body string) Parsed {
	t.Helper()
	p, err := Parse([]byte(body), File{Name: kind + "-2024-01-15.csv", Kind: kind, PublishedAt: published}, testMeta())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func utcTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptrTo[T any](v T) *T { return &v }

func ptr(s string) *time.Time {
	t := utcTime(s)
	return &t
}

func TestParseLocalTime(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    string // RFC3339 UTC
		wantErr string
	}{
		{in: "2024-01-15 10:00:00", want: "2024-01-15T08:00:00Z"},                     // EET, +2
		{in: "2024-07-01 10:00:00", want: "2024-07-01T07:00:00Z"},                     // EEST, +3
		{in: "2024-03-31 02:59:59", want: "2024-03-31T00:59:59Z"},                     // just before the gap
		{in: "2024-03-31 04:00:00", want: "2024-03-31T01:00:00Z"},                     // just after it
		{in: "2024-03-31 03:30:00", wantErr: "does not exist"},                        // spring gap
		{in: "2024-03-31 03:00:00", wantErr: "does not exist"},                        // first second of the gap
		{in: "2024-10-27 03:30:00", wantErr: "ambiguous"},                             // autumn repeat
		{in: "2024-10-27 03:00:00", wantErr: "ambiguous"},                             // first second of the repeat
		{in: "2024-10-27 02:59:59", want: "2024-10-26T23:59:59Z"},                     // EEST still
		{in: "2024-10-27 04:00:00", want: "2024-10-27T02:00:00Z"},                     // EET again
		{in: "2024-01-15T10:00:00", wantErr: "want a local time YYYY-MM-DD HH:MM:SS"}, // ISO with T
		{in: "2024-02-30 10:00:00", wantErr: "want a local time"},                     // no such date
		{in: "2024-01-15 10:00", wantErr: "want a local time"},                        // no seconds
		{in: "2024-01-15 10:00:00+02:00", wantErr: "want a local time"},               // offsets are not in the contract
	} {
		got, err := ParseLocalTime(tc.in, vilnius)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseLocalTime(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !got.Equal(utcTime(tc.want)) {
			t.Errorf("ParseLocalTime(%q) = %v, %v; want %s", tc.in, got.UTC(), err, tc.want)
		}
	}
}

const callsHeader = "call_id;queue;offered_at;answered_at;ended_at;talk_s;acw_s;survey_score\n"

func TestParseCalls(t *testing.T) {
	for _, tc := range []struct {
		name      string
		line      string
		want      *records.Contact  // nil: quarantined
		wantFb    *records.Feedback // nil: no feedback
		wantField string            // the quarantine's field
		wantMsg   string
		measures  *records.Measures // nil: talk and acw
	}{
		{
			name: "answered",
			line: "C1;vat;2024-01-15 10:00:00;2024-01-15 10:00:30;2024-01-15 10:03:30;180;25;",
			want: &records.Contact{ID: "call:C1", Queue: "vat", Channel: "phone", Outcome: "answered",
				ArrivedAt: utcTime("2024-01-15T08:00:00Z"), AnsweredAt: ptr("2024-01-15T08:00:30Z"), EndedAt: ptr("2024-01-15T08:03:30Z"),
				TalkS: 180, AcwS: 25},
		},
		{
			name: "abandoned with empty seconds",
			line: "C2;;2024-01-15 10:00:00;;2024-01-15 10:01:00;;;",
			want: &records.Contact{ID: "call:C2", Channel: "phone", Outcome: "abandoned",
				ArrivedAt: utcTime("2024-01-15T08:00:00Z"), EndedAt: ptr("2024-01-15T08:01:00Z")},
			measures: ptrTo(records.NoMeasures),
		},
		{
			name: "abandoned with zero seconds",
			line: "C3;vat;2024-01-15 10:00:00;;2024-01-15 10:01:00;0;0;",
			want: &records.Contact{ID: "call:C3", Queue: "vat", Channel: "phone", Outcome: "abandoned",
				ArrivedAt: utcTime("2024-01-15T08:00:00Z"), EndedAt: ptr("2024-01-15T08:01:00Z")},
		},
		{
			name: "survey score",
			line: "C4;vat;2024-01-15 10:00:00;2024-01-15 10:00:10;2024-01-15 10:02:00;110;20;4",
			want: &records.Contact{ID: "call:C4", Queue: "vat", Channel: "phone", Outcome: "answered",
				ArrivedAt: utcTime("2024-01-15T08:00:00Z"), AnsweredAt: ptr("2024-01-15T08:00:10Z"), EndedAt: ptr("2024-01-15T08:02:00Z"),
				TalkS: 110, AcwS: 20},
			wantFb: &records.Feedback{ID: "call:C4", Instrument: "post_contact", Subject: "C4", Channel: "phone",
				Scale: "1-5", Score: 4, SubmittedAt: utcTime("2024-01-15T08:02:00Z")},
		},
		{name: "score above 5", line: "C5;vat;2024-01-15 10:00:00;2024-01-15 10:00:10;2024-01-15 10:02:00;110;20;6", wantField: "survey_score", wantMsg: "1 to 5"},
		{name: "score 0", line: "C5;vat;2024-01-15 10:00:00;2024-01-15 10:00:10;2024-01-15 10:02:00;110;20;0", wantField: "survey_score"},
		{name: "score not a number", line: "C5;vat;2024-01-15 10:00:00;2024-01-15 10:00:10;2024-01-15 10:02:00;110;20;good", wantField: "survey_score"},
		{name: "talk not an integer", line: "C6;vat;2024-01-15 10:00:00;2024-01-15 10:00:10;2024-01-15 10:02:00;1.5;20;", wantField: "talk_s", wantMsg: "whole number"},
		{name: "negative acw", line: "C6;vat;2024-01-15 10:00:00;2024-01-15 10:00:10;2024-01-15 10:02:00;110;-1;", wantField: "acw_s", wantMsg: "negative"},
		{
			// Empty means null: the call counts, its handling time does not.
			name: "talk missing on an answered call",
			line: "C6;vat;2024-01-15 10:00:00;2024-01-15 10:00:10;2024-01-15 10:02:00;;20;",
			want: &records.Contact{ID: "call:C6", Queue: "vat", Channel: "phone", Outcome: "answered",
				ArrivedAt: utcTime("2024-01-15T08:00:00Z"), AnsweredAt: ptr("2024-01-15T08:00:10Z"), EndedAt: ptr("2024-01-15T08:02:00Z"),
				AcwS: 20},
			measures: ptrTo(records.MeasureACW),
		},
		{
			name: "acw missing on an answered call",
			line: "C6;vat;2024-01-15 10:00:00;2024-01-15 10:00:10;2024-01-15 10:02:00;110;;",
			want: &records.Contact{ID: "call:C6", Queue: "vat", Channel: "phone", Outcome: "answered",
				ArrivedAt: utcTime("2024-01-15T08:00:00Z"), AnsweredAt: ptr("2024-01-15T08:00:10Z"), EndedAt: ptr("2024-01-15T08:02:00Z"),
				TalkS: 110},
			measures: ptrTo(records.MeasureTalk),
		},
		{name: "talk on an abandoned call", line: "C6;vat;2024-01-15 10:00:00;;2024-01-15 10:02:00;30;;", wantField: "talk_s"},
		{name: "answered before offered", line: "C7;vat;2024-01-15 10:00:00;2024-01-15 09:59:59;2024-01-15 10:02:00;110;20;", wantField: "answered_at", wantMsg: "before offered_at"},
		{name: "ended before offered", line: "C7;vat;2024-01-15 10:00:00;;2024-01-15 09:00:00;;;", wantField: "ended_at", wantMsg: "before offered_at"},
		{name: "ended before answered", line: "C7;vat;2024-01-15 10:00:00;2024-01-15 10:01:00;2024-01-15 10:00:30;10;20;", wantField: "ended_at", wantMsg: "before answered_at"},
		{name: "abandoned without end", line: "C8;vat;2024-01-15 10:00:00;;;;;", wantField: "ended_at", wantMsg: "abandoned"},
		{name: "no offer time", line: "C8;vat;;;2024-01-15 10:00:00;;;", wantField: "offered_at", wantMsg: "required"},
		{name: "no id", line: ";vat;2024-01-15 10:00:00;;2024-01-15 10:01:00;;;", wantField: "call_id"},
		{name: "DST gap", line: "C9;vat;2024-03-31 03:30:00;;2024-03-31 04:01:00;;;", wantField: "offered_at", wantMsg: "does not exist"},
		{name: "DST repeated hour", line: "C9;vat;2024-10-27 03:30:00;;2024-10-27 04:01:00;;;", wantField: "offered_at", wantMsg: "ambiguous"},
		{name: "DST repeated hour in answered_at", line: "C9;vat;2024-10-27 02:59:00;2024-10-27 03:00:10;2024-10-27 04:01:00;30;5;", wantField: "answered_at", wantMsg: "ambiguous"},
		{name: "bad time", line: "C9;vat;15.01.2024 10:00;;2024-01-15 10:01:00;;;", wantField: "offered_at", wantMsg: "YYYY-MM-DD HH:MM:SS"},
		{name: "too few fields", line: "C10;vat;2024-01-15 10:00:00", wantField: "", wantMsg: "3 fields, the header has 8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := parse(t, KindCalls, callsHeader+tc.line+"\n")
			if tc.want == nil {
				if len(p.Contacts) != 0 || len(p.Feedback) != 0 || len(p.Quarantined) != 1 {
					t.Fatalf("got %d contacts, %d feedback, %d quarantined; want the row quarantined", len(p.Contacts), len(p.Feedback), len(p.Quarantined))
				}
				q := p.Quarantined[0]
				if q.Field != tc.wantField || !strings.Contains(q.Reason, tc.wantMsg) {
					t.Errorf("quarantined field %q reason %q; want field %q, reason containing %q", q.Field, q.Reason, tc.wantField, tc.wantMsg)
				}
				if q.Raw != tc.line || q.Origin != "calls-2024-01-15.csv:2" || q.Stream != "calls" || q.Source != "vmi-exports" || q.Institution != "vmi" {
					t.Errorf("quarantined %+v; want raw %q, origin calls-2024-01-15.csv:2", q, tc.line)
				}
				return
			}
			if len(p.Quarantined) != 0 || len(p.Contacts) != 1 {
				t.Fatalf("got %d contacts, quarantined %+v; want one contact", len(p.Contacts), p.Quarantined)
			}
			want := *tc.want
			want.Institution, want.Source, want.Unit, want.Origin = "vmi", "vmi-exports", DefaultUnit, "calls-2024-01-15.csv"
			want.Version, want.UpdatedAt = published.UnixMilli(), published
			want.Measures = records.MeasureTalk | records.MeasureACW // a calls file has no hold column
			if tc.measures != nil {
				want.Measures = *tc.measures
			}
			checkContact(t, p.Contacts[0], want)
			switch {
			case tc.wantFb == nil && len(p.Feedback) != 0:
				t.Errorf("got feedback %+v, want none", p.Feedback)
			case tc.wantFb != nil:
				if len(p.Feedback) != 1 {
					t.Fatalf("got %d feedback, want 1", len(p.Feedback))
				}
				wf := *tc.wantFb
				wf.Institution, wf.Source, wf.Unit, wf.Origin = "vmi", "vmi-exports", DefaultUnit, "calls-2024-01-15.csv"
				wf.Version, wf.UpdatedAt = published.UnixMilli(), published
				wf.ContactID = want.ID // the rating counts under its call
				if p.Feedback[0] != wf {
					t.Errorf("feedback\n got %+v\nwant %+v", p.Feedback[0], wf)
				}
			}
		})
	}
}

func checkContact(t *testing.T, got, want records.Contact) {
	t.Helper()
	eqTime := func(a, b *time.Time) bool { return (a == nil) == (b == nil) && (a == nil || a.Equal(*b)) }
	eqBool := func(a, b *bool) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	ok := eqTime(got.AnsweredAt, want.AnsweredAt) && eqTime(got.EndedAt, want.EndedAt) && eqTime(got.ResolvedAt, want.ResolvedAt) &&
		eqBool(got.Corrected, want.Corrected) && got.ArrivedAt.Equal(want.ArrivedAt) && got.UpdatedAt.Equal(want.UpdatedAt)
	g, w := got, want
	g.AnsweredAt, g.EndedAt, g.ResolvedAt, g.Corrected, g.ArrivedAt, g.UpdatedAt = nil, nil, nil, nil, time.Time{}, time.Time{}
	w.AnsweredAt, w.EndedAt, w.ResolvedAt, w.Corrected, w.ArrivedAt, w.UpdatedAt = nil, nil, nil, nil, time.Time{}, time.Time{}
	if !ok || g != w {
		t.Errorf("contact\n got %s\nwant %s", show(got), show(want))
	}
}

func show(c records.Contact) string {
	s := func(t *time.Time) string {
		if t == nil {
			return "nil"
		}
		return t.UTC().Format(time.RFC3339)
	}
	b := "nil"
	if c.Corrected != nil {
		b = map[bool]string{true: "true", false: "false"}[*c.Corrected]
	}
	return strings.Join([]string{c.ID, c.Channel, c.Queue, c.Outcome, c.ArrivedAt.UTC().Format(time.RFC3339), s(c.AnsweredAt), s(c.EndedAt),
		"talk=" + strconv.Itoa(int(c.TalkS)), "acw=" + strconv.Itoa(int(c.AcwS)), "complex=" + map[bool]string{true: "y", false: "n"}[c.Complex], "corrected=" + b,
		c.Unit, c.Origin, c.Source, c.Institution, "v" + strconv.Itoa(int(c.Version)), "deleted=" + map[bool]string{true: "y", false: "n"}[c.Deleted]}, " ")
}

func TestParseFileForms(t *testing.T) {
	rows := []string{
		"C1;vat;2024-01-15 10:00:00;2024-01-15 10:00:30;2024-01-15 10:03:30;180;25;",
		"C2;;2024-01-15 11:00:00;;2024-01-15 11:01:00;;;",
	}
	header := strings.TrimSuffix(callsHeader, "\n")
	for _, tc := range []struct{ name, body string }{
		{"no BOM, LF", header + "\n" + strings.Join(rows, "\n") + "\n"},
		{"BOM, LF", "\ufeff" + header + "\n" + strings.Join(rows, "\n") + "\n"},
		{"BOM, CRLF", "\ufeff" + header + "\r\n" + strings.Join(rows, "\r\n") + "\r\n"},
		{"CRLF, no final newline", header + "\r\n" + strings.Join(rows, "\r\n")},
		{"blank lines", header + "\n\n" + rows[0] + "\n\n" + rows[1] + "\n\n"},
		{"columns reordered, unknown extra column", "agent;survey_score;acw_s;talk_s;ended_at;answered_at;offered_at;queue;call_id\n" +
			"a1;;25;180;2024-01-15 10:03:30;2024-01-15 10:00:30;2024-01-15 10:00:00;vat;C1\n" +
			"a2;;;;2024-01-15 11:01:00;;2024-01-15 11:00:00;;C2\n"},
		{"spaces around fields", header + "\n" + " C1 ; vat ;2024-01-15 10:00:00; 2024-01-15 10:00:30 ;2024-01-15 10:03:30; 180;25 ;\n" + rows[1] + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := parse(t, KindCalls, tc.body)
			if len(p.Quarantined) != 0 || len(p.Contacts) != 2 {
				t.Fatalf("got %d contacts, quarantined %+v; want 2 contacts", len(p.Contacts), p.Quarantined)
			}
			a, b := p.Contacts[0], p.Contacts[1]
			if a.ID != "call:C1" || a.Queue != "vat" || a.TalkS != 180 || a.AcwS != 25 || a.Outcome != "answered" || !a.ArrivedAt.Equal(utcTime("2024-01-15T08:00:00Z")) {
				t.Errorf("first contact %s", show(a))
			}
			if b.ID != "call:C2" || b.Outcome != "abandoned" || b.AnsweredAt != nil || !b.ArrivedAt.Equal(utcTime("2024-01-15T09:00:00Z")) {
				t.Errorf("second contact %s", show(b))
			}
		})
	}
}

func TestParseRejectsFile(t *testing.T) {
	for _, tc := range []struct {
		name, kind, body, column, msg string
	}{
		{"missing column", KindCalls, "call_id;queue;offered_at;answered_at;ended_at;talk_s;survey_score\nC1;;2024-01-15 10:00:00;;2024-01-15 10:01:00;;\n", "acw_s", "missing"},
		{"missing column with BOM", KindWritten, "\ufeffcase_id;received_at;answered_at;complexity;corrected;audit_score\n", "channel", "missing"},
		{"header of another kind", KindChats, callsHeader, "chat_id", "missing"},
		{"empty file", KindCalls, "", "", "header row is missing"},
		{"only a BOM", KindCalls, "\ufeff", "", "header row is missing"},
		{"unknown kind", "voicemail", "id\n", "", "unknown kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := tc.kind + "-2024-01-15.csv"
			_, err := Parse([]byte(tc.body), File{Name: name, Kind: tc.kind, PublishedAt: published}, testMeta())
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse = %v; want a *FileError", err)
			}
			if fe.Column != tc.column || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), name) {
				t.Errorf("error %q (column %q); want column %q, naming %s and containing %q", err, fe.Column, tc.column, name, tc.msg)
			}
			if tc.column != "" && !strings.Contains(err.Error(), `"`+tc.column+`"`) {
				t.Errorf("error %q does not name column %s", err, tc.column)
			}
		})
	}
}

func TestParseKeepsRestOfFile(t *testing.T) {
	body := callsHeader +
		"C1;vat;2024-01-15 10:00:00;;2024-01-15 10:01:00;;;\n" +
		"C2;vat;2024-01-15 10:00:00;;2024-01-15 09:01:00;;;\n" + // ended before offered
		"C3;vat;2024-01-15 \"10:00:00;;2024-01-15 10:01:00;;;\n" + // bare quote: unreadable CSV
		"C4;vat;2024-01-15 10:00:00;;2024-01-15 10:01:00;;;\n"
	p := parse(t, KindCalls, body)
	if len(p.Contacts) != 2 || p.Contacts[0].ID != "call:C1" || p.Contacts[1].ID != "call:C4" {
		t.Fatalf("contacts %d; want C1 and C4", len(p.Contacts))
	}
	if len(p.Quarantined) != 2 {
		t.Fatalf("quarantined %+v; want 2", p.Quarantined)
	}
	if q := p.Quarantined[0]; q.RecordID != "C2" || q.Field != "ended_at" || q.Origin != "calls-2024-01-15.csv:3" {
		t.Errorf("first quarantined %+v", q)
	}
	if q := p.Quarantined[1]; q.Origin != "calls-2024-01-15.csv:4" || !strings.Contains(q.Reason, "unreadable CSV") || !strings.HasPrefix(q.Raw, "C3;") {
		t.Errorf("second quarantined %+v", q)
	}
	// A quarantined row keeps its record's last valid version.
	if !p.KeepContacts["call:C2"] || !p.KeepFeedback["call:C2"] || !p.KeepContacts["call:C1"] || p.KeepFeedback["call:C1"] {
		t.Errorf("keep sets: contacts %v feedback %v", p.KeepContacts, p.KeepFeedback)
	}
}

const writtenHeader = "case_id;channel;received_at;answered_at;complexity;corrected;audit_score\n"

func TestParseWritten(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		name      string
		line      string
		want      *records.Contact
		wantAudit int // 0: no audit feedback
		wantField string
	}{
		{
			name: "answered simple",
			line: "W1;email;2024-01-15 10:00:00;2024-01-17 09:00:00;simple;0;",
			want: &records.Contact{ID: "case:W1", Channel: "email", Outcome: "answered", ArrivedAt: utcTime("2024-01-15T08:00:00Z"),
				AnsweredAt: ptr("2024-01-17T07:00:00Z"), Corrected: &no},
		},
		{
			name: "open complex, corrected unknown",
			line: "W2;post;2024-01-15 10:00:00;;complex;;",
			want: &records.Contact{ID: "case:W2", Channel: "post", Outcome: "open", ArrivedAt: utcTime("2024-01-15T08:00:00Z"), Complex: true},
		},
		{
			name: "corrected and audited",
			line: "W3;web_form;2024-01-15 10:00:00;2024-01-16 10:00:00;simple;1;5",
			want: &records.Contact{ID: "case:W3", Channel: "web_form", Outcome: "answered", ArrivedAt: utcTime("2024-01-15T08:00:00Z"),
				AnsweredAt: ptr("2024-01-16T08:00:00Z"), Corrected: &yes},
			wantAudit: 5,
		},
		{name: "unknown channel", line: "W4;fax;2024-01-15 10:00:00;;simple;;", wantField: "channel"},
		{name: "chat is not written", line: "W4;chat;2024-01-15 10:00:00;;simple;;", wantField: "channel"},
		{name: "corrected not 0/1", line: "W4;email;2024-01-15 10:00:00;2024-01-16 10:00:00;simple;2;", wantField: "corrected"},
		{name: "corrected open case", line: "W4;email;2024-01-15 10:00:00;;simple;1;", wantField: "corrected"},
		{name: "audit of open case", line: "W4;email;2024-01-15 10:00:00;;simple;;4", wantField: "audit_score"},
		{name: "audit out of range", line: "W4;email;2024-01-15 10:00:00;2024-01-16 10:00:00;simple;0;9", wantField: "audit_score"},
		{name: "unknown complexity", line: "W4;email;2024-01-15 10:00:00;;hard;;", wantField: "complexity"},
		{name: "answered before received", line: "W4;email;2024-01-15 10:00:00;2024-01-14 10:00:00;simple;0;", wantField: "answered_at"},
		{name: "no received_at", line: "W4;email;;;simple;;", wantField: "received_at"},
		{name: "received in DST gap", line: "W4;email;2024-03-31 03:10:00;;simple;;", wantField: "received_at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := parse(t, KindWritten, writtenHeader+tc.line+"\n")
			if tc.want == nil {
				if len(p.Contacts) != 0 || len(p.Quarantined) != 1 || p.Quarantined[0].Field != tc.wantField {
					t.Fatalf("contacts %d, quarantined %+v; want field %s quarantined", len(p.Contacts), p.Quarantined, tc.wantField)
				}
				if p.Quarantined[0].RecordID != "W4" || !p.KeepContacts["case:W4"] || !p.KeepFeedback["audit:W4"] {
					t.Errorf("quarantined %+v, keep %v %v", p.Quarantined[0], p.KeepContacts, p.KeepFeedback)
				}
				return
			}
			if len(p.Contacts) != 1 || len(p.Quarantined) != 0 {
				t.Fatalf("contacts %d, quarantined %+v", len(p.Contacts), p.Quarantined)
			}
			want := *tc.want
			want.Institution, want.Source, want.Unit, want.Origin = "vmi", "vmi-exports", DefaultUnit, "written-2024-01-15.csv"
			want.Version, want.UpdatedAt = published.UnixMilli(), published
			checkContact(t, p.Contacts[0], want)
			if tc.wantAudit == 0 {
				if len(p.Feedback) != 0 {
					t.Errorf("feedback %+v, want none", p.Feedback)
				}
				return
			}
			if len(p.Feedback) != 1 {
				t.Fatalf("feedback %+v, want one audit", p.Feedback)
			}
			f := p.Feedback[0]
			if f.ID != "audit:W3" || f.Instrument != "written_audit" || f.Scale != "1-5" || f.Score != tc.wantAudit || f.Subject != "W3" ||
				!f.SubmittedAt.Equal(*tc.want.AnsweredAt) || f.Channel != "web_form" {
				t.Errorf("audit %+v", f)
			}
		})
	}
}

func TestParseWrittenSurvey(t *testing.T) {
	header := "response_id;case_id;submitted_at;score\n"
	p := parse(t, KindWrittenSurvey, header+
		"S1;W1;2024-01-15 12:00:00;4\n"+
		"S2;W2;2024-01-15 12:00:00;0\n"+
		"S3;W3;2024-01-15 12:00:00;\n"+
		"S4;;2024-10-27 03:15:00;5\n")
	if len(p.Feedback) != 1 {
		t.Fatalf("feedback %+v; want S1 only", p.Feedback)
	}
	f := p.Feedback[0]
	if f.ID != "survey:S1" || f.Subject != "W1" || f.Instrument != "written_survey" || f.Channel != "" || f.Score != 4 || f.Scale != "1-5" ||
		!f.SubmittedAt.Equal(utcTime("2024-01-15T10:00:00Z")) || f.Version != published.UnixMilli() {
		t.Errorf("feedback %+v", f)
	}
	var fields []string
	for _, q := range p.Quarantined {
		fields = append(fields, q.RecordID+":"+q.Field)
	}
	if got, want := strings.Join(fields, ","), "S2:score,S3:score,S4:submitted_at"; got != want {
		t.Errorf("quarantined %s; want %s", got, want)
	}
}

func TestParseChats(t *testing.T) {
	header := "chat_id;queue;started_at;answered_at;ended_at\n"
	p := parse(t, KindChats, header+
		"H1;general;2024-01-15 10:00:00;2024-01-15 10:00:20;2024-01-15 10:05:20\n"+
		"H2;general;2024-01-15 10:00:00;;2024-01-15 10:00:40\n"+
		"H3;general;2024-01-15 10:00:00;2024-01-15 09:00:20;2024-01-15 10:05:20\n")
	if len(p.Contacts) != 2 || len(p.Quarantined) != 1 {
		t.Fatalf("contacts %d, quarantined %+v", len(p.Contacts), p.Quarantined)
	}
	a, b := p.Contacts[0], p.Contacts[1]
	if a.ID != "chat:H1" || a.Channel != "chat" || a.Outcome != "answered" || a.TalkS != 0 || a.Measures != records.NoMeasures || !a.AnsweredAt.Equal(utcTime("2024-01-15T08:00:20Z")) {
		t.Errorf("answered chat %s", show(a))
	}
	if b.ID != "chat:H2" || b.Outcome != "abandoned" || b.TalkS != 0 || !b.EndedAt.Equal(utcTime("2024-01-15T08:00:40Z")) {
		t.Errorf("abandoned chat %s", show(b))
	}
	if q := p.Quarantined[0]; q.RecordID != "H3" || q.Field != "answered_at" {
		t.Errorf("quarantined %+v", q)
	}
}

func TestParseSeminars(t *testing.T) {
	header := "seminar_id;held_on;participants;responses;would_recommend\n"
	p := parse(t, KindSeminars, header+
		"M1;2024-03-31;40;30;20\n"+ // the spring DST day: 23 hours long
		"M2;2024-01-15;40;30;31\n"+
		"M3;2024-01-15;40;41;20\n"+
		"M4;15.01.2024;40;30;20\n"+
		"M5;2024-01-15;-1;30;20\n"+
		"M6;2024-01-15;40;;20\n")
	if len(p.Aggregates) != 3 {
		t.Fatalf("aggregates %+v; want the 3 rows of M1", p.Aggregates)
	}
	want := map[string]float64{"participants": 40, "responses": 30, "would_recommend": 20}
	start, end := utcTime("2024-03-30T22:00:00Z"), utcTime("2024-03-31T21:00:00Z") // +2 at the start, +3 at the end
	for _, a := range p.Aggregates {
		if a.Item != "M1" || a.Instrument != "seminar" || a.Batch != "seminars-2024-01-15.csv" || a.Revision != published.UnixMilli() ||
			!a.PeriodStart.Equal(start) || !a.PeriodEnd.Equal(end) || a.Value != want[a.Metric] || a.Unit != DefaultUnit || a.Institution != "vmi" {
			t.Errorf("aggregate %+v", a)
		}
		delete(want, a.Metric)
	}
	if len(want) != 0 {
		t.Errorf("metrics missing: %v", want)
	}
	var fields []string
	for _, q := range p.Quarantined {
		fields = append(fields, q.RecordID+":"+q.Field)
	}
	if got, want := strings.Join(fields, ","), "M2:would_recommend,M3:responses,M4:held_on,M5:participants,M6:responses"; got != want {
		t.Errorf("quarantined %s; want %s", got, want)
	}
}

func TestParseUnitAndUTC(t *testing.T) {
	m := testMeta()
	m.Unit = "mid"
	p, err := Parse([]byte(callsHeader+"C1;vat;2024-07-01 10:00:00;;2024-07-01 10:00:09;;;\n"),
		File{Name: "calls-2024-07-01.csv", Kind: KindCalls, PublishedAt: published}, m)
	if err != nil || len(p.Contacts) != 1 {
		t.Fatalf("Parse: %v, %+v", err, p)
	}
	c := p.Contacts[0]
	if c.Unit != "mid" || c.ArrivedAt.Location() != time.UTC || !c.ArrivedAt.Equal(utcTime("2024-07-01T07:00:00Z")) {
		t.Errorf("contact %s (location %v)", show(c), c.ArrivedAt.Location())
	}
}
