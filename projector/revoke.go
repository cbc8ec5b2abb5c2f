package projector

import "github.com/fugue-run/fugue/events"

// revokeRequested revokes the whole workflow (no task in the envelope) or
// one node of it. Nothing revoked is dispatched afterwards; tasks already
// sent get a TaskRevoked event, which the runner also passes to workers so
// that a running task's context is cancelled.
func (x *folding) revokeRequested() {
	if !x.load() {
		return
	}
	if x.ev.Task == "" || x.ev.Task == x.w.ID && x.w.Plan.Kind(0) != TaskNode {
		x.revokeWorkflow()
		return
	}
	i, ok := x.w.Plan.Lookup(x.ev.Task)
	if !ok {
		return
	}
	x.revokeNode(i)
}

func (x *folding) revokeWorkflow() {
	w := x.w
	for i := range w.Plan.Len() {
		n := x.node(int32(i))
		if n.Status.Terminal() {
			continue
		}
		x.markRevoked(int32(i), n)
		x.putNode(int32(i), n)
	}
	if !w.RootDone {
		w.RootDone, w.Status = true, Revoked
		w.Result, w.Err = nil, revokedError(w.ID)
	}
	w.Outstanding = 0
	x.dirty = true
}

// markRevoked sets a node Revoked, telling workers when it was sent.
func (x *folding) markRevoked(i int32, n *Node) {
	task := x.w.Plan.Kind(i) == TaskNode
	if task && n.Status != Idle && n.Status != Scheduled {
		id := x.w.Plan.ID(i)
		x.emit(id, events.RevokedID(id, ReasonRevoked), &events.TaskRevoked{Reason: ReasonRevoked})
	}
	if task && sent(n) {
		// A task that was sent shows why it did not finish, as Celery's
		// result of a revoked task does.
		n.Err = revokedError(x.w.Plan.ID(i))
	}
	n.Status = Revoked
}

// revokeNode revokes one task, or every task under a composite. A task not
// reached yet fails as TaskRevokedError when it would start; one that is
// waiting or running fails now, and its parents see it as a failure.
func (x *folding) revokeNode(i int32) {
	if x.w.Plan.Kind(i) != TaskNode {
		for _, m := range x.w.Plan.Node(i).Members {
			x.revokeNode(m)
		}
		return
	}
	n := x.node(i)
	if n.Status.Terminal() {
		return
	}
	active := n.Status != Idle
	x.markRevoked(i, n)
	if active {
		x.complete(i, n, false, nil, revokedError(x.w.Plan.ID(i)))
	}
	x.putNode(i, n)
}
