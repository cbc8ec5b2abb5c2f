package projector

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/events"
)

// Producer is the producer name on every event Fold emits.
const Producer = "engine"

// Config tunes Fold. The zero value means the defaults.
type Config struct {
	// Limits bound the canvases Fold accepts (default canvas.DefaultLimits).
	Limits canvas.Limits
	// DefaultMaxRetries is the retry cap of a task whose options set none
	// (default 3, as Celery's Task.max_retries).
	DefaultMaxRetries int32
}

// Folder folds events into a State. It holds only configuration: every call
// of Fold depends on nothing but the state and the event it is given.
type Folder struct {
	cfg Config
}

// New returns a Folder with cfg.
func New(cfg Config) *Folder {
	if cfg.DefaultMaxRetries == 0 {
		cfg.DefaultMaxRetries = 3
	}
	return &Folder{cfg: cfg}
}

// ErrBadEvent marks an event Fold cannot apply at all (no workflow id, no
// body). The runner sets such an event aside with the error as its reason.
var ErrBadEvent = errors.New("projector: bad event")

// Fold applies ev to st and appends to out what must happen as a result:
// events to append to the log (TaskDispatched events double as the task
// messages). It never reads a clock, draws a random number or does I/O
// beyond st; the same state and event give the same state and outputs.
//
// Events Fold emits itself are applied when they are decided; when they
// come back from the log they change nothing. Every other event is
// idempotent: a duplicate or a stale one (an older attempt, a task already
// finished) changes nothing.
func (f *Folder) Fold(st State, ev *events.Event, out []events.Event) ([]events.Event, error) {
	x := folding{f: f, st: st, out: out}
	err := x.fold(ev)
	return x.out, err
}

// FoldEach is Fold for a caller that takes the outputs one by one as they
// are decided instead of all together at the end: emit gets each, in the
// order Fold would return them, and owns it. A submission of a chord of
// 100,000 emits 100,000 dispatches: a caller that sends each on at once
// never holds them all. Should FoldEach return an error, the outputs
// emitted before it must be discarded with the state, as Fold's are. An
// ErrBadEvent comes before any output. emit cannot change what Fold
// decides: it returns nothing and Fold reads nothing it does, so FoldEach
// is as pure as Fold whatever emit does with the outputs.
func (f *Folder) FoldEach(st State, ev *events.Event, emit func(*events.Event)) error {
	x := folding{f: f, st: st, each: emit}
	return x.fold(ev)
}

// FoldEachTaking is FoldEach for a caller that hands ev over: it never
// reads ev, nor anything ev holds, again. Fold may then take a submission's
// canvas tree apart as it parses it (canvas.TakeValue), once st has encoded
// the canvas and let it go (see State.PutWorkflow), so that the tree and
// the signatures parsed from it are not whole in memory together. The
// state and the outputs are FoldEach's.
func (f *Folder) FoldEachTaking(st State, ev *events.Event, emit func(*events.Event)) error {
	x := folding{f: f, st: st, each: emit, take: true}
	return x.fold(ev)
}

func (x *folding) fold(ev *events.Event) error {
	if ev.Workflow == "" {
		return fmt.Errorf("%w: event %q has no workflow id", ErrBadEvent, ev.ID)
	}
	if strings.IndexByte(ev.Workflow, 0) >= 0 {
		// The store separates ids with NUL in its keys (timers), and the
		// API never makes such an id (canvas: task_id).
		return fmt.Errorf("%w: event %q has a NUL character in its workflow id %q", ErrBadEvent, ev.ID, ev.Workflow)
	}
	// The folding keeps the event's header only: once a body is handed to
	// its handler, nothing here holds it, and a submission's canvas tree
	// can go as soon as the workflow is put (see statestore's PutWorkflow).
	head := *ev
	head.Body = nil
	x.ev = &head
	switch b := ev.Body.(type) {
	case *events.WorkflowSubmitted:
		x.submitted(b)
	case *events.TaskStarted:
		if i, n := x.current(b.Attempt); n != nil {
			x.started(i, n)
			x.putNode(i, n)
		}
	case *events.TaskSucceeded:
		if i, n := x.current(b.Attempt); n != nil {
			x.ran()
			x.succeeded(i, n, b)
			x.putNode(i, n)
		}
	case *events.TaskFailed:
		if i, n := x.current(b.Attempt); n != nil {
			x.ran()
			x.failed(i, n, b)
			x.putNode(i, n)
		}
	case *events.TaskRetrying:
		if i, n := x.current(b.Attempt); n != nil {
			x.ran()
			x.retrying(i, n, b)
			x.putNode(i, n)
		}
	case *events.TaskProgress:
		if i, n := x.current(b.Attempt); n != nil {
			x.ran()
			x.progress(i, n, b)
			x.putNode(i, n)
		}
	case *events.TaskRevoked:
		if b.Reason != ReasonExpired {
			break // the engine's own output
		}
		if i, n := x.current(b.Attempt); n != nil {
			x.expired(i, n)
			x.putNode(i, n)
		}
	case *events.RevokeRequested:
		x.revokeRequested()
	case *events.TimerFired:
		x.timerFired(b)
	case *events.WorkflowRejected, *events.WorkflowCompleted, *events.TaskDispatched,
		*events.LinkFired, *events.ChordCounterIncremented, *events.ChordCompleted,
		*events.TimerScheduled:
		// Fold's own outputs: applied when decided (Inert lists them).
	case nil:
		return fmt.Errorf("%w: event %q has no body", ErrBadEvent, ev.ID)
	default:
		return fmt.Errorf("%w: event %q has an unknown body %T", ErrBadEvent, ev.ID, b)
	}
	if x.err == nil && x.w != nil {
		x.checkReady()
		x.put()
	}
	return x.err
}

