package statestore

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/harness"
	"github.com/fugue-run/fugue/projector"
	"github.com/fugue-run/fugue/value"
)

const testTopic = "events"

// setup opens a store in a fresh directory, closed when the test ends.
func setup(tb testing.TB, opts ...Option) (*Store, string) {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "state")
	s, err := Open(dir, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, dir
}

// reopen closes s and opens the store in dir again, closed when the test
// ends.
func reopen(tb testing.TB, s *Store, dir string) *Store {
	tb.Helper()
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
	s, err := Open(dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// caseCanvases reads the canvases of the harness's conformance cases.
func caseCanvases(tb testing.TB) []map[string]any {
	tb.Helper()
	files, err := filepath.Glob("../internal/harness/testdata/*.jsonl")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no case files: %v", err)
	}
	var out []map[string]any
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			v, err := value.DecodeJSON([]byte(line))
			if err != nil {
				tb.Fatalf("%s: %v", f, err)
			}
			c, _ := v.(map[string]any)["canvas"].(map[string]any)
			out = append(out, c) // a nil canvas is refused: a case too
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			tb.Fatal(err)
		}
	}
	return out
}

// record runs canvases as workflows wf00, wf01, ... in the harness and
// returns it; its Log is every event folded, in order.
func record(tb testing.TB, chaos harness.Chaos, canvases ...map[string]any) *harness.Harness {
	tb.Helper()
	h := harness.New(projector.Config{}, chaos)
	for i, c := range canvases {
		h.Submit(fmt.Sprintf("wf%02d", i), c)
	}
	if err := h.Run(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return h
}

// chord returns a chord of n tasks.add headers and a tasks.tsum body.
func chord(n int) *canvas.Signature {
	sigs := make([]*canvas.Signature, n)
	for i := range sigs {
		sigs[i] = canvas.S("tasks.add", int64(i), int64(i))
	}
	return canvas.Chord(canvas.Group(sigs...), canvas.S("tasks.tsum"))
}

// folder folds a log into a store as the engine would: a Txn per batch of
// events, the applied offset and the timers in the same commit.
type folder struct {
	s     *Store
	f     *projector.Folder
	out   []events.Event
	every int
	// outputs is, per event, what Fold emitted.
	outputs [][]events.Event
	// due remembers each timer's due time, as the engine's timer service
	// knows it when it fires one.
	due map[Timer]int64
	// owned says the log folded is never read again (handedOver), so its
	// events are handed over as they are.
	owned bool
}

func newFolder(s *Store, every int) *folder {
	return &folder{s: s, f: projector.New(projector.Config{}), every: every, due: map[Timer]int64{}}
}

// fold folds log[from:] (offset = index) and commits every f.every events
// and at the end. It folds as the engine does, handing each event over
// (FoldEachTaking), which takes a submission's canvas tree apart: a copy,
// since a test folds one log into other states too.
func (f *folder) fold(tb testing.TB, log []events.Event, from int) {
	tb.Helper()
	txn := f.s.Begin()
	collect := func(o *events.Event) { f.out = append(f.out, *o) }
	for i := from; i < len(log); i++ {
		f.out = f.out[:0]
		ev := &log[i]
		if !f.owned {
			ev = handOver(ev)
		}
		if err := f.f.FoldEachTaking(txn, ev, collect); err != nil {
			tb.Fatalf("fold %s: %v", log[i].ID, err)
		}
		if f.outputs != nil {
			f.outputs[i] = append([]events.Event(nil), f.out...)
		}
		f.timers(txn, &log[i])
		txn.SetApplied(testTopic, 0, int64(i))
		if (i+1-from)%f.every == 0 || i == len(log)-1 {
			if err := txn.Commit(); err != nil {
				tb.Fatal(err)
			}
			txn = f.s.Begin()
		}
	}
	txn.Discard()
}

// handOver returns ev, or a copy of it when Fold would take it apart: a
// submission, whose canvas's dicts and lists of dicts are copied (Fold
// clears lists of signatures). Other lists are shared, so that the
// outputs compare as before: reflect.DeepEqual tells a NaN from itself
// unless both sides hold the same slice.
func handOver(ev *events.Event) *events.Event {
	b, ok := ev.Body.(*events.WorkflowSubmitted)
	if !ok {
		return ev
	}
	cp := *ev
	cp.Body = &events.WorkflowSubmitted{Canvas: copyDicts(b.Canvas).(map[string]any)}
	return &cp
}

func copyDicts(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = copyDicts(e)
		}
		return m
	case []any:
		if !slices.ContainsFunc(x, func(e any) bool { _, ok := e.(map[string]any); return ok }) {
			return x
		}
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = copyDicts(e)
		}
		return l
	}
	return v
}

// handedOver returns a copy of log that a folder with owned set may fold:
// its submissions are copies.
func handedOver(log []events.Event) []events.Event {
	out := make([]events.Event, len(log))
	for i := range log {
		out[i] = *handOver(&log[i])
	}
	return out
}

// timers keeps the timers of a folded event: scheduled ones are put, a
// fired one is deleted.
func (f *folder) timers(txn *Txn, ev *events.Event) {
	if b, ok := ev.Body.(*events.TimerFired); ok {
		k := Timer{Workflow: ev.Workflow, Task: ev.Task, Name: b.Timer}
		if due, ok := f.due[k]; ok {
			k.Due = due
			txn.DeleteTimer(k)
			delete(f.due, Timer{Workflow: ev.Workflow, Task: ev.Task, Name: b.Timer})
		}
	}
	for i := range f.out {
		if b, ok := f.out[i].Body.(*events.TimerScheduled); ok {
			txn.PutTimer(Timer{Due: b.Due, Workflow: f.out[i].Workflow, Task: f.out[i].Task, Name: b.Timer})
			f.due[Timer{Workflow: f.out[i].Workflow, Task: f.out[i].Task, Name: b.Timer}] = b.Due
		}
	}
}

// memFold folds log into a fresh MemState and returns it with the outputs
// of every event.
func memFold(tb testing.TB, log []events.Event) (*projector.MemState, [][]events.Event) {
	tb.Helper()
	f := projector.New(projector.Config{})
	st := projector.NewMemState()
	outs := make([][]events.Event, len(log))
	for i := range log {
		out, err := f.Fold(st, &log[i], nil)
		if err != nil {
			tb.Fatalf("fold %s: %v", log[i].ID, err)
		}
		outs[i] = out
	}
	return st, outs
}

func mustHash(tb testing.TB, s *Store) [32]byte {
	tb.Helper()
	h, err := s.Hash()
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

func sameOutputs(tb testing.TB, log []events.Event, got, want [][]events.Event) {
	tb.Helper()
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			tb.Fatalf("event %d (%s): the store's fold emitted\n%+v\nthe memory fold\n%+v", i, log[i].ID, bodies(got[i]), bodies(want[i]))
		}
	}
}

// committedChord folds the submission of workflow id, a chord of 3, in a
// transaction of its own and commits it.
func committedChord(tb testing.TB, s *Store, f *projector.Folder, id string) {
	tb.Helper()
	txn := s.Begin()
	if _, err := f.Fold(txn, submitEvent(id, chord(3)), nil); err != nil {
		tb.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// bodies writes events with their bodies, for a failure's message.
func bodies(evs []events.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		fmt.Fprintf(&b, "%s %#v\n", ev.ID, ev.Body)
	}
	return b.String()
}
