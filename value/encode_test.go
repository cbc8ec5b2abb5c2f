package value

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestMarshalJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   any
		want string
	}{
		{nil, `null`},
		{true, `true`},
		{int64(-7), `-7`},
		{float64(4), `4.0`},
		{0.0, `0.0`},
		{math.Copysign(0, -1), `-0.0`},
		{0.1, `0.1`},
		{1e15, `1000000000000000.0`},
		{1e16, `1e+16`},
		{1.5e300, `1.5e+300`},
		{1e-4, `0.0001`},
		{1e-5, `1e-05`},
		{123456789012345678.0, `1.2345678901234568e+17`},
		{5e-324, `5e-324`},
		{math.MaxFloat64, `1.7976931348623157e+308`},
		{"a\"b\\c\n\t\x01\u2028é", `"a\"b\\c\n\t\u0001\u2028é"`},
		{"bad\xffutf8", `"bad\ufffdutf8"`},
		{[]byte("hi"), `"hi"`},
		{[]any{int64(1), 2.0, "x"}, `[1,2.0,"x"]`},
		{[]any(nil), `[]`},
		{map[string]any{"b": int64(1), "a": []any{}, "é": nil, "Z": false}, `{"Z":false,"a":[],"b":1,"é":null}`},
		{map[string]any(nil), `{}`},
	}
	for _, tt := range tests {
		got, err := MarshalJSON(tt.in)
		if err != nil {
			t.Errorf("MarshalJSON(%#v): %v", tt.in, err)
			continue
		}
		if string(got) != tt.want {
			t.Errorf("MarshalJSON(%#v) = %s, want %s", tt.in, got, tt.want)
		}
		if !json.Valid(got) {
			t.Errorf("MarshalJSON(%#v) = %s: not valid JSON", tt.in, got)
		}
	}
}

// TestMarshalJSONNonFinite checks that NaN and ±Inf are written as
// Python's json.dumps writes them (json.dumps([float("nan"),
// float("inf"), -float("inf")]) is '[NaN, Infinity, -Infinity]'), and
// read back.
func TestMarshalJSONNonFinite(t *testing.T) {
	t.Parallel()
	in := map[string]any{"a": []any{math.NaN(), math.Inf(1), math.Inf(-1)}}
	got, err := MarshalJSON(in)
	if err != nil || string(got) != `{"a":[NaN,Infinity,-Infinity]}` {
		t.Fatalf("MarshalJSON = %s, %v", got, err)
	}
	back, err := DecodeJSON(got)
	if err != nil || !Equal(back, in) {
		t.Errorf("DecodeJSON(%s) = %#v, %v", got, back, err)
	}
}

func TestMarshalJSONErrors(t *testing.T) {
	t.Parallel()
	deep := any(int64(1))
	for range MaxDepth + 1 {
		deep = []any{deep}
	}
	tests := []struct {
		in   any
		want string
	}{
		{[]any{1}, "value: [0]: unsupported type int"},
		{map[string]any{"x": struct{}{}}, "value: .x: unsupported type struct {}"},
		{deep, "nesting deeper than 10000 levels"},
	}
	for _, tt := range tests {
		dst := []byte("keep")
		got, err := AppendJSON(dst, tt.in)
		if err == nil || !strings.HasSuffix(err.Error(), tt.want) {
			t.Errorf("AppendJSON(%.40v) error = %v, want %s", tt.in, err, tt.want)
		}
		if string(got) != "keep" {
			t.Errorf("AppendJSON changed dst on error: %q", got)
		}
	}
}

// TestFloatRoundTrip checks that every float64 written reads back as the
// same float64, across magnitudes where the notation switches.
func TestFloatRoundTrip(t *testing.T) {
	t.Parallel()
	fs := []float64{0, 1, -1, 0.5, 1.0 / 3, 2.0 / 3, 1e-7, 9.999999999999999e15, 1e16, 1e21, 1e22, 123e-20, math.SmallestNonzeroFloat64, math.MaxFloat64, 4503599627370497, 9007199254740993}
	for e := -320; e <= 308; e += 7 {
		fs = append(fs, math.Pow(10, float64(e)), 1.2345*math.Pow(10, float64(e)))
	}
	for _, f := range fs {
		for _, v := range []float64{f, -f} {
			b, err := MarshalJSON(v)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeJSON(b)
			if err != nil {
				t.Fatalf("%s: %v", b, err)
			}
			if g, ok := got.(float64); !ok || g != v || math.Signbit(g) != math.Signbit(v) {
				t.Errorf("%v -> %s -> %#v", v, b, got)
			}
		}
	}
}
