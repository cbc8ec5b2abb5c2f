// Package harness runs workflows deterministically in one process, without
// Kafka: an in-memory event log folded by projector.Fold, and a synchronous
// worker that runs the demo tasks. Tests use it to run canvases end to end
// and to replay what they recorded.
//
// With Chaos set it plays the at-least-once delivery that Kafka and acks-late
// workers can produce: task messages run in random order, some run twice,
// and some events are delivered again later. Everything is driven by a
// seeded generator, so a failing seed reproduces.
package harness

import (
	"container/heap"
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/demo"
	"github.com/fugue-run/fugue/projector"
	"github.com/fugue-run/fugue/value"
	"github.com/fugue-run/fugue/worker"
)

// Chaos sets how unkindly the harness delivers. The zero value is orderly:
// events in order, tasks first in first out, each once.
type Chaos struct {
	// Seed seeds the generator.
	Seed uint64
	// Shuffle runs pending task messages and folds pending events in a
	// random interleaving.
	Shuffle bool
	// RerunTask is the chance that a task message is run a second time
	// later (a worker died before committing its offset).
	RerunTask float64
	// Redeliver is the chance that an event is delivered again later.
	Redeliver float64
}

// Harness is an engine, a log and a worker in one process. Not safe for
// concurrent use.
type Harness struct {
	Folder *projector.Folder
	State  *projector.MemState
	// Log is every event in the order it was folded: replaying it into a
	// fresh state must give the same state.
	Log []events.Event
	// Outputs is every event Fold emitted, in order.
	Outputs []events.Event

	reg     *worker.Registry
	chaos   Chaos
	rng     *rand.Rand
	clock   int64
	topic   []events.Event
	tasks   []events.Event
	timers  timerHeap
	seq     int
	revoked map[string]bool
	out     []events.Event
}

// Epoch is the harness clock's start: 2026-01-01T00:00:00Z in µs.
const Epoch = int64(1767225600) * 1e6

// New returns a harness running the demo tasks.
func New(cfg projector.Config, chaos Chaos) *Harness {
	reg := worker.NewRegistry()
	demo.Register(reg)
	return &Harness{
		Folder:  projector.New(cfg),
		State:   projector.NewMemState(),
		reg:     reg,
		chaos:   chaos,
		rng:     rand.New(rand.NewPCG(chaos.Seed, chaos.Seed^0x9e3779b97f4a7c15)),
		clock:   Epoch,
		revoked: map[string]bool{},
	}
}

// Registry is the worker's task registry, for tests that add tasks.
func (h *Harness) Registry() *worker.Registry { return h.reg }

// SubmitJSON submits a canvas in its JSON wire form as workflow id.
func (h *Harness) SubmitJSON(id string, canvasJSON []byte) error {
	v, err := value.DecodeJSON(canvasJSON)
	if err != nil {
		return err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("harness: a canvas is a JSON object, not %s", value.TypeName(v))
	}
	h.Submit(id, m)
	return nil
}

// Submit appends a WorkflowSubmitted for canvas as workflow id.
func (h *Harness) Submit(id string, canvas map[string]any) {
	h.Append(events.Event{ID: events.SubmittedID(id), Workflow: id, Producer: "client", Body: &events.WorkflowSubmitted{Canvas: canvas}})
}

// Revoke appends a RevokeRequested for a workflow (task "") or a task.
func (h *Harness) Revoke(wf, task string) {
	target := wf
	if task != "" {
		target = task
	}
	h.Append(events.Event{ID: events.RevokeID(target), Workflow: wf, Task: task, Producer: "client", Body: &events.RevokeRequested{}})
}

// Append puts an event at the end of the log, stamped with the clock.
func (h *Harness) Append(ev events.Event) {
	h.clock += 1000 // every step takes a millisecond of harness time
	ev.Time = h.clock
	h.topic = append(h.topic, ev)
}

// Run delivers events and runs tasks until nothing is left to do, firing
// timers as the clock reaches them. It returns the first error Fold gave.
func (h *Harness) Run(ctx context.Context) error {
	for {
		switch {
		case len(h.topic) > 0 && (len(h.tasks) == 0 || !h.chaos.Shuffle || h.rng.IntN(2) == 0):
			if err := h.foldNext(); err != nil {
				return err
			}
		case len(h.tasks) > 0:
			h.runNext(ctx)
		case h.timers.Len() > 0:
			t := heap.Pop(&h.timers).(timer)
			if t.due > h.clock {
				h.clock = t.due - 1000
			}
			h.Append(events.Event{
				ID: events.TimerFiredID(t.ev.Task, t.body.Timer), Workflow: t.ev.Workflow, Task: t.ev.Task,
				Producer: "timer", Body: &events.TimerFired{Timer: t.body.Timer},
			})
		default:
			return nil
		}
	}
}

