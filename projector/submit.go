package projector

import (
	"errors"
	"time"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/value"
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
	x.w = &Workflow{ID: wf, Canvas: b.Canvas, CanvasAvro: b.CanvasAvro, Submitted: x.ev.Time, Status: Pending}
	x.dirty = true
	// Put it now: a State that persists encodes the canvas and lets its
	// value tree go (see State.PutWorkflow), so that a large canvas's tree
	// is not alive beside the plan being compiled, nor, when the caller
	// handed the event over, beside the signatures being parsed. It is put
	// again at the end, with its plan or refused.
	x.fail(x.st.PutWorkflow(x.w))
	x.w.CanvasAvro = nil // a State that keeps it has it: the record is let go with the event
	take := x.take && x.w.Canvas == nil
	c := b.Canvas
	if !take && value.HasLazy(c) {
		// Members the event left undecoded (events.Codec.DecodeShared),
		// where the State keeps the canvas as it is or the event is not
		// handed over: decoded into a copy, the event left as it is.
		m, err := value.Materialize(value.Clone(c))
		if err != nil {
			x.fail(err)
			return
		}
		c = m.(map[string]any)
		if x.w.Canvas != nil {
			x.w.Canvas = c
		}
	}
	var plan *Plan
	var reason string
	if take && canvas.Bulky(c) {
		// Compile reads a group's members one at a time: a long list of
		// them left undecoded is never whole in memory, decoded or parsed.
		// A refusal, or a member that is not a plain task, and the canvas
		// is parsed whole below, which finds the reason in its place.
		if plan, _, err = x.compileWith(canvas.ParseBulk, c); err != nil {
			x.fail(err)
			return
		}
	}
	if plan == nil {
		parse := canvas.FromOwnedValue
		if take {
			parse = canvas.TakeValue
		}
		if plan, reason, err = x.compileWith(parse, c); err != nil {
			x.fail(err)
			return
		}
	}
	if plan == nil {
		x.reject(reason)
		return
	}
	// FindTask finds the workflow id and the ids made up from it in the
	// plan; a task_id given below the root is claimed. A composite that
	// gave way to a node below it keeps its task_id option but not the id.
	// A packed node gives no task_id.
	plan.eachStored(func(k int32, n *PlanNode) {
		if t := n.Options.TaskID; t != "" {
			if id := plan.ID(k); id == t && id != wf {
				x.fail(x.st.ClaimTask(id, wf))
			}
		}
	})
	x.w.Plan = plan
	x.fail(x.st.PutWorkflow(x.w))
	x.start(0, nil, nil, "", nil)
}

// compileWith parses c with parse, checks its dates and ids and compiles
// it. It returns the plan, or the reason the canvas is refused, or the
// State's error.
func (x *folding) compileWith(parse func(any, canvas.Limits) (*canvas.Signature, error), c map[string]any) (*Plan, string, error) {
	sig, err := parse(c, x.f.cfg.Limits)
	if err == nil {
		err = sig.CheckDates(time.UnixMicro(x.ev.Time))
	}
	if err != nil {
		return nil, err.Error(), nil
	}
	// No id of it may be another workflow's. Checked before the plan is
	// compiled, which would be alive beside the canvas meanwhile.
	if err := CheckIDs(x.st, x.ev.Workflow, sig); err != nil {
		var conflict *IDConflictError
		if errors.As(err, &conflict) {
			return nil, err.Error(), nil
		}
		return nil, "", err
	}
	plan, err := Compile(x.ev.Workflow, sig)
	if err != nil {
		return nil, err.Error(), nil
	}
	return plan, "", nil
}

func (x *folding) reject(reason string) {
	w := x.w
	w.Rejected = reason
	w.Status, w.RootDone, w.Completed = Failure, true, true
	w.Err = &Error{Type: "InvalidCanvas", Message: reason}
	x.emit("", events.RejectedID(w.ID), &events.WorkflowRejected{Reason: reason})
}
