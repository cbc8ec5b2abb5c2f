package statestore

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/fugue-run/fugue/events"
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
				r := s.Reader()
				for _, id := range mem.WorkflowIDs() {
					a, err := projector.Describe(mem, id)
					if err != nil {
						t.Fatal(err)
					}
					b, err := projector.Describe(r, id)
					if err != nil {
						t.Fatal(err)
					}
					ja, err := json.Marshal(a)
					if err != nil {
						t.Fatal(err)
					}
					jb, err := json.Marshal(b)
					if err != nil {
						t.Fatal(err)
					}
					if string(ja) != string(jb) {
						t.Fatalf("%s: the store describes\n%s\nmemory\n%s", id, jb, ja)
					}
				}
			})
		}
	}
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
	task, ok := w.Plan.Lookup(w.Plan.Nodes[2].ID)
	if !ok || w.Plan.Nodes[task].Kind != projector.TaskNode {
		t.Fatalf("node 2 of a chord is not a header task: %+v", w.Plan.Nodes)
	}
	done := events.Event{ID: "ok", Workflow: "w1", Task: w.Plan.Nodes[task].ID, Body: &events.TaskSucceeded{Result: int64(4)}}
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
	n, err := txn.Node(tw, task)
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
