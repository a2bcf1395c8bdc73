package sodra

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ccbench/ccbench/records"
)

// contactItem is a valid contact whose fields the cases below vary by text.
const contactItem = `"id": "ph-1", "updated_at": "2024-01-15T10:05:15+02:00", "unit": "contact-centre", "channel": "phone", "queue": "pensions", "arrived_at": "2024-01-15T10:00:00+02:00", "answered_at": "2024-01-15T10:00:12+02:00", "ended_at": "2024-01-15T10:05:00+02:00", "outcome": "answered", "talk_s": 288, "hold_s": 0, "acw_s": 15, "complex": false, "resolved_at": null`

const feedbackItem = `"id": "fb-1", "updated_at": "2024-01-15T10:06:00+02:00", "instrument": "post_contact", "subject": "ph-1", "submitted_at": "2024-01-15T10:06:00+02:00", "scale": "1-5", "score": 4`

// trickyPages are pages whose every corner the fast parser must read as
// encoding/json does.
var trickyPages = []struct{ name, body string }{
	{"valid contact", `{"items": [{` + contactItem + `}], "next_page_token": "tok"}`},
	{"valid feedback", `{"items": [{` + feedbackItem + `}], "next_page_token": "tok"}`},
	{"compact", `{"items":[{"id":"a","updated_at":"2024-01-15T10:00:00Z","channel":"email","arrived_at":"2024-01-15T10:00:00Z","outcome":"open"}],"next_page_token":""}`},
	{"space everywhere", " \n{ \"items\" :\t[ { " + contactItem + " } , {" + feedbackItem + "} ] , \"next_page_token\" : \"t\" }\r\n"},
	{"empty items", `{"items": []}`},
	{"empty object", `{}`},
	{"items null", `{"items": null, "next_page_token": "x"}`},
	{"items missing", `{"next_page_token": "x"}`},
	{"items not an array", `{"items": {"a": 1}}`},
	{"items a string", `{"items": "[]"}`},
	{"items twice, last wins", `{"items": [{"id": "first"}], "items": [{` + contactItem + `}]}`},
	{"items twice, last null", `{"items": [{` + contactItem + `}], "items": null}`},
	{"items in other case", `{"Items": [{` + contactItem + `}]}`},
	{"items in upper case", `{"ITEMS": [{` + contactItem + `}], "NEXT_PAGE_TOKEN": "t"}`},
	{"items with a long s", "{\"item\u017f\": [{" + contactItem + "}]}"},
	{"next token with Kelvin sign", "{\"items\": [], \"next_page_to\u212aen\": \"t\"}"},
	{"items key escaped", `{"it\u0065ms": [{` + contactItem + `}]}`},
	{"next token escaped", `{"items": [], "next_page_token": "a\u00e9\n\"b"}`},
	{"next token invalid UTF-8", "{\"items\": [], \"next_page_token\": \"a\xffb\"}"},
	{"next token null", `{"items": [], "next_page_token": null}`},
	{"next token a number", `{"items": [], "next_page_token": 7}`},
	{"next token twice", `{"items": [], "next_page_token": "a", "next_page_token": "b"}`},
	{"next token then null", `{"items": [], "next_page_token": "a", "next_page_token": null}`},
	{"unknown envelope members", `{"total": 3, "links": {"next": [1, "x", null, true, -0.5e+3]}, "items": [], "z": "\u0000"}`},
	{"not an object", `[1,2,3]`},
	{"null", `null`},
	{"a string", `"items"`},
	{"empty body", ``},
	{"only space", "  \n"},
	{"truncated", `{"items": [{` + contactItem},
	{"trailing garbage", `{"items": []} x`},
	{"two documents", `{"items": []}{"items": []}`},
	{"trailing comma", `{"items": [{` + contactItem + `},]}`},
	{"leading zero", `{"items": [{"id": "a", "talk_s": 01}]}`},
	{"bad escape", `{"items": [{"id": "a\x"}]}`},
	{"short unicode escape", `{"items": [{"id": "a\u12"}]}`},
	{"control character", "{\"items\": [{\"id\": \"a\tb\"}]}"},
	{"byte order mark", "\xef\xbb\xbf{\"items\": []}"},
	{"bare word", `{"items": [tru]}`},
	{"number then word", `{"items": [1true]}`},
	{"lone minus", `{"items": [-]}`},
	{"dot without digits", `{"items": [1.]}`},
	{"exponent without digits", `{"items": [1e+]}`},
	{"deep nesting", `{"items": [` + strings.Repeat("[", 10010) + strings.Repeat("]", 10010) + `]}`},
	{"nesting at the limit", `{"items": [` + strings.Repeat("[", 9998) + strings.Repeat("]", 9998) + `]}`},
	{"non-object items", `{"items": [7, null, "x", [], true, -1.5, {}]}`},
	{"duplicate key, last wins", `{"items": [{` + contactItem + `, "channel": "email", "outcome": "open", "answered_at": null, "ended_at": null}]}`},
	{"duplicate key, last null", `{"items": [{` + contactItem + `, "id": null}]}`},
	{"duplicate key, first bad", `{"items": [{"talk_s": "x", ` + contactItem + `}]}`},
	{"escaped keys", `{"items": [{` + contactItem + `, "ch\u0061nnel": "email", "\u006futcome": "open", "answered_at": null, "\u0065nded_at": null}]}`},
	{"escaped key with invalid UTF-8", "{\"items\": [{" + contactItem + ", \"\\u00e9\xff\": 1, \"\xffid\": \"x\"}]}"},
	{"escapes in values", `{"items": [{` + contactItem + `, "id": "p\u0068-\"1\"", "queue": "pen\/sions\n", "unit": "\ud83d\ude00"}]}`},
	{"escaped time", `{"items": [{` + contactItem + `, "arrived_at": "2024-01-15T10:00:00\u002b02:00"}]}`},
	{"escaped enum", `{"items": [{` + contactItem + `, "channel": "ph\u006fne"}]}`},
	{"invalid UTF-8 value", "{\"items\": [{" + contactItem + ", \"queue\": \"pen\xffsions\", \"id\": \"\xfe\"}]}"},
	{"invalid UTF-8 time", "{\"items\": [{" + contactItem + ", \"arrived_at\": \"2024-01-15T10:00:00\xff02:00\"}]}"},
	{"lone surrogate", `{"items": [{` + contactItem + `, "id": "\ud800"}]}`},
	{"nested values", `{"items": [{` + contactItem + `, "extra": {"a": [1, {"b": "}"}], "c": "]"}, "id": {"x": 1}}]}`},
	{"wrong types", `{"items": [{` + contactItem + `, "talk_s": "288", "complex": "no"}]}`},
	{"id a number", `{"items": [{` + contactItem + `, "id": 17}]}`},
	{"id empty", `{"items": [{` + contactItem + `, "id": " "}]}`},
	{"integers", `{"items": [{` + contactItem + `, "talk_s": -0}, {` + contactItem + `, "talk_s": 1.0}, {` + contactItem + `, "talk_s": 1e2}, {` + contactItem + `, "talk_s": 4294967296}, {` + contactItem + `, "talk_s": 999999999999999999}, {` + contactItem + `, "talk_s": 9223372036854775808}, {` + contactItem + `, "talk_s": -9223372036854775808}]}`},
	{"booleans", `{"items": [{` + contactItem + `, "complex": true}, {` + contactItem + `, "complex": 1}, {` + contactItem + `, "complex": null}]}`},
	{"times", `{"items": [{` + contactItem + `, "updated_at": "2024-01-15T10:05:15.123456789Z"}, {` + contactItem + `, "updated_at": "2024-01-15T10:05:15.5+05:30"}, {` + contactItem + `, "updated_at": "2024-01-15t10:05:15z"}, {` + contactItem + `, "updated_at": "2024-02-30T10:05:15Z"}, {` + contactItem + `, "updated_at": "2024-01-15T10:05:15,5Z"}, {` + contactItem + `, "updated_at": "2024-01-15T10:05:15+24:00"}, {` + contactItem + `, "updated_at": "2024-01-15T1:05:15Z"}, {` + contactItem + `, "updated_at": ""}, {` + contactItem + `, "updated_at": 17}]}`},
	{"equal greatest positions", `{"items": [{` + contactItem + `, "updated_at": "2024-01-15T10:05:00+02:00"}, {` + contactItem + `}, {` + contactItem + `, "updated_at": "2024-01-15T08:05:15Z"}, {` + contactItem + `, "updated_at": "2024-01-15T10:05:01+02:00"}]}`},
	{"feedback scores", `{"items": [{` + feedbackItem + `, "score": 6}, {` + feedbackItem + `, "scale": "yes_no", "score": 1}, {` + feedbackItem + `, "score": "4"}, {` + feedbackItem + `, "instrument": "faq"}]}`},
}

