package statestore

import (
	"fmt"

	"github.com/fugue-run/fugue/projector"
)

// Txn is a write-back transaction over the committed store: the projector
// folds events into it (it is a projector.State) and the engine adds the
// applied offsets and timers; Commit writes everything changed in one
// atomic batch, Discard forgets it. Reads see the store as it was committed
// when the Txn first read from it, plus the Txn's own changes.
//
// A Txn returns the same *Workflow and *Node for the same record until it
// ends, and Fold changes them in place; only records marked with
// PutWorkflow or PutNode are written. A Txn is not safe for concurrent
// use. After Commit or Discard it must not be used, nor any *Workflow or
// *Node it returned.
type Txn struct {
	s  *Store
	st *txnState
}

var (
	_ projector.State        = (*Txn)(nil)
	_ projector.HeaderReader = (*Txn)(nil)
	_ projector.IdleReader   = (*Txn)(nil)
)

// txnState is a Txn's working memory, recycled by the next Begin.
type txnState struct {
	wfs  map[string]*wfEntry
	last *wfEntry
	// nodes holds every node read or written, by workflow entry and index.
	nodes  map[nodeRef]*nodeEntry
	dirtyW []*wfEntry
	dirtyN []*nodeEntry
	// slab hands out node entries a chunk at a time.
	slab  [][]nodeEntry
	slabN int

	tasks map[string]string
	// madeUp indexes tasks by workflow w for the claims of the form
	// "<w>.<n>": the one that sorts first, and its owner. MadeUpClaim,
	// asked once per submission, reads it instead of every claim.
	madeUp  map[string]claimRef
	applied map[appliedRef]int64
	// timers maps a timer key to true (put) or false (delete).
	timers map[string]bool

	// rd reads committed records.
	rd pointReader

	// err is the first error of a method that returns none; Commit
	// returns it.
	err      error
	buf, val []byte
}

// claimRef is a claimed task id and the workflow that claimed it.
type claimRef struct{ task, owner string }

type wfEntry struct {
	id string
	w  *projector.Workflow
	// canvas is a new workflow's canvas record, encoded when it was put;
	// or canvasAvro, the canvas as its event carried it, which the record
	// is then made of (write).
	canvas     []byte
	canvasAvro []byte
	// exists: the workflow is committed; fresh: it is new in this Txn.
	exists, fresh, dirty bool
	// all holds a fresh workflow's nodes once it has a plan (freshNodes).
	all *allNodes
}

// allNodes are all the nodes of a fresh workflow, by index (they start
// zero): a submission of 100,000 tasks makes one array, where the node
// map would make an entry and a map slot a node, and the array makes only
// the chunks of the nodes handed out. put lists the nodes put, in the
// order they were first put, and isPut marks them.
type allNodes struct {
	nodes *nodeArray
	put   []int32
	isPut []bool
}

type nodeRef struct {
	e *wfEntry
	i int32
}

type nodeEntry struct {
	n     projector.Node
	ref   nodeRef
	dirty bool
	// parent is n.Parent as the Txn read it: the commit indexes a parent
	// that differs from it (k/ records).
	parent string
}

type appliedRef struct {
	topic     string
	partition int32
}

const (
	slabChunk = 256
	// Beyond these sizes a Txn's memory is dropped rather than kept for
	// the next one.
	maxRetainedChunks = 64
	maxRetainedMap    = 8192
	maxRetainedBuf    = 1 << 20
)

func newTxnState() *txnState {
	return &txnState{
		wfs:     map[string]*wfEntry{},
		nodes:   map[nodeRef]*nodeEntry{},
		tasks:   map[string]string{},
		madeUp:  map[string]claimRef{},
		applied: map[appliedRef]int64{},
		timers:  map[string]bool{},
	}
}

// Begin starts a transaction. Transactions that run at the same time must
// touch disjoint workflows and partitions (one per partition, say): the
// store does not detect conflicts.
func (s *Store) Begin() *Txn {
	s.freeMu.Lock()
	st := s.free
	s.free = nil
	s.freeMu.Unlock()
	if st == nil {
		st = newTxnState()
		st.rd.db = s.db
	}
	return &Txn{s: s, st: st}
}

// release keeps st's memory for the next transaction.
func (s *Store) release(st *txnState) {
	st.reset()
	s.freeMu.Lock()
	s.free = st
	s.freeMu.Unlock()
}

