package statestore

import (
	"fmt"
	"testing"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/api"
	"github.com/fugue-run/fugue/internal/harness"
	"github.com/fugue-run/fugue/projector"
)

// TestHashEqualsMemState folds the conformance cases, calm and with
// delivery chaos, into a MemState and into a store in batches of several
// sizes: the two folds must emit the same outputs and hash alike.
func TestHashEqualsMemState(t *testing.T) {
	t.Parallel()
	canvases := caseCanvases(t)
	for _, chaos := range []harness.Chaos{{}, {Seed: 7, Shuffle: true, RerunTask: 0.2, Redeliver: 0.2}} {
		h := record(t, chaos, canvases...)
		mem, memOuts := memFold(t, h.Log)
		want := mem.Hash()
		if h.State.Hash() != want {
			t.Fatal("the harness state and a fold of its log differ")
		}
		for _, every := range []int{1, 7, 100, len(h.Log)} {
			t.Run(fmt.Sprintf("seed=%d/every=%d", chaos.Seed, every), func(t *testing.T) {
				t.Parallel()
				s, _ := setup(t)
				foldLikeMemory(t, s, every, h.Log, memOuts, want)
				// What the API shows is the same too.
				describeAlike(t, mem, s.Reader(), true)
			})
		}
	}
}

// TestDescribeAlikeMidway checks the views and the hash at points along
// the conformance cases' log, where tasks a group dispatched without
// writing them (projector's implied nodes) are still waiting: the store
// finds them among a task's children through its index, MemState by
// reading every node, and both show them alike.
func TestDescribeAlikeMidway(t *testing.T) {
	t.Parallel()
	h := record(t, harness.Chaos{Seed: 5, Shuffle: true}, caseCanvases(t)...)
	for k := 1; k <= 4; k++ {
		cut := len(h.Log) * k / 5
		t.Run(fmt.Sprintf("cut=%d", cut), func(t *testing.T) {
			t.Parallel()
			mem, memOuts := memFold(t, h.Log[:cut])
			s, _ := setup(t)
			foldLikeMemory(t, s, 3, h.Log[:cut], memOuts, mem.Hash())
			describeAlike(t, mem, s.Reader(), true)
		})
	}
}

// describeAlike checks that r describes every workflow of mem as mem does,
// and each of their tasks alone as the workflow's view lists it, children
// included. indexed says r must find the children through its index.
func describeAlike(t *testing.T, mem *projector.MemState, r *Reader, indexed bool) {
	t.Helper()
	for _, id := range mem.WorkflowIDs() {
		a, err := projector.Describe(mem, id)
		if err != nil {
			t.Fatal(err)
		}
		b, err := projector.Describe(r, id)
		if err != nil {
			t.Fatal(err)
		}
		ja, jb := mustJSON(t, a), mustJSON(t, b)
		if ja != jb {
			t.Fatalf("%s: the store describes\n%s\nmemory\n%s", id, jb, ja)
		}
		w, err := r.Workflow(id)
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range a.Tasks {
			want := mustJSON(t, task)
			for _, st := range []projector.State{mem, r} {
				got, wf, err := projector.DescribeTask(st, task.ID)
				if err != nil {
					t.Fatal(err)
				}
				if wf != id || mustJSON(t, got) != want {
					t.Fatalf("task %s of %s: %T describes it in %q as\n%s\nthe workflow's view\n%s", task.ID, id, st, wf, mustJSON(t, got), want)
				}
			}
			i, _ := w.Plan.Lookup(task.ID)
			if _, ok, err := r.Children(w, i); err != nil || ok != indexed {
				t.Fatalf("task %s: Children ok=%v err=%v, want ok=%v", task.ID, ok, err, indexed)
			}
		}
	}
}

