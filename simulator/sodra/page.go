package sodra

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ccbench/ccbench/simulator"
)

// Page sizes.
const (
	DefaultPageSize = 500
	MaxPageSize     = 5000
)

type envelope[T any] struct {
	Items         []T    `json:"items"`
	NextPageToken string `json:"next_page_token"`
}

// query is a parsed listing request: items with key > after (when set) or
// updated >= since, at most size of them.
type query struct {
	since    int64
	after    bool
	afterAt  int64
	afterID  string
	pageSize int
}

func parseQuery(r *http.Request, kind string) (query, error) {
	q := query{pageSize: DefaultPageSize}
	v := r.URL.Query()
	if s := v.Get("updated_since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return q, fmt.Errorf("updated_since: want an RFC3339 time, got %q", s)
		}
		q.since = t.Unix()
		if t.Nanosecond() > 0 { // versions carry whole seconds
			q.since++
		}
	}
	if s := v.Get("page_size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return q, fmt.Errorf("page_size: want a positive integer, got %q", s)
		}
		q.pageSize = min(n, MaxPageSize)
	}
	if s := v.Get("page_token"); s != "" {
		at, id, err := decodeToken(s, kind)
		if err != nil {
			return q, fmt.Errorf("page_token: %w", err)
		}
		q.after, q.afterAt, q.afterID = true, at, id
	}
	return q, nil
}

// A page token is base64 of "<kind>|<updated_at unix>|<id>" of the last
// item served.
func encodeToken(kind string, at int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + "|" + strconv.FormatInt(at, 10) + "|" + id))
}

func decodeToken(tok, kind string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, "", fmt.Errorf("not a token of this API")
	}
	parts := strings.SplitN(string(b), "|", 3)
	if len(parts) != 3 || parts[0] != kind {
		return 0, "", fmt.Errorf("not a token of the %s listing", kind)
	}
	at, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return 0, "", fmt.Errorf("not a token of this API")
	}
	return at, parts[2], nil
}

type keyed interface{ key() (int64, string) }

// window returns the items of the page q asks for among all (sorted by key)
// whose updated is not after now, and the next page token.
func window[T keyed](all []T, q query, now int64, kind string) ([]T, string) {
	hi := sort.Search(len(all), func(i int) bool { at, _ := all[i].key(); return at > now })
	lo := sort.Search(hi, func(i int) bool {
		at, id := all[i].key()
		if q.after {
			return at > q.afterAt || (at == q.afterAt && id > q.afterID)
		}
		return at >= q.since
	})
	end := min(lo+q.pageSize, hi)
	if end >= hi {
		return all[lo:hi], ""
	}
	at, id := all[end-1].key()
	return all[lo:end], encodeToken(kind, at, id)
}

func (s *Simulator) serveContacts(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r, "contacts")
	if err != nil {
		simulator.WriteError(w, http.StatusBadRequest, "%v", err)
		return
	}
	now := s.opts.Now()
	cs, _ := s.snapshot(now)
	page, next := window(cs, q, now.Unix(), "contacts")
	env := envelope[wireContact]{Items: make([]wireContact, len(page)), NextPageToken: next}
	for i, c := range page {
		env.Items[i] = s.degraded(c).wire(s.loc)
	}
	simulator.WriteJSON(w, http.StatusOK, env)
}

func (s *Simulator) serveFeedback(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r, "feedback")
	if err != nil {
		simulator.WriteError(w, http.StatusBadRequest, "%v", err)
		return
	}
	now := s.opts.Now()
	_, fs := s.snapshot(now)
	page, next := window(fs, q, now.Unix(), "feedback")
	env := envelope[wireFeedback]{Items: make([]wireFeedback, len(page)), NextPageToken: next}
	for i, f := range page {
		env.Items[i] = f.wire(s.loc)
	}
	simulator.WriteJSON(w, http.StatusOK, env)
}