func resetMap[K comparable, V any](m map[K]V) map[K]V {
	if len(m) > maxRetainedMap {
		return make(map[K]V)
	}
	clear(m)
	return m
}

func (st *txnState) reset() {
	_ = st.rd.close() // a read-only iterator: closing it cannot lose data
	st.wfs = resetMap(st.wfs)
	st.nodes = resetMap(st.nodes)
	st.tasks = resetMap(st.tasks)
	st.madeUp = resetMap(st.madeUp)
	st.applied = resetMap(st.applied)
	st.timers = resetMap(st.timers)
	st.last, st.err = nil, nil
	clear(st.dirtyW)
	clear(st.dirtyN)
	st.dirtyW, st.dirtyN = st.dirtyW[:0], st.dirtyN[:0]
	for k := 0; k*slabChunk < st.slabN; k++ {
		clear(st.slab[k])
	}
	if len(st.slab) > maxRetainedChunks {
		clear(st.slab[maxRetainedChunks:])
		st.slab = st.slab[:maxRetainedChunks]
	}
	st.slabN = 0
	if cap(st.buf) > maxRetainedBuf {
		st.buf = nil
	}
	if cap(st.val) > maxRetainedBuf {
		st.val = nil
	}
}

func (st *txnState) fail(err error) {
	if st.err == nil {
		st.err = err
	}
}

func (st *txnState) newNode(ref nodeRef) *nodeEntry {
	k := st.slabN / slabChunk
	if k == len(st.slab) {
		st.slab = append(st.slab, make([]nodeEntry, slabChunk))
	}
	ne := &st.slab[k][st.slabN%slabChunk]
	st.slabN++
	ne.ref = ref
	return ne
}

// Workflow implements projector.State: the workflow with its canvas and
// plan (compiled from the canvas unless cached), or nil when unknown. A
// completed workflow has neither (see projector.State): a transaction
// folds, and nothing is folded into a completed workflow.
func (t *Txn) Workflow(id string) (*projector.Workflow, error) {
	st := t.st
	if st == nil {
		return nil, ErrTxnDone
	}
	if e := st.wfs[id]; e != nil {
		return e.w, nil
	}
	w, buf, err := t.s.loadWorkflow(&st.rd, id, st.buf, false)
	st.buf = buf
	if err != nil {
		return nil, err
	}
	st.wfs[id] = &wfEntry{id: id, w: w, exists: w != nil}
	return w, nil
}

// WorkflowHeader implements projector.HeaderReader: workflow id without
// its canvas and plan, or nil when it is unknown. Unlike Workflow, it
// neither compiles a plan nor remembers the read: projector.CheckIDs asks
// it whether each task_id a submission gives is a workflow's id, and a
// chord of 100,000 would otherwise leave as many entries in the Txn.
func (t *Txn) WorkflowHeader(id string) (*projector.Workflow, error) {
	st := t.st
	if st == nil {
		return nil, ErrTxnDone
	}
	if e := st.wfs[id]; e != nil {
		if e.w == nil {
			return nil, nil
		}
		h := *e.w
		h.Canvas, h.Plan = nil, nil
		return &h, nil
	}
	w, buf, err := loadHeader(&st.rd, id, st.buf)
	st.buf = buf
	return w, err
}

// PutWorkflow implements projector.State. The canvas of a new workflow is
// written with its first header: as its event carried it (w.CanvasAvro),
// or else encoded when the workflow is first put; w.Canvas and
// w.CanvasAvro are set to nil then (as a workflow read back has none).
func (t *Txn) PutWorkflow(w *projector.Workflow) error {
	st := t.st
	if st == nil {
		return ErrTxnDone
	}
	e := st.wfs[w.ID]
	if e == nil { // not read first: is it committed?
		st.buf = appendWorkflowKey(st.buf[:0], w.ID)
		exists, err := get(&st.rd, st.buf, func([]byte) error { return nil })
		if err != nil {
			return err
		}
		e = &wfEntry{id: w.ID, exists: exists}
		st.wfs[w.ID] = e
	}
	if !e.exists {
		e.fresh = true
	}
	e.w = w
	switch {
	case !e.fresh || e.canvas != nil || e.canvasAvro != nil:
	case w.CanvasAvro != nil:
		// Kept as the event carried it (a span of the fetched record,
		// which the canvas's lazy members hold anyway): no copy and no
		// second decode of each member until the commit writes it.
		e.canvasAvro = w.CanvasAvro
		w.Canvas, w.CanvasAvro = nil, nil
	case w.Canvas != nil:
		// Encode the canvas now and let its value tree go: Fold puts a
		// new workflow before it starts it, and what it then dispatches
		// (a chord of 100,000: the nodes, the outputs) would otherwise
		// share the heap with the tree until the commit.
		e.canvas = projector.AppendCanvas(nil, w.Canvas)
		w.Canvas = nil
	}
	if !e.dirty {
		e.dirty = true
		st.dirtyW = append(st.dirtyW, e)
	}
	return nil
}

