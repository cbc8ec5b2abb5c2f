package apitest

import (
	"errors"

	"github.com/fugue-run/fugue/projector"
)

// Snapshot is a frozen copy of a harness state: a projector.State that is
// safe for concurrent reads and refuses writes. Node values (args,
// results) are shared with the harness, which replaces them and never
// changes them in place.
type Snapshot struct {
	workflows map[string]*projector.Workflow
	nodes     map[string][]projector.Node
	owners    map[string]string
}

var _ projector.State = (*Snapshot)(nil)

// errReadOnly is returned by a Snapshot's writes.
var errReadOnly = errors.New("apitest: the snapshot is read-only")

func emptySnapshot() *Snapshot {
	return &Snapshot{workflows: map[string]*projector.Workflow{}, nodes: map[string][]projector.Node{}, owners: map[string]string{}}
}

// snapshotOf copies st. It must run where st is not being changed.
func snapshotOf(st *projector.MemState) *Snapshot {
	s := emptySnapshot()
	for _, id := range st.WorkflowIDs() {
		live, _ := st.Workflow(id) // MemState never fails
		w := *live
		s.workflows[id] = &w
		if w.Plan == nil {
			continue
		}
		nodes := make([]projector.Node, w.Plan.Len())
		for i := range nodes {
			n, _ := st.Node(live, int32(i))
			nodes[i] = *n
			if t := w.Plan.Node(int32(i)).Options.TaskID; t != "" && t != id {
				s.owners[t] = id
			}
		}
		s.nodes[id] = nodes
	}
	return s
}

// Workflow implements projector.State.
func (s *Snapshot) Workflow(id string) (*projector.Workflow, error) { return s.workflows[id], nil }

// Node implements projector.State.
func (s *Snapshot) Node(w *projector.Workflow, i int32) (*projector.Node, error) {
	ns := s.nodes[w.ID]
	if int(i) >= len(ns) {
		return &projector.Node{}, nil
	}
	return &ns[i], nil
}

// TaskOwner implements projector.State.
func (s *Snapshot) TaskOwner(task string) (string, error) { return s.owners[task], nil }

// PutWorkflow implements projector.State; it fails.
func (s *Snapshot) PutWorkflow(*projector.Workflow) error { return errReadOnly }

// PutNode implements projector.State; it fails.
func (s *Snapshot) PutNode(*projector.Workflow, int32, *projector.Node) error { return errReadOnly }

// MadeUpClaim implements projector.State.
func (s *Snapshot) MadeUpClaim(wf string) (string, string, error) {
	task, owner := projector.MadeUpClaimIn(s.owners, wf)
	return task, owner, nil
}

// ClaimTask implements projector.State; it fails.
func (s *Snapshot) ClaimTask(string, string) error { return errReadOnly }
