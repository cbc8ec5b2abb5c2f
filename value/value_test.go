package value

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

type celsius float64
type names []string

func TestNormalize(t *testing.T) {
	t.Parallel()
	five := 5
	tests := []struct {
		in   any
		want any
	}{
		{int(3), int64(3)},
		{int8(-3), int64(-3)},
		{uint64(7), int64(7)},
		{uint8(255), int64(255)},
		{float32(0.1), 0.1},
		{celsius(21.5), 21.5},
		{json.Number("4"), int64(4)},
		{json.Number("4.0"), 4.0},
		{json.RawMessage(`{"a":[1,2.5]}`), map[string]any{"a": []any{int64(1), 2.5}}},
		{[]string{"a", "b"}, []any{"a", "b"}},
		{names{"x"}, []any{"x"}},
		{[]int{1, 2}, []any{int64(1), int64(2)}},
		{[2]int32{1, 2}, []any{int64(1), int64(2)}},
		{[]int(nil), []any{}},
		{map[string]string{"k": "v"}, map[string]any{"k": "v"}},
		{map[string][]float32{"k": {1.5}}, map[string]any{"k": []any{1.5}}},
		{map[string]int(nil), map[string]any{}},
		{[]any{int(1), []any{uint16(2), map[string]any{"x": int32(3)}}}, []any{int64(1), []any{int64(2), map[string]any{"x": int64(3)}}}},
		{&five, int64(5)},
		{(*int)(nil), nil},
		{[]byte("ab"), []byte("ab")},
		{"s", "s"},
		{nil, nil},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.in)
		if err != nil {
			t.Errorf("Normalize(%#v): %v", tt.in, err)
			continue
		}
		if !Equal(got, tt.want) {
			t.Errorf("Normalize(%#v) = %#v, want %#v", tt.in, got, tt.want)
		}
		if err := Check(got); err != nil {
			t.Errorf("Check(Normalize(%#v)): %v", tt.in, err)
		}
	}
}

func TestNormalizeCopies(t *testing.T) {
	t.Parallel()
	in := []any{[]byte("ab"), map[string]any{"k": []any{int64(1)}}}
	out, err := Normalize(in)
	if err != nil {
		t.Fatal(err)
	}
	out.([]any)[0].([]byte)[0] = 'X'
	out.([]any)[1].(map[string]any)["k"].([]any)[0] = int64(9)
	if string(in[0].([]byte)) != "ab" || in[1].(map[string]any)["k"].([]any)[0] != int64(1) {
		t.Fatalf("Normalize result shares memory with its input: %#v", in)
	}
}

func TestNormalizeErrors(t *testing.T) {
	t.Parallel()
	cyc := []any{nil}
	cyc[0] = cyc
	tests := []struct {
		in   any
		want string
	}{
		{struct{ A int }{1}, "value: unsupported type struct { A int }"},
		{[]any{1, make(chan int)}, "value: [1]: unsupported type chan int"},
		{map[string]any{"b": func() {}, "a": func() {}}, "value: .a: unsupported type func()"},
		{map[string]any{"ok": 1, "f": map[string]complex64{"z": 1}}, `value: .f.z: unsupported type complex64`},
		{map[int]string{1: "a"}, "value: unsupported type map[int]string (dict keys must be strings)"},
		{uint64(math.MaxUint64), "value: integer 18446744073709551615 overflows int64"},
		{cyc, "nesting deeper than 10000 levels"},
	}
	for _, tt := range tests {
		_, err := Normalize(tt.in)
		if err == nil || !strings.HasSuffix(err.Error(), tt.want) {
			t.Errorf("Normalize(%T) error = %v, want %s", tt.in, err, tt.want)
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	if err := Check(map[string]any{"a": []any{int64(1), 1.5, "s", nil, true, []byte{1}}}); err != nil {
		t.Fatal(err)
	}
	err := Check(map[string]any{"z": []any{int64(1)}, "a": []any{int64(1), 2}})
	if err == nil || err.Error() != "value: .a[1]: unsupported type int" {
		t.Fatalf("Check: %v", err)
	}
}

func TestEqual(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b any
		want bool
	}{
		{int64(4), float64(4), false},
		{int64(4), int64(4), true},
		{"a", []byte("a"), false},
		{nil, []any(nil), false},
		{[]any(nil), []any{}, true},
		{map[string]any(nil), map[string]any{}, true},
		{[]any{int64(1), 2.0}, []any{int64(1), 2.0}, true},
		{[]any{int64(1), 2.0}, []any{int64(1), int64(2)}, false},
		{map[string]any{"a": nil}, map[string]any{"b": nil}, false},
		{map[string]any{"a": []any{true}}, map[string]any{"a": []any{true}}, true},
		{int(1), int(1), false},
	}
	for _, tt := range tests {
		if got := Equal(tt.a, tt.b); got != tt.want {
			t.Errorf("Equal(%#v, %#v) = %v", tt.a, tt.b, got)
		}
	}
}

func TestClone(t *testing.T) {
	t.Parallel()
	v := map[string]any{"a": []any{int64(1), []byte("x"), map[string]any{"b": 2.5}}, "n": []any(nil)}
	c := Clone(v).(map[string]any)
	if !Equal(v, c) {
		t.Fatalf("clone differs: %#v", c)
	}
	c["a"].([]any)[1].([]byte)[0] = 'y'
	c["a"].([]any)[2].(map[string]any)["b"] = 1.0
	if string(v["a"].([]any)[1].([]byte)) != "x" || v["a"].([]any)[2].(map[string]any)["b"] != 2.5 {
		t.Fatal("clone shares memory")
	}
	if c["n"].([]any) != nil {
		t.Fatal("nil list not kept nil")
	}
}

func TestTypeName(t *testing.T) {
	t.Parallel()
	for v, want := range map[any]string{nil: "NoneType", true: "bool", int64(1): "int", 1.5: "float", "s": "str", int32(1): "go:int32"} {
		if got := TypeName(v); got != want {
			t.Errorf("TypeName(%#v) = %s, want %s", v, got, want)
		}
	}
	for v, want := range map[string]any{"bytes": []byte{}, "list": []any{}, "dict": map[string]any{}} {
		if got := TypeName(want); got != v {
			t.Errorf("TypeName(%#v) = %s, want %s", want, got, v)
		}
	}
}

func TestKeySelector(t *testing.T) {
	t.Parallel()
	for k, want := range map[string]string{"a": ".a", "_a1": "._a1", "1a": `["1a"]`, "": `[""]`, "a b": `["a b"]`, `q"`: `["q\""]`} {
		if got := KeySelector(k); got != want {
			t.Errorf("KeySelector(%q) = %s, want %s", k, got, want)
		}
	}
}

// TestDeepErrorIsFast guards against error reporting that revisits
// subtrees: an error at the bottom of 10000 nested dicts must come back at
// once, from every function that walks dicts.
func TestDeepErrorIsFast(t *testing.T) {
	t.Parallel()
	doc := strings.Repeat(`{"a":1,"b":`, 9000) + `99999999999999999999` + strings.Repeat(`}`, 9000)
	if _, err := DecodeJSON([]byte(doc)); err == nil || !strings.HasSuffix(err.Error(), ".b.b: integer 99999999999999999999 overflows int64") {
		t.Fatalf("DecodeJSON: %v", err)
	}
	v := any(struct{}{})
	for range 9000 {
		v = map[string]any{"a": int64(1), "b": v}
	}
	if _, err := Normalize(v); err == nil {
		t.Fatal("Normalize accepted a struct")
	}
	if err := Check(v); err == nil {
		t.Fatal("Check accepted a struct")
	}
}
