package value

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// DecodeJSON decodes one JSON document into a value.
//
// Integers (no fraction, no exponent) become int64, other numbers float64
// (`4.0` and `1e3` are floats), objects map[string]any and arrays []any.
// As in Python's json, `NaN`, `Infinity` and `-Infinity` are floats (kombu
// writes Python's non-finite floats so), a float beyond the float64 range
// reads as ±Inf and one too small to represent as 0. An integer outside
// the int64 range is an error. Anything but white space after the
// document is an error.
// Invalid UTF-8 in strings is replaced by U+FFFD. Objects with a repeated
// key keep the last one, as Python does.
func DecodeJSON(data []byte) (any, error) {
	if v, ok := fastDecode(data); ok {
		return v, nil
	}
	// A document fastDecode does not take is decoded again with
	// encoding/json, which says what is wrong with it.
	return decodeJSONStd(data)
}

// decodeJSONStd is DecodeJSON with encoding/json.
func decodeJSONStd(data []byte) (any, error) {
	d := NewDecoder(bytes.NewReader(data))
	v, err := d.Decode()
	if err == io.EOF {
		return nil, newError("invalid JSON: no value")
	}
	if err != nil {
		return nil, err
	}
	end := int(d.dec.InputOffset())
	if _, err := d.dec.Token(); err != io.EOF {
		for end < len(data) && isSpace(data[end]) {
			end++
		}
		return nil, newError(fmt.Sprintf("invalid JSON: data after the value at byte %d", end))
	}
	return v, nil
}

// Decoder reads a stream of JSON values (JSON Lines, or values simply
// concatenated) from a reader, with the number rules of DecodeJSON.
type Decoder struct {
	dec *json.Decoder
}

// NewDecoder returns a Decoder that reads from r. It buffers: it may read
// past the last value it returns.
func NewDecoder(r io.Reader) *Decoder {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	return &Decoder{dec: dec}
}

// Decode returns the next value of the stream, or io.EOF after the last.
func (d *Decoder) Decode() (any, error) {
	var raw any
	if err := d.dec.Decode(&raw); err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, &PathError{Msg: fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se), Err: err}
		}
		if err == io.ErrUnexpectedEOF {
			return nil, &PathError{Msg: "invalid JSON: unexpected end of input", Err: err}
		}
		return nil, &PathError{Msg: "invalid JSON: " + err.Error(), Err: err}
	}
	return fromJSON(raw)
}

// fromJSON turns what encoding/json produced (with UseNumber) into a
// value, in place.
func fromJSON(v any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		return parseNumber(string(x))
	case []any:
		for i, e := range x {
			n, err := fromJSON(e)
			if err != nil {
				return nil, atIndex(err, i)
			}
			x[i] = n
		}
		return x, nil
	case map[string]any:
		var ke keyError
		for k, e := range x {
			n, err := fromJSON(e)
			ke.add(k, err)
			x[k] = n
		}
		if err := ke.result(); err != nil {
			return nil, err
		}
		return x, nil
	default: // nil, bool, string
		return v, nil
	}
}

// parseNumber reads a JSON number: an int64 when it has neither fraction
// nor exponent, a float64 otherwise (±Inf beyond its range and 0 below
// it, as Python reads them).
func parseNumber(s string) (any, error) {
	if strings.ContainsAny(s, ".eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			var ne *strconv.NumError
			if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
				return f, nil
			}
			return nil, newError(fmt.Sprintf("invalid number %q", short(s)))
		}
		return f, nil
	}
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return nil, newError(fmt.Sprintf("integer %s overflows int64", short(s)))
		}
		return nil, newError(fmt.Sprintf("invalid number %q", short(s)))
	}
	return i, nil
}

// short truncates a long number for an error message.
func short(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
