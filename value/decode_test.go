package value

import (
	"io"
	"math"
	"strings"
	"testing"
)

func TestDecodeJSONTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want any
	}{
		{`4`, int64(4)},
		{`-0`, int64(0)},
		{`4.0`, float64(4)},
		{`1e3`, float64(1000)},
		{`1E3`, float64(1000)},
		{`-2.5e-3`, -0.0025},
		{`1e-400`, float64(0)},
		{`9223372036854775807`, int64(math.MaxInt64)},
		{`-9223372036854775808`, int64(math.MinInt64)},
		{`"a\u00e9\ud83d\ude00"`, "aé😀"},
		{`null`, nil},
		{`true`, true},
		{` [1, 2.5, "x", null, false, [], {}] `, []any{int64(1), 2.5, "x", nil, false, []any{}, map[string]any{}}},
		{`{"a": {"b": [1]}, "a2": 1.5}`, map[string]any{"a": map[string]any{"b": []any{int64(1)}}, "a2": 1.5}},
		{`{"k": 1, "k": 2}`, map[string]any{"k": int64(2)}},
		// Python's json: json.loads('[NaN, Infinity, -Infinity, 1e999,
		// -1e999, 1e-999]') is [nan, inf, -inf, inf, -inf, 0.0].
		{`[NaN, Infinity, -Infinity, 1e999, -1e999, 1e-999]`,
			[]any{math.NaN(), math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1), 0.0}},
		{`{"b": 1e999, "a": -1E999}`, map[string]any{"a": math.Inf(-1), "b": math.Inf(1)}},
	}
	for _, tt := range tests {
		got, err := DecodeJSON([]byte(tt.in))
		if err != nil {
			t.Errorf("DecodeJSON(%s): %v", tt.in, err)
			continue
		}
		if !Equal(got, tt.want) {
			t.Errorf("DecodeJSON(%s) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{`9223372036854775808`, "value: integer 9223372036854775808 overflows int64"},
		{`{"a": [1, 99999999999999999999]}`, "value: .a[1]: integer 99999999999999999999 overflows int64"},
		{`1 2`, "value: invalid JSON: data after the value at byte 2"},
		{`{} x`, "value: invalid JSON: data after the value at byte 3"},
		{``, "value: invalid JSON: no value"},
		{`   `, "value: invalid JSON: no value"},
		{`[1,`, "value: invalid JSON: unexpected end of input"},
		{`[1,]`, "value: invalid JSON at byte 4: invalid character ']' looking for beginning of value"},
		{`nan`, "value: invalid JSON at byte 2: invalid character 'a' in literal null (expecting 'u')"},
		{`[-NaN]`, "value: invalid JSON at byte 3: invalid character 'N' in numeric literal"},
		{`+Infinity`, "value: invalid JSON at byte 1: invalid character '+' looking for beginning of value"},
		{`Inf`, "value: invalid JSON at byte 1: invalid character 'I' looking for beginning of value"},
		{strings.Repeat("[", 10001) + strings.Repeat("]", 10001), "value: invalid JSON at byte 10001: invalid character '[' exceeded max depth"},
	}
	for _, tt := range tests {
		_, err := DecodeJSON([]byte(tt.in))
		if err == nil || err.Error() != tt.want {
			t.Errorf("DecodeJSON(%.30s) error = %v, want %s", tt.in, err, tt.want)
		}
	}
}

func TestDecoderStream(t *testing.T) {
	t.Parallel()
	d := NewDecoder(strings.NewReader("{\"a\": 1}\n[2.0]\n3\n"))
	var got []any
	for {
		v, err := d.Decode()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	want := []any{map[string]any{"a": int64(1)}, []any{2.0}, int64(3)}
	if !Equal(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
}
