// Package pyrepr renders values and exceptions the way Python's repr() does,
// so that messages Fugue writes (ChordError, MaxRetriesExceededError) read
// exactly like Celery's.
package pyrepr

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Exception renders typ and message as Python's repr of an exception with
// one string argument: ExpectedException('Task expected to fail').
func Exception(typ, message string) string {
	return typ + "(" + String(message) + ")"
}

// String renders s as Python's repr of a str: single quotes unless s holds
// a single quote and no double quote. As Python does, it escapes the quote,
// the backslash, \t, \n and \r, and every character str.isprintable()
// refuses: the categories Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs except the
// ASCII space (unicode.IsPrint, which admits exactly L, M, N, P, S and the
// space), as \xHH up to U+00FF, \uHHHH up to U+FFFF, else \UHHHHHHHH. A
// byte that is not UTF-8 reads as U+FFFD, as a Go range over s gives it.
// The printable set is that of Go's Unicode tables (unicode.Version),
// which may be newer than a Python's: a character assigned in between is
// printed where that Python escapes it.
func String(s string) string {
	q := quoteFor(s)
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x7f && r >= 0x20:
			b.WriteRune(r)
		case r > 0x7f && unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xff:
			b.WriteString(`\x`)
			writeHex(&b, uint32(r), 2)
		case r <= 0xffff:
			b.WriteString(`\u`)
			writeHex(&b, uint32(r), 4)
		default:
			b.WriteString(`\U`)
			writeHex(&b, uint32(r), 8)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// Bytes renders p as Python's repr of bytes: b'...', the quote chosen as
// for a str, every byte outside printable ASCII escaped (\t, \n, \r,
// else \xHH).
func Bytes(p []byte) string {
	q := quoteFor(string(p))
	var b strings.Builder
	b.Grow(len(p) + 3)
	b.WriteByte('b')
	b.WriteByte(q)
	for _, c := range p {
		switch {
		case c == q || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20 || c >= 0x7f:
			b.WriteString(`\x`)
			writeHex(&b, uint32(c), 2)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// quoteFor is the quote Python's repr puts around s: a double quote when s
// holds a single quote and no double quote, else a single quote.
func quoteFor(s string) byte {
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		return '"'
	}
	return '\''
}

// writeHex writes the low n hex digits of c, in lower case.
func writeHex(b *strings.Builder, c uint32, n int) {
	const digits = "0123456789abcdef"
	for shift := 4 * (n - 1); shift >= 0; shift -= 4 {
		b.WriteByte(digits[c>>uint(shift)&15])
	}
}

// Value renders a value (see package value) as Python's repr: None, True,
// 3, 3.0, 'x', [1, 2], {'a': 1}, b'..'. Map keys are sorted, since Go maps
// keep no insertion order.
func Value(v any) string {
	var b strings.Builder
	write(&b, v)
	return b.String()
}

// Tuple renders a list as Python's repr of a tuple: (), (1,), (1, 2).
func Tuple(vs []any) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, v := range vs {
		if i > 0 {
			b.WriteString(", ")
		}
		write(&b, v)
	}
	if len(vs) == 1 {
		b.WriteByte(',')
	}
	b.WriteByte(')')
	return b.String()
}

func write(b *strings.Builder, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if v {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case float64:
		b.WriteString(Float(v))
	case string:
		b.WriteString(String(v))
	case []byte:
		b.WriteString(Bytes(v))
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			write(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(String(k))
			b.WriteString(": ")
			write(b, v[k])
		}
		b.WriteByte('}')
	default:
		b.WriteString("<?>")
	}
}

// Float renders f as Python's repr of a float: 4.0, 0.1, 1e+100, inf, nan.
func Float(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	abs := math.Abs(f)
	if abs != 0 && (abs >= 1e16 || abs < 1e-4) {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		// Go writes 1e+100 and 1e-05; Python writes 1e+100 and 1e-05.
		return s
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}
