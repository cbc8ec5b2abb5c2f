package value

import (
	"bytes"
	"testing"
)

// FuzzDecodeJSON checks that whatever DecodeJSON accepts encodes, and that
// the encoding decodes to an equal value and encodes to the same bytes.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"a": [1, 2.0, "x", null, true], "b": {"c": 1e300}}`,
		`[0.1, -0.0, 1e-05, 1e16, 9007199254740993, -9223372036854775808]`,
		`"\ud800 \u2028 \u0000 é"`, `"\xff"`, `4.0`, `[]`, `{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := DecodeJSON(data)
		if err != nil {
			return
		}
		if err := Check(v); err != nil {
			t.Fatalf("decoded value fails Check: %v", err)
		}
		b, err := MarshalJSON(v)
		if err != nil {
			t.Fatalf("MarshalJSON(%#v): %v", v, err)
		}
		w, err := DecodeJSON(b)
		if err != nil {
			t.Fatalf("DecodeJSON(%s): %v", b, err)
		}
		if !Equal(v, w) {
			t.Fatalf("round trip changed the value:\n%#v\n%#v", v, w)
		}
		c, err := MarshalJSON(w)
		if err != nil || !bytes.Equal(b, c) {
			t.Fatalf("encoding not stable: %s vs %s (%v)", b, c, err)
		}
		if n, err := Normalize(v); err != nil || !Equal(n, v) {
			t.Fatalf("Normalize changed a value: %v", err)
		}
		if !Equal(Clone(v), v) {
			t.Fatal("Clone differs")
		}
	})
}