// entry returns the Txn's entry of workflow w.
func (st *txnState) entry(w *projector.Workflow) *wfEntry {
	if e := st.last; e != nil && e.w == w {
		return e
	}
	e := st.wfs[w.ID]
	if e == nil {
		// A workflow the Txn did not hand out: taken to be committed.
		e = &wfEntry{id: w.ID, w: w, exists: true}
		st.wfs[w.ID] = e
	}
	st.last = e
	return e
}

// Node implements projector.State: node i of workflow w, the zero Node
// when it was never written.
func (t *Txn) Node(w *projector.Workflow, i int32) (*projector.Node, error) {
	st, e, err := t.nodeEntry(w, i)
	if err != nil {
		return nil, err
	}
	if all := st.freshNodes(e); all != nil {
		return all.nodes.at(i), nil
	}
	ref := nodeRef{e, i}
	if ne := st.nodes[ref]; ne != nil {
		return &ne.n, nil
	}
	ne := st.newNode(ref)
	if err := t.committedNode(e, i, &ne.n); err != nil {
		return nil, err
	}
	ne.parent = ne.n.Parent
	st.nodes[ref] = ne
	return &ne.n, nil
}

// PeekNode implements projector.NodePeeker: node i of w as Node returns
// it, read without keeping it in the Txn.
func (t *Txn) PeekNode(w *projector.Workflow, i int32) (projector.Node, error) {
	var n projector.Node
	st, e, err := t.nodeEntry(w, i)
	if err != nil {
		return n, err
	}
	if all := st.freshNodes(e); all != nil {
		if p := all.nodes.peek(i); p != nil {
			n = *p
		}
		return n, nil
	}
	if ne := st.nodes[nodeRef{e, i}]; ne != nil {
		return ne.n, nil
	}
	err = t.committedNode(e, i, &n)
	return n, err
}

// Idle implements projector.IdleReader: whether node i of w reads as
// never written. It makes no node: a group asks it of each of its
// members, most of which it dispatches without writing them.
func (t *Txn) Idle(w *projector.Workflow, i int32) (bool, error) {
	st, e, err := t.nodeEntry(w, i)
	if err != nil {
		return false, err
	}
	if all := st.freshNodes(e); all != nil {
		n := all.nodes.peek(i)
		return n == nil || n.Status == projector.Idle, nil
	}
	if ne := st.nodes[nodeRef{e, i}]; ne != nil {
		return ne.n.Status == projector.Idle, nil
	}
	var n projector.Node
	if err := t.committedNode(e, i, &n); err != nil {
		return false, err
	}
	return n.Status == projector.Idle, nil
}

// nodeEntry returns the Txn's state and the entry of workflow w, checking
// that node i is one of its plan's.
func (t *Txn) nodeEntry(w *projector.Workflow, i int32) (*txnState, *wfEntry, error) {
	st := t.st
	if st == nil {
		return nil, nil, ErrTxnDone
	}
	if w.Plan != nil && (i < 0 || int(i) >= w.Plan.Len()) {
		return nil, nil, fmt.Errorf("statestore: workflow %s has no node %d", w.ID, i)
	}
	return st, st.entry(w), nil
}

// committedNode reads node i of workflow e as committed into n: from the
// node cache, or Pebble. A new workflow's nodes are all zero.
func (t *Txn) committedNode(e *wfEntry, i int32, n *projector.Node) error {
	if e.fresh || t.s.nodes != nil && t.s.nodes.get(e.id, i, n) {
		return nil
	}
	var err error
	t.st.buf, err = loadNode(&t.st.rd, e.id, i, n, t.st.buf)
	return err
}

