package projector_test

import (
	"fmt"
	"testing"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/projector"
)

// FuzzFold derives a canvas and a sequence of valid events from the fuzz
// input and folds them: worker reports for dispatched attempts in any
// order (started, progress, succeeded, failed, retrying), a task run twice
// with different outcomes, redeliveries of any earlier event (Fold's own
// outputs included), timer firings for scheduled timers, and now and then
// a revoke. After every event it checks that Fold returned no error, that
// no output event id was emitted twice, that no attempt of a task was
// dispatched twice (chord bodies and callbacks included), and that a task
// that reached a terminal state keeps it. At the end the driver finishes
// every dispatched attempt and fires every pending timer; the workflow must
// then be ready.
//
//	go test ./projector -run=^$ -fuzz=FuzzFold -fuzztime=60s
//	go test -tags invariants ./projector -run=^$ -fuzz=FuzzFold -fuzztime=60s
func FuzzFold(f *testing.F) {
	for _, seed := range [][]byte{
		{},
		{0, 0, 0},
		{3, 2, 0, 1, 0, 0, 2, 2, 0, 3, 1, 4}, // a chord
		{1, 3, 0, 0, 0, 2, 0, 0, 0, 0, 9, 9, 9, 9, 9, 9},                // a chain, reports
		{2, 3, 0, 7, 0, 8, 0, 1, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5},    // a group with links
		{3, 3, 2, 0, 0, 0, 1, 0, 0, 0, 0, 3, 3, 3, 3, 4, 4, 4, 4, 7, 7}, // nested chords
		[]byte("the quick brown fox jumps over the lazy dog, twice: the quick brown fox"),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := newDriver(t, data)
		d.run()
	})
}

// bytesource reads decisions from the fuzz input; once it runs out it
// answers 0.
type bytesource struct {
	b []byte
	i int
}

func (r *bytesource) byte() byte {
	if r.i >= len(r.b) {
		return 0
	}
	r.i++
	return r.b[r.i-1]
}

func (r *bytesource) n(n int) int {
	if n <= 1 {
		return 0
	}
	return int(r.byte()) % n
}

func (r *bytesource) done() bool { return r.i >= len(r.b) }

// genCanvas builds a small random canvas. Leaves are tasks; a task may get
// options that set timers (countdown, expires) or cap retries; any node
// may get a link or an errback.
func genCanvas(r *bytesource, depth int, nodes *int) *canvas.Signature {
	*nodes++
	var s *canvas.Signature
	kind := r.n(6)
	if depth >= 3 || *nodes > 12 {
		kind = 0
	}
	members := func(min int) []*canvas.Signature {
		var ms []*canvas.Signature
		for range min + r.n(3) {
			ms = append(ms, genCanvas(r, depth+1, nodes))
		}
		return ms
	}
	switch kind {
	case 0, 4, 5:
		s = canvas.S("t.work", int64(r.n(10)))
		if r.n(2) == 1 {
			s = canvas.SI("t.work", int64(r.n(10)))
		}
		switch r.n(8) {
		case 1:
			s.Set(canvas.Options{Countdown: int64(1 + r.n(5))})
		case 2:
			s.Set(canvas.Options{Expires: int64(1 + r.n(20))})
		case 3:
			s.Set(canvas.Options{MaxRetries: int64(r.n(3))})
		case 4:
			s.Set(canvas.Options{RetryBackoff: true, MaxRetries: int64(1 + r.n(2))})
		}
	case 1:
		s = canvas.Chain(members(1)...)
	case 2:
		s = canvas.Group(members(1)...)
	case 3:
		s = canvas.Chord(canvas.Group(members(1)...), genCanvas(r, depth+1, nodes))
	}
	switch r.n(8) {
	case 1:
		s.Link(canvas.S("t.callback"))
	case 2:
		s.OnError(canvas.SI("t.errback"))
	case 3:
		s.Link(canvas.S("t.callback")).OnError(canvas.S("t.errback"))
	}
	return s
}

const wf = "wf"

type attemptKey struct {
	task    string
	attempt int32
}

type terminal struct {
	status  projector.Status
	attempt int32
	result  string
}

type timer struct {
	task, name string
	due        int64
}

// driver feeds one workflow's events to Fold and checks the invariants.
type driver struct {
	t      *testing.T
	r      *bytesource
	folder *projector.Folder
	st     *projector.MemState
	now    int64

	history    []events.Event // every event folded, outputs included
	outputIDs  map[string]bool
	dispatched map[attemptKey]bool
	attempts   []attemptKey // in dispatch order
	timers     []timer
	terminals  map[string]terminal // by task id
	seqs       map[attemptKey]int32
	sig        *canvas.Signature
}

