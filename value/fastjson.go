package value

import (
	"math"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// fastDecode decodes a whole JSON document the way DecodeJSON does, in
// one pass over data, without encoding/json. It takes every document
// that decodes: Python's json (NaN, Infinity and -Infinity, which
// encoding/json does not read, included). For anything else (a syntax
// error, an integer out of range, nesting deeper than fastMaxDepth) it
// reports false, and DecodeJSON takes the encoding/json path, which says
// what is wrong. FuzzFastDecode checks that the two agree on what
// encoding/json reads.
//
// It is several times faster than encoding/json on a large canvas, and
// allocates less: arrays and objects are made at their final size, and
// short strings that repeat (keys such as "task" and "args", task names)
// are allocated once per document.
func fastDecode(data []byte) (any, bool) {
	d := fastDecoder{data: data}
	d.skipSpace()
	v, ok := d.value(0, placeOther)
	if !ok {
		return nil, false
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return nil, false
	}
	return v, true
}

// fastMaxDepth bounds the nesting fastDecode follows, as encoding/json's
// (which refuses deeper documents).
const fastMaxDepth = 10000

// Interning: strings of at most internMaxLen bytes are kept in a map of
// at most internMax entries per document.
const (
	internMaxLen = 32
	internMax    = 4096
)

type fastDecoder struct {
	data []byte
	pos  int
	// stack holds the elements of the arrays (and the values of the
	// objects) being decoded, and keys their keys, until each is made at
	// its final size.
	stack  []any
	keys   []string
	intern map[string]any // a string and its boxed value
	buf    []byte         // unescaped string bytes
	// doc is set by DecodeCanvasJSON: the members of a canvas's lists of
	// signatures are left as *Lazy values of doc.
	doc *lazyDoc
}

// place is where a value sits in a canvas, for DecodeCanvasJSON.
type place uint8

const (
	placeOther   place = iota
	placeKwargs        // the value of a "kwargs" key
	placeMembers       // the value of "tasks" or "header" in a kwargs dict
)

func (d *fastDecoder) skipSpace() {
	for d.pos < len(d.data) && isSpace(d.data[d.pos]) {
		d.pos++
	}
}

func (d *fastDecoder) value(depth int, at place) (any, bool) {
	if d.pos >= len(d.data) {
		return nil, false
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object(depth+1, at)
	case c == '[':
		return d.array(depth+1, at)
	case c == '"':
		return d.str()
	case d.atLiteral():
		return d.literalValue()
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	}
	return nil, false
}

// atLiteral reports whether a literal starts at d.pos: true, false, null,
// or Python's NaN, Infinity and -Infinity.
func (d *fastDecoder) atLiteral() bool {
	switch d.data[d.pos] {
	case 't', 'f', 'n', 'N', 'I':
		return true
	case '-':
		return d.pos+1 < len(d.data) && d.data[d.pos+1] == 'I'
	}
	return false
}

// literalValue reads the literal at d.pos (atLiteral).
func (d *fastDecoder) literalValue() (any, bool) {
	switch d.data[d.pos] {
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	case 'N':
		return math.NaN(), d.literal("NaN")
	case 'I':
		return math.Inf(1), d.literal("Infinity")
	}
	return math.Inf(-1), d.literal("-Infinity")
}

func (d *fastDecoder) literal(lit string) bool {
	if len(d.data)-d.pos < len(lit) || string(d.data[d.pos:d.pos+len(lit)]) != lit {
		return false
	}
	d.pos += len(lit)
	return true
}

func (d *fastDecoder) array(depth int, at place) (any, bool) {
	if depth > fastMaxDepth {
		return nil, false
	}
	d.pos++ // [
	base := len(d.stack)
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return []any{}, true
	}
	for {
		d.skipSpace()
		var (
			v  any
			ok bool
		)
		if at == placeMembers && d.pos < len(d.data) && d.data[d.pos] == '{' {
			v, ok = d.lazy(depth)
		} else {
			v, ok = d.value(depth, placeOther)
		}
		if !ok {
			return nil, false
		}
		d.stack = append(d.stack, v)
		if done, ok := d.separator(']'); !ok {
			return nil, false
		} else if done {
			break
		}
	}
	a := make([]any, len(d.stack)-base)
	copy(a, d.stack[base:])
	clear(d.stack[base:])
	d.stack = d.stack[:base]
	return a, true
}