// Inert reports whether Fold leaves the state as it is and emits nothing
// for every event whose body has b's type, whatever the state: the events
// Fold emits itself, which it applied when it decided them. A reader that
// only rebuilds state (replay) may pass such events over undecoded
// (events.Codec.Peek gives the type). b may be a nil pointer of the type.
// The list is Fold's own; a test folds logs with and without these events
// and compares.
func Inert(b events.Body) bool {
	switch b.(type) {
	case *events.WorkflowRejected, *events.WorkflowCompleted, *events.TaskDispatched,
		*events.LinkFired, *events.ChordCounterIncremented, *events.ChordCompleted,
		*events.TimerScheduled:
		return true
	}
	return false
}

// Reasons a task is revoked (TaskRevoked.Reason).
const (
	ReasonRevoked = "revoked"
	ReasonExpired = "expired"
)

// folding is one call of Fold.
type folding struct {
	f   *Folder
	st  State
	ev  *events.Event
	w   *Workflow
	out []events.Event
	// each, when set, takes each output instead of out (FoldEach).
	each func(*events.Event)
	err  error
	// dirty is set when the workflow header changed.
	dirty bool
	// take is set when the caller hands the event over (FoldEachTaking).
	take bool
}

func (x *folding) fail(err error) {
	if x.err == nil {
		x.err = err
	}
}

func (x *folding) put() {
	if x.dirty {
		x.fail(x.st.PutWorkflow(x.w))
	}
}

func (x *folding) emit(task, id string, body events.Body) {
	ev := events.Event{
		ID: id, Workflow: x.w.ID, Task: task, Time: x.ev.Time, Producer: Producer, Body: body,
	}
	if x.each != nil {
		x.each(&ev)
		return
	}
	x.out = append(x.out, ev)
}

// node returns node i of the workflow. A task its group dispatched
// without writing it (see startMembers) is filled in and put: from then
// on it is a record like any other, in every State alike.
func (x *folding) node(i int32) *Node {
	n, err := x.st.Node(x.w, i)
	if err != nil {
		x.fail(err)
		return &Node{}
	}
	g, err := impliedGroup(x.w, i, n, func(p int32) (*Node, error) { return x.st.Node(x.w, p) })
	switch {
	case err != nil:
		x.fail(err)
	case g != nil:
		fillImplied(x.w.Plan, i, n, g)
		x.putNode(i, n)
	}
	return n
}

func (x *folding) putNode(i int32, n *Node) {
	if err := x.st.PutNode(x.w, i, n); err != nil {
		x.fail(err)
	}
}

// load reads the event's workflow; false when there is none to act on.
func (x *folding) load() bool {
	w, err := x.st.Workflow(x.ev.Workflow)
	if err != nil {
		x.fail(err)
		return false
	}
	if w == nil || w.Plan == nil || w.Completed {
		return false
	}
	x.w = w
	return true
}

// current returns the task node a worker's report is about, if the report
// is for the current attempt of a task that is still running; a stale or
// duplicate report gives a nil node.
func (x *folding) current(attempt int32) (int32, *Node) {
	if !x.load() {
		return 0, nil
	}
	i, ok := x.w.Plan.Lookup(x.ev.Task)
	if !ok || x.w.Plan.Kind(i) != TaskNode {
		return 0, nil
	}
	n := x.node(i)
	switch n.Status {
	case Pending, Started, Custom:
	default:
		return 0, nil
	}
	if n.Attempt != attempt {
		return 0, nil
	}
	return i, n
}

func (x *folding) started(_ int32, n *Node) {
	if n.Status != Pending {
		return // a late duplicate must not undo a custom state
	}
	n.Status = Started
	if x.w.Status == Pending {
		x.w.Status = Started
		x.dirty = true
	}
}

// ran notes that a task of the workflow ran: a worker reports a short
// task's outcome without a TaskStarted (worker.Config.StartedAfter), and
// the workflow is STARTED all the same.
func (x *folding) ran() {
	if x.w.Status == Pending {
		x.w.Status = Started
		x.dirty = true
	}
}

func (x *folding) progress(_ int32, n *Node, b *events.TaskProgress) {
	if b.Seq <= n.Seq && n.Status == Custom {
		return
	}
	n.Status, n.Custom, n.Meta, n.Seq = Custom, b.State, b.Meta, b.Seq
}

func (x *folding) succeeded(i int32, n *Node, b *events.TaskSucceeded) {
	n.Status, n.Result = Success, b.Result
	x.complete(i, n, true, b.Result, nil)
}

func (x *folding) failed(i int32, n *Node, b *events.TaskFailed) {
	err := &Error{Type: b.Error.Type, Message: b.Error.Message, Traceback: b.Error.Traceback, TaskID: x.ev.Task}
	n.Status, n.Err = Failure, err
	x.complete(i, n, false, nil, err)
}

func (x *folding) expired(i int32, n *Node) {
	err := &Error{Type: "TaskRevokedError", Message: ReasonExpired, TaskID: x.ev.Task}
	n.Status, n.Err = Revoked, err
	x.complete(i, n, false, nil, err)
}
