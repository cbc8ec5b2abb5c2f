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
	x.w = &Workflow{ID: wf, Canvas: b.Canvas, Submitted: x.ev.Time, Status: Pending}
	x.dirty = true
	// Put it now: a State that persists encodes the canvas and lets its
	// value tree go (see State.PutWorkflow), so that a large canvas's tree
	// is not alive beside the plan being compiled, nor, when the caller
	// handed the event over, beside the signatures being parsed. It is put
	// again at the end, with its plan or refused.
	x.fail(x.st.PutWorkflow(x.w))
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
	if take && canvas.Bulky(c) {
		// Compile reads a group's members one at a time: a long list of
		// them left undecoded is never whole in memory, decoded or parsed.
		// Any error, or a member that is not a plain task, and the canvas
		// is parsed whole below, which finds the error in its place.
		var err error
		if plan, err = x.compileBulk(c); err != nil && !errors.Is(err, errBulk) {
			x.fail(err)
			return
		}
	}
	if plan == nil {
		var ok bool
		if plan, ok = x.compileWhole(c, take); !ok {
			return
		}
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

// errBulk is compileBulk's error for a canvas it cannot compile.
var errBulk = errors.New("projector: not compiled in bulk")

// compileBulk compiles a canvas from events.Codec.DecodeShared with its
// long lists of members kept in bulk (canvas.ParseBulk). It fails with
// errBulk where the canvas, or its parse in bulk, has an error, and with
// the State's error where it has one.
func (x *folding) compileBulk(c map[string]any) (*Plan, error) {
	sig, err := canvas.ParseBulk(c, x.f.cfg.Limits)
	if err == nil {
		err = sig.CheckDates(time.UnixMicro(x.ev.Time))
	}
	if err == nil {
		var conflict *IDConflictError
		if err = CheckIDs(x.st, x.ev.Workflow, sig); err != nil && !errors.As(err, &conflict) {
			return nil, err
		}
	}
	if err != nil {
		return nil, errBulk
	}
	plan, err := Compile(x.ev.Workflow, sig)
	if err != nil {
		return nil, errBulk
	}
	return plan, nil
}

// compileWhole parses a canvas whole and compiles it. It rejects the
// workflow, or fails the Fold, and reports false where it cannot.
// take says that c is handed over, and may be taken apart.
func (x *folding) compileWhole(c map[string]any, take bool) (*Plan, bool) {
	parse := canvas.FromOwnedValue
	if take {
		parse = canvas.TakeValue
	}
	sig, err := parse(c, x.f.cfg.Limits)
	if err == nil {
		err = sig.CheckDates(time.UnixMicro(x.ev.Time))
	}
	if err != nil {
		x.reject(err.Error())
		return nil, false
	}
	// No id of it may be another workflow's. Checked before the plan is
	// compiled, which would be alive beside the canvas meanwhile.
	if err := CheckIDs(x.st, x.ev.Workflow, sig); err != nil {
		var conflict *IDConflictError
		if errors.As(err, &conflict) {
			x.reject(err.Error())
		} else {
			x.fail(err)
		}
		return nil, false
	}
	plan, err := Compile(x.ev.Workflow, sig)
	if err != nil {
		x.reject(err.Error())
		return nil, false
	}
	return plan, true
}

func (x *folding) reject(reason string) {
	w := x.w
	w.Rejected = reason
	w.Status, w.RootDone, w.Completed = Failure, true, true
	w.Err = &Error{Type: "InvalidCanvas", Message: reason}
	x.emit("", events.RejectedID(w.ID), &events.WorkflowRejected{Reason: reason})
}
