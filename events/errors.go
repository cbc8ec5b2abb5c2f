package events

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxDepth is how deeply arrays and maps may nest inside one value. Encode
// refuses deeper values (and so reference cycles) and Decode refuses
// records that claim deeper ones, so no input can exhaust the stack.
const MaxDepth = 512

// ErrNotSingleObject means the bytes are not an Avro single-object
// encoding: shorter than its 10-byte header, or without the 0xC3 0x01
// marker. Nothing in them can be trusted; send them to the dead letters.
var ErrNotSingleObject = errors.New("events: not an Avro single-object encoding (bad marker or shorter than 10 bytes)")

// ErrTruncated means a record ended before its schema said it would. It
// comes wrapped in a *DecodeError.
var ErrTruncated = errors.New("events: truncated record")

// ErrMalformed means a record's bytes do not follow its writer schema: a
// union branch that does not exist, an overlong varint, a negative length,
// a boolean that is neither 0 nor 1, bytes left over after the record. It
// comes wrapped in a *DecodeError, with details.
var ErrMalformed = errors.New("events: malformed record")

// ErrTooDeep means a value nests arrays and maps more than MaxDepth levels.
// Decode returns it wrapped in a *DecodeError, Encode in an *EncodeError.
var ErrTooDeep = fmt.Errorf("events: value nests deeper than %d levels", MaxDepth)

// ErrUnsupportedValue means Encode met a value whose Go type is none of
// those that package value allows (nil, bool, int64, float64, string,
// []byte, []any, map[string]any). It comes wrapped in an *EncodeError.
var ErrUnsupportedValue = errors.New("events: unsupported value type")

// ErrInvalidUTF8 means Encode met a string that is not valid UTF-8, which
// Avro readers in other languages reject. Binary data belongs in []byte.
// It comes wrapped in an *EncodeError.
var ErrInvalidUTF8 = errors.New("events: string is not valid UTF-8")

// UnknownSchemaError means a record's writer schema is none that this
// codec knows: written by a newer Fugue (whose schema this build has not
// got) or by a producer with its own schema.
type UnknownSchemaError struct {
	// Fingerprint is the writer schema's CRC-64-AVRO fingerprint, as read
	// from the header.
	Fingerprint uint64
}

// Error implements error.
func (e *UnknownSchemaError) Error() string {
	return fmt.Sprintf("events: unknown writer schema %016x", e.Fingerprint)
}

// UnknownBodyError means a record's body is a union branch that is no event
// type of this package.
type UnknownBodyError struct {
	// Index is the branch number read from the record.
	Index int64
}

// Error implements error.
func (e *UnknownBodyError) Error() string {
	return fmt.Sprintf("events: unknown body type (union branch %d)", e.Index)
}

// DecodeError says where a record could not be decoded. Err is
// ErrTruncated, ErrMalformed or ErrTooDeep (possibly wrapped with details)
// or an *UnknownBodyError.
type DecodeError struct {
	// Fingerprint is the record's writer schema.
	Fingerprint uint64
	// Offset is the position in the record, counting its 10-byte header,
	// of the item that could not be read. When the record was written with
	// an older schema and Resolved is true, it is a position in the record
	// as resolved to today's schema.
	Offset int
	// Resolved is true when the error happened after the record was
	// resolved from an older writer schema to today's; that is a bug in
	// this package, not in the record.
	Resolved bool
	// Err is what went wrong.
	Err error
}

// Error implements error.
func (e *DecodeError) Error() string {
	where := "at byte"
	if e.Resolved {
		where = "after resolution, at byte"
	}
	return fmt.Sprintf("events: decode (writer schema %016x) %s %d: %v", e.Fingerprint, where, e.Offset, e.Err)
}

// Unwrap returns Err.
func (e *DecodeError) Unwrap() error { return e.Err }

// EncodeError says which part of an event could not be encoded: Path names
// it (TaskSucceeded.result[2]["x"]) and Err says why: ErrUnsupportedValue,
// ErrInvalidUTF8, ErrTooDeep or a plain error.
type EncodeError struct {
	Path string
	Err  error
}

// errorPath is how many bytes of Path an EncodeError's message gives: the
// path of a value past MaxDepth runs to 1.5 KB and more, and a message
// carries on into logs, HTTP answers and task failures.
const errorPath = 2 * ShortPath

// Error implements error. The path in it is cut short (CutPath) after
// 200 bytes.
func (e *EncodeError) Error() string {
	return fmt.Sprintf("events: encode %s: %v", CutPath(e.Path, errorPath), e.Err)
}

// Unwrap returns Err.
func (e *EncodeError) Unwrap() error { return e.Err }

// ShortPath is how many bytes of a path CutPath keeps for a message: a
// value nested MaxDepth levels has a path of 1.5 KB or more, which says no
// more than its first segments and the limit do.
const ShortPath = 100

// CutPath returns path cut to at most n bytes, with "..." in place of the
// rest; a path no longer than n is returned as it is. The cut falls
// between runes, never inside one, so that a message carrying the result
// is valid UTF-8 (and encodes) whenever path is.
func CutPath(path string, n int) string {
	if len(path) <= n {
		return path
	}
	i := max(n, 0)
	for i > 0 && !utf8.RuneStart(path[i]) {
		i--
	}
	return path[:i] + "..."
}

// pathError is an encode error on its way up: the path is collected in
// reverse, one segment per level, and joined once at the top.
type pathError struct {
	rev []string
	err error
}

func (e *pathError) Error() string { return e.err.Error() }

// errAt returns err with seg prepended to its path.
func errAt(err error, seg string) error {
	var pe *pathError
	if errors.As(err, &pe) {
		pe.rev = append(pe.rev, seg)
		return pe
	}
	return &pathError{rev: []string{seg}, err: err}
}

// encodeError turns a pathError into an *EncodeError rooted at root.
func encodeError(root string, err error) error {
	var pe *pathError
	if !errors.As(err, &pe) {
		return &EncodeError{Path: root, Err: err}
	}
	var sb strings.Builder
	sb.WriteString(root)
	for i := len(pe.rev) - 1; i >= 0; i-- {
		sb.WriteString(pe.rev[i])
	}
	return &EncodeError{Path: sb.String(), Err: pe.err}
}

func malformedBranch(union string, branch int64) error {
	return fmt.Errorf("%w: %s union has no branch %d", ErrMalformed, union, branch)
}
