package value

import (
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// MarshalJSON encodes v as compact JSON; see AppendJSON.
func MarshalJSON(v any) ([]byte, error) {
	return AppendJSON(nil, v)
}

// AppendJSON appends the compact JSON encoding of the value v to dst.
//
// The output is deterministic: dict keys are sorted (by bytes, which is
// code point order, as Python's sort_keys). Numbers keep their type across
// languages: an int64 is written as an integer, and a float64 the way
// Python's repr writes it, so that Python's json and DecodeJSON read it
// back as the same float: `4.0` (never `4`), `1e+16`, `1e-05`,
// `0.1`. NaN and ±Inf are written as Python's json.dumps writes them,
// `NaN`, `Infinity` and `-Infinity`, which Python's json and DecodeJSON
// read back (kombu's JSON serializer carries them so in Celery's messages
// and results); they are not strict JSON.
//
// Strings are written as UTF-8 with `"`, `\`, control characters and
// U+2028/U+2029 escaped; invalid UTF-8 is replaced by U+FFFD. A []byte is
// written as a JSON string holding its bytes read as UTF-8 text (invalid
// sequences become U+FFFD), which is how kombu's JSON serializer has
// always written Python bytes; binary data that must survive exactly
// belongs in an Avro bytes field, not in JSON.
//
// On error dst is returned unchanged along with a *PathError that says
// where the offending value sits.
func AppendJSON(dst []byte, v any) ([]byte, error) {
	out, err := appendValue(dst, v, 0)
	if err != nil {
		return dst, err
	}
	return out, nil
}

func appendValue(dst []byte, v any, depth int) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case float64:
		return appendFloat(dst, x)
	case string:
		return appendString(dst, x), nil
	case []byte:
		return appendString(dst, string(x)), nil
	case []any:
		if depth >= MaxDepth {
			return dst, newError(tooDeep)
		}
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendValue(dst, e, depth+1); err != nil {
				return dst, atIndex(err, i)
			}
		}
		return append(dst, ']'), nil
	case map[string]any:
		if depth >= MaxDepth {
			return dst, newError(tooDeep)
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, k)
			dst = append(dst, ':')
			var err error
			if dst, err = appendValue(dst, x[k], depth+1); err != nil {
				return dst, atKey(err, k)
			}
		}
		return append(dst, '}'), nil
	default:
		return dst, newError(unsupported(v))
	}
}

const tooDeep = "nesting deeper than 10000 levels"

// appendFloat writes f as Python's repr does: fixed notation with at least
// one fractional digit when the decimal exponent is in [-4, 16), otherwise
// the shortest scientific form with a two-digit (or longer) exponent.
func appendFloat(dst []byte, f float64) ([]byte, error) {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...), nil
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...), nil
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...), nil
	}
	exp := 0
	if f != 0 {
		// The exponent of the shortest decimal that reads back as f.
		var buf [32]byte
		e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
		i := slices.Index(e, 'e')
		n, _ := strconv.Atoi(string(e[i+1:]))
		exp = n
	}
	if exp < -4 || exp >= 16 {
		return strconv.AppendFloat(dst, f, 'e', -1, 64), nil
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
	if slices.Index(dst[start:], '.') < 0 {
		dst = append(dst, '.', '0')
	}
	return dst, nil
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
