package client

import (
	"fmt"
	"math"

	"github.com/fugue-run/fugue/value"
)

// decoder reads the server's JSON (a value tree) into structs, keeping the
// first thing that did not fit.
type decoder struct {
	err error
}

func (d *decoder) fail(what, want string, got any) {
	if d.err == nil {
		d.err = fmt.Errorf("client: unexpected answer: %s: want %s, got %s", what, want, value.TypeName(got))
	}
}

func (d *decoder) object(v any, what string) map[string]any {
	m, ok := v.(map[string]any)
	if !ok {
		d.fail(what, "an object", v)
	}
	return m
}

func (d *decoder) str(m map[string]any, key string) string {
	switch s := m[key].(type) {
	case string:
		return s
	case nil:
		return ""
	default:
		d.fail(key, "a string", s)
		return ""
	}
}

func (d *decoder) failure(v any) *Failure {
	if v == nil {
		return nil
	}
	m := d.object(v, "error")
	return &Failure{Type: d.str(m, "type"), Message: d.str(m, "message"), TaskID: d.str(m, "task_id")}
}

func decodeWorkflow(v any) (*Workflow, error) {
	var d decoder
	m := d.object(v, "workflow")
	w := &Workflow{ID: d.str(m, "id"), State: d.str(m, "state"), Result: m["result"], Error: d.failure(m["error"])}
	list, ok := m["tasks"].([]any)
	if !ok && m["tasks"] != nil {
		d.fail("tasks", "a list", m["tasks"])
	}
	w.Tasks = make([]*Task, 0, len(list))
	for _, e := range list {
		w.Tasks = append(w.Tasks, d.task(e))
	}
	return w, d.err
}

func decodeTask(v any) (*Task, error) {
	var d decoder
	t := d.task(v)
	return t, d.err
}

func (d *decoder) task(v any) *Task {
	m := d.object(v, "task")
	t := &Task{
		ID: d.str(m, "id"), Name: d.str(m, "name"), State: d.str(m, "state"),
		Result: m["result"], Error: d.failure(m["error"]), ParentID: d.str(m, "parent_id"), Meta: m["meta"],
	}
	switch a := m["args"].(type) {
	case []any:
		t.Args = a
	case nil:
		t.Args = []any{}
	default:
		d.fail("args", "a list", a)
	}
	switch k := m["kwargs"].(type) {
	case map[string]any:
		t.Kwargs = k
	case nil:
		t.Kwargs = map[string]any{}
	default:
		d.fail("kwargs", "an object", k)
	}
	children, ok := m["children"].([]any)
	if !ok && m["children"] != nil {
		d.fail("children", "a list", m["children"])
	}
	t.Children = make([]string, 0, len(children))
	for _, c := range children {
		s, ok := c.(string)
		if !ok {
			d.fail("children", "strings", c)
		}
		t.Children = append(t.Children, s)
	}
	switch r := m["retries"].(type) {
	case int64:
		if r >= 0 && r <= math.MaxInt32 {
			t.Retries = int(r)
		} else {
			d.fail("retries", "a count", r)
		}
	case nil:
	default:
		d.fail("retries", "an integer", r)
	}
	return t
}

// decodeID reads {"id": …}.
func decodeID(v any) (string, error) {
	var d decoder
	m := d.object(v, "answer")
	id := d.str(m, "id")
	if d.err == nil && id == "" {
		d.err = fmt.Errorf("client: unexpected answer: no id")
	}
	return id, d.err
}
