package client

import (
	"strconv"

	"github.com/fugue-run/fugue/value"
)

// Workflow is a workflow as the server shows it (spec/interface.md).
type Workflow struct {
	ID string
	// State is PENDING, STARTED, SUCCESS, FAILURE or REVOKED.
	State string
	// Result is the canvas's result once it succeeded.
	Result any
	// Error is the canvas's failure, nil when none.
	Error *Failure
	// Tasks lists every task the workflow ran or dispatched, callbacks
	// and errbacks included, with the args each was called with. It is
	// nil when only the header was read (WorkflowHeader, and the
	// AsyncResult methods that need no tasks).
	Tasks []*Task
	// Ready reports whether the workflow is final: its canvas and every
	// callback it fired have finished. It comes from the server's
	// Fugue-Ready header, not from the JSON.
	Ready bool
}

// Task is one task of a workflow.
type Task struct {
	ID   string
	Name string
	// State is PENDING, STARTED, RETRY, SUCCESS, FAILURE, REVOKED, or a
	// custom state the task set (PROGRESS).
	State    string
	Args     []any
	Kwargs   map[string]any
	Result   any
	Error    *Failure
	ParentID string // "" for none
	Children []string
	Retries  int
	// Meta is the metadata of a custom state (PROGRESS), nil otherwise.
	Meta any
	// Ready is set on a task read with Client.Task: it is final, or its
	// workflow is ready.
	Ready bool
}

// Failure is an error as the server shows it.
type Failure struct {
	Type    string
	Message string
	TaskID  string
}

// Successful reports whether the workflow succeeded.
func (w *Workflow) Successful() bool { return w.State == "SUCCESS" }

// Failed reports whether the workflow failed or was revoked.
func (w *Workflow) Failed() bool { return w.State == "FAILURE" || w.State == "REVOKED" }

// Task returns the task with id, nil if the workflow has none.
func (w *Workflow) Task(id string) *Task {
	for _, t := range w.Tasks {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// Parent returns the task whose outcome started t (its chain predecessor,
// or the task a callback belongs to), nil for none.
func (w *Workflow) Parent(t *Task) *Task {
	if t.ParentID == "" {
		return nil
	}
	return w.Task(t.ParentID)
}

// Children returns the tasks t started, in order.
func (w *Workflow) Children(t *Task) []*Task {
	out := make([]*Task, 0, len(t.Children))
	for _, id := range t.Children {
		if c := w.Task(id); c != nil {
			out = append(out, c)
		}
	}
	return out
}

// err turns a finished workflow's failure into a *TaskFailedError (nil
// when it did not fail).
func (w *Workflow) err() error {
	if !w.Failed() {
		return nil
	}
	return failedError(w.State, w.Error, w.ID)
}

// MarshalJSON returns the workflow as the server writes it: the same
// fields in the same order, values in value's encoding, and no "tasks"
// when Tasks is nil (a header read: WorkflowHeader).
func (w *Workflow) MarshalJSON() ([]byte, error) {
	var err error
	b := append([]byte(`{"id":`), jsonString(w.ID)...)
	b = append(b, `,"state":`...)
	b = append(b, jsonString(w.State)...)
	b = append(b, `,"result":`...)
	if b, err = value.AppendJSON(b, w.Result); err != nil {
		return nil, err
	}
	b = append(b, `,"error":`...)
	b = appendFailure(b, w.Error)
	if w.Tasks == nil {
		return append(b, '}'), nil
	}
	b = append(b, `,"tasks":[`...)
	for i, t := range w.Tasks {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = t.appendJSON(b); err != nil {
			return nil, err
		}
	}
	return append(b, "]}"...), nil
}

// MarshalJSON returns the task as the server writes it.
func (t *Task) MarshalJSON() ([]byte, error) { return t.appendJSON(nil) }

func (t *Task) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"id":`...)
	b = append(b, jsonString(t.ID)...)
	b = append(b, `,"name":`...)
	b = append(b, jsonString(t.Name)...)
	b = append(b, `,"state":`...)
	b = append(b, jsonString(t.State)...)
	b = append(b, `,"args":`...)
	args, kwargs := any(t.Args), any(t.Kwargs)
	if t.Args == nil {
		args = []any{}
	}
	if t.Kwargs == nil {
		kwargs = map[string]any{}
	}
	if b, err = value.AppendJSON(b, args); err != nil {
		return nil, err
	}
	b = append(b, `,"kwargs":`...)
	if b, err = value.AppendJSON(b, kwargs); err != nil {
		return nil, err
	}
	b = append(b, `,"result":`...)
	if b, err = value.AppendJSON(b, t.Result); err != nil {
		return nil, err
	}
	b = append(b, `,"error":`...)
	b = appendFailure(b, t.Error)
	b = append(b, `,"parent_id":`...)
	if t.ParentID == "" {
		b = append(b, "null"...)
	} else {
		b = append(b, jsonString(t.ParentID)...)
	}
	b = append(b, `,"children":[`...)
	for i, c := range t.Children {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, jsonString(c)...)
	}
	b = append(b, `],"retries":`...)
	b = strconv.AppendInt(b, int64(t.Retries), 10)
	if t.Meta != nil {
		b = append(b, `,"meta":`...)
		if b, err = value.AppendJSON(b, t.Meta); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

func appendFailure(b []byte, f *Failure) []byte {
	if f == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"type":`...)
	b = append(b, jsonString(f.Type)...)
	b = append(b, `,"message":`...)
	b = append(b, jsonString(f.Message)...)
	b = append(b, `,"task_id":`...)
	b = append(b, jsonString(f.TaskID)...)
	return append(b, '}')
}

func jsonString(s string) []byte {
	b, _ := value.AppendJSON(nil, s) // a string always encodes
	return b
}
