package sodra

import (
	"bytes"
	"encoding/json"
)

// envelope is a page's envelope as scanEnvelope finds it.
type envelope struct {
	items    [][]byte // each item's raw JSON, within the page
	next     string   // next_page_token; "" when absent or null
	hasItems bool     // false: items is absent or null
}

// scanEnvelope validates body as JSON and finds the contract's envelope in
// it in one pass, noting the bounds of the items without decoding them.
// ok is false when body is not valid JSON or not plainly the
// envelope (not an object, a key with an escape or other than ASCII, a key
// that matches items or next_page_token only case-insensitively, a
// repeated items key, a member of the wrong type): json.Unmarshal must
// then judge it, as it alone says how it fails.
func scanEnvelope(body []byte) (env envelope, ok bool) {
	s := scanner{b: body}
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return env, false
	}
	i = skipSpace(body, i+1)
	if i < len(body) && body[i] == '}' {
		return env, skipSpace(body, i+1) == len(body)
	}
	seenItems := false
	for {
		end, plain := s.str(i)
		if end < 0 || !plain {
			return env, false
		}
		key := body[i+1 : end-1]
		i = skipSpace(body, end)
		if i >= len(body) || body[i] != ':' {
			return env, false
		}
		i = skipSpace(body, i+1)
		switch {
		case string(key) == "items":
			if seenItems {
				return env, false
			}
			seenItems = true
			if end, ok := s.literal(i, "null"); ok {
				i = end
				break
			}
			if i >= len(body) || body[i] != '[' {
				return env, false
			}
			if i, env.items = s.items(i, nil); i < 0 {
				return env, false
			}
			env.hasItems = true
		case string(key) == "next_page_token":
			if end, ok := s.literal(i, "null"); ok {
				i, env.next = end, ""
				break
			}
			if i >= len(body) || body[i] != '"' {
				return env, false
			}
			end, _ := s.str(i)
			if end < 0 {
				return env, false
			}
			var ok bool
			if env.next, ok = plainString(body[i:end]); !ok {
				if err := json.Unmarshal(body[i:end], &env.next); err != nil {
					return env, false
				}
			}
			i = end
		case bytes.EqualFold(key, []byte("items")) || bytes.EqualFold(key, []byte("next_page_token")):
			return env, false // encoding/json matches field names case-insensitively
		default:
			if i = s.value(i, 1); i < 0 {
				return env, false
			}
		}
		i = skipSpace(body, i)
		if i >= len(body) {
			return env, false
		}
		switch body[i] {
		case ',':
			i = skipSpace(body, i+1)
		case '}':
			return env, skipSpace(body, i+1) == len(body)
		default:
			return env, false
		}
	}
}

// scanner validates JSON values in b. Each method takes the index where a
// value starts and returns the index just after it, or -1 when b holds no
// valid value there.
type scanner struct {
	b []byte
}

// maxDepth is a little under encoding/json's limit on nesting (10000):
// deeper is left to it.
const maxDepth = 9000

// items validates the array at b[i], appending each element's bounds.
func (s *scanner) items(i int, items [][]byte) (int, [][]byte) {
	b := s.b
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, items
	}
	for {
		end := s.value(i, 2)
		if end < 0 {
			return -1, items
		}
		items = append(items, b[i:end:end])
		i = skipSpace(b, end)
		if i >= len(b) {
			return -1, items
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return i + 1, items
		default:
			return -1, items
		}
	}
}

// value validates the value at b[i], inside depth containers.
func (s *scanner) value(i, depth int) int {
	b := s.b
	if i >= len(b) {
		return -1
	}
	switch c := b[i]; {
	case c == '"':
		end, _ := s.str(i)
		return end
	case c == '{' || c == '[':
		return s.container(i, depth+1)
	case c == 't':
		end, _ := s.literal(i, "true")
		return end
	case c == 'f':
		end, _ := s.literal(i, "false")
		return end
	case c == 'n':
		end, _ := s.literal(i, "null")
		return end
	case c == '-' || ('0' <= c && c <= '9'):
		return s.number(i)
	}
	return -1
}

// container validates the object or array at b[i].
func (s *scanner) container(i, depth int) int {
	b := s.b
	if depth > maxDepth {
		return -1
	}
	isObject := b[i] == '{'
	closing := byte(']')
	if isObject {
		closing = '}'
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == closing {
		return i + 1
	}
	for {
		if isObject {
			if i >= len(b) || b[i] != '"' {
				return -1
			}
			if i, _ = s.str(i); i < 0 {
				return -1
			}
			i = skipSpace(b, i)
			if i >= len(b) || b[i] != ':' {
				return -1
			}
			i = skipSpace(b, i+1)
		}
		if i = s.value(i, depth); i < 0 {
			return -1
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return -1
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case closing:
			return i + 1
		default:
			return -1
		}
	}
}

// str validates the string at b[i]; plain is true when it has no escape
// and only ASCII, so that it decodes to its own text.
func (s *scanner) str(i int) (end int, plain bool) {
	b := s.b
	if i >= len(b) || b[i] != '"' {
		return -1, false
	}
	plain = true
	for i++; i < len(b); i++ {
		for i < len(b) && plainByte[b[i]] {
			i++
		}
		if i >= len(b) {
			break
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, plain
		case c < 0x20:
			return -1, false
		case c >= 0x80:
			plain = false // any byte goes, as in encoding/json; invalid UTF-8 is decoded as U+FFFD
		case c == '\\':
			plain = false
			i++
			if i >= len(b) {
				return -1, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) || !isHex(b[i+1]) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) {
					return -1, false
				}
				i += 4
			default:
				return -1, false
			}
		}
	}
	return -1, false
}

// plainByte tells the bytes that stand for themselves in a JSON string and
// keep it plain: printable ASCII but the quote and the backslash.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// literal validates the literal word at b[i].
func (s *scanner) literal(i int, word string) (int, bool) {
	if i+len(word) > len(s.b) || string(s.b[i:i+len(word)]) != word {
		return -1, false
	}
	return i + len(word), true
}

// number validates the number at b[i]: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number(i int) int {
	b := s.b
	digits := func(i int) int { // at least one
		j := i
		for j < len(b) && '0' <= b[j] && b[j] <= '9' {
			j++
		}
		if j == i {
			return -1
		}
		return j
	}
	if b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return -1
	case b[i] == '0':
		i++
	default:
		if i = digits(i); i < 0 {
			return -1
		}
	}
	if i < len(b) && b[i] == '.' {
		if i = digits(i + 1); i < 0 {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i = digits(i); i < 0 {
			return -1
		}
	}
	return i
}
