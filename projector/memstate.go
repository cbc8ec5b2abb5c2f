package projector

import "sort"

// MemState is a State held in memory. It backs tests, benchmarks and the
// in-process harness; it is not safe for concurrent use.
type MemState struct {
	workflows map[string]*memWorkflow
	tasks     map[string]string
}

type memWorkflow struct {
	w     *Workflow
	nodes []Node
}

var _ State = (*MemState)(nil)

// NewMemState returns an empty in-memory state.
func NewMemState() *MemState {
	return &MemState{workflows: map[string]*memWorkflow{}, tasks: map[string]string{}}
}

// Workflow implements State.
func (s *MemState) Workflow(id string) (*Workflow, error) {
	if m := s.workflows[id]; m != nil {
		return m.w, nil
	}
	return nil, nil
}

// PutWorkflow implements State.
func (s *MemState) PutWorkflow(w *Workflow) error {
	m := s.workflows[w.ID]
	if m == nil {
		m = &memWorkflow{w: w}
		s.workflows[w.ID] = m
	}
	if m.nodes == nil && w.Plan != nil { // Fold puts a new workflow before its plan too
		m.nodes = make([]Node, w.Plan.Len())
	}
	m.w = w
	return nil
}

// Node implements State.
func (s *MemState) Node(w *Workflow, i int32) (*Node, error) {
	return &s.workflows[w.ID].nodes[i], nil
}

// PutNode implements State. Nodes are changed in place.
func (s *MemState) PutNode(*Workflow, int32, *Node) error { return nil }

// TaskOwner implements State.
func (s *MemState) TaskOwner(task string) (string, error) { return s.tasks[task], nil }

// ClaimTask implements State.
func (s *MemState) ClaimTask(task, wf string) error {
	s.tasks[task] = wf
	return nil
}

// MadeUpClaim implements State, by a look at every claim.
func (s *MemState) MadeUpClaim(wf string) (string, string, error) {
	task, owner := MadeUpClaimIn(s.tasks, wf)
	return task, owner, nil
}

// WorkflowIDs returns the ids of every workflow, sorted.
func (s *MemState) WorkflowIDs() []string {
	ids := make([]string, 0, len(s.workflows))
	for id := range s.workflows {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
