package vmi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ccbench/ccbench/collectors"
	"github.com/ccbench/ccbench/collectors/collectorstest"
	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/simulator"
	vmisim "github.com/ccbench/ccbench/simulator/vmi"
)

const token = "test-token"

// wednesday is 10:30 local time on Wednesday 17 January 2024.
var wednesday = time.Date(2024, 1, 17, 8, 30, 0, 0, time.UTC)

// testInstitution is the VMI institution of a parsed configuration, so that
// it carries its time zone.
func testInstitution(t testing.TB) config.Institution {
	t.Helper()
	cfg, err := config.Parse([]byte(`
institutions:
  - {id: vmi, name: VMI, country: LT, timezone: Europe/Vilnius}
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	inst, _ := cfg.Institution("vmi")
	return inst
}

// env is a simulator behind an HTTP server and a collector pointed at it.
type env struct {
	clock *simulator.Clock
	sim   *vmisim.Simulator
	srv   *httptest.Server
	col   collectors.Collector
	sink  *collectorstest.MemSink
}

func newEnv(t *testing.T, opts vmisim.Options, wrap func(http.Handler) http.Handler, clientToken string) *env {
	t.Helper()
	e := &env{clock: simulator.NewClock(wednesday), sink: collectorstest.NewMemSink()}
	opts.Now, opts.Token = e.clock.Now, token
	if opts.Scale == 0 {
		opts.Scale = 0.05
	}
	e.sim = vmisim.New(opts)
	h := e.sim.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	e.col = newCollector(t, e.srv.URL, clientToken)
	return e
}

func newCollector(t *testing.T, url, clientToken string) collectors.Collector {
	t.Helper()
	src := config.Source{Name: "vmi-exports", Style: config.StyleVMI, Institution: "vmi", BaseURL: url}
	f := &collectors.Fetcher{Source: src.Name, Token: clientToken, InitialInterval: time.Millisecond, MaxElapsed: 2 * time.Second}
	col, err := New(src, testInstitution(t), nil, f)
	if err != nil {
		t.Fatal(err)
	}
	return col
}

// rows reads a served CSV file the test's own way: header and data rows as
// maps by column name.
func rows(t *testing.T, body []byte) []map[string]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff"))))
	r.Comma = ';'
	all, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, rec := range all[1:] {
		m := map[string]string{}
		for i, h := range all[0] {
			m[h] = rec[i]
		}
		out = append(out, m)
	}
	return out
}

// expected counts what the simulator serves now: contacts, feedback
// responses and seminar aggregate rows.
func (e *env) expected(t *testing.T) (contacts, feedback, aggregates int) {
	t.Helper()
	for _, ie := range e.sim.Index() {
		body, ok := e.sim.File(ie.Name)
		if !ok {
			t.Fatalf("listed file %s is not served", ie.Name)
		}
		for _, r := range rows(t, body) {
			switch ie.Kind {
			case "calls":
				contacts++
				if r["survey_score"] != "" {
					feedback++
				}
			case "written":
				contacts++
				if r["audit_score"] != "" {
					feedback++
				}
			case "chats":
				contacts++
			case "written_survey":
				feedback++
			case "seminars":
				aggregates += 3
			}
		}
	}
	return contacts, feedback, aggregates
}

func (e *env) collect(t *testing.T) collectors.Stats {
	t.Helper()
	st, err := e.col.Collect(context.Background(), e.sink)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	return st
}

func TestCollectOnceThenNothing(t *testing.T) {
	e := newEnv(t, vmisim.Options{Seed: 7, Days: 4, CorrectionAfter: 3 * time.Hour}, nil, token)
	index := e.sim.Index()
	if len(index) < 15 {
		t.Fatalf("simulator lists %d files; want at least 15", len(index))
	}
	contacts, feedback, aggregates := e.expected(t)

	st := e.collect(t)
	if st.Fetched != 1+len(index) || st.Quarantined != 0 || st.Records != contacts+feedback+aggregates {
		t.Errorf("first pass %+v; want %d fetched, %d records, none quarantined", st, 1+len(index), contacts+feedback+aggregates)
	}
	if got := len(e.sink.Contacts()); got != contacts {
		t.Errorf("%d contacts in the sink, the files hold %d", got, contacts)
	}
	if got := len(e.sink.Feedback()); got != feedback {
		t.Errorf("%d feedback responses in the sink, the files hold %d", got, feedback)
	}
	if got := len(counting(e.sink.Aggregates())); got != aggregates {
		t.Errorf("%d aggregate rows in the sink, want %d", got, aggregates)
	}
	cp, ok := e.sink.SavedCheckpoint("vmi-exports", StreamIndex)
	var pos map[string]string
	if !ok || json.Unmarshal([]byte(cp.Position), &pos) != nil || len(pos) != len(index) {
		t.Fatalf("checkpoint %+v; want every listed file", cp)
	}
	for _, ie := range index {
		published, err := time.Parse(time.RFC3339, ie.PublishedAt)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("%s@%d", ie.SHA256, published.UnixMilli()); pos[ie.Name] != want {
			t.Errorf("checkpoint has %s = %q, want %q from the index", ie.Name, pos[ie.Name], want)
		}
	}

	written := e.sink.Written()
	if st := e.collect(t); st != (collectors.Stats{Fetched: 1}) {
		t.Errorf("second pass %+v; want only the index fetched", st)
	}
	if e.sink.Written() != written {
		t.Errorf("second pass wrote %d records", e.sink.Written()-written)
	}

	// An hour later today's files are republished with more rows: only
	// they are fetched again, and nothing is deleted.
	shas := map[string]string{}
	for _, ie := range index {
		shas[ie.Name] = ie.SHA256
	}
	e.clock.Advance(time.Hour)
	today := 0
	for _, ie := range e.sim.Index() {
		if shas[ie.Name] != ie.SHA256 {
			today++
			if ie.Date != "2024-01-17" {
				t.Errorf("file %s of a past day changed", ie.Name)
			}
		}
	}
	if today == 0 {
		t.Fatal("no file of today changed in an hour")
	}
	contacts, feedback, _ = e.expected(t)
	if st := e.collect(t); st.Fetched != 1+today {
		t.Errorf("pass an hour later fetched %d; want the index and the %d changed files of today", st.Fetched, today)
	}
	if got := len(e.sink.Contacts()); got != contacts {
		t.Errorf("%d contacts in the sink an hour later, the files hold %d", got, contacts)
	}
	if got := len(e.sink.Feedback()); got != feedback {
		t.Errorf("%d feedback responses in the sink an hour later, the files hold %d", got, feedback)
	}
}

// liveFrom returns the live records of the sink that came from one file.
func liveFrom(s *collectorstest.MemSink, origin string) ([]records.Contact, []records.Feedback) {
	var cs []records.Contact
	for _, c := range s.Contacts() {
		if c.Origin == origin {
			cs = append(cs, c)
		}
	}
	var fs []records.Feedback
	for _, f := range s.Feedback() {
		if f.Origin == origin {
			fs = append(fs, f)
		}
	}
	return cs, fs
}

// onlyFile serves an index that lists one file only.
func onlyFile(name string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/exports/index.json" {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			var entries []vmisim.IndexEntry
			if err := json.Unmarshal(rec.Body.Bytes(), &entries); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			var keep []vmisim.IndexEntry
			for _, e := range entries {
				if e.Name == name {
					keep = append(keep, e)
				}
			}
			simulator.WriteJSON(w, http.StatusOK, keep)
		})
	}
}

func TestCollectRepublishedFile(t *testing.T) {
	opts := vmisim.Options{Seed: 3, Days: 4, CorrectionAfter: 5 * time.Minute}
	e := newEnv(t, opts, nil, token)
	day, at := e.sim.Correction()
	name := "calls-" + day.Format("2006-01-02") + ".csv"
	before, _ := e.sim.File(name)
	old := rows(t, before)
	e.collect(t)

	e.clock.Set(at)
	after, _ := e.sim.File(name)
	fresh := rows(t, after)
	if len(fresh) != len(old)-1 {
		t.Fatalf("corrected file has %d rows, the first version %d; want one removed", len(fresh), len(old))
	}
	removed, changed := old[0]["call_id"], old[1]["call_id"]
	if fresh[0]["call_id"] != changed || reflect.DeepEqual(fresh[0], old[1]) {
		t.Fatalf("corrected file's first row %v; want %s changed", fresh[0], changed)
	}
	if st := e.collect(t); st.Fetched != 2 {
		t.Errorf("pass after the correction %+v; want the index and the corrected file", st)
	}

	// The removed call (and its survey response, if any) is deleted ...
	if c, ok := e.sink.Contact("vmi-exports", "call:"+removed); !ok || !c.Deleted {
		t.Errorf("removed call %s: %+v; want a tombstone", removed, c)
	}
	// ... and the changed call has the corrected times.
	c, _ := e.sink.Contact("vmi-exports", "call:"+changed)
	wantEnd, err := ParseLocalTime(fresh[0]["ended_at"], testInstitution(t).Location())
	if err != nil || c.EndedAt == nil || !c.EndedAt.Equal(wantEnd) || c.Deleted {
		t.Errorf("changed call %s: %s; want ended at %s", changed, show(c), fresh[0]["ended_at"])
	}

	// What is live from the file is exactly what ingesting only the new
	// file into an empty sink gives.
	only := newEnv(t, opts, onlyFile(name), token)
	only.clock.Set(at)
	only.collect(t)
	gotC, gotF := liveFrom(e.sink, name)
	wantC, wantF := liveFrom(only.sink, name)
	if len(gotC) != len(fresh) || !reflect.DeepEqual(gotC, wantC) {
		t.Errorf("live contacts from %s: %d, new file alone gives %d (%d rows)", name, len(gotC), len(wantC), len(fresh))
	}
	if !reflect.DeepEqual(gotF, wantF) {
		t.Errorf("live feedback from %s: %d, new file alone gives %d", name, len(gotF), len(wantF))
	}
	if st := e.collect(t); st != (collectors.Stats{Fetched: 1}) {
		t.Errorf("pass after the republish %+v; want only the index", st)
	}
}

func TestCollectQuarantinesBadRows(t *testing.T) {
	e := newEnv(t, vmisim.Options{Seed: 5, Days: 4, BadRecordEvery: 10, Scale: 0.1}, nil, token)
	st := e.collect(t)
	// Every 10th generated row of a day is broken; files of past days hold
	// every row of their day.
	want := 0
	for _, ie := range e.sim.Index() {
		if ie.Date < "2024-01-17" && ie.Kind != "seminars" {
			body, _ := e.sim.File(ie.Name)
			want += len(rows(t, body)) / 10
		}
	}
	fields := map[string]map[string]bool{
		"calls":          {"answered_at": true, "ended_at": true, "talk_s": true, "survey_score": true},
		"chats":          {"ended_at": true, "started_at": true},
		"written":        {"channel": true, "corrected": true, "received_at": true},
		"written_survey": {"score": true},
	}
	got := 0
	for _, q := range e.sink.Quarantined() {
		if !fields[q.Stream][q.Field] || q.RecordID == "" || q.Raw == "" || !strings.HasPrefix(q.Origin, q.Stream+"-2024-01-") {
			t.Errorf("quarantined %+v; want a known field, the id, the raw line and file:line", q)
		}
		if !strings.HasPrefix(q.Origin, q.Stream+"-2024-01-17") {
			got++
		}
	}
	if want == 0 || got != want {
		t.Errorf("%d rows of past days quarantined; want %d", got, want)
	}
	if st.Quarantined != len(e.sink.Quarantined()) {
		t.Errorf("stats say %d quarantined, the sink has %d", st.Quarantined, len(e.sink.Quarantined()))
	}
}

func TestCollectUnauthorized(t *testing.T) {
	e := newEnv(t, vmisim.Options{Seed: 1, Days: 1}, nil, "wrong-token")
	_, err := e.col.Collect(context.Background(), e.sink)
	if !collectors.IsConfigError(err) {
		t.Fatalf("Collect = %v; want a configuration error", err)
	}
	if _, ok := e.sink.SavedCheckpoint("vmi-exports", StreamIndex); ok || e.sink.Written() != 0 {
		t.Errorf("a refused pass wrote to the sink")
	}
}

// fakeFile is one file of a hand-made source.
type fakeFile struct {
	kind, date, body string
	published        time.Time
	corrupt          bool // serve other bytes than the index's sha256 says
}

// fakeSource serves a hand-made index.
func fakeSource(t *testing.T, files map[string]*fakeFile) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/exports/index.json" {
			var idx []IndexEntry
			for name, f := range files {
				sum := sha256.Sum256([]byte(f.body))
				idx = append(idx, IndexEntry{Name: name, Kind: f.kind, Date: f.date, SHA256: hex.EncodeToString(sum[:]), PublishedAt: f.published})
			}
			json.NewEncoder(w).Encode(idx)
			return
		}
		f, ok := files[strings.TrimPrefix(r.URL.Path, "/exports/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if f.corrupt {
			fmt.Fprint(w, f.body+"X")
			return
		}
		fmt.Fprint(w, f.body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestCollectChecksumAndRejectedFile(t *testing.T) {
	pub := time.Date(2024, 1, 16, 0, 0, 0, 0, time.UTC)
	files := map[string]*fakeFile{
		"calls-2024-01-15.csv": {kind: "calls", date: "2024-01-15", published: pub, corrupt: true,
			body: callsHeader + "C1;vat;2024-01-15 10:00:00;;2024-01-15 10:01:00;;;\n"},
		"chats-2024-01-15.csv": {kind: "chats", date: "2024-01-15", published: pub,
			body: "chat_id;queue;answered_at;ended_at\nH1;g;;2024-01-15 10:01:00\n"}, // no started_at
		"written_survey-2024-01-15.csv": {kind: "written_survey", date: "2024-01-15", published: pub,
			body: "response_id;case_id;submitted_at;score\nS1;W1;2024-01-15 12:00:00;5\n"},
		"voicemail-2024-01-15.csv": {kind: "voicemail", date: "2024-01-15", published: pub, body: "x\n"},
	}
	srv := fakeSource(t, files)
	col := newCollector(t, srv.URL, "")
	sink := collectorstest.NewMemSink()

	st, err := col.Collect(context.Background(), sink)
	if err == nil || !strings.Contains(err.Error(), "calls-2024-01-15.csv") || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("Collect = %v; want the checksum mismatch of calls-2024-01-15.csv", err)
	}
	if len(sink.Feedback()) != 1 || len(sink.Contacts()) != 0 {
		t.Errorf("sink has %d feedback, %d contacts; want the survey response only", len(sink.Feedback()), len(sink.Contacts()))
	}
	qs := sink.Quarantined()
	if len(qs) != 1 || qs[0].Field != "started_at" || qs[0].Origin != "chats-2024-01-15.csv" || !strings.Contains(qs[0].Reason, "missing") {
		t.Fatalf("quarantined %+v; want the chats file rejected for its missing started_at column", qs)
	}
	if st.Quarantined != 1 || st.Records != 1 {
		t.Errorf("stats %+v", st)
	}

	// Next pass: the calls file is fine now; the rejected file is not
	// fetched again until it changes.
	files["calls-2024-01-15.csv"].corrupt = false
	st, err = col.Collect(context.Background(), sink)
	if err != nil || st.Fetched != 2 || len(sink.Contacts()) != 1 || len(sink.Quarantined()) != 1 {
		t.Errorf("second pass %+v, %v; contacts %d", st, err, len(sink.Contacts()))
	}
}

func TestCollectRepublishedRowBrokenKeepsLastValid(t *testing.T) {
	pub := time.Date(2024, 1, 16, 0, 0, 0, 0, time.UTC)
	f := &fakeFile{kind: "calls", date: "2024-01-15", published: pub, body: callsHeader +
		"C1;vat;2024-01-15 10:00:00;2024-01-15 10:00:10;2024-01-15 10:02:00;110;20;5\n" +
		"C2;vat;2024-01-15 11:00:00;2024-01-15 11:00:10;2024-01-15 11:02:00;110;20;4\n" +
		"C3;vat;2024-01-15 12:00:00;;2024-01-15 12:01:00;;;\n"}
	srv := fakeSource(t, map[string]*fakeFile{"calls-2024-01-15.csv": f})
	col := newCollector(t, srv.URL, "")
	sink := collectorstest.NewMemSink()
	if _, err := col.Collect(context.Background(), sink); err != nil {
		t.Fatal(err)
	}
	// Republished: C1 broken, C2 without its survey score, C3 gone.
	f.published = pub.Add(time.Hour)
	f.body = callsHeader +
		"C1;vat;2024-01-15 10:00:00;2024-01-15 09:00:10;2024-01-15 10:02:00;110;20;5\n" +
		"C2;vat;2024-01-15 11:00:00;2024-01-15 11:00:10;2024-01-15 11:02:00;110;20;\n"
	st, err := col.Collect(context.Background(), sink)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range sink.Contacts() {
		ids = append(ids, fmt.Sprintf("%s@%d", c.ID, c.Version-pub.UnixMilli()))
	}
	// C1 keeps its first version; C2 has the new one; C3 is deleted.
	if got, want := strings.Join(ids, ","), "call:C1@0,call:C2@3600000"; got != want {
		t.Errorf("live contacts %s; want %s", got, want)
	}
	var fb []string
	for _, f := range sink.Feedback() {
		fb = append(fb, f.ID)
	}
	if got, want := strings.Join(fb, ","), "call:C1"; got != want {
		t.Errorf("live feedback %s; want %s (C2's score withdrawn)", got, want)
	}
	if c, _ := sink.Contact("vmi-exports", "call:C3"); !c.Deleted || c.Version != pub.Add(time.Hour).UnixMilli() || c.Origin != "calls-2024-01-15.csv" {
		t.Errorf("C3 %s; want a tombstone of the new version", show(c))
	}
	// Records: C2's contact, C3's contact tombstone and C2's withdrawn
	// survey response; C1's row is quarantined.
	if st.Quarantined != 1 || st.Records != 3 {
		t.Errorf("stats %+v; want 3 records and 1 quarantined", st)
	}
}

// TestCollectSkipsMalformedIndexEntries: an index entry that does not
// decode (a time in another layout, a number for a string, not an object)
// is skipped like any entry that breaks the contract, and the other
// entries' files are still ingested.
func TestCollectSkipsMalformedIndexEntries(t *testing.T) {
	body := "response_id;case_id;submitted_at;score\nS1;W1;2024-01-15 12:00:00;5\n"
	sum := sha256.Sum256([]byte(body))
	good := fmt.Sprintf(`{"name": "written_survey-2024-01-15.csv", "kind": "written_survey", "date": "2024-01-15", "sha256": %q, "published_at": "2024-01-16T00:00:00Z"}`, hex.EncodeToString(sum[:]))
	index := "[" + strings.Join([]string{
		`{"name": "calls-2024-01-15.csv", "kind": "calls", "date": "2024-01-15", "sha256": "` + strings.Repeat("a", 64) + `", "published_at": "2024-01-17 00:00:00"}`,
		`{"name": "chats-2024-01-15.csv", "kind": "chats", "date": "2024-01-15", "sha256": 17, "published_at": "2024-01-16T00:00:00Z"}`,
		`"calls-2024-01-16.csv"`,
		good,
	}, ", ") + "]"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/exports/index.json":
			fmt.Fprint(w, index)
		case "/exports/written_survey-2024-01-15.csv":
			fmt.Fprint(w, body)
		default:
			t.Errorf("fetched %s, which the index does not list validly", r.URL.Path)
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	sink := collectorstest.NewMemSink()
	st, err := newCollector(t, srv.URL, "").Collect(context.Background(), sink)
	if err != nil {
		t.Fatalf("Collect: %v; want the malformed entries skipped", err)
	}
	if len(sink.Feedback()) != 1 || st.Records != 1 {
		t.Errorf("stats %+v, %d feedback; want the one response of the valid entry", st, len(sink.Feedback()))
	}
}

// TestCollectRepublishedSeminarsWithoutRows: a seminars file republished
// with its header alone leaves none of the earlier seminars in force.
func TestCollectRepublishedSeminarsWithoutRows(t *testing.T) {
	republish, col, sink := seminarsCollected(t)
	if n := len(counting(sink.Aggregates())); n != 6 {
		t.Fatalf("%d seminar rows after the first pass, want 2 seminars × 3", n)
	}
	republish("")
	if _, err := col.Collect(context.Background(), sink); err != nil {
		t.Fatal(err)
	}
	if got := counting(sink.Aggregates()); len(got) != 0 {
		t.Errorf("after the republication without rows, in force: %+v; want none", got)
	}
}

// seminarsCollected collects a seminars file of two seminars (S1: 30
// participants, 20 responses, 15 would recommend; S2: 10, 5, 5) and
// returns a function that republishes the file a day later with the rows
// given, the collector and its sink.
func seminarsCollected(t *testing.T) (republish func(rows string), col collectors.Collector, sink *collectorstest.MemSink) {
	t.Helper()
	const header = "seminar_id;held_on;participants;responses;would_recommend\n"
	name := "seminars-2024-01-15.csv"
	files := map[string]*fakeFile{name: {kind: KindSeminars, date: "2024-01-15", published: time.Date(2024, 1, 16, 0, 0, 0, 0, time.UTC),
		body: header + "S1;2024-01-15;30;20;15\nS2;2024-01-15;10;5;5\n"}}
	col = newCollector(t, fakeSource(t, files).URL, "")
	sink = collectorstest.NewMemSink()
	if _, err := col.Collect(context.Background(), sink); err != nil {
		t.Fatal(err)
	}
	return func(rows string) {
		files[name].body, files[name].published = header+rows, time.Date(2024, 1, 17, 0, 0, 0, 0, time.UTC)
	}, col, sink
}

// counting leaves out the rows that count nothing (records.AggRevision).
func counting(as []records.Aggregate) []records.Aggregate {
	var out []records.Aggregate
	for _, a := range as {
		if a.Metric != records.AggRevision {
			out = append(out, a)
		}
	}
	return out
}

// TestCollectRepublishedWithoutALaterPublication: a file republished with
// the same publication time (or an earlier one) still replaces the content
// ingested before: its versions come after those of the earlier content.
func TestCollectRepublishedWithoutALaterPublication(t *testing.T) {
	pub := time.Date(2024, 1, 16, 0, 0, 0, 0, time.UTC)
	name := "calls-2024-01-15.csv"
	files := map[string]*fakeFile{name: {kind: KindCalls, date: "2024-01-15", published: pub,
		body: callsHeader + "C1;vat;2024-01-15 10:00:00;;2024-01-15 10:01:00;;;\nC2;vat;2024-01-15 11:00:00;;2024-01-15 11:01:00;;;\n"}}
	srv := fakeSource(t, files)
	col := newCollector(t, srv.URL, "")
	sink := collectorstest.NewMemSink()
	if _, err := col.Collect(context.Background(), sink); err != nil {
		t.Fatal(err)
	}
	for _, republished := range []time.Time{pub, pub.Add(-time.Hour)} {
		f := files[name]
		f.published = republished
		if strings.Contains(f.body, "C2;") {
			f.body = callsHeader + "C1;vat;2024-01-15 10:00:00;;2024-01-15 10:02:00;;;\n" // C2 dropped, C1 ends later
		} else {
			f.body = callsHeader + "C1;vat;2024-01-15 10:00:00;;2024-01-15 10:03:00;;;\n"
		}
		if _, err := col.Collect(context.Background(), sink); err != nil {
			t.Fatal(err)
		}
		c1, _ := sink.Contact("vmi-exports", "call:C1")
		want, _ := ParseLocalTime(strings.Split(strings.Split(f.body, "\n")[1], ";")[4], testInstitution(t).Location())
		if c1.EndedAt == nil || !c1.EndedAt.Equal(want) {
			t.Errorf("republished at %v: C1 ends %v, want %v from the new content", republished, c1.EndedAt, want)
		}
		if c2, _ := sink.Contact("vmi-exports", "call:C2"); !c2.Deleted {
			t.Errorf("republished at %v: C2 %+v, want its tombstone", republished, c2)
		}
	}
}

func TestCheckpointEntries(t *testing.T) {
	at := time.Date(2024, 1, 16, 9, 30, 0, 123e6, time.UTC)
	for _, tc := range []struct {
		entry string
		sum   string
		at    time.Time
	}{
		{formatDone("ABC", at), "abc", at},
		{"abc", "abc", time.Time{}}, // written before publication times were kept
		{"abc@x", "abc", time.Time{}},
	} {
		sum, got := parseDone(tc.entry)
		if sum != tc.sum || !got.Equal(tc.at) {
			t.Errorf("parseDone(%q) = %q, %v; want %q, %v", tc.entry, sum, got, tc.sum, tc.at)
		}
	}
}

// TestCollectRepublishedSeminarBrokenKeepsLastValid: in a republished
// seminars file, a seminar whose row breaks the contract keeps its last
// valid figures, while the others take their new ones.
func TestCollectRepublishedSeminarBrokenKeepsLastValid(t *testing.T) {
	republish, col, sink := seminarsCollected(t)
	// S1 now claims more responses than participants; S2 is corrected.
	republish("S1;2024-01-15;30;40;15\nS2;2024-01-15;12;6;4\n")
	st, err := col.Collect(context.Background(), sink)
	if err != nil || st.Quarantined != 1 {
		t.Fatalf("second pass %+v, %v; want S1's row quarantined", st, err)
	}
	got := map[string]float64{}
	for _, a := range counting(sink.Aggregates()) {
		got[a.Item+"/"+a.Metric] = a.Value
	}
	want := map[string]float64{
		"S1/participants": 30, "S1/responses": 20, "S1/would_recommend": 15, // the last valid figures
		"S2/participants": 12, "S2/responses": 6, "S2/would_recommend": 4,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("seminar figures in force %v, want %v", got, want)
	}
}
