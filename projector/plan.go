package projector

import (
	"fmt"
	"math"
	"strconv"

	"github.com/fugue-run/fugue/canvas"
)

// NodeKind is the kind of a plan node. Map and starmap are tasks; a chunks
// is a group of starmap tasks, never spliced into its parent.
type NodeKind uint8

// Plan node kinds.
const (
	TaskNode NodeKind = iota
	ChainNode
	GroupNode
	ChordNode
)

// PlanNode is one node of a compiled canvas. Nodes are numbered in
// pre-order; node 0 is the canvas root, and callbacks (link, link_error)
// are further roots with Parent -1 and Callback set. Its id is Plan.ID's.
//
// A plan keeps a PlanNode for each node but a group's plain task members,
// which it packs (packed.go): a canvas can hold many nodes that are not
// such members too (a group of 100,000 chains), so the fields are ordered
// so that none is padded, a made-up id is not kept (Plan.ID makes it
// again), and the rare callbacks are behind a pointer.
type PlanNode struct {
	// id is the node's id when it is not the one Plan.ID makes up: its
	// task_id option, or the id a composite took when it gave way.
	id string
	// Task is the task name; for a composite, Celery's name of its kind
	// ("celery.group", ...) or whatever the wire form carried.
	Task string
	// Members are chain elements, group members, or a chord's header
	// group and body.
	Members []int32
	// Args and Kwargs are the node's partial arguments, shared with the
	// parsed canvas; Immutable marks Celery's .si().
	Args   []any
	Kwargs map[string]any
	// Options are the node's execution options without Link and
	// LinkError (the callbacks are the nodes in Links and Errbacks): its
	// own, with those its parent passes down merged over them (see
	// inherit.go). Nodes share Options values (every node with none
	// shares one, and members with none of their own share what their
	// parent passes): never modify one.
	// The plan keeps no canvas.Signature, so that the parsed canvas can
	// go once it is compiled (a Signature is ~400 bytes, mostly options
	// that are usually empty).
	Options *canvas.Options
	cb      *nodeCallbacks
	// Parent is the enclosing composite, -1 for a root.
	Parent int32
	// Pos is the node's position in its parent: chain element, group
	// member; in a chord, 0 is the header group and 1 the body.
	Pos       int32
	Kind      NodeKind
	Immutable bool
	Callback  bool
	// Spliced marks a group directly inside a group (or a chord header)
	// that normalize kept as a node for its own task_id, link or
	// link_error: its results count as its parent's, one per member, as
	// if its members were spliced in, as Celery unrolls every nested group.
	// A chunks is never Spliced: Celery applies it as one signature.
	Spliced bool
}

// nodeCallbacks are a node's callback roots.
type nodeCallbacks struct {
	links, errbacks []int32
}

// Links are the roots of the node's link callbacks.
func (n *PlanNode) Links() []int32 {
	if n.cb == nil {
		return nil
	}
	return n.cb.links
}

// Errbacks are the roots of the node's link_error callbacks.
func (n *PlanNode) Errbacks() []int32 {
	if n.cb == nil {
		return nil
	}
	return n.cb.errbacks
}

// Plan is a compiled canvas. It is derived deterministically from the
// canvas and the workflow id, so a replay compiles the same plan.
type Plan struct {
	// nodes are the nodes that are not packed (packed.go), in order;
	// runs the packed ones, in order.
	nodes []PlanNode
	runs  []*packedRun
	size  int32
	wf    string
	// ids are the nodes whose id is not made up, by id.
	ids map[string]int32
}

// ID returns node i's id: its task_id option; else the workflow id for
// the root and "<workflow>.<i>" for the others; or, for a composite that
// gave way to a node below it with the same task_id, "<workflow>.<i>"
// (the root's too).
func (p *Plan) ID(i int32) string {
	if k, r := p.slot(i); r == nil && p.nodes[k].id != "" {
		return p.nodes[k].id
	}
	return madeUp(p.wf, i)
}

// Lookup returns the node with id.
func (p *Plan) Lookup(id string) (int32, bool) {
	if i, ok := p.ids[id]; ok {
		return i, true
	}
	i, ok := madeUpIndex(p.wf, id)
	if !ok || i >= p.size {
		return 0, false
	}
	if k, r := p.slot(i); r == nil && p.nodes[k].id != "" {
		return 0, false
	}
	return i, true
}

// madeUp is the id of node i of workflow wf when it gives none: the
// workflow id for the root, "<workflow>.<i>" for the others.
func madeUp(wf string, i int32) string {
	if i == 0 {
		return wf
	}
	var buf [64]byte // one allocation, the string's, for most ids
	return string(strconv.AppendInt(append(append(buf[:0], wf...), '.'), int64(i), 10))
}

