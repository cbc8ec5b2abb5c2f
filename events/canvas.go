package events

import (
	"errors"
	"fmt"
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
	c[keyKwargs] = r.dict()
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
