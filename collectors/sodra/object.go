package sodra

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// fields is what an item parser reads of one item: its fields by name,
// with the contract's types. A null field is absent.
type fields interface {
	str(name string, required bool) (string, *fieldError)
	// label reads an optional string that takes few distinct values (a
	// unit, a queue), so that its values may be shared.
	label(name string) (string, *fieldError)
	enum(name string, allowed []string) (string, *fieldError)
	time(name string, required bool) (time.Time, *fieldError)
	optTime(name string) (*time.Time, *fieldError)
	integer(name string, required bool) (int64, *fieldError)
	seconds(name string) (n uint32, ok bool, err *fieldError)
	boolean(name string) (bool, *fieldError)
}

// object is one JSON object of a page, field by field: the spans of its
// keys and values in the page, in their order. A repeated key keeps its
// last value, as json.Unmarshal into a map would. An object is reused from
// item to item, so a page's items cost no map and no allocation each.
type object struct {
	members []member
	// The last string and time decoded, by the address of their raw value,
	// since the page and the item parser both read id and updated_at.
	lastStrAt, lastTimeAt *byte
	lastStr               string
	lastTime              time.Time
	// labels holds the labels read so far, so that a page's thousands of
	// contacts share a few unit and queue strings.
	labels map[string]string
	// times are where optTime puts the times it points to, a block at a
	// time, rather than one allocation each: a page's records live and die
	// together.
	times []time.Time
}

// timesBlock is how many times object.times takes at once.
const timesBlock = 256

// maxLabels bounds object.labels.
const maxLabels = 256

// member is one key and its raw value.
type member struct {
	key     []byte // the key's text between its quotes, as sent
	decoded string // the key decoded, when it has an escape
	escaped bool
	tag     uint32 // tagOf the key (decoded)
	value   []byte // the raw value, without surrounding space
}

// tagOf sums up a key in its length and its first and last bytes, for get
// to pass over most other keys without comparing them.
func tagOf[S string | []byte](key S) uint32 {
	if len(key) == 0 {
		return 0
	}
	return uint32(len(key))<<16 | uint32(key[0])<<8 | uint32(key[len(key)-1])
}

var _ fields = (*object)(nil)

// split reads raw, one item of a page whose JSON the envelope's scan has
// validated, into o's members; ok is false when raw is not a JSON object
// (json.Unmarshal into a map would fail, or give nil for null). It decodes
// no value.
func (o *object) split(raw []byte) (ok bool) {
	o.members = o.members[:0]
	o.lastStrAt, o.lastTimeAt = nil, nil
	if len(raw) == 0 || raw[0] != '{' {
		return false
	}
	i := skipSpace(raw, 1)
	if raw[i] == '}' {
		return true
	}
	for {
		end := stringEnd(raw, i)
		m := member{key: raw[i+1 : end-1]}
		if bytes.IndexByte(m.key, '\\') >= 0 {
			var decoded string
			if err := json.Unmarshal(raw[i:end], &decoded); err != nil {
				panic("sodra: a validated key does not decode: " + err.Error())
			}
			m.decoded, m.escaped, m.tag = decoded, true, tagOf(decoded)
		} else {
			m.tag = tagOf(m.key)
		}
		i = skipSpace(raw, end) // at ':'
		i = skipSpace(raw, i+1) // at the value
		vend := valueEnd(raw, i)
		m.value = raw[i:vend:vend]
		o.members = append(o.members, m)
		i = skipSpace(raw, vend) // at ',' or '}'
		if raw[i] == '}' {
			return true
		}
		i = skipSpace(raw, i+1)
	}
}

// is reports whether the member's key is name, an ASCII field name whose
// tagOf is tag.
func (m *member) is(name string, tag uint32) bool {
	if m.tag != tag {
		return false
	}
	if m.escaped {
		return m.decoded == name
	}
	// An unescaped key decodes to its own text, except for invalid UTF-8,
	// which can never equal an ASCII name.
	return string(m.key) == name
}

// get returns a field's raw value; null counts as absent.
func (o *object) get(name string) ([]byte, bool) {
	tag := tagOf(name)
	for i := len(o.members) - 1; i >= 0; i-- { // the last of repeated keys wins
		if m := &o.members[i]; m.is(name, tag) {
			if string(m.value) == "null" {
				return nil, false
			}
			return m.value, true
		}
	}
	return nil, false
}

func (o *object) str(name string, required bool) (string, *fieldError) {
	raw, ok := o.get(name)
	if !ok {
		if required {
			return "", bad(name, "missing")
		}
		return "", nil
	}
	if &raw[0] == o.lastStrAt {
		return checkRequired(name, o.lastStr, required)
	}
	s, err := stringValue(name, raw)
	if err != nil {
		return "", err
	}
	o.lastStrAt, o.lastStr = &raw[0], s
	return checkRequired(name, s, required)
}

