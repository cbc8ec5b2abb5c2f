package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/projector"
)

// ErrNotGroup is returned by Group for a canvas that is neither a group
// nor a chord (nor a chain that ends in one).
var ErrNotGroup = errors.New("client: the canvas is not a group or a chord")

// errNoCanvas is returned by Group when the handle does not know its canvas.
var errNoCanvas = errors.New("client: the canvas of this workflow is not known here (use Client.Result with the canvas)")

// GroupResult follows the members of a group as Celery's GroupResult
// does: for a group root its members, for a chord its header (Celery's
// chord result's parent), for a chain the group or chord it ends with.
// Each member's result is that of its result task: the member itself, the
// last task of a member chain, the body of a member chord.
type GroupResult struct {
	// ID is the id of the group node.
	ID string
	// Workflow is the workflow's id.
	Workflow string
	// Members are the result task ids of the members, in member order.
	Members []string

	c *Client
}

// Group returns the GroupResult of the workflow's root group or chord
// header. It needs the canvas: a handle from Submit, SubmitJSON, or
// Client.Result with the canvas.
func (r *AsyncResult) Group() (*GroupResult, error) {
	sig := r.sig
	if sig == nil && r.wire != nil {
		var err error
		if sig, err = canvas.ParseJSON(r.wire, canvas.Limits{MaxBytes: len(r.wire) + 1}); err != nil {
			return nil, err
		}
	}
	if sig == nil {
		return nil, errNoCanvas
	}
	// The plan numbers nodes as the engine does, so ids agree.
	plan, err := projector.Compile(r.ID, sig)
	if err != nil {
		return nil, err
	}
	i := int32(0)
	for {
		n := plan.Node(i)
		switch {
		case n.Kind == projector.ChainNode && len(n.Members) > 0:
			i = n.Members[len(n.Members)-1]
			continue
		case n.Kind == projector.ChordNode:
			i = n.Members[0] // the header group
			continue
		case n.Kind != projector.GroupNode:
			return nil, ErrNotGroup
		}
		g := &GroupResult{ID: plan.ID(i), Workflow: r.ID, c: r.c, Members: make([]string, len(n.Members))}
		for k, m := range n.Members {
			g.Members[k] = resultTask(plan, m)
		}
		return g, nil
	}
}

// resultTask is the id of the task whose result is node i's.
func resultTask(p *projector.Plan, i int32) string {
	for {
		n := p.Node(i)
		switch {
		case n.Kind == projector.ChainNode && len(n.Members) > 0:
			i = n.Members[len(n.Members)-1]
		case n.Kind == projector.ChordNode:
			i = n.Members[1]
		default:
			return p.ID(i)
		}
	}
}

// memberStates reads the workflow once and returns each member's task
// (a PENDING stand-in for one not dispatched) and whether it finished:
// it is final, or the workflow is ready.
func (g *GroupResult) memberStates(ctx context.Context) ([]*Task, []bool, error) {
	w, err := g.c.Workflow(ctx, g.Workflow, 0)
	if err != nil {
		return nil, nil, err
	}
	tasks := make([]*Task, len(g.Members))
	done := make([]bool, len(g.Members))
	for k, id := range g.Members {
		t := w.Task(id)
		if t == nil {
			t = &Task{ID: id, State: "PENDING"}
		}
		tasks[k], done[k] = t, final(t.State) || w.Ready
	}
	return tasks, done, nil
}

// Waiting reports whether any member has not finished yet.
func (g *GroupResult) Waiting(ctx context.Context) (bool, error) {
	_, done, err := g.memberStates(ctx)
	if err != nil {
		return false, err
	}
	for _, d := range done {
		if !d {
			return true, nil
		}
	}
	return false, nil
}

// CompletedCount returns how many members succeeded.
func (g *GroupResult) CompletedCount(ctx context.Context) (int, error) {
	tasks, _, err := g.memberStates(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range tasks {
		if t.State == "SUCCESS" {
			n++
		}
	}
	return n, nil
}

// Collect waits until every member finished, timeout passed (0: no
// limit) or ctx ended, and returns the members' tasks in member order,
// each with its state, result or error. A member that never ran (an
// earlier task of its chain failed) shows as PENDING with the failure
// that stopped it.
func (g *GroupResult) Collect(ctx context.Context, timeout time.Duration) ([]*Task, error) {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	out := make([]*Task, len(g.Members))
	for k, id := range g.Members {
		left := time.Duration(0)
		if !deadline.IsZero() {
			if left = time.Until(deadline); left <= 0 {
				return out[:k], ErrTimeout
			}
		}
		var t *Task
		err := poll(ctx, left, func(ctx context.Context, wait time.Duration) (bool, error) {
			var err error
			t, err = g.c.Task(ctx, id, wait)
			return err == nil && t.Ready, err
		})
		if err != nil {
			return out[:k], err
		}
		if !final(t.State) && t.Error == nil {
			// The workflow is ready and the member never ran: its
			// workflow's failure is what stopped it.
			w, err := g.c.Workflow(ctx, g.Workflow, 0)
			if err != nil {
				return out[:k], err
			}
			t.Error = w.Error
		}
		out[k] = t
	}
	return out, nil
}

// Join waits as Collect does and returns the members' results in member
// order, or the first failure in member order as a *TaskFailedError.
func (g *GroupResult) Join(ctx context.Context, timeout time.Duration) ([]any, error) {
	tasks, err := g.Collect(ctx, timeout)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(tasks))
	for k, t := range tasks {
		if t.State != "SUCCESS" {
			state := t.State
			if !final(state) {
				state = "FAILURE"
			}
			return nil, failedError(state, t.Error, t.ID)
		}
		out[k] = t.Result
	}
	return out, nil
}

// final reports whether a task state is one a task never leaves.
func final(state string) bool {
	return state == "SUCCESS" || state == "FAILURE" || state == "REVOKED"
}

// String returns "group <id> of <n> members".
func (g *GroupResult) String() string {
	return fmt.Sprintf("group %s of %d members", g.ID, len(g.Members))
}
