package canvas

import (
	"errors"
	"strings"

	"github.com/fugue-run/fugue/value"
)

// ErrLimit is wrapped by every *Error about a configured limit (size,
// depth, node count), so that a server can tell "too large" from
// "malformed" with errors.Is.
var ErrLimit = errors.New("canvas: limit exceeded")

// Error says why a canvas was refused and where: Path is a selector from
// the root of the wire form, in the form `kwargs.tasks[2].args` ("" for the
// root itself), Msg what is wrong there.
type Error struct {
	Path string
	Msg  string
	// Err is the underlying error, if any (ErrLimit for limits).
	Err error
}

// Error returns Path + ": " + Msg, with "canvas" standing for the root:
// `kwargs.tasks[2].args: expected a list`, `canvas: expected a dict`.
func (e *Error) Error() string {
	p := e.Path
	if p == "" {
		p = "canvas"
	}
	return p + ": " + e.Msg
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// errAt returns an *Error at path.
func errAt(path, msg string) *Error { return &Error{Path: path, Msg: msg} }

// under prefixes e's path with the selector prefix, in place, and returns e.
func (e *Error) under(prefix string) *Error {
	if e == nil || prefix == "" {
		return e
	}
	e.Path = joinPath(prefix, e.Path)
	return e
}

// joinPath joins two selectors: ("kwargs", "tasks[2]") -> "kwargs.tasks[2]",
// ("args", "[0].x") -> "args[0].x", ("kwargs", ".x") -> "kwargs.x".
func joinPath(prefix, rest string) string {
	switch {
	case rest == "":
		return prefix
	case prefix == "":
		return strings.TrimPrefix(rest, ".")
	case rest[0] == '[' || rest[0] == '.':
		return prefix + rest
	default:
		return prefix + "." + rest
	}
}

// fromValueError turns an error of package value into an *Error under
// prefix.
func fromValueError(prefix string, err error) *Error {
	var pe *value.PathError
	if errors.As(err, &pe) {
		return &Error{Path: joinPath(prefix, pe.Path), Msg: pe.Msg, Err: pe.Err}
	}
	return &Error{Path: prefix, Msg: err.Error(), Err: err}
}
