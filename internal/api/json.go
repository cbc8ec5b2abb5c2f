package api

import (
	"net/http"
	"strconv"

	"github.com/fugue-run/fugue/projector"
	"github.com/fugue-run/fugue/value"
)

// AppendWorkflowJSON appends the JSON of a workflow as spec/interface.md
// shows it, on one line, fields in the documented order:
// {"id", "state", "result", "error", "tasks"}, without "tasks" when
// v.Tasks is nil (a header view: ?tasks=false). Values are written with
// value.AppendJSON (4.0 stays a float).
func AppendWorkflowJSON(dst []byte, v *projector.WorkflowView) ([]byte, error) {
	var err error
	dst = append(dst, `{"id":`...)
	dst = appendString(dst, v.ID)
	dst = append(dst, `,"state":`...)
	dst = appendString(dst, v.State)
	dst = append(dst, `,"result":`...)
	if dst, err = appendValue(dst, v.Result, "result"); err != nil {
		return dst, err
	}
	dst = append(dst, `,"error":`...)
	dst = appendError(dst, v.Error)
	if v.Tasks == nil {
		return append(dst, '}'), nil
	}
	dst = append(dst, `,"tasks":[`...)
	for i, t := range v.Tasks {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = AppendTaskJSON(dst, t); err != nil {
			return dst, err
		}
	}
	return append(dst, "]}"...), nil
}

// AppendTaskJSON appends the JSON of one task, fields in the documented
// order: {"id", "name", "state", "args", "kwargs", "result", "error",
// "parent_id", "children", "retries"}, and "meta" after them while the task
// is in a custom state with metadata (PROGRESS).
func AppendTaskJSON(dst []byte, t *projector.TaskView) ([]byte, error) {
	var err error
	dst = append(dst, `{"id":`...)
	dst = appendString(dst, t.ID)
	dst = append(dst, `,"name":`...)
	dst = appendString(dst, t.Name)
	dst = append(dst, `,"state":`...)
	dst = appendString(dst, t.State)
	dst = append(dst, `,"args":`...)
	args := any(t.Args)
	if t.Args == nil {
		args = []any{}
	}
	if dst, err = appendValue(dst, args, t.ID+": args"); err != nil {
		return dst, err
	}
	dst = append(dst, `,"kwargs":`...)
	kwargs := any(t.Kwargs)
	if t.Kwargs == nil {
		kwargs = map[string]any{}
	}
	if dst, err = appendValue(dst, kwargs, t.ID+": kwargs"); err != nil {
		return dst, err
	}
	dst = append(dst, `,"result":`...)
	if dst, err = appendValue(dst, t.Result, t.ID+": result"); err != nil {
		return dst, err
	}
	dst = append(dst, `,"error":`...)
	dst = appendError(dst, t.Error)
	dst = append(dst, `,"parent_id":`...)
	if t.ParentID == nil {
		dst = append(dst, "null"...)
	} else {
		dst = appendString(dst, *t.ParentID)
	}
	dst = append(dst, `,"children":[`...)
	for i, c := range t.Children {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, c)
	}
	dst = append(dst, `],"retries":`...)
	dst = strconv.AppendInt(dst, int64(t.Retries), 10)
	if t.Meta != nil {
		dst = append(dst, `,"meta":`...)
		if dst, err = appendValue(dst, t.Meta, t.ID+": meta"); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

func appendError(dst []byte, e *projector.ErrorView) []byte {
	if e == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, `{"type":`...)
	dst = appendString(dst, e.Type)
	dst = append(dst, `,"message":`...)
	dst = appendString(dst, e.Message)
	dst = append(dst, `,"task_id":`...)
	dst = appendString(dst, e.TaskID)
	return append(dst, '}')
}

// appendString writes s as a JSON string the way value does.
func appendString(dst []byte, s string) []byte {
	out, _ := value.AppendJSON(dst, s) // a string always encodes
	return out
}

// appendValue writes a value; what cannot be written (NaN, a type that is
// no value) is an error naming where it sits.
func appendValue(dst []byte, v any, where string) ([]byte, error) {
	out, err := value.AppendJSON(dst, v)
	if err != nil {
		return dst, &encodeError{where: where, err: err}
	}
	return out, nil
}

type encodeError struct {
	where string
	err   error
}

func (e *encodeError) Error() string { return "api: encode " + e.where + ": " + e.err.Error() }
func (e *encodeError) Unwrap() error { return e.err }

// writeJSON writes body (one JSON document) and a newline with status.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// writeError writes {"error": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	b := append([]byte(`{"error":`), appendString(nil, msg)...)
	writeJSON(w, status, append(b, '}'))
}

// writeID writes {"id": id}.
func writeID(w http.ResponseWriter, status int, id string) {
	b := append([]byte(`{"id":`), appendString(nil, id)...)
	writeJSON(w, status, append(b, '}'))
}
