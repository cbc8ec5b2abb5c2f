// Package pyrepr renders values and exceptions the way Python's repr() does,
// so that messages Fugue writes (ChordError, MaxRetriesExceededError) read
// exactly like Celery's.
package pyrepr

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// Exception renders typ and message as Python's repr of an exception with
// one string argument: ExpectedException('Task expected to fail').
func Exception(typ, message string) string {
	return typ + "(" + String(message) + ")"
}

// String renders s as Python's repr of a str: single quotes unless s holds
// a single quote and no double quote.
func String(s string) string {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
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
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x`)
			b.WriteString(hex2(byte(r)))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
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
		b.WriteByte('b')
		b.WriteString(String(string(v)))
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