func (h *Harness) foldNext() error {
	ev := h.topic[0]
	h.topic = h.topic[1:]
	if h.chaos.Redeliver > 0 && h.rng.Float64() < h.chaos.Redeliver {
		// Deliver it again somewhere later in the log.
		at := h.rng.IntN(len(h.topic) + 1)
		h.topic = append(h.topic[:at], append([]events.Event{ev}, h.topic[at:]...)...)
	}
	h.Log = append(h.Log, ev)
	var err error
	h.out, err = h.Folder.Fold(h.State, &ev, h.out[:0])
	if err != nil {
		return fmt.Errorf("harness: fold %s: %w", ev.ID, err)
	}
	for _, o := range h.out {
		h.Outputs = append(h.Outputs, o)
		h.topic = append(h.topic, o)
		switch b := o.Body.(type) {
		case *events.TaskDispatched:
			h.tasks = append(h.tasks, o)
		case *events.TimerScheduled:
			h.seq++
			heap.Push(&h.timers, timer{due: b.Due, seq: h.seq, ev: o, body: b})
		case *events.TaskRevoked:
			h.revoked[o.Task] = true
		}
	}
	return nil
}

// runNext runs one task message as a worker would, appending what the
// worker reports.
func (h *Harness) runNext(ctx context.Context) {
	var msg events.Event
	if h.chaos.Shuffle {
		// Order does not matter here: swap the pick with the last.
		i, last := h.rng.IntN(len(h.tasks)), len(h.tasks)-1
		msg = h.tasks[i]
		h.tasks[i] = h.tasks[last]
		h.tasks = h.tasks[:last]
	} else {
		msg = h.tasks[0]
		h.tasks = h.tasks[1:]
	}
	if h.chaos.RerunTask > 0 && h.rng.Float64() < h.chaos.RerunTask {
		h.tasks = append(h.tasks, msg)
	}
	d := msg.Body.(*events.TaskDispatched)
	report := func(id string, body events.Body) {
		h.Append(events.Event{ID: id, Workflow: msg.Workflow, Task: msg.Task, Producer: "worker", Body: body})
	}
	if h.revoked[msg.Task] {
		return // a revoked task is dropped when it arrives
	}
	if d.Expires != 0 && h.clock > d.Expires {
		report(events.RevokedID(msg.Task, projector.ReasonExpired), &events.TaskRevoked{Reason: projector.ReasonExpired, Attempt: d.Attempt})
		return
	}
	req, err := worker.NewRequest(&msg)
	if err != nil {
		report(events.FailedID(msg.Task, d.Attempt), &events.TaskFailed{Attempt: d.Attempt, Error: events.Failure{Type: "DecodeError", Message: err.Error()}})
		return
	}
	report(events.StartedID(msg.Task, d.Attempt), &events.TaskStarted{Attempt: d.Attempt, Worker: "harness"})
	var seq int32
	rep := worker.ReporterFunc(func(state string, meta any) error {
		seq++
		report(events.ProgressID(msg.Task, d.Attempt, seq), &events.TaskProgress{Attempt: d.Attempt, Seq: seq, State: state, Meta: meta})
		return nil
	})
	out := worker.Execute(ctx, h.reg, req, rep)
	switch out.Kind {
	case worker.Retrying:
		report(events.RetryingID(msg.Task, d.Attempt), &events.TaskRetrying{Attempt: d.Attempt, Countdown: out.Countdown, Error: out.Failure, Explicit: out.Explicit})
	case worker.Failed:
		report(events.FailedID(msg.Task, d.Attempt), &events.TaskFailed{Attempt: d.Attempt, Error: out.Failure})
	default:
		report(events.SucceededID(msg.Task, d.Attempt), &events.TaskSucceeded{Attempt: d.Attempt, Result: out.Result})
	}
}

// Workflow returns the view of workflow id as the HTTP API shows it.
func (h *Harness) Workflow(id string) (*projector.WorkflowView, error) {
	v, err := projector.Describe(h.State, id)
	if err == nil && v == nil {
		err = fmt.Errorf("harness: no workflow %q", id)
	}
	return v, err
}

type timer struct {
	due  int64
	seq  int
	ev   events.Event
	body *events.TimerScheduled
}

type timerHeap []timer

func (t timerHeap) Len() int { return len(t) }
func (t timerHeap) Less(i, j int) bool {
	if t[i].due != t[j].due {
		return t[i].due < t[j].due
	}
	return t[i].seq < t[j].seq
}
func (t timerHeap) Swap(i, j int) { t[i], t[j] = t[j], t[i] }
func (t *timerHeap) Push(x any)   { *t = append(*t, x.(timer)) }
func (t *timerHeap) Pop() any {
	old := *t
	x := old[len(old)-1]
	*t = old[:len(old)-1]
	return x
}

// Now is the harness clock, in µs since the epoch.
func (h *Harness) Now() int64 { return h.clock }
