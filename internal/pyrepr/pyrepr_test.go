package pyrepr

import "testing"

func TestRepr(t *testing.T) {
	t.Parallel()
	cases := []struct {
		got, want string
	}{
		{Exception("ExpectedException", "Task expected to fail"), "ExpectedException('Task expected to fail')"},
		{String("it's"), `"it's"`},
		{String(`it's "x"`), `'it\'s "x"'`},
		{String("a\nb\\"), `'a\nb\\'`},
		{Value(nil), "None"},
		{Value(true), "True"},
		{Value(int64(-3)), "-3"},
		{Value(4.0), "4.0"},
		{Value(0.1), "0.1"},
		{Value(1e100), "1e+100"},
		{Value(1e-05), "1e-05"},
		{Value([]any{int64(1), "a", []any{}}), "[1, 'a', []]"},
		{Value(map[string]any{"b": int64(1), "a": nil}), "{'a': None, 'b': 1}"},
		{Value([]byte("x")), "b'x'"},
		{Tuple(nil), "()"},
		{Tuple([]any{int64(1)}), "(1,)"},
		{Tuple([]any{int64(1), int64(2)}), "(1, 2)"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
}
