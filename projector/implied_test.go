package projector_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/projector"
)

// TestGroupWritesOnlyWhatItMust checks that a group's plain task members
// are dispatched unwritten, that every other member is written, and that
// Fold and the views read an unwritten one as what start made of it: sent
// with its call, the group's inputs prepended, and the group's parent.
func TestGroupWritesOnlyWhatItMust(t *testing.T) {
	t.Parallel()
	f := projector.New(projector.Config{})
	st := projector.NewMemState()
	fold := func(ev events.Event) []events.Event {
		t.Helper()
		ev.Workflow = "wf"
		out, err := f.Fold(st, &ev, nil)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// wf.1 add(0,0) then a group (wf.2) of: wf.3 plain, wf.4 countdown,
	// wf.5 expires, a chain wf.6 of wf.7 and wf.8, wf.9 plain, wf.10
	// revoked before it is reached.
	sig := canvas.Chain(
		canvas.S("tasks.add", int64(0), int64(0)),
		canvas.Group(
			canvas.S("tasks.add", int64(1)),
			canvas.S("tasks.add", int64(2)).Set(canvas.Options{Countdown: int64(10)}),
			canvas.S("tasks.add", int64(3)).Set(canvas.Options{Expires: int64(60)}),
			canvas.Chain(canvas.S("tasks.add", int64(4)), canvas.S("tasks.add", int64(5))),
			canvas.S("tasks.add", int64(6)),
			canvas.S("tasks.add", int64(7)),
		),
	)
	fold(events.Event{ID: "s", Time: 1, Body: &events.WorkflowSubmitted{Canvas: sig.Value()}})
	fold(events.Event{ID: events.RevokeID("wf.10"), Task: "wf.10", Time: 2, Body: &events.RevokeRequested{}})
	out := fold(events.Event{ID: events.SucceededID("wf.1", 0), Task: "wf.1", Time: 3, Body: &events.TaskSucceeded{Result: int64(9)}})

	dispatched := map[string][]any{}
	for _, ev := range out {
		if d, ok := ev.Body.(*events.TaskDispatched); ok {
			dispatched[ev.Task] = d.Args
		}
	}
	want := map[string][]any{
		"wf.3": {int64(9), int64(1)}, "wf.5": {int64(9), int64(3)},
		"wf.7": {int64(9), int64(4)}, "wf.9": {int64(9), int64(6)},
	}
	if !reflect.DeepEqual(dispatched, want) {
		t.Fatalf("dispatched %v, want %v", dispatched, want)
	}

	w, _ := st.Workflow("wf")
	raw := func(i int32) *projector.Node {
		n, _ := st.Node(w, i)
		return n
	}
	g := raw(2)
	if !g.Dispatched || !reflect.DeepEqual(g.Args, []any{int64(9)}) {
		t.Fatalf("group node %+v: want it marked Dispatched with its input", g)
	}
	for i, s := range map[int32]projector.Status{
		3: projector.Idle, 9: projector.Idle, // plain: unwritten
		4: projector.Scheduled, 5: projector.Pending, 7: projector.Pending, 10: projector.Revoked,
	} {
		if got := raw(i).Status; got != s {
			t.Errorf("node %d is stored %v, want %v", i, got, s)
		}
	}
	n, err := projector.ReadNode(st, w, 3)
	if err != nil || n.Status != projector.Pending || !n.Dispatched || n.Parent != "wf.1" ||
		!reflect.DeepEqual(n.Args, []any{int64(9), int64(1)}) {
		t.Fatalf("ReadNode(wf.3) = %+v, %v", n, err)
	}
	if raw(3).Status != projector.Idle {
		t.Fatal("ReadNode wrote the State's node")
	}
	tv, _, err := projector.DescribeTask(st, "wf.1")
	if err != nil || fmt.Sprint(tv.Children) != "[wf.3 wf.4 wf.5 wf.7 wf.9 wf.10]" {
		t.Fatalf("children of wf.1: %v (%v)", tv.Children, err)
	}
	if tv, _, _ := projector.DescribeTask(st, "wf.9"); tv == nil || tv.State != "PENDING" || *tv.ParentID != "wf.1" {
		t.Fatalf("wf.9 described as %+v", tv)
	}

	// Its report reads it as sent, writes it, and finishes it.
	fold(events.Event{ID: events.SucceededID("wf.9", 0), Task: "wf.9", Time: 4, Body: &events.TaskSucceeded{Result: int64(15)}})
	if n := raw(9); n.Status != projector.Success || !reflect.DeepEqual(n.Args, []any{int64(9), int64(6)}) || n.Parent != "wf.1" {
		t.Fatalf("wf.9 after its success: %+v", n)
	}
	// A stale report of another fills it in and writes it, as any read by
	// Fold does, and changes nothing else.
	fold(events.Event{ID: "stale", Task: "wf.3", Time: 5, Body: &events.TaskSucceeded{Attempt: 3, Result: int64(1)}})
	if n := raw(3); n.Status != projector.Pending || !n.Dispatched {
		t.Fatalf("wf.3 after a stale report: %+v", n)
	}
}

// TestGroupSubmissionWritesConstant checks that submitting a chord writes
// as many nodes whatever its header's size.
func TestGroupSubmissionWritesConstant(t *testing.T) {
	t.Parallel()
	writes := func(size int) int {
		f := projector.New(projector.Config{})
		st := &countingState{MemState: projector.NewMemState()}
		sig := canvas.Chord(canvas.Group(benchMembers(size)...), canvas.S("tasks.tsum"))
		sub := events.Event{ID: "s", Workflow: "wf", Time: 1, Body: &events.WorkflowSubmitted{Canvas: sig.Value()}}
		out, err := f.Fold(st, &sub, nil)
		if err != nil || len(out) != size {
			t.Fatalf("fold: %v, %d outputs", err, len(out))
		}
		return st.writes
	}
	if w10, w10k := writes(10), writes(10000); w10 != w10k || w10 > 6 {
		t.Fatalf("a submission wrote %d records with 10 header tasks, %d with 10000; want the same, at most 6", w10, w10k)
	}
}