func (o *object) label(name string) (string, *fieldError) {
	raw, ok := o.get(name)
	if !ok {
		return "", nil
	}
	if s, ok := o.labels[string(raw)]; ok {
		return s, nil
	}
	s, err := stringValue(name, raw)
	if err != nil {
		return "", err
	}
	if len(o.labels) < maxLabels {
		if o.labels == nil {
			o.labels = map[string]string{}
		}
		o.labels[string(raw)] = s
	}
	return s, nil
}

// stringValue decodes a present field's raw value as a string.
func stringValue(name string, raw []byte) (string, *fieldError) {
	if s, plain := plainString(raw); plain {
		return s, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", bad(name, "want a string, got %s", clip(raw))
	}
	return s, nil
}

func checkRequired(name, s string, required bool) (string, *fieldError) {
	if required && strings.TrimSpace(s) == "" {
		return "", bad(name, "empty")
	}
	return s, nil
}

func (o *object) enum(name string, allowed []string) (string, *fieldError) {
	if raw, ok := o.get(name); ok && len(raw) >= 2 && raw[0] == '"' {
		// An allowed value is plain ASCII: the literal's own text is it.
		inner := raw[1 : len(raw)-1]
		for _, a := range allowed {
			if string(inner) == a {
				return a, nil
			}
		}
	}
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

func (o *object) time(name string, required bool) (time.Time, *fieldError) {
	raw, ok := o.get(name)
	if !ok {
		if required {
			return time.Time{}, bad(name, "missing")
		}
		raw = []byte(`""`) // absent reads as ""
	}
	return o.timeOf(name, raw, required)
}

// timeOf reads a field's raw value as an RFC 3339 time.
func (o *object) timeOf(name string, raw []byte, required bool) (time.Time, *fieldError) {
	if &raw[0] == o.lastTimeAt {
		return o.lastTime, nil
	}
	if len(raw) >= 2 && raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 {
		// time.Time.UnmarshalText parses RFC 3339 from bytes as time.Parse
		// does, without making a string; the literal's text is its value.
		var t time.Time
		if t.UnmarshalText(raw[1:len(raw)-1]) == nil {
			o.lastTimeAt, o.lastTime = &raw[0], t
			return t, nil
		}
	}
	s, err := stringValue(name, raw)
	if err == nil {
		s, err = checkRequired(name, s, required)
	}
	if err != nil {
		return time.Time{}, err
	}
	t, perr := time.Parse(time.RFC3339, s)
	if perr != nil {
		return time.Time{}, bad(name, "want an RFC3339 time, got %q", s)
	}
	return t, nil
}

func (o *object) optTime(name string) (*time.Time, *fieldError) {
	raw, ok := o.get(name)
	if !ok {
		return nil, nil
	}
	t, err := o.timeOf(name, raw, true)
	if err != nil {
		return nil, err
	}
	if len(o.times) == cap(o.times) {
		o.times = make([]time.Time, 0, timesBlock)
	}
	o.times = append(o.times, t)
	return &o.times[len(o.times)-1], nil
}

func (o *object) integer(name string, required bool) (int64, *fieldError) {
	raw, ok := o.get(name)
	if !ok {
		if required {
			return 0, bad(name, "missing")
		}
		return 0, nil
	}
	if n, ok := smallInteger(raw); ok {
		return n, nil
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, bad(name, "want an integer, got %s", clip(raw))
	}
	return n, nil
}

// smallInteger reads an optional minus and 1 to 18 digits, a number that
// fits an int64, as strconv.ParseInt would; ok is false for anything else.
func smallInteger(raw []byte) (n int64, ok bool) {
	digits := raw
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if len(digits) < len(raw) {
		n = -n
	}
	return n, true
}

// seconds reads a duration in whole seconds; ok is false when it is absent
// or null (not zero: shared/kpis.md, "Absent measures are not zero").
func (o *object) seconds(name string) (n uint32, ok bool, err *fieldError) {
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

func (o *object) boolean(name string) (bool, *fieldError) {
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
		return false, bad(name, "want true or false, got %s", clip(raw))
	}
	return b, nil
}

func clip(raw []byte) string {
	s := string(raw)
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just after the valid JSON string starting at
// b[i].
func stringEnd(b []byte, i int) int {
	for i++; ; i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
}

// valueEnd returns the index just after the valid JSON value starting at
// b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; ; i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// plainString returns the text of a JSON string literal that has no escape
// and is valid UTF-8, which is what json.Unmarshal would give for it;
// ok is false for any other literal.
func plainString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	for _, c := range inner {
		if c == '\\' || c == '"' || c < 0x20 {
			return "", false
		}
	}
	if !utf8.Valid(inner) {
		return "", false
	}
	return string(inner), true
}