// freshNodes returns the nodes of e when it is a fresh workflow with a
// plan, making them the first time; nil for any other workflow, whose
// nodes are entries of the node map. Nodes the Txn handed out from the
// map before the plan came (Fold asks for none) move into the array.
func (st *txnState) freshNodes(e *wfEntry) *allNodes {
	if e.all != nil || !e.fresh || e.w == nil || e.w.Plan == nil {
		return e.all
	}
	n := e.w.Plan.Len()
	all := &allNodes{nodes: newNodeArray(n), isPut: make([]bool, n)}
	if len(st.nodes) > 0 {
		for i := range int32(n) {
			if ne := st.nodes[nodeRef{e, i}]; ne != nil {
				*all.nodes.at(i) = ne.n
				if ne.dirty {
					all.isPut[i] = true
					all.put = append(all.put, i)
				}
			}
		}
	}
	e.all = all
	return all
}

// PutNode implements projector.State.
func (t *Txn) PutNode(w *projector.Workflow, i int32, n *projector.Node) error {
	st := t.st
	if st == nil {
		return ErrTxnDone
	}
	e := st.entry(w)
	if all := st.freshNodes(e); all != nil {
		if !all.nodes.has(i) {
			return fmt.Errorf("statestore: workflow %s has no node %d", w.ID, i)
		}
		if p := all.nodes.at(i); p != n {
			*p = *n
		}
		if !all.isPut[i] {
			all.isPut[i] = true
			all.put = append(all.put, i)
		}
		return nil
	}
	ref := nodeRef{e, i}
	ne := st.nodes[ref]
	if ne == nil {
		ne = st.newNode(ref)
		st.nodes[ref] = ne
	}
	if &ne.n != n {
		ne.n = *n
	}
	if !ne.dirty {
		ne.dirty = true
		st.dirtyN = append(st.dirtyN, ne)
	}
	return nil
}

// TaskOwner implements projector.State.
func (t *Txn) TaskOwner(task string) (string, error) {
	st := t.st
	if st == nil {
		return "", ErrTxnDone
	}
	if wf, ok := st.tasks[task]; ok {
		return wf, nil
	}
	return taskOwner(&st.rd, task)
}

// MadeUpClaim implements projector.State: the first in key order of the
// claims this Txn made and those committed before it.
func (t *Txn) MadeUpClaim(wf string) (string, string, error) {
	st := t.st
	if st == nil {
		return "", "", ErrTxnDone
	}
	task, owner, err := madeUpClaim(&st.rd, wf)
	if err != nil {
		return "", "", err
	}
	if mine, ok := st.madeUp[wf]; ok && (task == "" || mine.task < task) {
		task, owner = mine.task, mine.owner
	}
	return task, owner, nil
}

// ClaimTask implements projector.State.
func (t *Txn) ClaimTask(task, wf string) error {
	st := t.st
	if st == nil {
		return ErrTxnDone
	}
	st.tasks[task] = wf
	if p, ok := projector.MadeUpPrefix(task); ok {
		if cur, ok := st.madeUp[p]; !ok || task < cur.task {
			st.madeUp[p] = claimRef{task, wf}
		}
	}
	return nil
}

// SetApplied records that the Txn holds the state of every record of
// topic/partition up to offset; Commit writes it in the same batch as that
// state. Applied offsets only grow: Commit fails with ErrOffsetRegressed if
// offset is below the committed one, or below one set before in this Txn.
func (t *Txn) SetApplied(topic string, partition int32, offset int64) {
	st := t.st
	if st == nil {
		return
	}
	k := appliedRef{topic, partition}
	if prev, ok := st.applied[k]; ok && offset < prev {
		st.fail(fmt.Errorf("%w: %s/%d from %d to %d in one transaction", ErrOffsetRegressed, topic, partition, prev, offset))
	}
	st.applied[k] = offset
}

// PutTimer records a pending timer. A malformed timer (negative Due, a NUL
// byte in its workflow or task id) makes Commit fail.
func (t *Txn) PutTimer(tm Timer) { t.timer(tm, true) }

// DeleteTimer removes a timer (a fired or cancelled one); removing a timer
// that does not exist is not an error.
func (t *Txn) DeleteTimer(tm Timer) { t.timer(tm, false) }

func (t *Txn) timer(tm Timer, put bool) {
	st := t.st
	if st == nil {
		return
	}
	k, err := appendTimerKey(st.buf[:0], tm)
	st.buf = k
	if err != nil {
		st.fail(err)
		return
	}
	st.timers[string(k)] = put
}
