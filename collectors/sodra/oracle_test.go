package sodra

// The parser as it was before scanEnvelope and object.split, kept as the
// oracle of the equivalence tests (equivalence_test.go): encoding/json
// decodes the envelope into raw items and every item into a map, and the
// item parsers read the map. It shares parseContact and parseFeedback with
// the parser, through fields; it is slow and plainly right.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

func oracleParsePage[T any](body []byte, m meta, stream string, parse itemParser[T]) (page[T], error) {
	var p page[T]
	var env struct {
		Items         *[]json.RawMessage `json:"items"`
		NextPageToken *string            `json:"next_page_token"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return p, fmt.Errorf("page %s is not the contract's JSON envelope: %w", m.Origin, err)
	}
	if env.Items == nil {
		return p, fmt.Errorf("page %s has no items array", m.Origin)
	}
	if env.NextPageToken != nil {
		p.Next = *env.NextPageToken
	}
	for i, raw := range *env.Items {
		var o oracleObject
		if err := json.Unmarshal(raw, &o); err != nil || o == nil {
			p.Quarantined = append(p.Quarantined, quarantine(m, stream, "", "", fmt.Sprintf("item %d is not a JSON object", i), raw))
			continue
		}
		id, _ := o.str("id", false)
		at, err := o.time("updated_at", true)
		pos, placed := position{at, id}, err == nil && id != ""
		if pos.accepted(m.After, placed) {
			p.Skipped++
			continue
		}
		if placed && p.Max.less(pos) {
			p.Max = pos
		}
		rec, ferr := parse(o, m)
		if ferr != nil {
			p.Quarantined = append(p.Quarantined, quarantine(m, stream, id, ferr.Field, ferr.Reason, raw))
			continue
		}
		p.Records = append(p.Records, rec)
	}
	return p, nil
}

// oracleObject is one JSON item, field by field.
type oracleObject map[string]json.RawMessage

var _ fields = oracleObject(nil)

// get returns a field's raw value; null counts as absent.
func (o oracleObject) get(name string) (json.RawMessage, bool) {
	raw, ok := o[name]
	if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, false
	}
	return raw, true
}

func (o oracleObject) str(name string, required bool) (string, *fieldError) {
	raw, ok := o.get(name)
	if !ok {
		if required {
			return "", bad(name, "missing")
		}
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", bad(name, "want a string, got %s", oracleClip(raw))
	}
	if required && strings.TrimSpace(s) == "" {
		return "", bad(name, "empty")
	}
	return s, nil
}

func (o oracleObject) label(name string) (string, *fieldError) { return o.str(name, false) }

func (o oracleObject) enum(name string, allowed []string) (string, *fieldError) {
	s, err := o.str(name, true)
	if err != nil {
		return "", err
	}
	for _, a := range allowed {
		if s == a {
			return s, nil
		}
	}
	return "", bad(name, "unknown value %q (want one of %s)", s, strings.Join(allowed, ", "))
}

func (o oracleObject) time(name string, required bool) (time.Time, *fieldError) {
	s, err := o.str(name, required)
	if err != nil {
		return time.Time{}, err
	}
	t, perr := time.Parse(time.RFC3339, s)
	if perr != nil {
		return time.Time{}, bad(name, "want an RFC3339 time, got %q", s)
	}
	return t, nil
}

func (o oracleObject) optTime(name string) (*time.Time, *fieldError) {
	if _, ok := o.get(name); !ok {
		return nil, nil
	}
	t, err := o.time(name, true)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func (o oracleObject) integer(name string, required bool) (int64, *fieldError) {
	raw, ok := o.get(name)
	if !ok {
		if required {
			return 0, bad(name, "missing")
		}
		return 0, nil
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
	if err != nil {
		return 0, bad(name, "want an integer, got %s", oracleClip(raw))
	}
	return n, nil
}

// seconds reads a duration in whole seconds; ok is false when it is absent
// or null (not zero: shared/kpis.md, "Absent measures are not zero").
func (o oracleObject) seconds(name string) (n uint32, ok bool, err *fieldError) {
	if _, ok := o.get(name); !ok {
		return 0, false, nil
	}
	v, err := o.integer(name, true)
	switch {
	case err != nil:
		return 0, false, err
	case v < 0:
		return 0, false, bad(name, "negative (%d)", v)
	case v > math.MaxUint32:
		return 0, false, bad(name, "too large (%d)", v)
	}
	return uint32(v), true, nil
}

func (o oracleObject) boolean(name string) (bool, *fieldError) {
	raw, ok := o.get(name)
	if !ok {
		return false, nil
	}
	switch string(raw) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return false, bad(name, "want true or false, got %s", oracleClip(raw))
	}
	return b, nil
}

func oracleClip(raw []byte) string {
	s := string(raw)
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}