func newDriver(t *testing.T, data []byte) *driver {
	r := &bytesource{b: data}
	nodes := 0
	return &driver{
		t: t, r: r, folder: projector.New(projector.Config{}), st: projector.NewMemState(), now: 1_000_000,
		outputIDs: map[string]bool{}, dispatched: map[attemptKey]bool{}, terminals: map[string]terminal{},
		seqs: map[attemptKey]int32{}, sig: genCanvas(r, 0, &nodes),
	}
}

func (d *driver) run() {
	d.fold(events.Event{ID: events.SubmittedID(wf), Workflow: wf, Producer: "test", Body: &events.WorkflowSubmitted{Canvas: d.sig.Value()}})
	w := d.workflow()
	if w.Rejected != "" {
		d.t.Fatalf("a generated canvas was rejected: %s\n%s", w.Rejected, d.canvasJSON())
	}
	for steps := 0; !d.r.done() && steps < 400; steps++ {
		d.step()
	}
	d.drain()
	w = d.workflow()
	if !w.Ready() {
		d.t.Fatalf("workflow not ready after every task finished and every timer fired: status %s, root done %v, outstanding %d\n%s",
			w.Status, w.RootDone, w.Outstanding, d.canvasJSON())
	}
	// A ready workflow has no task left in flight: each one dispatched
	// ended in exactly one terminal state.
	for _, k := range d.attempts {
		i, _ := w.Plan.Lookup(k.task)
		if n, _ := d.st.Node(w, i); !n.Status.Terminal() {
			d.t.Fatalf("workflow ready but task %s (dispatched attempt %d) is %s at attempt %d\n%s", k.task, k.attempt, n.Status, n.Attempt, d.canvasJSON())
		}
	}
}

func (d *driver) canvasJSON() string {
	b, _ := d.sig.MarshalJSON()
	return string(b)
}

func (d *driver) workflow() *projector.Workflow {
	w, err := d.st.Workflow(wf)
	if err != nil || w == nil {
		d.t.Fatalf("workflow: %v, %v", w, err)
	}
	return w
}

// step sends one event the fuzz input chooses.
func (d *driver) step() {
	switch c := d.r.n(16); {
	case c < 10:
		if len(d.attempts) == 0 {
			return
		}
		// Mostly the newest attempts; any attempt stands for a task run
		// again after a crash.
		k := d.attempts[len(d.attempts)-1-d.r.n(min(len(d.attempts), 4))]
		if d.r.n(5) == 0 {
			k = d.attempts[d.r.n(len(d.attempts))]
		}
		d.report(k, d.r.n(6))
	case c < 13:
		if len(d.history) > 0 {
			d.fold(d.history[d.r.n(len(d.history))]) // a redelivery
		}
	case c < 15:
		if len(d.timers) > 0 {
			d.fire(d.timers[d.r.n(len(d.timers))])
		}
	default:
		if d.r.n(4) != 0 {
			return // revokes stay rare
		}
		w := d.workflow()
		target, task := wf, ""
		if i := d.r.n(w.Plan.Len() + 1); i > 0 {
			target = w.Plan.ID(int32(i - 1))
			task = target
		}
		d.fold(events.Event{ID: events.RevokeID(target), Workflow: wf, Task: task, Producer: "api", Body: &events.RevokeRequested{Terminate: d.r.n(2) == 1}})
	}
}

// report sends a worker's report on attempt k: 0 started, 1 progress,
// 2 and 3 succeeded, 4 failed, 5 retrying.
func (d *driver) report(k attemptKey, what int) {
	ev := events.Event{Workflow: wf, Task: k.task, Producer: "worker/fuzz"}
	switch what {
	case 0:
		ev.ID, ev.Body = events.StartedID(k.task, k.attempt), &events.TaskStarted{Attempt: k.attempt, Worker: "fuzz"}
	case 1:
		d.seqs[k]++
		seq := d.seqs[k]
		ev.ID, ev.Body = events.ProgressID(k.task, k.attempt, seq), &events.TaskProgress{Attempt: k.attempt, Seq: seq, State: "PROGRESS", Meta: map[string]any{"done": int64(seq)}}
	case 2, 3:
		ev.ID, ev.Body = events.SucceededID(k.task, k.attempt), &events.TaskSucceeded{Attempt: k.attempt, Result: int64(len(k.task)) + int64(k.attempt)}
	case 4:
		ev.ID, ev.Body = events.FailedID(k.task, k.attempt), &events.TaskFailed{Attempt: k.attempt, Error: events.Failure{Type: "ValueError", Message: "boom"}}
	case 5:
		ev.ID, ev.Body = events.RetryingID(k.task, k.attempt), &events.TaskRetrying{Attempt: k.attempt, Countdown: float64(d.r.n(3)), Error: events.Failure{Type: "Retry", Message: "again"}}
	}
	d.fold(ev)
}

