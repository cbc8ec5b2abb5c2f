package projector

import (
	"strconv"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/pyrepr"
)

// complete records that node i finished (ok with result, or failed with
// err), fires its callbacks or errbacks, and tells its parent. A task's
// caller has set its status already; a revoked node keeps Revoked. A
// revocation runs no errback (see revocation and errbackError).
func (x *folding) complete(i int32, n *Node, ok bool, result any, err *Error) {
	links, ebs, callback := x.w.Plan.callbacks(i)
	switch {
	case n.Status == Revoked:
		n.Err = err
	case ok:
		n.Status, n.Result = Success, result
	default:
		n.Status, n.Err = Failure, err
	}
	if ok && len(links) > 0 {
		from, parent := x.w.Plan.resultTask(i), x.source(i)
		for _, l := range links {
			x.fire(l, []any{result}, from, parent, nil)
		}
	} else if !ok && len(ebs) > 0 {
		if eb := x.errbackError(i, err); eb != nil {
			for _, l := range ebs {
				x.fire(l, []any{eb.TaskID}, eb.TaskID, eb.TaskID, eb)
			}
		}
	}
	switch parent := x.w.Plan.parent(i); {
	case callback:
		if invariants {
			check(x.w.Outstanding > 0, "workflow %s: callback %s finished with none outstanding", x.w.ID, x.w.Plan.ID(i))
		}
		x.w.Outstanding--
		x.dirty = true
	case parent >= 0:
		x.childDone(parent, i, ok, result, err)
	default:
		x.w.RootDone, x.w.Result, x.w.Err = true, result, err
		switch {
		case ok:
			x.w.Status = Success
		case err.Type == "TaskRevokedError":
			x.w.Status = Revoked
		default:
			x.w.Status = Failure
		}
		x.dirty = true
	}
}

// fire starts callback root l, fired by node from's outcome, as a child
// of task parent.
func (x *folding) fire(l int32, in []any, from, parent string, pf *Error) {
	x.w.Outstanding++
	x.dirty = true
	x.emit(from, events.LinkFiredID(x.w.ID, l), &events.LinkFired{Source: from, Node: l, Errback: pf != nil})
	x.start(l, in, nil, parent, pf)
}

// source is the task whose outcome finished node i, just finished with
// success: the parent of what that outcome starts (a chain's next
// element, a chord's body, a callback), as Celery's parent_id is the
// task that sent it. It is the task itself, a chain's last element, a
// chord's body, or a group's last member (Celery sends a chord's body
// from the header task that finishes last; the last in member order is a
// task too, and does not depend on the order in which members finish, so
// that the state does not either); for an empty chain or group, the task
// that started it ("" for none). Never a composite's id, which names no
// task.
func (x *folding) source(i int32) string {
	p := x.w.Plan
	for {
		if p.Kind(i) == TaskNode {
			return p.ID(i)
		}
		n := p.Node(i)
		switch {
		case n.Kind == ChordNode:
			i = n.Members[1]
		case len(n.Members) > 0: // a chain or a group
			i = n.Members[len(n.Members)-1]
		default:
			return x.node(i).Parent
		}
	}
}

// childDone tells composite p that its member c finished.
func (x *folding) childDone(p, c int32, ok bool, result any, err *Error) {
	pp := x.w.Plan.Node(p) // a composite: never packed
	pos := x.w.Plan.pos(c)
	n := x.node(p)
	if n.Status.Terminal() {
		return
	}
	defer x.putNode(p, n)
	switch pp.Kind {
	case ChainNode:
		switch {
		case !ok:
			x.complete(p, n, false, nil, err)
		case int(pos)+1 < len(pp.Members):
			n.Next = pos + 1
			x.start(pp.Members[pos+1], []any{result}, nil, x.source(c), nil)
		default:
			x.complete(p, n, true, result, nil)
		}
	case GroupNode:
		n.Done++
		if !ok && (n.FirstFailed == 0 || pos+1 < n.FirstFailed) {
			n.FirstFailed = pos + 1
		}
		size := int32(len(pp.Members))
		if invariants {
			check(n.Done <= size, "group %s counted %d of %d members", x.w.Plan.ID(p), n.Done, size)
		}
		if pp.Parent >= 0 && x.w.Plan.Kind(pp.Parent) == ChordNode && pp.Pos == 0 {
			chord := x.w.Plan.ID(pp.Parent)
			x.emit("", events.ChordCounterID(chord, pos), &events.ChordCounterIncremented{
				Chord: chord, Index: pos, Count: n.Done, Size: size,
			})
		}
		if n.Done < size {
			return
		}
		if n.FirstFailed > 0 {
			x.complete(p, n, false, nil, x.node(pp.Members[n.FirstFailed-1]).Err)
			return
		}
		results := make([]any, 0, size)
		for _, m := range pp.Members {
			r := x.result(m)
			if inner, ok := r.([]any); ok && x.w.Plan.spliced(m) {
				results = append(results, inner...)
				continue
			}
			results = append(results, r)
		}
		x.complete(p, n, true, results, nil)
	case ChordNode:
		if pos == 1 { // the body
			x.complete(p, n, ok, result, err)
			return
		}
		chord := x.w.Plan.ID(p)
		x.emit("", events.ChordCompletedID(chord), &events.ChordCompleted{Chord: chord, Failed: !ok})
		body := pp.Members[1]
		if ok {
			x.start(body, []any{result}, nil, x.source(c), nil)
			return
		}
		// The body never runs: it fails with ChordError naming the first
		// failed member in header order, and its errbacks run once.
		bodyErr := &Error{
			Type:    "ChordError",
			Message: "Dependency " + err.TaskID + " raised " + raisedRepr(err.Type, err.Message),
			TaskID:  x.w.Plan.resultTask(body),
		}
		if x.w.Plan.Kind(body) == GroupNode {
			x.failGroupBody(body, err)
		}
		bn := x.node(body)
		x.complete(body, bn, false, nil, bodyErr)
		x.putNode(body, bn)
	}
}