// checkSameAsOracle parses body with both parsers, as contacts and as
// feedback, and fails on any difference. The fast parser reads the page in
// as many chunks as parseContactsPage does and in chunks of one to three items.
func checkSameAsOracle(t *testing.T, body []byte, m meta) {
	t.Helper()
	wantC, wantErrC := oracleParsePage(body, m, "contacts", parseContact)
	wantF, wantErrF := oracleParsePage(body, m, "feedback", parseFeedback)
	for _, chunks := range []struct {
		name string
		of   func(n int) int
	}{{"as parseContactsPage", chunksFor}, {"in small chunks", func(n int) int { return (n + 2) / 3 }}} {
		gotC, errC := parsePageInChunks(body, m, "contacts", parseContact, chunks.of, nil)
		if !reflect.DeepEqual(gotC, wantC) || errText(errC) != errText(wantErrC) {
			t.Errorf("contacts page %q, %s:\ngot  %+v, %v\nwant %+v, %v", clipBody(body), chunks.name, gotC, errC, wantC, wantErrC)
		}
		gotF, errF := parsePageInChunks(body, m, "feedback", parseFeedback, chunks.of, nil)
		if !reflect.DeepEqual(gotF, wantF) || errText(errF) != errText(wantErrF) {
			t.Errorf("feedback page %q, %s:\ngot  %+v, %v\nwant %+v, %v", clipBody(body), chunks.name, gotF, errF, wantF, wantErrF)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func clipBody(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

func TestParseMatchesOracle(t *testing.T) {
	after := testMeta
	after.After = position{time.Date(2024, 1, 15, 8, 5, 15, 0, time.UTC), "ph-1"}
	for _, tc := range trickyPages {
		t.Run(tc.name, func(t *testing.T) {
			checkSameAsOracle(t, []byte(tc.body), testMeta)
			checkSameAsOracle(t, []byte(tc.body), after)
		})
	}
}

// TestParseSimulatorPagesMatchOracle compares the parsers on the
// simulator's pages, with bad records, from the start of the listing and
// from a position in the middle of each page.
func TestParseSimulatorPagesMatchOracle(t *testing.T) {
	all, err := simPages()
	if err != nil {
		t.Fatal(err)
	}
	for stream, pages := range all {
		for i, body := range pages {
			t.Run(fmt.Sprintf("%s/%d", stream, i), func(t *testing.T) {
				checkSameAsOracle(t, body, testMeta)
				p, err := oracleParsePage(body, testMeta, "contacts", parseContact)
				if err != nil {
					t.Fatal(err)
				}
				if n := len(p.Records); n > 0 && stream == StreamContacts {
					mid := p.Records[n/2]
					m := testMeta
					m.After = position{mid.UpdatedAt, mid.ID}
					checkSameAsOracle(t, body, m)
				}
			})
		}
	}
}

func FuzzParseMatchesOracle(f *testing.F) {
	for _, tc := range trickyPages {
		if len(tc.body) < 2000 {
			f.Add([]byte(tc.body))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkSameAsOracle(t, body, testMeta)
	})
}

// TestParseIntoAnEarlierPagesRecords parses each of the simulator's pages
// into the records of the page before it, not cleared (pull clears them;
// this is the worse case), from the start of the listing and from the
// middle of the page: the page must be the oracle's, whatever the slice
// held. The pages quarantine and skip items, so a slot the parse did not
// fill would show.
func TestParseIntoAnEarlierPagesRecords(t *testing.T) {
	all, err := simPages()
	if err != nil {
		t.Fatal(err)
	}
	var into []records.Contact
	for i, body := range all[StreamContacts] {
		whole, err := oracleParsePage(body, testMeta, "contacts", parseContact)
		if err != nil {
			t.Fatal(err)
		}
		metas := []meta{testMeta}
		if n := len(whole.Records); n > 0 {
			m := testMeta
			m.After = position{whole.Records[n/2].UpdatedAt, whole.Records[n/2].ID}
			metas = append(metas, m)
		}
		for _, m := range metas {
			want, err := oracleParsePage(body, m, "contacts", parseContact)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseContactsPage(body, m, into)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("page %d parsed into page %d's records, after %v: got %d records, %d quarantined, want %d, %d",
					i, i-1, m.After, len(got.Records), len(got.Quarantined), len(want.Records), len(want.Quarantined))
			}
			if got.Records != nil {
				into = got.Records
			}
		}
	}
}

// TestRecycledRecordsKeepNothing checks that a page's records handed back
// for the next page are cleared (they would keep a batch's strings alive)
// and that no more wait than the list holds.
func TestRecycledRecordsKeepNothing(t *testing.T) {
	free := make(chan []records.Contact, 1)
	page := []records.Contact{{ID: "a"}, {ID: "b"}, {ID: "c"}}
	recycle(free, page[:2]) // the parse's slice may be longer than its page
	recycle(free, []records.Contact{{ID: "d"}})
	got := reused(free)
	if len(got) != 0 || cap(got) != 3 {
		t.Fatalf("reused: len %d cap %d, want the first slice handed back, empty", len(got), cap(got))
	}
	for i, r := range got[:cap(got)] {
		if r.ID != "" {
			t.Errorf("record %d of the recycled slice still holds %q", i, r.ID)
		}
	}
	if extra := reused(free); extra != nil {
		t.Errorf("a second slice was kept: %v", extra)
	}
}
