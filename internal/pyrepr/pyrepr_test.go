package pyrepr

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

func TestRepr(t *testing.T) {
	t.Parallel()
	// The wants beyond ASCII are what CPython 3.11 prints (repr).
	cases := []struct {
		got, want string
	}{
		{Exception("ExpectedException", "Task expected to fail"), "ExpectedException('Task expected to fail')"},
		{String("it's"), `"it's"`},
		{String(`it's "x"`), `'it\'s "x"'`},
		{String("a\nb\\"), `'a\nb\\'`},
		{String("café"), "'café'"},
		{String("a\u00a0b"), `'a\xa0b'`},
		{String("line\u2028sep\u2029"), `'line\u2028sep\u2029'`},
		{String("zero\u200bwidth"), `'zero\u200bwidth'`},
		{String("bom\ufeff"), `'bom\ufeff'`},
		{String("soft\u00adhyphen"), `'soft\xadhyphen'`},
		{String("\u0085nel"), `'\x85nel'`},
		{String("\U0001f600 smile"), "'\U0001f600 smile'"},
		{String("\U000e0001tag"), `'\U000e0001tag'`},
		{String("\ue000private"), `'\ue000private'`},
		{String("\u0378unassigned"), `'\u0378unassigned'`},
		{String("ideo\u3000space"), `'ideo\u3000space'`},
		{String("it's \u00a0"), `"it's \xa0"`},
		{String("\U0010ffff"), `'\U0010ffff'`},
		{String("\x7f\u0080\u009f\u00ff"), `'\x7f\x80\x9fÿ'`},
		{Exception("ValueError", "bad\u00a0value"), `ValueError('bad\xa0value')`},
		{Value(nil), "None"},
		{Value(true), "True"},
		{Value(int64(-3)), "-3"},
		{Value(4.0), "4.0"},
		{Value(0.1), "0.1"},
		{Value(1e100), "1e+100"},
		{Value(1e-05), "1e-05"},
		{Value([]any{int64(1), "a", []any{}}), "[1, 'a', []]"},
		{Value(map[string]any{"b": int64(1), "a": nil}), "{'a': None, 'b': 1}"},
		{Value(map[string]any{"k\u2028": "v"}), `{'k\u2028': 'v'}`},
		{Value([]byte("x")), "b'x'"},
		{Value([]byte("caf\xc3\xa9\x7f'\t\x00")), `b"caf\xc3\xa9\x7f'\t\x00"`},
		{Value([]byte(`it's "x"`)), `b'it\'s "x"'`},
		{Tuple(nil), "()"},
		{Tuple([]any{int64(1)}), "(1,)"},
		{Tuple([]any{"\u00a0"}), `('\xa0',)`},
		{Tuple([]any{int64(1), int64(2)}), "(1, 2)"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
}

// TestStringMatchesPython compares String with the repr of python3, when
// there is one, for every code point but the surrogates (which a Go string
// cannot hold). A code point the Python's Unicode tables leave unassigned
// but Go's assign (a newer Unicode) is skipped: the two differ there by
// design (see String).
func TestStringMatchesPython(t *testing.T) {
	t.Parallel()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	const script = `
import sys, unicodedata
w = sys.stdout.write
for c in range(0x110000):
    if 0xd800 <= c <= 0xdfff:
        continue
    ch = chr(c)
    w("%x %d %s\n" % (c, unicodedata.category(ch) == "Cn", repr(ch).encode().hex()))
`
	cmd := exec.Command(py, "-c", script)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	assigned := []*unicode.RangeTable{unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z,
		unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs} // not unicode.C, which holds the unassigned too
	sc := bufio.NewScanner(bytes.NewReader(out))
	n, skipped, bad := 0, 0, 0
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), " ", 3)
		c, err1 := strconv.ParseUint(f[0], 16, 32)
		want, err2 := hex.DecodeString(f[2])
		if len(f) != 3 || err1 != nil || err2 != nil {
			t.Fatalf("python3 line %q: %v %v", sc.Text(), err1, err2)
		}
		r := rune(c)
		if f[1] == "1" && unicode.In(r, assigned...) {
			skipped++
			continue
		}
		n++
		if got := String(string(r)); got != string(want) && bad < 20 {
			bad++
			t.Errorf("U+%04X: got %s, python3 %s", r, strconv.QuoteToASCII(got), strconv.QuoteToASCII(string(want)))
		}
	}
	if n < 1_000_000 {
		t.Fatalf("compared %d code points only", n)
	}
	t.Logf("compared %d code points with python3, skipped %d assigned after its Unicode", n, skipped)
}