func (d *fastDecoder) object(depth int, at place) (any, bool) {
	if depth > fastMaxDepth {
		return nil, false
	}
	d.pos++ // {
	base := len(d.stack)
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return map[string]any{}, true
	}
	for {
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, false
		}
		k, ok := d.str()
		if !ok {
			return nil, false
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, false
		}
		d.pos++
		d.skipSpace()
		v, ok := d.value(depth, d.within(at, k.(string)))
		if !ok {
			return nil, false
		}
		d.keys = append(d.keys, k.(string))
		d.stack = append(d.stack, v)
		if done, ok := d.separator('}'); !ok {
			return nil, false
		} else if done {
			break
		}
	}
	n := len(d.stack) - base
	kbase := len(d.keys) - n
	m := make(map[string]any, n)
	for i := range n {
		m[d.keys[kbase+i]] = d.stack[base+i] // a repeated key keeps the last
	}
	clear(d.stack[base:])
	d.stack = d.stack[:base]
	clear(d.keys[kbase:])
	d.keys = d.keys[:kbase]
	return m, true
}

// str decodes the string at d.pos, as encoding/json does: invalid UTF-8
// and lone surrogates become U+FFFD.
func (d *fastDecoder) str() (any, bool) {
	s, ok := d.stringBytes()
	if !ok {
		return nil, false
	}
	return d.makeString(s), true
}

// stringBytes reads the string at d.pos and returns its bytes, unquoted
// when they need it; they are valid until the next string is read.
func (d *fastDecoder) stringBytes() ([]byte, bool) {
	s, plain, ok := d.scanString()
	if ok && !plain {
		s = d.unquote(s)
	}
	return s, ok
}

// scanString reads the string at d.pos and returns its bytes between the
// quotes. plain is false when they need unquote: an escape, or invalid
// UTF-8.
func (d *fastDecoder) scanString() (s []byte, plain, ok bool) {
	d.pos++ // "
	start := d.pos
	// The common case: no escape, no control character, valid UTF-8.
	ascii := true
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			s := d.data[start:d.pos]
			d.pos++
			return s, ascii || utf8.Valid(s), true
		case c == '\\':
			return d.escaped(start)
		case c < 0x20:
			return nil, false, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		d.pos++
	}
	return nil, false, false
}

// escaped finishes scanning a string that has an escape, from its first
// byte (after the quote) at start.
func (d *fastDecoder) escaped(start int) (s []byte, plain, ok bool) {
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			s := d.data[start:d.pos]
			d.pos++
			return s, false, true
		case c == '\\':
			d.pos++
			if d.pos >= len(d.data) {
				return nil, false, false
			}
			switch d.data[d.pos] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(d.data)-d.pos < 5 {
					return nil, false, false
				}
				for _, h := range d.data[d.pos+1 : d.pos+5] {
					if !isHex(h) {
						return nil, false, false
					}
				}
				d.pos += 4
			default:
				return nil, false, false
			}
		case c < 0x20:
			return nil, false, false
		}
		d.pos++
	}
	return nil, false, false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// unquote decodes the escapes of a string checked by escaped (or one