// mustJSON is a workflow's or a task's view as the API writes it (NaN and
// infinities included, which encoding/json refuses).
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	var (
		b   []byte
		err error
	)
	switch v := v.(type) {
	case *projector.WorkflowView:
		b, err = api.AppendWorkflowJSON(nil, v)
	case *projector.TaskView:
		b, err = api.AppendTaskJSON(nil, v)
	default:
		t.Fatalf("mustJSON(%T)", v)
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestChildIndexOfAnOlderStore folds the conformance cases into a store
// made before the child index was kept (no marker): its readers find a
// task's children by scanning the workflow's nodes, and see the same.
func TestChildIndexOfAnOlderStore(t *testing.T) {
	t.Parallel()
	h := record(t, harness.Chaos{Seed: 3, Shuffle: true, RerunTask: 0.2}, caseCanvases(t)...)
	mem, memOuts := memFold(t, h.Log)
	s, dir := setup(t)
	if err := s.db.Delete(keyChildIndex, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	foldLikeMemory(t, s, 5, h.Log, memOuts, mem.Hash())
	describeAlike(t, mem, s.Reader(), false)
}

// foldLikeMemory folds log into s, committing every so many events, and
// checks that the outputs and the hash are the memory fold's.
func foldLikeMemory(t *testing.T, s *Store, every int, log []events.Event, memOuts [][]events.Event, want [32]byte) {
	t.Helper()
	f := newFolder(s, every)
	f.outputs = make([][]events.Event, len(log))
	f.fold(t, log, 0)
	sameOutputs(t, log, f.outputs, memOuts)
	if got := mustHash(t, s); got != want {
		t.Fatalf("store hash %x, memory %x", got, want)
	}
}

// TestNodeCacheFoldsAlike folds the conformance cases with delivery chaos
// and a large chord into stores with node caches of several sizes (one
// that holds everything, one that keeps evicting, one too small for any
// workflow) and small transactions, so that most node reads cross a
// commit: outputs and hash must be those of the memory fold.
func TestNodeCacheFoldsAlike(t *testing.T) {
	t.Parallel()
	canvases := append(caseCanvases(t), chord(2000).Value())
	h := record(t, harness.Chaos{Seed: 11, Shuffle: true, RerunTask: 0.2, Redeliver: 0.2}, canvases...)
	mem, memOuts := memFold(t, h.Log)
	want := mem.Hash()
	for _, size := range []int{1 << 20, 50, 1} {
		for _, every := range []int{1, 13} {
			t.Run(fmt.Sprintf("size=%d/every=%d", size, every), func(t *testing.T) {
				t.Parallel()
				s, _ := setup(t, WithNodeCacheSize(size))
				foldLikeMemory(t, s, every, h.Log, memOuts, want)
				if s.nodes.n > size {
					t.Fatalf("the cache holds %d nodes, more than its %d", s.nodes.n, size)
				}
			})
		}
	}
}

// TestNodeCacheAfterDiscard checks that a discarded transaction's node
// changes do not reach the cache: the next transaction sees the committed
// node.
func TestNodeCacheAfterDiscard(t *testing.T) {
	t.Parallel()
	s, _ := setup(t, WithNodeCacheSize(100))
	f := projector.New(projector.Config{})
	committedChord(t, s, f, "w1")
	w, err := s.Reader().Workflow("w1")
	if err != nil {
		t.Fatal(err)
	}
	task, ok := w.Plan.Lookup(w.Plan.ID(2))
	if !ok || w.Plan.Kind(task) != projector.TaskNode {
		t.Fatalf("node 2 of a chord is not a header task: %+v", w.Plan.Node(2))
	}
	done := events.Event{ID: "ok", Workflow: "w1", Task: w.Plan.ID(task), Body: &events.TaskSucceeded{Result: int64(4)}}
	txn := s.Begin()
	if _, err := f.Fold(txn, &done, nil); err != nil {
		t.Fatal(err)
	}
	txn.Discard()
	txn = s.Begin()
	defer txn.Discard()
	tw, err := txn.Workflow("w1")
	if err != nil {
		t.Fatal(err)
	}
	n, err := projector.ReadNode(txn, tw, task)
	if err != nil {
		t.Fatal(err)
	}
	if n.Status != projector.Pending || n.Result != nil {
		t.Fatalf("after a discarded success the txn sees %v with result %v, want PENDING without one", n.Status, n.Result)
	}
}

// TestHashChord checks a large chord, the case the layout exists for.
func TestHashChord(t *testing.T) {
	t.Parallel()
	h := record(t, harness.Chaos{}, chord(2000).Value())
	mem, _ := memFold(t, h.Log)
	s, _ := setup(t)
	newFolder(s, 1000).fold(t, h.Log, 0)
	if got, want := mustHash(t, s), mem.Hash(); got != want {
		t.Fatalf("store hash %x, memory %x", got, want)
	}
}
