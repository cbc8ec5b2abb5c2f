package projector_test

import (
	"fmt"
	"testing"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/projector"
)

// countingState counts the records Fold reads and writes.
type countingState struct {
	*projector.MemState
	reads, writes int
}

func (c *countingState) Workflow(id string) (*projector.Workflow, error) {
	c.reads++
	return c.MemState.Workflow(id)
}

func (c *countingState) Node(w *projector.Workflow, i int32) (*projector.Node, error) {
	c.reads++
	return c.MemState.Node(w, i)
}

func (c *countingState) PutNode(w *projector.Workflow, i int32, n *projector.Node) error {
	c.writes++
	return c.MemState.PutNode(w, i, n)
}

func (c *countingState) PutWorkflow(w *projector.Workflow) error {
	c.writes++
	return c.MemState.PutWorkflow(w)
}

// TestChordCompletionIsConstant checks that a header member's completion
// touches the same number of records whatever the header size: a chord
// completion costs O(1), not O(header).
func TestChordCompletionIsConstant(t *testing.T) {
	t.Parallel()
	touched := func(size int) (reads, writes int) {
		f := projector.New(projector.Config{})
		st := &countingState{MemState: projector.NewMemState()}
		sig := canvas.Chord(canvas.Group(benchMembers(size)...), canvas.S("tasks.tsum"))
		sub := events.Event{ID: "s", Workflow: "wf", Time: 1, Body: &events.WorkflowSubmitted{Canvas: sig.Value()}}
		if _, err := f.Fold(st, &sub, nil); err != nil {
			t.Fatal(err)
		}
		// Complete a member in the middle; not the last one.
		task := fmt.Sprintf("wf.%d", 2+size/2)
		ev := events.Event{ID: events.SucceededID(task, 0), Workflow: "wf", Task: task, Time: 2, Body: &events.TaskSucceeded{Result: int64(1)}}
		st.reads, st.writes = 0, 0
		out, err := f.Fold(st, &ev, nil)
		if err != nil || len(out) != 1 {
			t.Fatalf("fold: %v, outputs %v", err, out)
		}
		return st.reads, st.writes
	}
	r10, w10 := touched(10)
	r10k, w10k := touched(10000)
	if r10 != r10k || w10 != w10k {
		t.Fatalf("a completion touched %d reads/%d writes with 10 members, %d/%d with 10000", r10, w10, r10k, w10k)
	}
	// The workflow, the member, its group to fill the member in (it was
	// dispatched unwritten: see startMembers) and the group again to count
	// the member; the member (filled in) and again (finished), the group
	// and the workflow.
	if r10 > 4 || w10 > 4 {
		t.Fatalf("a completion touched %d reads and %d writes, want at most 4 and 4", r10, w10)
	}
}
