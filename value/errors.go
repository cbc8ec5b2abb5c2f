package value

import "strconv"

// MaxDepth is how deeply lists and dicts may nest in a value. It matches
// the nesting limit of encoding/json, so that whatever DecodeJSON accepts
// Normalize, Check and AppendJSON accept too, and a cyclic Go structure
// given to Normalize fails instead of recursing for ever.
const MaxDepth = 10000

// PathError reports where in a value tree an operation failed.
//
// Path is "" for the root, otherwise a Go-like selector relative to the
// root: `[2].name`, `.args[0]`, `["odd key"]`.
type PathError struct {
	Path string
	Msg  string
	// Err is the underlying error, if any.
	Err error
}

// Error returns "value: " + Path + ": " + Msg, or "value: " + Msg at the
// root.
func (e *PathError) Error() string {
	if e.Path == "" {
		return "value: " + e.Msg
	}
	return "value: " + e.Path + ": " + e.Msg
}

// Unwrap returns the underlying error.
func (e *PathError) Unwrap() error { return e.Err }

// newError builds a *PathError at the root; the callers up the tree prefix
// its path as the error unwinds, so that no path is built on success.
func newError(msg string) *PathError { return &PathError{Msg: msg} }

// atIndex prefixes err's path with [i].
func atIndex(err error, i int) error {
	if pe, ok := err.(*PathError); ok {
		pe.Path = "[" + strconv.Itoa(i) + "]" + pe.Path
	}
	return err
}

// atKey prefixes err's path with .key (or ["key"] when key is not a plain
// identifier).
func atKey(err error, key string) error {
	if pe, ok := err.(*PathError); ok {
		pe.Path = KeySelector(key) + pe.Path
	}
	return err
}

// KeySelector returns the path segment that selects key in a dict:
// ".key" when key is a plain identifier ([A-Za-z_][A-Za-z0-9_]*),
// otherwise `["key"]` with key quoted as a Go string.
func KeySelector(key string) string {
	if isIdent(key) {
		return "." + key
	}
	return "[" + strconv.Quote(key) + "]"
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// keyError keeps, over one pass of a dict in any order, the error of its
// smallest failing key, so that error messages never depend on map
// iteration order and every entry is visited once (a second pass would
// cost time exponential in the nesting depth).
type keyError struct {
	key string
	err error
}

// add records err for key if it is the smallest failing key so far.
func (k *keyError) add(key string, err error) {
	if err != nil && (k.err == nil || key < k.key) {
		k.key, k.err = key, err
	}
}

// result returns the kept error with its key prefixed, or nil.
func (k *keyError) result() error {
	if k.err == nil {
		return nil
	}
	return atKey(k.err, k.key)
}
