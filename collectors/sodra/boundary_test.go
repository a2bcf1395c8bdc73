package sodra

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ccbench/ccbench/collectors"
	"github.com/ccbench/ccbench/collectors/collectorstest"
	"github.com/ccbench/ccbench/config"
)

// listingServer serves a hand-written contacts listing by the contract:
// items ordered by (updated_at, id), updated_since inclusive, pages of
// page_size items with the offset as page token. Feedback is empty.
type listingServer struct {
	mu     sync.Mutex
	items  []map[string]any // in (updated_at, id) order
	sinces []string         // updated_since of every contacts request
}

func (l *listingServer) add(items ...map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.items = append(l.items, items...)
}

func (l *listingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path != "/v1/contacts" {
		w.Write([]byte(`{"items": [], "next_page_token": ""}`))
		return
	}
	q := r.URL.Query()
	since := q.Get("updated_since")
	l.sinces = append(l.sinces, since)
	var match []map[string]any
	for _, it := range l.items {
		if since != "" {
			s, err := time.Parse(time.RFC3339, since)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			u, _ := time.Parse(time.RFC3339, it["updated_at"].(string))
			if u.Before(s) {
				continue
			}
		}
		match = append(match, it)
	}
	size, _ := strconv.Atoi(q.Get("page_size"))
	off, _ := strconv.Atoi(q.Get("page_token"))
	end, next := min(off+size, len(match)), ""
	if end < len(match) {
		next = strconv.Itoa(end)
	}
	json.NewEncoder(w).Encode(map[string]any{"items": match[off:end], "next_page_token": next})
}

func (l *listingServer) lastSince() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sinces[len(l.sinces)-1]
}

func contactAt(id, updated string) map[string]any {
	return edit(validContact(), map[string]any{"id": id, "updated_at": updated})
}

func TestIdlePassSkipsTheBoundary(t *testing.T) {
	const t0, t1, t2 = "2024-01-15T10:06:00+02:00", "2024-01-15T10:07:00+02:00", "2024-01-15T10:08:00+02:00"
	l := &listingServer{}
	l.add(
		contactAt("c1", t0),
		contactAt("c2", t1),
		edit(contactAt("c3", t1), map[string]any{"talk_s": -4}), // bad, and the greatest (updated_at, id)
	)
	srv := httptest.NewServer(l)
	t.Cleanup(srv.Close)
	src := config.Source{Name: "sodra-api", Style: config.StyleSODRA, Institution: "sodra", BaseURL: srv.URL, PageSize: 2, Unit: "contact-centre"}
	col, err := New(src, config.Institution{ID: "sodra"}, nil, &collectors.Fetcher{Source: src.Name, InitialInterval: time.Millisecond, MaxElapsed: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sink := collectorstest.NewMemSink()

	type want struct{ records, quarantined, written, inQuarantine int }
	pass := func(name string, w want) {
		t.Helper()
		st, err := col.Collect(ctx, sink)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if st.Records != w.records || st.Quarantined != w.quarantined {
			t.Errorf("%s: wrote %d records and quarantined %d, want %d and %d", name, st.Records, st.Quarantined, w.records, w.quarantined)
		}
		if sink.Written() != w.written || len(sink.Quarantined()) != w.inQuarantine {
			t.Errorf("%s: sink has %d written and %d quarantined in all, want %d and %d",
				name, sink.Written(), len(sink.Quarantined()), w.written, w.inQuarantine)
		}
	}

	pass("first pass", want{records: 2, quarantined: 1, written: 2, inQuarantine: 1})
	if q := sink.Quarantined()[0]; q.RecordID != "c3" || q.Field != "talk_s" {
		t.Errorf("quarantined %s for %s, want c3 for talk_s", q.RecordID, q.Field)
	}
	pass("idle pass", want{records: 0, quarantined: 0, written: 2, inQuarantine: 1})
	pass("another idle pass", want{records: 0, quarantined: 0, written: 2, inQuarantine: 1})
	// The restart is still inclusive: it asks from the boundary's updated_at.
	if s, _ := time.Parse(time.RFC3339, l.lastSince()); !s.Equal(time.Date(2024, 1, 15, 8, 7, 0, 0, time.UTC)) {
		t.Errorf("idle pass asked updated_since=%q, want the boundary %s", l.lastSince(), t1)
	}

	// Later items, one sharing the boundary's updated_at with a greater id,
	// are still taken in, and nothing before them again.
	l.add(contactAt("c4", t1), contactAt("c1", t2))
	pass("pass with news", want{records: 2, quarantined: 0, written: 4, inQuarantine: 1})
	if c, ok := sink.Contact("sodra-api", "c4"); !ok || c.Outcome != "answered" {
		t.Errorf("c4 at the boundary's updated_at was not collected")
	}
	if c, _ := sink.Contact("sodra-api", "c1"); !c.UpdatedAt.Equal(time.Date(2024, 1, 15, 8, 8, 0, 0, time.UTC)) {
		t.Errorf("c1 has version %v, want the one of %s", c.UpdatedAt, t2)
	}
	pass("idle pass after news", want{records: 0, quarantined: 0, written: 4, inQuarantine: 1})
}