// failGroupBody runs the errbacks of the members of group body, the body
// of a chord whose header failed with err, as Celery 5.7's
// _handle_group_chord_error does (backends/base.py): for each member, in
// order, the errbacks that _result_errbacks finds (Plan.resultErrbacks),
// with the member's result id, handling the header's failure (Celery
// passes the ChordError's cause). Celery's group.link_error copies a
// group's errback onto every member, so a body group's errback runs once a
// member, as in Celery. A group spliced into the body (kept as a node for
// its own options) runs none of its members': Celery keys the errbacks by
// the ids of the group's tasks as written, which a spliced group's
// results are not. The body group's own errbacks run once, when it
// completes.
func (x *folding) failGroupBody(body int32, err *Error) {
	p := x.w.Plan
	for _, m := range p.Node(body).Members {
		if p.spliced(m) {
			continue
		}
		id, ebs := p.resultErrbacks(m)
		if len(ebs) == 0 {
			continue
		}
		pf := &Error{Type: err.Type, Message: err.Message, Traceback: err.Traceback, TaskID: id}
		for _, l := range ebs {
			x.fire(l, []any{id}, id, id, pf)
		}
	}
}

// checkReady emits WorkflowCompleted once the canvas and every callback it
// fired have finished.
func (x *folding) checkReady() {
	w := x.w
	if w.Completed || !w.RootDone || w.Outstanding > 0 {
		return
	}
	if invariants {
		check(w.Outstanding == 0, "workflow %s completed with %d callbacks running", w.ID, w.Outstanding)
	}
	w.Completed = true
	x.dirty = true
	c := &events.WorkflowCompleted{State: w.Status.String(), Result: w.Result}
	if w.Err != nil {
		c.Error = &events.Failure{Type: w.Err.Type, Message: w.Err.Message, Traceback: w.Err.Traceback}
		c.ErrorTask = w.Err.TaskID
	}
	x.emit("", events.CompletedID(w.ID), c)
}

// revocation reports whether err is a revocation (a task revoked, expired
// or terminated, or a composite that one of those ended). Celery's
// mark_as_revoked stores REVOKED and tells the task's chord, but calls no
// errback and fails no chained task, unlike mark_as_failure; so a
// revocation runs no errback here, of the task or of a composite it ends.
// A chord whose header member was revoked still fails its body with
// ChordError (REVOKED is among Celery's PROPAGATE_STATES), and the body's
// errbacks run for that, as Celery's chord_error_from_stack runs them.
func revocation(err *Error) bool { return err.Type == "TaskRevokedError" }

// errbackError is the failure that the errbacks of node i, failed with err,
// handle; nil when they do not run. That is err, unless err is a
// revocation: then the first failure in member order, within i, that is
// not one, and nil when there is none. A group runs every member, so one
// may be revoked and a later one fail: the group's error is the revocation
// (the first in member order, as Celery's GroupResult.get raises), yet
// Celery copies a group's errbacks (and a chain's, through it) onto every
// member, and the failed member's copy runs while the revoked one's does
// not. So the errback still runs here, once, for the failed member.
func (x *folding) errbackError(i int32, err *Error) *Error {
	if err == nil || !revocation(err) {
		return err
	}
	if x.w.Plan.Kind(i) == TaskNode {
		return nil
	}
	for _, m := range x.w.Plan.Node(i).Members {
		if e := x.errbackError(m, x.node(m).Err); e != nil {
			return e
		}
	}
	return nil
}

func revokedError(task string) *Error {
	return &Error{Type: "TaskRevokedError", Message: ReasonRevoked, TaskID: task}
}

// maxRetriesMessage is Celery's MaxRetriesExceededError text.
func maxRetriesMessage(name, id string, args []any, kwargs map[string]any) string {
	kw := map[string]any(kwargs)
	if kw == nil {
		kw = map[string]any{}
	}
	return "Can't retry " + name + "[" + id + "] args:" + pyrepr.Tuple(args) + " kwargs:" + pyrepr.Value(kw)
}

// raisedRepr is Python's repr of a failed task's exception, as a
// ChordError names it (Celery: "Dependency <id> raised {exc!r}"): that of
// an exception raised with its message as one string,
// ExpectedException('Task expected to fail'). billiard raises the time
// limits otherwise, and package worker reports them so: TimeLimitExceeded
// with the limit, a number (TimeLimitExceeded(1), TimeLimitExceeded(1.0)),
// and SoftTimeLimitExceeded with nothing (SoftTimeLimitExceeded()).
func raisedRepr(typ, message string) string {
	switch typ {
	case "TimeLimitExceeded":
		if _, err := strconv.ParseFloat(message, 64); err == nil {
			return typ + "(" + message + ")"
		}
	case "SoftTimeLimitExceeded":
		if message == "" {
			return typ + "()"
		}
	}
	return pyrepr.Exception(typ, message)
}
