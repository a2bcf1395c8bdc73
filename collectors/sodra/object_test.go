package sodra

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
)

// FuzzObjectSplit checks that object.split reads every valid JSON value
// as json.Unmarshal into a map does, and that get finds each field's last
// value.
func FuzzObjectSplit(f *testing.F) {
	for _, s := range []string{
		`{}`, ` { } `, `null`, `[]`, `[1,2]`, `"x"`, `12`, `true`,
		`{"id":"a","n":1,"b":true,"x":null,"o":{"a":[1,{"b":"}"}]},"s":"q\"uo\\te"}`,
		`{"a":1,"a":2}`, "{\"k\\u00e9y\": \"v\\n\", \"\xff\": \"\xfe\"}", ` {"a" : [ ] , "b" : { } } `,
		`{"a":"]","b":"{","c":-1.5e3}`, `{"\u0061":1,"a":2,"\u0061":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return
		}
		raw = bytes.TrimSpace(raw) // as the envelope's scan bounds an item
		var want map[string]json.RawMessage
		wantOK := json.Unmarshal(raw, &want) == nil && want != nil
		var o object
		gotOK := o.split(raw)
		if gotOK != wantOK {
			t.Fatalf("split(%q) = %v; json.Unmarshal into a map: %v", raw, gotOK, wantOK)
		}
		if !gotOK {
			return
		}
		got := map[string]string{}
		for _, m := range o.members {
			var k string
			if err := json.Unmarshal([]byte(`"`+string(m.key)+`"`), &k); err != nil {
				t.Fatalf("key %q of %q does not decode: %v", m.key, raw, err)
			}
			if m.escaped && k != m.decoded {
				t.Fatalf("key %q decoded as %q, want %q", m.key, m.decoded, k)
			}
			got[k] = string(m.value)
		}
		if !reflect.DeepEqual(got, normal(want)) {
			t.Errorf("split(%q) = %q; json.Unmarshal gives %q", raw, got, want)
		}
		for k, v := range want {
			if !isASCII(k) { // field names are ASCII
				continue
			}
			value, ok := o.get(k)
			if string(v) == "null" {
				if ok {
					t.Errorf("get(%q) of %q = %q; want absent", k, raw, value)
				}
			} else if !ok || string(value) != string(v) {
				t.Errorf("get(%q) of %q = %q, %v; want %q", k, raw, value, ok, v)
			}
		}
	})
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// normal maps an object's raw values to strings, so that an empty value
// compares equal however it is held.
func normal(o map[string]json.RawMessage) map[string]string {
	out := map[string]string{}
	for k, v := range o {
		out[k] = string(v)
	}
	return out
}

func TestSmallInteger(t *testing.T) {
	for _, raw := range []string{"0", "-0", "7", "-7", "288", "999999999999999999", "-999999999999999999",
		"1000000000000000000", "9223372036854775807", "-9223372036854775808", "1.0", "1e2", "-", "", "+1", "0x1", `"1"`} {
		n, ok := smallInteger([]byte(raw))
		want, err := strconv.ParseInt(raw, 10, 64)
		if ok && (err != nil || n != want) {
			t.Errorf("smallInteger(%q) = %d; strconv.ParseInt gives %d, %v", raw, n, want, err)
		}
		if !ok && err == nil && len(raw) <= 18 && raw[0] != '+' {
			t.Errorf("smallInteger(%q) declined a short integer", raw)
		}
	}
}

func TestPlainString(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want string
		ok   bool
	}{
		{`"abc"`, "abc", true}, {`""`, "", true}, {`"a\"b"`, "", false}, {`"a\nb"`, "", false},
		{"\"\xff\"", "", false}, {`abc`, "", false}, {`"é"`, "é", true},
	} {
		got, ok := plainString([]byte(c.raw))
		if got != c.want || ok != c.ok {
			t.Errorf("plainString(%s) = %q, %v; want %q, %v", c.raw, got, ok, c.want, c.ok)
		}
	}
}
