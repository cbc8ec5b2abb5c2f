package projector

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fugue-run/fugue/canvas"
)

// IDConflictError refuses a submission that would use an id another
// workflow uses: FindTask would answer for the wrong workflow, and the
// events of two tasks with one id would be named alike.
type IDConflictError struct {
	// Path is where the canvas gives the id (`kwargs.tasks[1].options.task_id`);
	// "" for the workflow's own id when the canvas does not give it.
	Path string
	// ID is the id, Workflow the workflow that uses it.
	ID, Workflow string
	// Reserved is set when ID is not a task of Workflow (yet), but has
	// the form of the ids Workflow makes up for its nodes without a
	// task_id: "<workflow>.<n>".
	Reserved bool
	// MadeUp, for the workflow's own id (ID), is a task_id Workflow
	// claimed that has the form of the ids ID would make up for its
	// nodes: "<ID>.<n>".
	MadeUp string
}

func (e *IDConflictError) Error() string {
	var b strings.Builder
	if e.Path == "" {
		fmt.Fprintf(&b, "workflow id %q", e.ID)
	} else {
		fmt.Fprintf(&b, "%s: task_id %q", e.Path, e.ID)
	}
	switch {
	case e.MadeUp != "":
		fmt.Fprintf(&b, " would name its tasks without a task_id %s.<n>, and workflow %s already uses task_id %q", e.ID, e.Workflow, e.MadeUp)
	case e.Reserved:
		fmt.Fprintf(&b, " is reserved for workflow %s, whose tasks without a task_id are named %s.<n>", e.Workflow, e.Workflow)
	default:
		fmt.Fprintf(&b, " is already used by workflow %s", e.Workflow)
	}
	return b.String()
}

// CheckIDs returns an *IDConflictError when workflow wf, submitted with
// canvas sig, would use an id that another workflow known to st uses: its
// own id, or a task_id sig gives; or when another workflow claimed an id
// of the form wf would make up for its nodes ("<wf>.<n>"), since it was
// given before wf was known. An id is used by workflow w when w
// claimed it as a task_id, when it is w's id, or when it has the form
// "<w>.<n>" of the ids w makes up for its nodes (whether or not w has a
// node n: deciding that would need w's plan, which a State need not keep
// for a finished workflow). A refused workflow has no tasks and uses
// none. Any other error is st's.
//
// Fold and the HTTP API both check a submission with it before it is
// accepted. Each given task_id costs two point reads (its claim, a
// workflow by that id) and a third, once per prefix, for an id of the form
// "<w>.<n>"; a canvas without task_ids costs a walk and the reads for wf,
// one of them a seek among the claims.
func CheckIDs(st State, wf string, sig *canvas.Signature) error {
	c := idCheck{st: st, wf: wf}
	if sig.Options.TaskID != wf { // a root that gives it is checked with its path
		if err := c.check(wf); err != nil {
			return err
		}
	}
	task, owner, err := st.MadeUpClaim(wf)
	if err != nil {
		return err
	}
	if task != "" && owner != wf {
		return &IDConflictError{ID: wf, Workflow: owner, MadeUp: task}
	}
	eachNamed(sig, func(s *canvas.Signature, at wirePath) bool {
		err = c.check(s.Options.TaskID)
		var conflict *IDConflictError
		if errors.As(err, &conflict) {
			conflict.Path = at.taskID()
		}
		return err == nil
	})
	return err
}

type idCheck struct {
	st State
	wf string
	// workflows caches, per "<w>" prefix of a task_id "<w>.<n>", whether w
	// is a workflow that was not refused: a canvas may give many ids
	// with one prefix.
	workflows map[string]bool
}

// check checks one id; an *IDConflictError it returns has no Path.
func (c *idCheck) check(id string) error {
	owner, err := c.st.TaskOwner(id)
	if err != nil {
		return err
	}
	if owner != "" && owner != c.wf {
		return &IDConflictError{ID: id, Workflow: owner}
	}
	if id != c.wf {
		used, err := c.used(id)
		if err != nil {
			return err
		}
		if used {
			return &IDConflictError{ID: id, Workflow: id}
		}
	}
	if w, ok := MadeUpPrefix(id); ok && w != c.wf {
		used, known := c.workflows[w]
		if !known {
			if used, err = c.used(w); err != nil {
				return err
			}
			if c.workflows == nil {
				c.workflows = map[string]bool{}
			}
			c.workflows[w] = used
		}
		if used {
			return &IDConflictError{ID: id, Workflow: w, Reserved: true}
		}
	}
	return nil
}

// used reports whether workflow id is known and was not refused.
func (c *idCheck) used(id string) (bool, error) {
	w, err := Header(c.st, id)
	return w != nil && w.Rejected == "", err
}

// MadeUpClaimIn is State.MadeUpClaim over claims, a map from task id to
// the workflow that claimed it, for a State that keeps its claims in one.
func MadeUpClaimIn(claims map[string]string, wf string) (task, owner string) {
	for id, w := range claims {
		if p, ok := MadeUpPrefix(id); ok && p == wf && (task == "" || id < task) {
			task, owner = id, w
		}
	}
	return task, owner
}

// MadeUpPrefix returns w when id has the form "<w>.<n>" of an id that
// workflow w makes up for node n (n in decimal, without leading zeros).
func MadeUpPrefix(id string) (string, bool) {
	i := strings.LastIndexByte(id, '.')
	if i <= 0 || i == len(id)-1 {
		return "", false
	}
	n := id[i+1:]
	if n[0] == '0' && len(n) > 1 {
		return "", false
	}
	for k := 0; k < len(n); k++ {
		if n[k] < '0' || n[k] > '9' {
			return "", false
		}
	}
	return id[:i], true
}