// madeUpIndex is the node whose made-up id in workflow wf is id.
func madeUpIndex(wf, id string) (int32, bool) {
	if id == wf {
		return 0, true
	}
	if len(id) < len(wf)+2 || id[:len(wf)] != wf || id[len(wf)] != '.' || id[len(wf)+1] == '0' {
		return 0, false
	}
	var i int64
	for _, c := range []byte(id[len(wf)+1:]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		if i = i*10 + int64(c-'0'); i > math.MaxInt32 {
			return 0, false
		}
	}
	return int32(i), true
}

// Compile normalises sig and numbers its nodes for workflow wf. It
// refuses, with a *canvas.Error at the second task_id in wire order, a
// canvas that gives one id to two nodes, or gives a task_id that is the id
// Compile makes up for another node.
//
// A composite gives way to a node below it that gives the same task_id:
// the node keeps the id and the composite takes a made-up one. Celery
// gives a frozen chain its last task's id and a frozen chord its header
// group's, and apply_async sends canvases frozen.
func Compile(wf string, sig *canvas.Signature) (*Plan, error) {
	return compile(wf, sig, !madeUpOnly(wf, sig), true)
}

// compile is Compile; index says to index every id while it compiles,
// which only a canvas that gives a task_id below its root needs, and pack
// to pack plain members (packed.go), which only tests do not.
func compile(wf string, sig *canvas.Signature, index, pack bool) (_ *Plan, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bulkError)
			if !ok {
				panic(r)
			}
			err = b.err
		}
	}()
	root := normalize(sig)
	// Sized up front: a chord of 100,000 tasks would otherwise grow the
	// id index a dozen times over.
	all, stored := size(root)
	if !pack {
		stored = all
	}
	c := &compiler{wf: wf, plan: &Plan{nodes: make([]PlanNode, 0, stored), wf: wf}, pack: pack}
	if index {
		c.ids = make(map[string]int32, all)
	}
	c.add(root, -1, 0, false, noOptions, true)
	for k := 0; k < len(c.pendingCallbacks); k++ { // callbacks may add callbacks
		c.pendingCallbacks[k]()
	}
	if c.err != nil {
		return nil, c.err
	}
	if c.twice != "" {
		return nil, usedTwice(wf, sig, c.twice)
	}
	// Keep only the ids that are not made up: a made-up id costs a string
	// and an index entry per node, and Plan.ID makes it again. Told by
	// parsing, not by making each one again to compare. (A packed node's
	// id is always made up, and never kept.)
	p := c.plan
	if c.ids == nil {
		return p, nil // every id is made up
	}
	p.eachStored(func(i int32, n *PlanNode) {
		if j, ok := madeUpIndex(wf, n.id); ok && j == i {
			n.id = ""
		} else {
			if p.ids == nil {
				p.ids = map[string]int32{}
			}
			p.ids[n.id] = i
		}
	})
	return p, nil
}

// madeUpOnly reports whether every id of sig's plan is made up: no
// signature gives a task_id but the root, and it gives the workflow id,
// which is the root's made-up id. No id can then be used twice, and
// Compile keeps no index of ids: at 100,000 nodes, a map and 100,000 ids
// it would make only to drop them.
func madeUpOnly(wf string, sig *canvas.Signature) bool {
	only := true
	eachNamed(sig, func(s *canvas.Signature, _ wirePath) bool {
		only = s == sig && s.Options.TaskID == wf
		return only
	})
	return only
}

type compiler struct {
	wf   string
	plan *Plan
	// ids are every node's id while the plan is compiled, made-up ids
	// too, so that an id given twice is found in wire order; nil when
	// every id is made up (madeUpOnly), and then no node's id is set.
	ids map[string]int32
	// twice is the first id found on two nodes.
	twice            string
	pendingCallbacks []func()
	// err is the first error of a group's members handed out:
	// canvas.ErrNotBulk, for a member kept in bulk that is not a plain
	// task.
	err error
	// pack says to pack plain members (packed.go); run is the run of
	// packed members being added to, and names the index of each of its
	// task names.
	pack  bool
	run   *packedRun
	names map[string]uint64
}

// name gives node i id; given says that i's signature gives it as its
// task_id. A composite above i that holds id gives way to i then; any
// other holder makes id twice.
func (c *compiler) name(i int32, id string, given bool) {
	if h, taken := c.ids[id]; taken {
		if given && c.above(h, i) {
			c.giveWay(h)
		} else if c.twice == "" {
			c.twice = id
		}
	}
	c.ids[id] = i
	if n := c.plan.stored(i); n != nil {
		n.id = id
	}
}

// giveWay gives composite h the id "<workflow>.<h>" in place of the one it
// holds: not madeUp, as the root gives way with the workflow id.
func (c *compiler) giveWay(h int32) {
	m := c.wf + "." + strconv.Itoa(int(h))
	if _, taken := c.ids[m]; taken && c.twice == "" {
		c.twice = m
	}
	c.ids[m] = h
	c.plan.stored(h).id = m // a composite: never packed
}

