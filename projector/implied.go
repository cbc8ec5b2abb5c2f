package projector

import "time"

// A group dispatches its plain task members without writing their nodes:
// a chord of 100,000 tasks is submitted with a handful of node records
// instead of 100,000, each of which would only have said "sent with the
// call its plan and its group give". Such a task's node is implied: it
// reads as never written (Idle), and its group node is marked Dispatched
// (a flag no composite used before, so a store written by an older engine,
// whose group members all have records, implies nothing). Fold fills an
// implied node in and puts it the first time it reads it (folding.node);
// the views fill in a copy (nodeReader).
//
// A member is plain when it is a task that start would dispatch at once,
// with nothing but its call to keep: no expiry, no countdown or eta still
// to wait for, not revoked before it was reached. Every other member is
// started as before and written, so that a member that reads Idle under a
// Dispatched group can only be an implied one.

// IdleReader is a State that can tell whether a node reads as never
// written without handing it out. A group asks it of each member it
// starts; a State that makes a node the first time Node is called
// (statestore's array of a new workflow's nodes) need then make none for
// the members it never writes. Other States are asked Node.
type IdleReader interface {
	// Idle reports whether node i of w has status Idle, as Node would
	// return it.
	Idle(w *Workflow, i int32) (bool, error)
}

// NodePeeker is a State that can read a node without keeping it, as Node
// would: a chord's end reads the result of each of its header's members
// once, which a Txn's Node would keep in memory until it ends.
type NodePeeker interface {
	// PeekNode returns node i of w as Node would return it.
	PeekNode(w *Workflow, i int32) (Node, error)
}

// result is the result of node i, which finished (a node that finished
// was written: never an implied one). It is read without being kept
// where the State can (NodePeeker).
func (x *folding) result(i int32) any {
	p, ok := x.st.(NodePeeker)
	if !ok {
		return x.node(i).Result
	}
	n, err := p.PeekNode(x.w, i)
	x.fail(err)
	if invariants {
		check(n.Status.Terminal(), "workflow %s: node %s read for its result is %s", x.w.ID, x.w.Plan.ID(i), n.Status)
	}
	return n.Result
}

// impliedParent returns the group that would have dispatched task node i
// without writing it, -1 when i is not a direct task member of a group.
func impliedParent(p *Plan, i int32) int32 {
	if p.Kind(i) != TaskNode {
		return -1
	}
	if g := p.parent(i); g >= 0 && p.Kind(g) == GroupNode {
		return g
	}
	return -1
}

// impliedGroup returns the group node that dispatched task node i of w
// without writing it, when n, node i as read, is such a task; nil
// otherwise. group reads a node of w.
func impliedGroup(w *Workflow, i int32, n *Node, group func(int32) (*Node, error)) (*Node, error) {
	if n.Status != Idle {
		return nil, nil
	}
	p := impliedParent(w.Plan, i)
	if p < 0 {
		return nil, nil
	}
	g, err := group(p)
	if err != nil || !g.Dispatched {
		return nil, err
	}
	return g, nil
}

// fillImplied sets task node n, member i of group g, to what start set it
// to when it dispatched it: its call, its parent and the failure its group
// was started with, sent and not yet started.
func fillImplied(p *Plan, i int32, n, g *Node) {
	var buf PlanNode
	fillCall(p.nodeIn(i, &buf), n, g)
}

// fillCall is fillImplied for the member whose plan node is pn.
func fillCall(pn *PlanNode, n, g *Node) {
	n.Args, n.Kwargs = call(pn, g.Args, g.Kwargs)
	n.Parent, n.Failure = g.Parent, g.Failure
	n.Status, n.Dispatched = Pending, true
}

// startMembers starts the members of group node i, n, started with
// parent and pf, with the inputs flowing into it (args, kw: its call).
// The group keeps its inputs; a plain task member is dispatched as
// fillImplied will read it back, and not written. The group is marked
// Dispatched once every other member was started and written, so that
// nothing started meanwhile reads a member as implied.
func (x *folding) startMembers(i int32, n *Node, args []any, kw map[string]any, parent string, pf *Error) {
	pn := x.w.Plan.Node(i)
	now := time.UnixMicro(x.ev.Time)
	n.Args, n.Kwargs = args, kw
	var buf PlanNode
	for _, m := range pn.Members {
		// Made once: a packed member is decoded each time (Plan.Node).
		if pm := x.w.Plan.nodeIn(m, &buf); x.plain(m, pm, now) {
			var t Node
			fillCall(pm, &t, n)
			x.dispatchAs(m, pm, &t)
			continue
		}
		x.start(m, args, kw, parent, pf)
	}
	n.Dispatched = true
	x.putNode(i, n)
}

// plain reports whether member m, plan node pm, about to be started at
// now, is a task start would dispatch at once and that has no node
// written yet.
func (x *folding) plain(m int32, pm *PlanNode, now time.Time) bool {
	if pm.Kind != TaskNode {
		return false
	}
	if _, ok := pm.Options.ExpiresAt(now); ok {
		return false
	}
	if _, ok := x.due(pm.Options); ok {
		return false
	}
	if r, ok := x.st.(IdleReader); ok {
		idle, err := r.Idle(x.w, m)
		x.fail(err)
		return idle && err == nil
	}
	n, err := x.st.Node(x.w, m)
	x.fail(err)
	return err == nil && n.Status == Idle
}

// nodeReader reads the nodes of one workflow for a view, filling in a
// copy of an implied one. It keeps the last group node it read: the
// members of a group come one after the other.
type nodeReader struct {
	st State
	w  *Workflow
	gi int32
	g  *Node
}

func newNodeReader(st State, w *Workflow) *nodeReader {
	return &nodeReader{st: st, w: w, gi: -1}
}

func (r *nodeReader) node(i int32) (*Node, error) {
	n, err := r.st.Node(r.w, i)
	if err != nil {
		return nil, err
	}
	g, err := impliedGroup(r.w, i, n, r.group)
	if err != nil {
		return nil, err
	}
	if g == nil {
		return n, nil
	}
	c := *n // n may be the State's own
	fillImplied(r.w.Plan, i, &c, g)
	return &c, nil
}

// group reads group node p, the last one read again from memory.
func (r *nodeReader) group(p int32) (*Node, error) {
	if p != r.gi {
		g, err := r.st.Node(r.w, p)
		if err != nil {
			return nil, err
		}
		r.gi, r.g = p, g
	}
	return r.g, nil
}

// ReadNode returns node i of w as Fold and the views see it: the node st
// holds, or, for a task its group dispatched without writing it, a copy
// filled in. Only Fold changes a State's nodes; a reader that shows or
// checks them reads them here.
func ReadNode(st State, w *Workflow, i int32) (*Node, error) {
	return newNodeReader(st, w).node(i)
}
