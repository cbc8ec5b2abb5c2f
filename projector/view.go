package projector

import (
	"fmt"
	"strings"
)

// WorkflowView is a workflow as the HTTP API and the CLI show it
// (spec/interface.md).
type WorkflowView struct {
	ID     string      `json:"id"`
	State  string      `json:"state"`
	Result any         `json:"result"`
	Error  *ErrorView  `json:"error"`
	Tasks  []*TaskView `json:"tasks"`
}

// TaskView is one task of a workflow.
type TaskView struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	State    string         `json:"state"`
	Args     []any          `json:"args"`
	Kwargs   map[string]any `json:"kwargs"`
	Result   any            `json:"result"`
	Error    *ErrorView     `json:"error"`
	ParentID *string        `json:"parent_id"`
	Children []string       `json:"children"`
	Retries  int32          `json:"retries"`
	// Meta is the metadata of a custom state (PROGRESS).
	Meta any `json:"meta,omitempty"`
}

// ErrorView is a failure as the API shows it.
type ErrorView struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	TaskID  string `json:"task_id"`
}

func errorView(e *Error) *ErrorView {
	if e == nil {
		return nil
	}
	return &ErrorView{Type: e.Type, Message: e.Message, TaskID: e.TaskID}
}

// Ready reports whether the workflow is final: its canvas and every
// callback it fired have finished, or it was refused.
func (w *Workflow) Ready() bool { return w.Completed }

// Describe returns the view of workflow id, or nil when it is unknown.
// It lists every task that was dispatched, and every task that failed or
// was revoked without running (a chord body failed with ChordError, a task
// that expired waiting), in plan order.
func Describe(st State, id string) (*WorkflowView, error) {
	w, err := st.Workflow(id)
	if err != nil || w == nil {
		return nil, err
	}
	v := &WorkflowView{ID: w.ID, State: w.Status.String(), Result: w.Result, Error: errorView(w.Err), Tasks: []*TaskView{}}
	if w.Plan == nil {
		return v, nil
	}
	byID := map[string]*TaskView{}
	for i := range w.Plan.Nodes {
		pn := &w.Plan.Nodes[i]
		if pn.Kind != TaskNode {
			continue
		}
		n, err := st.Node(w, int32(i))
		if err != nil {
			return nil, fmt.Errorf("projector: describe %s: %w", id, err)
		}
		if !n.Dispatched && n.Err == nil {
			continue
		}
		t := taskView(pn, n)
		v.Tasks = append(v.Tasks, t)
		byID[t.ID] = t
	}
	for _, t := range v.Tasks {
		if t.ParentID != nil {
			if p := byID[*t.ParentID]; p != nil {
				p.Children = append(p.Children, t.ID)
			}
		}
	}
	return v, nil
}

func taskView(pn *PlanNode, n *Node) *TaskView {
	t := &TaskView{
		ID: pn.ID, Name: pn.Sig.Task, State: n.Status.String(), Args: n.Args, Kwargs: n.Kwargs,
		Result: n.Result, Retries: n.Attempt, Children: []string{},
	}
	if n.Status == Custom {
		t.State, t.Meta = n.Custom, n.Meta
	}
	if n.Status == Failure || n.Status == Revoked || n.Status == Retry {
		t.Error = errorView(n.Err)
	}
	if t.Args == nil {
		t.Args = []any{}
	}
	if t.Kwargs == nil {
		t.Kwargs = map[string]any{}
	}
	if n.Parent != "" {
		p := n.Parent
		t.ParentID = &p
	}
	return t
}

// FindTask returns the workflow that task id belongs to, "" when none: a
// task_id given in the canvas is looked up, and a minted id is the
// workflow id itself (the root) or "<workflow>.<index>".
func FindTask(st State, task string) (string, error) {
	if owner, err := st.TaskOwner(task); owner != "" || err != nil {
		return owner, err
	}
	candidates := []string{task}
	if i := strings.LastIndexByte(task, '.'); i > 0 {
		candidates = append(candidates, task[:i])
	}
	for _, wf := range candidates {
		w, err := st.Workflow(wf)
		if err != nil {
			return "", err
		}
		if w != nil && w.Plan != nil {
			if _, ok := w.Plan.Lookup(task); ok {
				return wf, nil
			}
		}
	}
	return "", nil
}

// DescribeTask returns the view of one task and its workflow's id, or nil
// when the task is unknown or was never dispatched.
func DescribeTask(st State, task string) (*TaskView, string, error) {
	wf, err := FindTask(st, task)
	if err != nil || wf == "" {
		return nil, "", err
	}
	v, err := Describe(st, wf)
	if err != nil || v == nil {
		return nil, "", err
	}
	for _, t := range v.Tasks {
		if t.ID == task {
			return t, wf, nil
		}
	}
	return nil, "", nil
}
