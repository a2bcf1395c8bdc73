package sodra

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzObjectOf checks that objectOf splits every valid JSON value as
// json.Unmarshal into an object does.
func FuzzObjectOf(f *testing.F) {
	for _, s := range []string{
		`{}`, ` { } `, `null`, `[]`, `[1,2]`, `"x"`, `12`, `true`,
		`{"id":"a","n":1,"b":true,"x":null,"o":{"a":[1,{"b":"}"}]},"s":"q\"uo\\te"}`,
		`{"a":1,"a":2}`, "{\"k\\u00e9y\": \"v\\n\", \"\xff\": \"\xfe\"}", ` {"a" : [ ] , "b" : { } } `,
		`{"a":"]","b":"{","c":-1.5e3}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return
		}
		want, wantOK := objectSlow(raw)
		got, gotOK := objectOf(raw)
		if gotOK != wantOK || !reflect.DeepEqual(normal(got), normal(want)) {
			t.Errorf("objectOf(%q) = %q, %v; json.Unmarshal gives %q, %v", raw, got, gotOK, want, wantOK)
		}
	})
}

// normal maps an object's raw values to strings, so that an empty value
// compares equal however it is held.
func normal(o object) map[string]string {
	if o == nil {
		return nil
	}
	out := map[string]string{}
	for k, v := range o {
		out[k] = string(v)
	}
	return out
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
