package sodra

import (
	"encoding/json"
	"unicode/utf8"
)

// objectOf splits raw, one item of a page whose JSON the envelope's
// decoding has already validated, into its fields, as
// json.Unmarshal(raw, &object) would (a repeated key keeps its last
// value); ok is false when raw is not a JSON object. It reads raw once and
// decodes no value: a page of thousands of items spends its time here, and
// encoding/json would validate every item and field again.
func objectOf(raw []byte) (o object, ok bool) {
	defer func() {
		if recover() != nil { // raw was not valid JSON after all: let encoding/json judge it
			o, ok = objectSlow(raw)
		}
	}()
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return objectSlow(raw)
	}
	o = make(object, 16)
	i = skipSpace(raw, i+1)
	if raw[i] == '}' {
		return o, true
	}
	for {
		end := stringEnd(raw, i)
		key, plain := plainString(raw[i:end])
		if !plain {
			if err := json.Unmarshal(raw[i:end], &key); err != nil {
				return objectSlow(raw)
			}
		}
		i = skipSpace(raw, end)
		if raw[i] != ':' {
			return objectSlow(raw)
		}
		i = skipSpace(raw, i+1)
		vend := valueEnd(raw, i)
		o[key] = json.RawMessage(raw[i:vend:vend])
		i = skipSpace(raw, vend)
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case '}':
			if skipSpace(raw, i+1) != len(raw) {
				return objectSlow(raw)
			}
			return o, true
		default:
			return objectSlow(raw)
		}
	}
}

// objectSlow decodes raw with encoding/json.
func objectSlow(raw []byte) (object, bool) {
	var o object
	if err := json.Unmarshal(raw, &o); err != nil || o == nil {
		return nil, false
	}
	return o, true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just after the JSON string starting at b[i].
func stringEnd(b []byte, i int) int {
	if b[i] != '"' {
		panic("not a string")
	}
	for i++; ; i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
}

// valueEnd returns the index just after the JSON value starting at b[i].
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
