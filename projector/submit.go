package projector

import (
	"errors"
	"time"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/events"
)

// submitted compiles and starts a new workflow. Submitting a workflow id
// again changes nothing: the root task_id makes a submission idempotent.
func (x *folding) submitted(b *events.WorkflowSubmitted) {
	wf := x.ev.Workflow
	old, err := x.st.Workflow(wf)
	if err != nil || old != nil {
		x.fail(err)
		return
	}
	x.w = &Workflow{ID: wf, Canvas: b.Canvas, Submitted: x.ev.Time, Status: Pending}
	x.dirty = true
	// Put it now: a State that persists encodes the canvas and lets its
	// value tree go (see State.PutWorkflow), so that a large canvas's tree
	// is not alive beside the plan being compiled, nor, when the caller
	// handed the event over, beside the signatures being parsed. It is put
	// again at the end, with its plan or refused.
	x.fail(x.st.PutWorkflow(x.w))
	parse := canvas.FromOwnedValue
	if x.take && x.w.Canvas == nil {
		parse = canvas.TakeValue
	}
	sig, err := parse(b.Canvas, x.f.cfg.Limits)
	if err == nil {
		err = sig.CheckDates(time.UnixMicro(x.ev.Time))
	}
	if err != nil {
		x.reject(err.Error())
		return
	}
	// No id of it may be another workflow's. Checked before the plan is
	// compiled, which would be alive beside the canvas meanwhile.
	if err := CheckIDs(x.st, wf, sig); err != nil {
		var conflict *IDConflictError
		if errors.As(err, &conflict) {
			x.reject(err.Error())
		} else {
			x.fail(err)
		}
		return
	}
	plan, err := Compile(wf, sig)
	if err != nil {
		x.reject(err.Error())
		return
	}
	// FindTask finds the workflow id and the ids made up from it in the
	// plan; a task_id given below the root is claimed. A composite that
	// gave way to a node below it keeps its task_id option but not the id.
	for k := range plan.Nodes {
		if t := plan.Nodes[k].Options.TaskID; t != "" {
			if id := plan.ID(int32(k)); id == t && id != wf {
				x.fail(x.st.ClaimTask(id, wf))
			}
		}
	}
	x.w.Plan = plan
	x.fail(x.st.PutWorkflow(x.w))
	x.start(0, nil, nil, "", nil)
}

func (x *folding) reject(reason string) {
	w := x.w
	w.Rejected = reason
	w.Status, w.RootDone, w.Completed = Failure, true, true
	w.Err = &Error{Type: "InvalidCanvas", Message: reason}
	x.emit("", events.RejectedID(w.ID), &events.WorkflowRejected{Reason: reason})
}
