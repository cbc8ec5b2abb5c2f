package harness_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/conformance"
	"github.com/fugue-run/fugue/internal/harness"
	"github.com/fugue-run/fugue/projector"
	"github.com/fugue-run/fugue/value"
)

// runAll submits every valid case as its own workflow in one harness and
// runs them together.
func runAll(t *testing.T, cases []conformance.Case, chaos harness.Chaos) *harness.Harness {
	t.Helper()
	h := harness.New(projector.Config{}, chaos)
	for i, c := range cases {
		h.Submit(fmt.Sprintf("wf%02d", i), c.Canvas)
	}
	if err := h.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return h
}

// validCases drops the cases whose canvas is refused.
func validCases(t *testing.T) []conformance.Case {
	var out []conformance.Case
	for _, c := range loadCases(t) {
		if _, refused := c.Refused(); !refused {
			out = append(out, c)
		}
	}
	return out
}

// TestDeliveryChaos runs all cases at once, with tasks run in random
// order, some tasks run twice and some events delivered twice, and checks
// that every workflow ends exactly as in an orderly run, with the same
// state hash, and that Fold decided everything exactly once.
func TestDeliveryChaos(t *testing.T) {
	t.Parallel()
	cases := validCases(t)
	calm := runAll(t, cases, harness.Chaos{})
	want := calm.State.Hash()
	checkOnce(t, calm.Outputs)
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			h := runAll(t, cases, harness.Chaos{Seed: seed, Shuffle: true, RerunTask: 0.2, Redeliver: 0.2})
			for i := range cases {
				id := fmt.Sprintf("wf%02d", i)
				a, _ := calm.Workflow(id)
				b, _ := h.Workflow(id)
				if a.State != b.State || !value.Equal(a.Result, b.Result) || fmt.Sprint(a.Error) != fmt.Sprint(b.Error) {
					t.Errorf("%s (%s): chaos gave %s %v %v, calm %s %v %v",
						id, cases[i].Name, b.State, b.Result, b.Error, a.State, a.Result, a.Error)
				}
			}
			checkOnce(t, h.Outputs)
			if got := h.State.Hash(); got != want {
				t.Errorf("state hash %x, calm run %x", got, want)
			}
		})
	}
}

// checkOnce asserts that Fold emitted no event id twice: every dispatch
// (chord bodies and callbacks included), link firing and chord counter
// increment happened exactly once.
func checkOnce(t *testing.T, outputs []events.Event) {
	t.Helper()
	seen := map[string]bool{}
	for _, o := range outputs {
		if seen[o.ID] {
			t.Errorf("output %s (%T) emitted twice", o.ID, o.Body)
		}
		seen[o.ID] = true
	}
}

// TestReplay folds the recorded log of a chaotic run into a fresh state:
// the state hash and every output must come out identical.
func TestReplay(t *testing.T) {
	t.Parallel()
	cases := validCases(t)
	h := runAll(t, cases, harness.Chaos{Seed: 7, Shuffle: true, RerunTask: 0.3, Redeliver: 0.3})
	st := projector.NewMemState()
	f := projector.New(projector.Config{})
	var outs []events.Event
	for i := range h.Log {
		var err error
		outs, err = f.Fold(st, &h.Log[i], outs)
		if err != nil {
			t.Fatal(err)
		}
	}
	if got, want := st.Hash(), h.State.Hash(); got != want {
		t.Fatalf("replayed state hash %x, live %x", got, want)
	}
	if len(outs) != len(h.Outputs) {
		t.Fatalf("replay emitted %d outputs, live run %d", len(outs), len(h.Outputs))
	}
	for i := range outs {
		if outs[i].ID != h.Outputs[i].ID {
			t.Fatalf("output %d: replay %s, live %s", i, outs[i].ID, h.Outputs[i].ID)
		}
	}
}

// TestInertEventsChangeNothing folds the logs of every case, calm and with
// delivery chaos, once whole and once without the events projector.Inert
// names: the two states must hash alike along the way and at the end,
// every other event's outputs be the same, and an inert event emit nothing.
func TestInertEventsChangeNothing(t *testing.T) {
	t.Parallel()
	cases := loadCases(t)
	seen := map[string]bool{}
	for _, chaos := range []harness.Chaos{{}, {Seed: 3, Shuffle: true, RerunTask: 0.3, Redeliver: 0.3}} {
		h := runAll(t, cases, chaos)
		f := projector.New(projector.Config{})
		whole, lean := projector.NewMemState(), projector.NewMemState()
		for i := range h.Log {
			ev := &h.Log[i]
			out, err := f.Fold(whole, ev, nil)
			if err != nil {
				t.Fatal(err)
			}
			if projector.Inert(ev.Body) {
				seen[fmt.Sprintf("%T", ev.Body)] = true
				if len(out) > 0 {
					t.Fatalf("inert event %s emitted %d events", ev.ID, len(out))
				}
				continue
			}
			out2, err := f.Fold(lean, ev, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(out, out2) {
				t.Fatalf("event %s: without the inert events Fold emitted %v, with them %v", ev.ID, out2, out)
			}
			if i%5 == 0 && whole.Hash() != lean.Hash() { // every fifth: a hash costs O(state)
				t.Fatalf("event %s: the states with and without the inert events differ", ev.ID)
			}
		}
		if whole.Hash() != lean.Hash() || whole.Hash() != h.State.Hash() {
			t.Fatalf("seed %d: the fold without inert events hashes differently", chaos.Seed)
		}
	}
	// Every inert kind the cases produce was checked.
	for _, b := range []events.Body{&events.WorkflowRejected{}, &events.WorkflowCompleted{}, &events.TaskDispatched{},
		&events.LinkFired{}, &events.ChordCounterIncremented{}, &events.ChordCompleted{}, &events.TimerScheduled{}} {
		if !projector.Inert(b) {
			t.Errorf("%T is not inert", b)
		}
		if !seen[fmt.Sprintf("%T", b)] {
			t.Errorf("no %T in the logs: the test checks nothing for it", b)
		}
	}
}

// TestFoldEachEmitsFoldsOutputs folds the logs of every case, calm and with
// delivery chaos, with Fold into one state and with FoldEach into another:
// FoldEach must emit exactly Fold's outputs, in order, event by event, and
// the states hash alike.
func TestFoldEachEmitsFoldsOutputs(t *testing.T) {
	t.Parallel()
	cases := loadCases(t)
	for _, chaos := range []harness.Chaos{{}, {Seed: 5, Shuffle: true, RerunTask: 0.3, Redeliver: 0.3}} {
		h := runAll(t, cases, chaos)
		f := projector.New(projector.Config{})
		a, b := projector.NewMemState(), projector.NewMemState()
		emitted := 0
		for i := range h.Log {
			ev := &h.Log[i]
			want, err := f.Fold(a, ev, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []events.Event
			if err := f.FoldEach(b, ev, func(o *events.Event) { got = append(got, *o) }); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("event %s: FoldEach emitted %v, Fold returned %v", ev.ID, got, want)
			}
			emitted += len(got)
		}
		if a.Hash() != b.Hash() {
			t.Fatalf("seed %d: the states of Fold and FoldEach differ", chaos.Seed)
		}
		if emitted == 0 {
			t.Fatal("no outputs: the test compares nothing")
		}
	}
}
