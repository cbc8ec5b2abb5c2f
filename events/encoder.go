package events

import (
	"errors"
	"unicode/utf8"
)

// encoder appends Avro binary to b and keeps the first error, with the
// path of the field it happened in, so that record code reads as a list of
// fields.
type encoder struct {
	b   []byte
	err error
}

func (e *encoder) fail(field string, err error) {
	if e.err == nil {
		e.err = errAt(err, field)
	}
}

func (e *encoder) long(v int64)     { e.b = appendLong(e.b, v) }
func (e *encoder) int(v int32)      { e.b = appendInt(e.b, v) }
func (e *encoder) boolean(v bool)   { e.b = appendBool(e.b, v) }
func (e *encoder) double(v float64) { e.b = appendDouble(e.b, v) }

func (e *encoder) str(field, s string) {
	if !utf8.ValidString(s) {
		e.fail(field, ErrInvalidUTF8)
		return
	}
	e.b = appendString(e.b, s)
}

// subStr is str for a field of a nested record: the path is only built
// when it is needed.
func (e *encoder) subStr(field, sub, s string) {
	if !utf8.ValidString(s) {
		e.fail(field+sub, ErrInvalidUTF8)
		return
	}
	e.b = appendString(e.b, s)
}

func (e *encoder) value(field string, v any) {
	b, err := appendValue(e.b, v, 0)
	if err != nil {
		e.fail(field, err)
	}
	e.b = b
}

func (e *encoder) list(field string, l []any) {
	b, err := appendList(e.b, l, 1)
	if err != nil {
		e.fail(field, err)
	}
	e.b = b
}

func (e *encoder) dict(field string, m map[string]any) {
	b, err := appendDict(e.b, m, 1)
	if err != nil {
		e.fail(field, err)
	}
	e.b = b
}

// failure appends a Failure record.
func (e *encoder) failure(field string, f *Failure) {
	e.subStr(field, ".type", f.Type)
	e.subStr(field, ".message", f.Message)
	e.subStr(field, ".traceback", f.Traceback)
}

// optFailure appends a ["null", Failure] union.
func (e *encoder) optFailure(field string, f *Failure) {
	if f == nil {
		e.long(0)
		return
	}
	e.long(1)
	e.failure(field, f)
}

var errNilBody = errors.New("event has no body")

// failure reads a Failure record.
func (r *reader) failure() Failure {
	// Calls in a composite literal run left to right, the record's order.
	return Failure{Type: r.str(), Message: r.str(), Traceback: r.str()}
}

// optFailure reads a ["null", Failure] union.
func (r *reader) optFailure() *Failure {
	start := r.pos
	switch branch := r.long(); branch {
	case 0:
		return nil
	case 1:
		f := r.failure()
		return &f
	default:
		r.failMalformedBranch(start, "[null, Failure]", branch)
		return nil
	}
}

func (r *reader) failMalformedBranch(start int, union string, branch int64) {
	if r.err == nil {
		r.fail(start, malformedBranch(union, branch))
	}
}
