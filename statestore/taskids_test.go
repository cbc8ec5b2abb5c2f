package statestore

import (
	"strings"
	"testing"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/harness"
	"github.com/fugue-run/fugue/projector"
)

// TestIDsOfAFinishedWorkflowAreRefused folds a workflow to its end and
// then submissions that use its id, an id it made up and a task_id it
// claimed: a Txn leaves the plan out of a finished workflow, and Fold
// must refuse them all the same, exactly as it does on a MemState.
func TestIDsOfAFinishedWorkflowAreRefused(t *testing.T) {
	t.Parallel()
	add := func(id string) *canvas.Signature {
		s := canvas.S("tasks.add", int64(1), int64(1))
		s.Options.TaskID = id
		return s
	}
	h := record(t, harness.Chaos{}, canvas.Group(add(""), add("claimed")).Value())
	log := h.Log
	if v, _ := h.Workflow("wf00"); v == nil || v.State != "SUCCESS" {
		t.Fatalf("wf00: %+v", v)
	}
	for k, sig := range []*canvas.Signature{
		canvas.Group(add("wf00.1")), // made up by wf00 for its first member
		canvas.Chain(add("x"), add("wf00")),
		canvas.Chord(canvas.Group(add("")), canvas.S("tasks.tsum")).Link(add("claimed")),
		add(""), // as workflow wf00.2
	} {
		wf := "late" + string(rune('a'+k))
		if k == 3 {
			wf = "wf00.2"
		}
		log = append(log, *submitEvent(wf, sig))
	}
	s, _ := setup(t)
	f := newFolder(s, 1)
	f.outputs = make([][]events.Event, len(log))
	f.fold(t, log, 0)
	mem, want := memFold(t, log)
	sameOutputs(t, log, f.outputs, want)
	for _, ev := range log[len(h.Log):] {
		w, err := s.Reader().Workflow(ev.Workflow)
		if err != nil || w == nil || !strings.Contains(w.Rejected, "for workflow wf00") && !strings.Contains(w.Rejected, "by workflow wf00") {
			t.Fatalf("%s: %+v, %v; want it refused for wf00", ev.Workflow, w, err)
		}
	}
	if got, want := mustHash(t, s), mem.Hash(); got != want {
		t.Fatalf("store hash %x, memory %x", got, want)
	}
}

// TestTxnWorkflowHeader reads headers through a Txn: its own puts, the
// committed store, and nil for an unknown id, which it does not remember.
func TestTxnWorkflowHeader(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	f := projector.New(projector.Config{})
	txn := s.Begin()
	if _, err := f.Fold(txn, submitEvent("old", chord(3)), nil); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	txn = s.Begin()
	defer txn.Discard()
	if _, err := f.Fold(txn, submitEvent("new", chord(2)), nil); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]bool{"old": true, "new": true, "none": false} {
		w, err := txn.WorkflowHeader(id)
		if err != nil || (w != nil) != want || w != nil && (w.ID != id || w.Plan != nil || w.Canvas != nil) {
			t.Errorf("WorkflowHeader(%q) = %+v, %v; want a header: %v", id, w, err, want)
		}
	}
	if _, kept := txn.st.wfs["none"]; kept {
		t.Error("the Txn remembers an unknown id it was asked about")
	}
}

// TestMadeUpClaim finds a claim of the form "<wf>.<n>" among the committed
// claims and those of the open Txn alike, the first in byte order as
// MemState does, and passes over ids of other forms.
func TestMadeUpClaim(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	mem := projector.NewMemState()
	claim := func(txn *Txn, task, wf string) {
		t.Helper()
		if err := txn.ClaimTask(task, wf); err != nil {
			t.Fatal(err)
		}
		if err := mem.ClaimTask(task, wf); err != nil {
			t.Fatal(err)
		}
	}
	txn := s.Begin()
	for _, id := range []string{"w.2", "w.x", "w.1.1", "w.01", "w.", "ww.1", "v.1"} {
		claim(txn, id, "old")
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	check := func(st projector.State, wf, wantTask, wantOwner string) {
		t.Helper()
		task, owner, err := st.MadeUpClaim(wf)
		if err != nil || task != wantTask || owner != wantOwner {
			t.Errorf("%T.MadeUpClaim(%q) = %q, %q, %v; want %q, %q", st, wf, task, owner, err, wantTask, wantOwner)
		}
	}
	txn = s.Begin()
	defer txn.Discard()
	for _, st := range []projector.State{txn, s.Reader(), mem} {
		check(st, "w", "w.2", "old")
		check(st, "ww", "ww.1", "old")
		check(st, "u", "", "")
	}
	claim(txn, "w.10", "new") // sorts before "w.2"
	claim(txn, "u.3", "new")
	for _, st := range []projector.State{txn, mem} {
		check(st, "w", "w.10", "new")
		check(st, "u", "u.3", "new")
	}
	check(s.Reader(), "w", "w.2", "old") // the Txn's claims are not committed
}
