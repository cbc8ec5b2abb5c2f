package projector

// Status is the state of one node of a workflow: a task or a composite.
type Status uint8

// Node states. Idle nodes were never started; Scheduled tasks wait for a
// timer (countdown, eta); the rest follow Celery's task states.
const (
	Idle Status = iota
	Scheduled
	Pending // dispatched, not yet started
	Started
	Retry
	Custom // a custom state a task set (PROGRESS, ...); see Node.Custom
	Success
	Failure
	Revoked
)

var statusNames = [...]string{
	Idle: "PENDING", Scheduled: "PENDING", Pending: "PENDING", Started: "STARTED",
	Retry: "RETRY", Custom: "CUSTOM", Success: "SUCCESS", Failure: "FAILURE", Revoked: "REVOKED",
}

// String returns the Celery state name ("PENDING", "SUCCESS", ...).
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "UNKNOWN"
}

// Terminal reports whether s is final.
func (s Status) Terminal() bool { return s >= Success }

// Error is a failure as the projector keeps it: the exception type, its
// message, the traceback where there is one, and the task it belongs to.
type Error struct {
	Type      string
	Message   string
	Traceback string
	TaskID    string
}

// Workflow is the header record of one workflow. Its nodes live apart (see
// State) so that one completion reads and writes O(1) records.
type Workflow struct {
	ID string
	// Canvas is the submitted canvas in its wire form, set by Fold when it
	// submits the workflow (a State may drop it once the workflow is put,
	// and leave it out of a workflow it reads back: see State); Plan is
	// derived from it and is never stored.
	Canvas map[string]any
	// CanvasAvro is Canvas as its event carried it, when it does
	// (events.WorkflowSubmitted.CanvasAvro): a State that persists may
	// keep it instead of encoding Canvas, and drops both once it is put.
	CanvasAvro []byte
	Plan       *Plan
	// Submitted is the time of the WorkflowSubmitted event (µs).
	Submitted int64
	Status    Status
	Result    any
	Err       *Error
	// RootDone is set once the canvas itself has finished.
	RootDone bool
	// Outstanding counts callbacks and errbacks started and not finished.
	Outstanding int32
	// Completed is set once WorkflowCompleted was emitted: the workflow is
	// ready.
	Completed bool
	// Rejected holds the reason a submission was refused.
	Rejected string
}

// Node is the runtime state of one node of a workflow's plan. A running
// chord of 100,000 tasks keeps 100,000 of them in memory: the fields are
// ordered so that none is padded.
type Node struct {
	// Custom is the custom state name while Status is Custom.
	Custom string
	// Args and Kwargs are the arguments the task was called with.
	Args   []any
	Kwargs map[string]any
	Result any
	Meta   any
	Err    *Error
	// Parent is the task whose outcome started this node.
	Parent string
	// Failure is, for an errback, the failure it handles.
	Failure *Error
	// Expires is the task's expiry in µs since the epoch (0: none), fixed
	// when it is first started and kept across retries.
	Expires int64
	// Attempt counts retries (Celery's request.retries).
	Attempt int32
	// Seq is the last TaskProgress sequence applied for this attempt.
	Seq int32
	// Done counts finished members of a group; FirstFailed is one more
	// than the position of the first failed member in member order (0:
	// none).
	Done        int32
	FirstFailed int32
	// Next is the position of the running element of a chain.
	Next   int32
	Status Status
	// Dispatched is set once a task message went out for this node.
	Dispatched bool
}

// State is where Fold keeps what it knows. The in-memory implementation
// (NewMemState) backs tests; statestore backs it with Pebble at runtime.
//
// Fold mutates the *Workflow and *Node values it gets and then calls Put so
// that a store that persists can mark them dirty; a store must return the
// same pointer for the same record until it is flushed.
//
// The key layout a persistent store uses (all keys byte-ordered):
//
//	w/<wf>                  Workflow header (status, result, counters)
//	c/<wf>                  the submitted canvas (written once)
//	n/<wf>/<node:u32 BE>    Node runtime state (none for a task its group
//	                        dispatched and nothing changed since: ReadNode)
//	t/<task id>             owner workflow of a task id given by task_id
//	o/<topic>/<part:u32 BE> last applied offset (in the batch with the state)
//	m/<key>                 metadata (schema version of the store, ...)
//
// A store may keep derived records besides (statestore indexes each
// node's Parent: see ChildIndex).
//
// The set of finished members of a group or chord header is the set of its
// member nodes whose status is terminal: one member's completion reads and
// writes that member, the group node and the workflow header: O(1),
// whatever the header size. Starting a group writes the group node and
// only those members that need more than their call (implied.go): a chord
// of 100,000 plain tasks is submitted with a handful of node records.
type State interface {
	// Workflow returns the workflow or nil when it is unknown. The Plan of
	// a returned workflow is set, except that a State that only folds
	// (statestore.Txn) may leave out the Plan of a Completed workflow:
	// Fold reads nothing of it but the header. States read for views
	// (MemState, statestore.Reader) always set it. Fold reads the Canvas
	// of no workflow but the one it submits, and a State that keeps the
	// canvas in a record of its own (statestore) may leave it out of a
	// workflow it reads back, unless the workflow was refused.
	Workflow(id string) (*Workflow, error)
	// PutWorkflow records a new or changed workflow. Fold puts a new
	// workflow before it parses its canvas (Plan nil), then again with
	// its plan, or refused. A State that persists may encode a new
	// workflow's Canvas at once, or keep its CanvasAvro, and set both to
	// nil: Fold reads no canvas back from a workflow, and FoldEachTaking
	// then takes the event's canvas tree apart as it parses it.
	PutWorkflow(w *Workflow) error
	// Node returns node i of workflow w (the zero Node when never written).
	Node(w *Workflow, i int32) (*Node, error)
	// PutNode records a changed node.
	PutNode(w *Workflow, i int32, n *Node) error
	// TaskOwner returns the workflow that claimed task id, "" if none.
	TaskOwner(task string) (string, error)
	// ClaimTask records that workflow wf uses task id.
	ClaimTask(task, wf string) error
	// MadeUpClaim returns the claimed task id of the form "<wf>.<n>" (an
	// id workflow wf makes up for its node n, n in decimal without
	// leading zeros) that sorts first as bytes, and the workflow that
	// claimed it; "" if none.
	MadeUpClaim(wf string) (task, owner string, err error)
}

// HeaderReader is a State that can read a workflow's header alone, without
// the canvas and the plan that Workflow compiles for a view.
type HeaderReader interface {
	// WorkflowHeader returns the workflow with neither Canvas nor Plan,
	// or nil when it is unknown.
	WorkflowHeader(id string) (*Workflow, error)
}

// ChildIndex is a State that records which nodes each task started, so
// that a task's children are found without reading all of its workflow's
// nodes.
type ChildIndex interface {
	// Children returns, in plan order, the nodes of w that may have been
	// started by node i's outcome: every node whose Parent is node i's
	// id, and maybe others, which the caller checks against the nodes.
	// ok is false when the State keeps no such record for w.
	Children(w *Workflow, i int32) (nodes []int32, ok bool, err error)
}

// Header returns workflow id's header (status, result, error, readiness),
// or nil when it is unknown. A State that is a HeaderReader reads it
// without compiling the workflow's canvas, which for a large canvas
// costs far more than the header; any other State reads the whole
// workflow, so Canvas and Plan may be set.
func Header(st State, id string) (*Workflow, error) {
	if h, ok := st.(HeaderReader); ok {
		return h.WorkflowHeader(id)
	}
	return st.Workflow(id)
}