// above reports whether node h is a composite that node i is part of.
// Callback roots have no parent: a callback is part of nothing.
func (c *compiler) above(h, i int32) bool {
	for j := c.plan.parent(i); j >= 0; j = c.plan.parent(j) {
		if j == h {
			return true
		}
	}
	return false
}

// named names node i: taskID when it gives one, else the id Compile makes
// up for it. Nothing is named while every id is made up (c.ids nil).
func (c *compiler) named(i int32, taskID string) {
	switch {
	case c.ids == nil:
	case taskID != "":
		c.name(i, taskID, true)
	default:
		c.name(i, madeUp(c.wf, i), false)
	}
}

// usedTwice says where canvas sig gives id, which two nodes of its plan
// for workflow wf would have.
func usedTwice(wf string, sig *canvas.Signature, id string) error {
	paths := namedPaths(sig, id)
	msg := fmt.Sprintf("task_id %q is used twice in the canvas", id)
	switch {
	case len(paths) >= 2:
		return &canvas.Error{Path: paths[1].taskID(), Msg: msg + " (also at " + paths[0].taskID() + ")"}
	case len(paths) == 1 && id == wf:
		return &canvas.Error{Path: paths[0].taskID(), Msg: msg + " (also the workflow's own id, which its root takes)"}
	case len(paths) == 1:
		return &canvas.Error{Path: paths[0].taskID(), Msg: msg + " (also the id Fugue makes up for a node without a task_id, <workflow>.<n>)"}
	}
	return &canvas.Error{Msg: msg}
}

// add numbers s and its members; in are the options s's parent passes
// down to it (see inherit.go), noOptions for a root, and applied is false
// when s is a chord's body (which Celery updates with them rather than
// applies with them).
func (c *compiler) add(s *canvas.Signature, parent, pos int32, callback bool, in *canvas.Options, applied bool) int32 {
	i, k := c.plan.size, len(c.plan.nodes)
	opts := inherit(&s.Options, in)
	headerOpts := opts
	if s.Kind == canvas.KindChord {
		opts, headerOpts = chordOptions(opts, &s.Options, applied)
	}
	c.plan.nodes = append(c.plan.nodes, PlanNode{
		Task: s.Task, Args: s.Args, Kwargs: s.Kwargs, Immutable: s.Immutable, Options: opts,
		Parent: parent, Pos: pos, Callback: callback,
	})
	c.plan.size++
	c.named(i, s.Options.TaskID)

	var members []int32
	kind := TaskNode
	switch s.Kind {
	case canvas.KindChain:
		kind = ChainNode
		// A chain passes its options to its first element only.
		down := newPassing(opts, true)
		members = make([]int32, 0, len(s.Tasks))
		for k, m := range s.Tasks {
			in := noOptions
			if k == 0 {
				in = down.to(m, false)
			}
			members = append(members, c.add(m, i, int32(k), false, in, true))
		}
	case canvas.KindGroup, canvas.KindChunks:
		kind = GroupNode
		down := newPassing(opts, true)
		members = make([]int32, 0, s.NumTasks())
		// One member at a time: members kept in bulk
		// (canvas.ParseBulk) are parsed as they come and let go.
		err := s.EachTask(func(k int, m *canvas.Signature) error {
			if c.pack && packable(m) {
				j := c.packMember(m, i, int32(k), inherit(&m.Options, down.to(m, false)))
				c.named(j, "")
				members = append(members, j)
				return nil
			}
			j := c.add(m, i, int32(k), false, down.to(m, false), true)
			// A group here is one normalize kept for its own options; a
			// chunks (KindChunks) gives its list as one element.
			c.plan.stored(j).Spliced = m.Kind == canvas.KindGroup
			members = append(members, j)
			return nil
		})
		if err != nil && c.err == nil {
			c.err = err
		}
	case canvas.KindChord:
		kind = ChordNode
		// The header is a group node: the chord's HeaderGroup (its partial
		// args, task_id and callbacks; Celery drops its other options) with
		// the header members.
		header := &canvas.Signature{Kind: canvas.KindGroup, Task: "celery.group"}
		if s.HeaderGroup != nil {
			*header = *s.HeaderGroup
			header.Options = structuralOptions(s.HeaderGroup.Options)
		}
		s.MoveTasks(header)
		members = make([]int32, 0, 2)
		members = append(members, c.add(header, i, 0, false, newPassing(headerOpts, true).to(header, false), true))
		members = append(members, c.add(s.Body, i, 1, false, newPassing(opts, false).to(s.Body, true), false))
	}
	n := &c.plan.nodes[k]
	n.Kind, n.Members = kind, members
	// Callbacks are numbered after the whole tree so that a node's members
	// stay contiguous; their order is still deterministic.
	if len(s.Options.Link) > 0 || len(s.Options.LinkError) > 0 {
		c.pendingCallbacks = append(c.pendingCallbacks, func() {
			for _, l := range s.Options.Link {
				j := c.add(l, -1, 0, true, noOptions, true)
				cb := c.callbacks(i)
				cb.links = append(cb.links, j)
			}
			for _, l := range s.Options.LinkError {
				j := c.add(l, -1, 0, true, noOptions, true)
				cb := c.callbacks(i)
				cb.errbacks = append(cb.errbacks, j)
			}
		})
	}
	return i
}

