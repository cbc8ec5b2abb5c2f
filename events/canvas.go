package events

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/fugue-run/fugue/value"
)

// Keys of a canvas in Celery's dict shape, which the Signature record
// holds as fields of the same names.
const (
	keyTask        = "task"
	keyArgs        = "args"
	keyKwargs      = "kwargs"
	keyOptions     = "options"
	keySubtaskType = "subtask_type"
	keyImmutable   = "immutable"
)

var errNoTask = errors.New(`canvas has no "task" string`)

// signature appends a Signature record from a canvas in Celery's dict
// shape. A missing (or nil) key takes the schema's default; a key of the
// wrong type is an error; keys other than the six are not kept.
func (e *encoder) signature(field string, c map[string]any) {
	task, ok := c[keyTask].(string)
	if !ok {
		e.fail(field, errNoTask)
		return
	}
	e.subStr(field, `["task"]`, task)

	switch v := c[keyArgs].(type) {
	case nil:
		e.long(0)
	case []any:
		e.list(field+`["args"]`, v)
	default:
		e.fail(field+`["args"]`, fmt.Errorf("is %T, want []any", v))
	}
	for _, key := range [...]string{keyKwargs, keyOptions} {
		switch v := c[key].(type) {
		case nil:
			e.long(0)
		case map[string]any:
			e.dict(field+`["`+key+`"]`, v)
		default:
			e.fail(field+`["`+key+`"]`, fmt.Errorf("is %T, want map[string]any", v))
		}
	}
	switch v := c[keySubtaskType].(type) {
	case nil:
		e.long(0)
	case string:
		e.long(1)
		e.subStr(field, `["subtask_type"]`, v)
	default:
		e.fail(field+`["subtask_type"]`, fmt.Errorf("is %T, want string or nil", v))
	}
	switch v := c[keyImmutable].(type) {
	case nil:
		e.boolean(false)
	case bool:
		e.boolean(v)
	default:
		e.fail(field+`["immutable"]`, fmt.Errorf("is %T, want bool", v))
	}
}

// signature reads a Signature record into a canvas map with exactly the six
// keys: task string, args []any, kwargs and options map[string]any,
// subtask_type nil or string, immutable bool.
func (r *reader) signature() map[string]any {
	c := make(map[string]any, 6)
	c[keyTask] = r.str()
	c[keyArgs] = r.list()
	if r.share {
		c[keyKwargs] = r.dictAt(placeKwargs)
	} else {
		c[keyKwargs] = r.dict()
	}
	c[keyOptions] = r.dict()
	start := r.pos
	switch branch := r.long(); branch {
	case 0:
		c[keySubtaskType] = nil
	case 1:
		c[keySubtaskType] = r.str()
	default:
		r.failMalformedBranch(start, "subtask_type", branch)
	}
	c[keyImmutable] = r.boolean()
	return c
}

// CanvasTooDeep reports whether a canvas nests deeper than a
// WorkflowSubmitted carries it, which Encode refuses with ErrTooDeep: its
// args, kwargs and options are each the first of at most MaxDepth levels
// of lists and dicts. If so, it returns the selector of the first list or
// dict past the limit (in the order Encode meets them) from the canvas's
// root, in the form of canvas errors: `kwargs.tasks[0].args[0][0]`. Such
// a selector is over 1.5 KB; CutPath shortens it for a message.
func CanvasTooDeep(canvas map[string]any) (string, bool) {
	for _, key := range [...]string{keyArgs, keyKwargs, keyOptions} {
		v := canvas[key]
		if !tooDeep(v, 1, nil) {
			continue
		}
		// Once more, in Encode's order, collecting the path.
		var rev []string
		tooDeep(v, 1, &rev)
		var sb strings.Builder
		sb.WriteString(key)
		for _, seg := range slices.Backward(rev) {
			sb.WriteString(seg)
		}
		return sb.String(), true
	}
	return "", false
}

// tooDeep reports whether v, a value at nesting level depth if it is a
// list or dict, holds one deeper than MaxDepth. With rev it visits dict
// keys in sorted order and appends the path's segments to *rev, last
// first.
func tooDeep(v any, depth int, rev *[]string) bool {
	switch x := v.(type) {
	case *value.Lazy:
		// Decoded only when it may be too deep: it nests x.Depth() levels.
		if depth+x.Depth()-1 <= MaxDepth {
			return false
		}
		m, err := x.Decode()
		if err != nil {
			return false // Encode says what is wrong
		}
		return tooDeep(m, depth, rev)
	case []any:
		if depth > MaxDepth {
			return true
		}
		for i, e := range x {
			if tooDeep(e, depth+1, rev) {
				if rev != nil {
					*rev = append(*rev, "["+strconv.Itoa(i)+"]")
				}
				return true
			}
		}
	case map[string]any:
		if depth > MaxDepth {
			return true
		}
		if rev == nil {
			for _, e := range x {
				if tooDeep(e, depth+1, nil) {
					return true
				}
			}
			return false
		}
		for _, k := range sortedKeys(x) {
			if tooDeep(x[k], depth+1, rev) {
				*rev = append(*rev, value.KeySelector(k))
				return true
			}
		}
	}
	return false
}
