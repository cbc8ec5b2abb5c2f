package projector_test

import (
	"fmt"
	"testing"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/projector"
)

// lookups counts the reads CheckIDs makes.
type lookups struct {
	*projector.MemState
	owners, workflows int
}

func (l *lookups) TaskOwner(task string) (string, error) {
	l.owners++
	return l.MemState.TaskOwner(task)
}

func (l *lookups) Workflow(id string) (*projector.Workflow, error) {
	l.workflows++
	return l.MemState.Workflow(id)
}

// TestCheckIDsCost: a canvas without task_ids costs one read, for the
// workflow's own id, and no allocation per signature; each task_id given
// costs a read of its claim and one of a workflow by that id, and ids of
// the form "<w>.<n>" one read per prefix w.
func TestCheckIDsCost(t *testing.T) {
	t.Parallel()
	group := func(n int, id func(int) string) *canvas.Signature {
		sigs := make([]*canvas.Signature, n)
		for i := range sigs {
			sigs[i] = canvas.S("tasks.add", int64(i), int64(i))
			sigs[i].Options.TaskID = id(i)
		}
		return canvas.Group(sigs...)
	}
	none := func(int) string { return "" }
	for _, c := range []struct {
		name              string
		sig               *canvas.Signature
		owners, workflows int
	}{
		{"plain", group(10_000, none), 1, 0},
		{"named", group(1000, func(i int) string { return fmt.Sprintf("t-%d", i) }), 1001, 1000},
		{"one prefix", group(1000, func(i int) string { return fmt.Sprintf("batch.%d", i) }), 1001, 1001},
	} {
		st := &lookups{MemState: projector.NewMemState()}
		if err := projector.CheckIDs(st, "wf", c.sig); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if st.owners != c.owners || st.workflows != c.workflows {
			t.Errorf("%s: %d claim and %d workflow reads, want %d and %d", c.name, st.owners, st.workflows, c.owners, c.workflows)
		}
	}
}

// TestCheckIDsAllocatesNothingPerSignature: walking a canvas without
// task_ids allocates no more for 10,000 signatures than for 10. Not
// parallel: AllocsPerRun counts every goroutine's allocations.
func TestCheckIDsAllocatesNothingPerSignature(t *testing.T) {
	st := projector.NewMemState()
	allocs := func(n int) float64 {
		sigs := make([]*canvas.Signature, n)
		for i := range sigs {
			sigs[i] = canvas.S("tasks.add", int64(i), int64(i))
		}
		sig := canvas.Chord(canvas.Group(sigs...), canvas.S("tasks.tsum").Link(canvas.S("tasks.log")))
		return testing.AllocsPerRun(10, func() {
			if err := projector.CheckIDs(st, "wf", sig); err != nil {
				t.Fatal(err)
			}
		})
	}
	if small, large := allocs(10), allocs(10_000); large != small {
		t.Errorf("CheckIDs allocates %v times for 10 signatures without task_ids, %v for 10,000", small, large)
	}
}
