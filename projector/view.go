package projector

import (
	"fmt"
	"slices"
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

// HeaderView is the view of workflow w without its tasks (Tasks nil):
// what its header holds, whatever the size of its canvas.
func HeaderView(w *Workflow) *WorkflowView {
	return &WorkflowView{ID: w.ID, State: w.Status.String(), Result: w.Result, Error: errorView(w.Err)}
}

// Describe returns the view of workflow id, or nil when it is unknown.
// It lists, in plan order, every task that was sent (see listed): those
// dispatched, those waiting for their countdown or eta, and every task
// that failed or was revoked without running (a chord body failed with
// ChordError, a task that expired waiting).
func Describe(st State, id string) (*WorkflowView, error) {
	w, err := st.Workflow(id)
	if err != nil || w == nil {
		return nil, err
	}
	v := HeaderView(w)
	v.Tasks = []*TaskView{}
	if w.Plan == nil {
		return v, nil
	}
	byID := map[string]*TaskView{}
	r := newNodeReader(st, w)
	for i := range int32(w.Plan.Len()) {
		if w.Plan.Kind(i) != TaskNode {
			continue
		}
		n, err := r.node(i)
		if err != nil {
			return nil, fmt.Errorf("projector: describe %s: %w", id, err)
		}
		if !listed(n) {
			continue
		}
		t := taskView(w.Plan, i, n)
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

// listed reports whether the views show task node n: once it was sent; a
// task that was never reached is shown only once it failed or was revoked
// for good (it has an Err then).
func listed(n *Node) bool { return sent(n) || n.Err != nil }

// sent reports whether task node n was sent, as far as Celery's views go:
// dispatched, or waiting for its countdown or eta, as Celery sends its
// message at once and the worker holds it (it shows PENDING).
func sent(n *Node) bool { return n.Dispatched || n.Status == Scheduled }

func taskView(p *Plan, i int32, n *Node) *TaskView {
	pn := p.Node(i)
	t := &TaskView{
		ID: p.ID(i), Name: pn.Task, State: n.Status.String(), Args: n.Args, Kwargs: n.Kwargs,
		Result: n.Result, Retries: n.Attempt, Children: []string{},
	}
	if n.Status == Custom {
		t.State, t.Meta = n.Custom, n.Meta
	}
	// Celery's backend shows what the attempt that asked for the retry
	// stored, RETRY with its own retries, until the next attempt stores a
	// state of its own: sent again, not yet started, a task still reads
	// RETRY.
	retrying := n.Status == Retry || n.Status == Pending && n.Attempt > 0
	if retrying {
		t.State, t.Retries = Retry.String(), n.Attempt-1
	}
	if n.Status == Failure || n.Status == Revoked || retrying {
		t.Error = errorView(n.Err)
	}
	// A task that never started (a chord body failed with ChordError, a
	// task revoked before it was reached in a store from before Fold
	// recorded its call) shows its partial arguments: what its call
	// would have begun with. One that started without arguments has
	// none in its plan either (call).
	if t.Args == nil {
		t.Args = pn.Args
	}
	if t.Kwargs == nil {
		t.Kwargs = pn.Kwargs
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
	w, err := mintedOwner(st, task)
	if err != nil || w == nil {
		return "", err
	}
	return w.ID, nil
}

// mintedOwner returns the workflow, read with its plan, whose plan has
// task under a minted id: the workflow id itself or "<workflow>.<index>";
// nil when none does.
func mintedOwner(st State, task string) (*Workflow, error) {
	candidates := []string{task}
	if i := strings.LastIndexByte(task, '.'); i > 0 {
		candidates = append(candidates, task[:i])
	}
	for _, wf := range candidates {
		w, err := st.Workflow(wf)
		if err != nil {
			return nil, err
		}
		if w != nil && w.Plan != nil {
			if _, ok := w.Plan.Lookup(task); ok {
				return w, nil
			}
		}
	}
	return nil, nil
}

// DescribeTask returns the view of one task and its workflow's id, or nil
// when the task is unknown or was never sent (see listed).
func DescribeTask(st State, task string) (*TaskView, string, error) {
	w, t, err := LookupTask(st, task)
	if err != nil || t == nil {
		return nil, "", err
	}
	return t, w.ID, nil
}

// LookupTask returns the workflow that task belongs to, read with its
// plan (nil when no workflow has it), and the task's view as Describe
// lists it (nil when Describe does not list it: see listed).
// It reads the workflow once and, besides the task's own node, only the
// nodes that may be its children: those a ChildIndex names, or every
// task node of the workflow for a State that is none.
func LookupTask(st State, task string) (*Workflow, *TaskView, error) {
	var w *Workflow
	owner, err := st.TaskOwner(task)
	switch {
	case err != nil:
		return nil, nil, err
	case owner != "":
		w, err = st.Workflow(owner)
	default:
		w, err = mintedOwner(st, task)
	}
	if err != nil || w == nil || w.Plan == nil {
		return w, nil, err
	}
	i, ok := w.Plan.Lookup(task)
	if !ok || w.Plan.Kind(i) != TaskNode {
		return w, nil, nil
	}
	r := newNodeReader(st, w)
	n, err := r.node(i)
	if err != nil {
		return nil, nil, fmt.Errorf("projector: describe %s: %w", task, err)
	}
	if !listed(n) {
		return w, nil, nil
	}
	t := taskView(w.Plan, i, n)
	var (
		candidates []int32
		indexed    bool
	)
	if ci, isIndex := st.(ChildIndex); isIndex {
		candidates, indexed, err = ci.Children(w, i)
		if err != nil {
			return nil, nil, fmt.Errorf("projector: describe %s: %w", task, err)
		}
	}
	if indexed {
		candidates = withImpliedMembers(w.Plan, candidates)
	} else {
		candidates = make([]int32, 0, w.Plan.Len())
		for j := range int32(w.Plan.Len()) {
			candidates = append(candidates, j)
		}
	}
	for _, j := range candidates {
		if j == i || w.Plan.Kind(j) != TaskNode {
			continue
		}
		c, err := r.node(j)
		if err != nil {
			return nil, nil, fmt.Errorf("projector: describe %s: %w", task, err)
		}
		if listed(c) && c.Parent == task {
			t.Children = append(t.Children, w.Plan.ID(j))
		}
	}
	return w, t, nil
}

// withImpliedMembers adds to the nodes a ChildIndex gave the task members
// of each group among them, in plan order: a group started by a task's
// outcome is indexed as its child, the members it dispatched without
// writing them (see startMembers) are not.
func withImpliedMembers(p *Plan, nodes []int32) []int32 {
	var more []int32
	for _, j := range nodes {
		if p.Kind(j) != GroupNode {
			continue
		}
		for _, m := range p.Node(j).Members {
			if p.Kind(m) == TaskNode {
				more = append(more, m)
			}
		}
	}
	if len(more) == 0 {
		return nodes
	}
	all := append(append(make([]int32, 0, len(nodes)+len(more)), nodes...), more...)
	slices.Sort(all)
	return slices.Compact(all)
}