// fire sends the TimerFired of tm, at its due time at the earliest.
func (d *driver) fire(tm timer) {
	d.now = max(d.now, tm.due)
	d.fold(events.Event{ID: events.TimerFiredID(tm.task, tm.name), Workflow: wf, Task: tm.task, Producer: "engine", Body: &events.TimerFired{Timer: tm.name}})
}

// drain finishes every current attempt and fires every pending timer
// until nothing is left to do.
func (d *driver) drain() {
	for round := 0; ; round++ {
		if round > 1000 {
			d.t.Fatalf("drain does not end\n%s", d.canvasJSON())
		}
		w := d.workflow()
		if w.Ready() {
			return
		}
		acted := false
		for _, tm := range d.timers {
			pending, err := projector.TimerPending(d.st, wf, tm.task, tm.name)
			if err != nil {
				d.t.Fatal(err)
			}
			if pending {
				d.fire(tm)
				acted = true
			}
		}
		for _, k := range d.attempts {
			i, _ := w.Plan.Lookup(k.task)
			n, err := d.st.Node(w, i)
			if err != nil {
				d.t.Fatal(err)
			}
			if n.Attempt == k.attempt && !n.Status.Terminal() && n.Status != projector.Retry {
				d.report(k, 2)
				acted = true
			}
		}
		if !acted {
			return
		}
	}
}

// fold applies ev and the outputs it causes (as they come back from the
// log), and checks the invariants after each.
func (d *driver) fold(ev events.Event) {
	d.now += 500_000 // half a second between events
	if ev.Time == 0 {
		ev.Time = d.now // a redelivery keeps its time
	}
	queue := []events.Event{ev}
	for len(queue) > 0 {
		ev := queue[0]
		queue = queue[1:]
		d.history = append(d.history, ev)
		out, err := d.folder.Fold(d.st, &ev, nil)
		if err != nil {
			d.t.Fatalf("Fold(%s %T) = %v\n%s", ev.ID, ev.Body, err, d.canvasJSON())
		}
		for _, o := range out {
			d.output(o)
		}
		queue = append(queue, out...)
		d.checkTerminals(ev)
	}
}

// output records one of Fold's outputs and checks that it is new.
func (d *driver) output(o events.Event) {
	if d.outputIDs[o.ID] {
		d.t.Fatalf("event %s emitted twice\n%s", o.ID, d.canvasJSON())
	}
	d.outputIDs[o.ID] = true
	switch b := o.Body.(type) {
	case *events.TaskDispatched:
		k := attemptKey{o.Task, b.Attempt}
		if d.dispatched[k] {
			d.t.Fatalf("task %s attempt %d dispatched twice\n%s", o.Task, b.Attempt, d.canvasJSON())
		}
		d.dispatched[k] = true
		d.attempts = append(d.attempts, k)
	case *events.TimerScheduled:
		d.timers = append(d.timers, timer{task: o.Task, name: b.Timer, due: b.Due})
	}
}

// checkTerminals checks that no task left a terminal state, or changed
// its outcome, since it reached one.
func (d *driver) checkTerminals(after events.Event) {
	w := d.workflow()
	if w.Plan == nil {
		return
	}
	for i := range w.Plan.Len() {
		if w.Plan.Kind(int32(i)) != projector.TaskNode {
			continue
		}
		n, err := d.st.Node(w, int32(i))
		if err != nil {
			d.t.Fatal(err)
		}
		got := terminal{status: n.Status, attempt: n.Attempt}
		if n.Status == projector.Success {
			got.result = fmt.Sprint(n.Result)
		}
		id := w.Plan.ID(int32(i))
		prev, seen := d.terminals[id]
		switch {
		case seen && got != prev:
			d.t.Fatalf("task %s was %s (attempt %d, result %s) and is now %s (attempt %d, result %s) after %s\n%s",
				id, prev.status, prev.attempt, prev.result, got.status, got.attempt, got.result, after.ID, d.canvasJSON())
		case !seen && n.Status.Terminal():
			d.terminals[id] = got
		}
	}
}
