package sodra

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ccbench/ccbench/collectors"
	"github.com/ccbench/ccbench/collectors/collectorstest"
	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/records"
	sodrasim "github.com/ccbench/ccbench/simulator/sodra"
)

// simPages are the pages of both listings of a 3-day simulated history, by
// stream, at the largest page size: the pages a backfill reads.
var simPages = sync.OnceValues(func() (map[string][][]byte, error) {
	now := time.Date(2024, 1, 15, 12, 0, 0, 0, time.UTC)
	sim := sodrasim.New(sodrasim.Options{Seed: 1, Days: 3, Now: func() time.Time { return now }, BadRecordEvery: 500}).Handler()
	out := map[string][][]byte{}
	for _, stream := range []string{StreamContacts, StreamFeedback} {
		tok := ""
		for {
			q := url.Values{"page_size": {"5000"}}
			if tok != "" {
				q.Set("page_token", tok)
			}
			w := httptest.NewRecorder()
			sim.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v1/"+stream+"?"+q.Encode(), nil))
			if w.Code != http.StatusOK {
				return nil, fmt.Errorf("GET %s: status %d", stream, w.Code)
			}
			body := w.Body.Bytes()
			out[stream] = append(out[stream], body)
			var env struct {
				Next string `json:"next_page_token"`
			}
			if err := json.Unmarshal(body, &env); err != nil {
				return nil, err
			}
			if env.Next == "" {
				break
			}
			tok = env.Next
		}
	}
	return out, nil
})

func benchmarkParse[T any](b *testing.B, stream string, parse func([]byte, meta, []T) (page[T], error)) {
	all, err := simPages()
	if err != nil {
		b.Fatal(err)
	}
	pages := all[stream]
	size, rows := 0, 0
	for _, body := range pages {
		p, err := parse(body, testMeta, nil)
		if err != nil {
			b.Fatal(err)
		}
		size += len(body)
		rows += len(p.Records) + len(p.Quarantined)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	var into []T // each page's records go where the last page's were, as in pull
	for b.Loop() {
		for _, body := range pages {
			p, err := parse(body, testMeta, into)
			if err != nil {
				b.Fatal(err)
			}
			if p.Records != nil {
				into = p.Records
			}
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(rows), "rows/op")
}

// BenchmarkParseContactsPage parses the contacts pages of a 3-day
// simulated history (5000 items a page, one in 500 breaking the contract)
// with the scanner and, for the ratio, with the encoding/json parser that
// the tests keep as the reference.
func BenchmarkParseContactsPage(b *testing.B) {
	b.Run("scan", func(b *testing.B) { benchmarkParse(b, StreamContacts, parseContactsPage) })
	b.Run("encoding-json", func(b *testing.B) {
		benchmarkParse(b, StreamContacts, func(body []byte, m meta, _ []records.Contact) (page[records.Contact], error) {
			return oracleParsePage(body, m, "contacts", parseContact)
		})
	})
}

// BenchmarkParseFeedbackPage parses the feedback pages of the same history,
// as BenchmarkParseContactsPage does.
func BenchmarkParseFeedbackPage(b *testing.B) {
	b.Run("scan", func(b *testing.B) { benchmarkParse(b, StreamFeedback, parseFeedbackPage) })
	b.Run("encoding-json", func(b *testing.B) {
		benchmarkParse(b, StreamFeedback, func(body []byte, m meta, _ []records.Feedback) (page[records.Feedback], error) {
			return oracleParsePage(body, m, "feedback", parseFeedback)
		})
	})
}

// BenchmarkCollect runs the collector over both listings of the same
// history, served from memory over HTTP, into a sink that keeps only
// checkpoints: the collector's own cost.
func BenchmarkCollect(b *testing.B) {
	now := time.Date(2024, 1, 15, 12, 0, 0, 0, time.UTC)
	sim := sodrasim.New(sodrasim.Options{Seed: 1, Days: 3, Now: func() time.Time { return now }, BadRecordEvery: 500}).Handler()
	var mu sync.Mutex
	cache := map[string][]byte{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		body, ok := cache[r.URL.RequestURI()]
		mu.Unlock()
		if !ok {
			rec := httptest.NewRecorder()
			sim.ServeHTTP(rec, r)
			body = rec.Body.Bytes()
			mu.Lock()
			cache[r.URL.RequestURI()] = body
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body))) // as a source that is not streaming says
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	src := config.Source{Name: "sodra-bench", Style: config.StyleSODRA, Institution: "sodra", BaseURL: srv.URL, PageSize: 5000}
	c, err := New(src, config.Institution{ID: "sodra"}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	collect := func() collectors.Stats {
		st, err := c.Collect(context.Background(), discardSink{collectorstest.NewMemSink()})
		if err != nil {
			b.Fatal(err)
		}
		return st
	}
	st := collect() // fills the cache
	rows := st.Records + st.Quarantined
	b.ReportAllocs()
	for b.Loop() {
		collect()
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// discardSink drops records and keeps checkpoints.
type discardSink struct{ *collectorstest.MemSink }

func (discardSink) InsertContacts(context.Context, []records.Contact) error  { return nil }
func (discardSink) InsertFeedback(context.Context, []records.Feedback) error { return nil }
func (discardSink) Quarantine(context.Context, []records.Quarantined) error  { return nil }
