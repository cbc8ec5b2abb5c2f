package value

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"
	"unsafe"
)

// sameValue is type-strict deep equality that also tells -0.0 from 0.0
// and compares every float by its bits.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !sameValue(v, w) {
				return false
			}
		}
		return true
	default:
		return a == b
	}
}

// checkFast checks that fastDecode agrees with encoding/json on data: it
// takes only documents that decode, to the same value, and beyond them
// only documents with Python's NaN, Infinity or -Infinity.
func checkFast(t *testing.T, data []byte) (taken bool) {
	t.Helper()
	fast, ok := fastDecode(data)
	std, err := decodeJSONStd(data)
	switch {
	case ok && err != nil && !nonFinite(fast):
		t.Fatalf("fastDecode took %q, which encoding/json refuses: %v", data, err)
	case ok && err != nil:
		// encoding/json does not read the tokens. The same document with
		// each written as a number of the same value must decode the same.
		alt := bytes.ReplaceAll(data, []byte("-Infinity"), []byte("-1e999"))
		alt = bytes.ReplaceAll(alt, []byte("Infinity"), []byte("1e999"))
		if bytes.Contains(alt, []byte("NaN")) {
			return true // no number reads as NaN; sameValue covers it below
		}
		if std, err := decodeJSONStd(alt); err != nil || !sameValue(fast, std) {
			t.Fatalf("fastDecode(%q) = %#v; encoding/json reads %q as %#v, %v", data, fast, alt, std, err)
		}
	case ok && !sameValue(fast, std):
		t.Fatalf("fastDecode(%q) = %#v, encoding/json %#v", data, fast, std)
	}
	return ok
}

// nonFinite reports whether v holds a NaN or an infinite float.
func nonFinite(v any) bool {
	switch x := v.(type) {
	case float64:
		return math.IsNaN(x) || math.IsInf(x, 0)
	case []any:
		for _, e := range x {
			if nonFinite(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if nonFinite(e) {
				return true
			}
		}
	}
	return false
}

func TestFastDecodeAgrees(t *testing.T) {
	taken := []string{
		`{"task": "tasks.add", "args": [1, 2], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false}`,
		`[0, -0, 1, -1, 9223372036854775807, -9223372036854775808, 999999999999999999, -999999999999999999]`,
		`[0.0, -0.0, 1.5, 1e3, 1E3, 1e+3, 1e-3, -2.5e-300, 1.7976931348623157e308, 5e-324, 0.1]`,
		`"plain"`, `""`, `"é ü 中文 🎉"`, `"\u00e9\n\t\r\b\f\/\\\""`,
		`"\ud83c\udf89"`, `"\ud800"`, `"\ud800x"`, `"\ud800\u0041"`, `"\udc00\ud800"`, `"\ud800\ud800\udc00"`,
		"\"\xff\"", "\"a\xffb\\n\"", "\"\xed\xa0\x80\"", "\"\xef\xbf\xbd\"", "\"\x7f\"",
		` {"a": {"b": [[], {}, [{}]]}, "a": 2} `, "\t\n\r [ 1 ,\n2 ] \n",
		`true`, `false`, `null`, `[true,false,null]`, `1e-400`, `-1e-400`, `1e400`, `-1e400`,
		`NaN`, `Infinity`, `-Infinity`, `{"a": [NaN, -Infinity, Infinity]}`,
		`{"` + strings.Repeat("k", 40) + `": "` + strings.Repeat("v", 40) + `"}`,
		strings.Repeat("[", fastMaxDepth) + strings.Repeat("]", fastMaxDepth),
	}
	for _, s := range taken {
		if !checkFast(t, []byte(s)) {
			t.Errorf("fastDecode did not take %q", s)
		}
	}
	// Left to encoding/json: errors, and what fastDecode does not follow.
	left := []string{
		``, ` `, `[`, `]`, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[1 2]`, `{1:2}`, `{"a":1 "b":2}`,
		`01`, `-`, `1.`, `.5`, `1e`, `1e+`, `+1`, `0x10`, `1 2`, `{} x`,
		`9223372036854775808`, `-9223372036854775809`,
		`nan`, `-NaN`, `+Infinity`, `Inf`, `-Inf`, `Infinit`, `NaNa`, `[Infinity1]`,
		`tru`, `nul`, `falsey`, `"abc`, `"\x"`, `"\u12"`, `"\u12g4"`, "\"a\x01\"", "\"\\", `'a'`,
		strings.Repeat("[", fastMaxDepth+1) + strings.Repeat("]", fastMaxDepth+1),
	}
	for _, s := range left {
		if checkFast(t, []byte(s)) {
			t.Errorf("fastDecode took %q", s)
		}
	}
	// What is left fails as it did.
	if _, err := DecodeJSON([]byte(`9223372036854775808`)); err == nil || !strings.Contains(err.Error(), "overflows int64") {
		t.Errorf("DecodeJSON(2**63) error = %v", err)
	}
}

// TestFastDecodeSharesShortStrings checks that a repeated short string is
// one allocation, and that the values do not share the input's memory.
func TestFastDecodeSharesShortStrings(t *testing.T) {
	data := []byte(`[{"task": "tasks.add"}, {"task": "tasks.add"}]`)
	v, ok := fastDecode(data)
	if !ok {
		t.Fatal("not taken")
	}
	a := v.([]any)
	k1, k2 := a[0].(map[string]any)["task"].(string), a[1].(map[string]any)["task"].(string)
	if k1 != "tasks.add" || k2 != "tasks.add" {
		t.Fatalf("values %q %q", k1, k2)
	}
	if unsafe.StringData(k1) != unsafe.StringData(k2) {
		t.Error("a repeated short string was allocated twice")
	}
	copy(data, bytes.Repeat([]byte("x"), len(data)))
	if k1 != "tasks.add" {
		t.Fatalf("value changed with its input: %q", k1)
	}
}

func FuzzFastDecode(f *testing.F) {
	for _, s := range []string{
		`{"task": "tasks.add", "args": [1, 2.5, -0.0, "x\u00e9", null, true], "kwargs": {"a": {"b": []}}}`,
		`"\ud800\udc00 \ud800 \xff"`, `[1e-400, 9223372036854775808]`, `01`, `[1,]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFast(t, data)
	})
}

func BenchmarkDecodeJSON(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString(`{"task": "celery.chord", "args": [], "kwargs": {"header": [`)
	for i := range 10_000 {
		if i > 0 {
			buf.WriteString(", ")
		}
		fmt.Fprintf(&buf, `{"task": "tasks.add", "args": [%d, %d], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false}`, i, i)
	}
	buf.WriteString(`], "body": {"task": "tasks.tsum", "args": [], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false}}, "options": {}, "subtask_type": "chord", "immutable": false}`)
	data := buf.Bytes()
	for _, bc := range []struct {
		name   string
		decode func([]byte) (any, error)
	}{{"fast", DecodeJSON}, {"encoding-json", decodeJSONStd}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.decode(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
