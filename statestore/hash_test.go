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
				f := newFolder(s, every)
				f.outputs = make([][]events.Event, len(h.Log))
				f.fold(t, h.Log, 0)
				sameOutputs(t, h.Log, f.outputs, memOuts)
				if got := mustHash(t, s); got != want {
					t.Fatalf("store hash %x, memory %x", got, want)
				}
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