// with invalid UTF-8) into d.buf, with encoding/json's rules.
func (d *fastDecoder) unquote(s []byte) []byte {
	b := d.buf[:0]
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			r++
			switch s[r] {
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				rr := getu4(s[r+1:])
				r += 5
				if utf16.IsSurrogate(rr) {
					if r+6 <= len(s) && s[r] == '\\' && s[r+1] == 'u' {
						if dec := utf16.DecodeRune(rr, getu4(s[r+2:])); dec != unicode.ReplacementChar {
							b = utf8.AppendRune(b, dec)
							r += 6
							continue
						}
					}
					rr = unicode.ReplacementChar
				}
				b = utf8.AppendRune(b, rr)
				continue
			default: // " \ /
				b = append(b, s[r])
			}
			r++
		case c < utf8.RuneSelf:
			b = append(b, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			b = utf8.AppendRune(b, rr)
			r += size
		}
	}
	d.buf = b
	return b
}

// getu4 reads the four hex digits at the start of s (checked by escaped).
func getu4(s []byte) rune {
	var r rune
	for _, c := range s[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		default:
			c = c - 'A' + 10
		}
		r = r*16 + rune(c)
	}
	return r
}

// makeString returns s as a string value, interned (string and box) when
// it is short.
func (d *fastDecoder) makeString(s []byte) any {
	if len(s) > internMaxLen {
		return string(s)
	}
	if v, ok := d.intern[string(s)]; ok {
		return v
	}
	var v any = string(s)
	if d.intern == nil {
		d.intern = make(map[string]any)
	}
	if len(d.intern) < internMax {
		d.intern[v.(string)] = v
	}
	return v
}

// number decodes the number at d.pos with parseNumber's rules: an int64
// without fraction or exponent, else a float64 (±Inf beyond its range, as
// in Python). An integer out of range is left to the encoding/json path,
// for its error.
func (d *fastDecoder) number() (any, bool) {
	s, isFloat, ok := d.scanNumber()
	if !ok {
		return nil, false
	}
	if isFloat {
		if f, ok := parseFloat(s); ok {
			return f, true
		}
		return nil, false
	}
	if i, ok := parseInt(s); ok {
		return i, true
	}
	return nil, false
}

// scanNumber reads the number at d.pos: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *fastDecoder) scanNumber() (s []byte, isFloat, ok bool) {
	start := d.pos
	if d.data[d.pos] == '-' {
		d.pos++
	}
	if d.pos >= len(d.data) {
		return nil, false, false
	}
	switch c := d.data[d.pos]; {
	case c == '0':
		d.pos++
	case c >= '1' && c <= '9':
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			d.pos++
		}
	default:
		return nil, false, false
	}
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		isFloat = true
		d.pos++
		if !d.digits() {
			return nil, false, false
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		isFloat = true
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if !d.digits() {
			return nil, false, false
		}
	}
	return d.data[start:d.pos], isFloat, true
}

// parseFloat converts a number scanNumber read as a float.
func parseFloat(s []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil && !math.IsInf(f, 0) { // ErrRange: ±Inf, or 0 below the range
		return 0, false
	}
	return f, true
}

// parseInt converts a number scanNumber read as an integer; false when
// it is out of the int64 range.
func parseInt(s []byte) (int64, bool) {
	// At most 18 digits cannot overflow int64.
	if n := len(s); n <= 18 || n == 19 && s[0] == '-' {
		var i int64
		for _, c := range s {
			if c != '-' {
				i = i*10 + int64(c-'0')
			}
		}
		if s[0] == '-' {
			i = -i
		}
		return i, true
	}
	i, err := strconv.ParseInt(string(s), 10, 64)
	if err != nil {
		return 0, false
	}
	return i, true
}

// digits consumes [0-9]+.
func (d *fastDecoder) digits() bool {
	start := d.pos
	for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
		d.pos++
	}
	return d.pos > start
}

// separator reads what follows a member of an array or object: a comma
// (done false) or the closing byte end (done true). ok is false for
// anything else, or the end of the input.
func (d *fastDecoder) separator(end byte) (done, ok bool) {
	d.skipSpace()
	if d.pos >= len(d.data) {
		return false, false
	}
	c := d.data[d.pos]
	d.pos++
	switch c {
	case end:
		return true, true
	case ',':
		return false, true
	}
	return false, false
}