// callbacks returns node i's callbacks, making them the first time.
func (c *compiler) callbacks(i int32) *nodeCallbacks {
	n := c.plan.stored(i)
	if n.cb == nil {
		n.cb = &nodeCallbacks{}
	}
	return n.cb
}

// noOptions is the Options of every plan node that has none.
var noOptions = &canvas.Options{}

// planOptions returns the options a plan node keeps of o: noOptions when
// o holds nothing but callbacks, else a copy without them.
func planOptions(o *canvas.Options) *canvas.Options {
	if onlyCallbacks(o) {
		return noOptions
	}
	c := *o
	c.Link, c.LinkError, c.SingleLink, c.SingleLinkError = nil, nil, false, false
	return &c
}

// onlyCallbacks reports whether o holds nothing but callbacks.
func onlyCallbacks(o *canvas.Options) bool {
	return o.TaskID == "" && o.Queue == "" && o.Countdown == nil && o.ETA == "" &&
		o.Expires == nil && o.MaxRetries == nil && !o.MaxRetriesUnlimited &&
		o.RetryBackoff == nil && o.RetryBackoffMax == nil && o.RetryJitter == nil &&
		o.TimeLimit == nil && o.SoftTimeLimit == nil && o.Priority == nil && len(o.Extra) == 0
}

// size is the number of plan nodes that add makes of normalised s, its
// callbacks included: all of them, and those not packed.
func size(s *canvas.Signature) (all, stored int) {
	all, stored = callbacks(&s.Options)
	all++
	stored++
	members := func(s *canvas.Signature) {
		for _, m := range s.Tasks {
			if packable(m) {
				all++
				continue
			}
			a, st := size(m)
			all, stored = all+a, stored+st
		}
		all += s.InBulk() // plain tasks, packed
	}
	switch s.Kind {
	case canvas.KindChain:
		for _, m := range s.Tasks {
			a, st := size(m)
			all, stored = all+a, stored+st
		}
	case canvas.KindGroup, canvas.KindChunks:
		members(s)
	case canvas.KindChord:
		all++ // the header group
		stored++
		if s.HeaderGroup != nil {
			a, st := callbacks(&s.HeaderGroup.Options)
			all, stored = all+a, stored+st
		}
		members(s)
		a, st := size(s.Body)
		all, stored = all+a, stored+st
	}
	return all, stored
}

// callbacks is the number of plan nodes of the callbacks in o: all of
// them, and those not packed.
func callbacks(o *canvas.Options) (all, stored int) {
	for _, l := range o.Link {
		a, s := size(l)
		all, stored = all+a, stored+s
	}
	for _, l := range o.LinkError {
		a, s := size(l)
		all, stored = all+a, stored+s
	}
	return all, stored
}

// resultErrbacks is Celery's _result_errbacks (backends/base.py): the id
// of node i's result and the errbacks linked to it. A chord's result is its
// body's, so a chord gives its own errbacks and its body's; a group gives
// its own and its members'; a chain or a task only its own.
func (p *Plan) resultErrbacks(i int32) (string, []int32) {
	var ebs []int32
	for p.Kind(i) == ChordNode {
		ebs = append(ebs, p.Node(i).Errbacks()...)
		i = p.Node(i).Members[1]
	}
	_, own, _ := p.callbacks(i)
	ebs = append(ebs, own...)
	if p.Kind(i) == GroupNode {
		for _, m := range p.Node(i).Members {
			_, more := p.resultErrbacks(m)
			ebs = append(ebs, more...)
		}
	}
	return p.resultTask(i), ebs
}

// resultTask is the id of the task whose result is node i's result: the
// node itself for a task and a group, the last element of a chain, the body
// of a chord. It is the id Celery's AsyncResult for the node would carry.
func (p *Plan) resultTask(i int32) string {
	for p.Kind(i) != TaskNode {
		n := p.Node(i)
		switch {
		case n.Kind == ChainNode && len(n.Members) > 0:
			i = n.Members[len(n.Members)-1]
		case n.Kind == ChordNode:
			i = n.Members[1]
		default:
			return p.ID(i)
		}
	}
	return p.ID(i)
}
