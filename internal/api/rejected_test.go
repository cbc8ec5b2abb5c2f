package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/fugue-run/fugue/internal/api"
	"github.com/fugue-run/fugue/projector"
)

// rejecting is a Backend whose engine rejects every canvas when it folds
// it, as it does a task_id another workflow claimed meanwhile.
type rejecting struct {
	mu      sync.Mutex
	st      *projector.MemState
	changed chan struct{}
}

func (b *rejecting) Submit(_ context.Context, id string, _ map[string]any) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.st.PutWorkflow(&projector.Workflow{ID: id, Status: projector.Failure, Completed: true, Rejected: "task_id t is already used by workflow w0",
		Err: &projector.Error{Type: "InvalidCanvas", Message: "task_id t is already used by workflow w0"}})
	close(b.changed)
	b.changed = make(chan struct{})
	return nil
}

func (b *rejecting) Revoke(context.Context, string, string) error { return nil }
func (b *rejecting) State() projector.State                       { return lockedState{b} }
func (b *rejecting) Changed() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.changed
}

type lockedState struct{ b *rejecting }

func (s lockedState) Workflow(id string) (*projector.Workflow, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	return s.b.st.Workflow(id)
}
func (s lockedState) Node(w *projector.Workflow, i int32) (*projector.Node, error) {
	return &projector.Node{}, nil
}
func (s lockedState) TaskOwner(string) (string, error)                          { return "", nil }
func (s lockedState) MadeUpClaim(string) (string, string, error)                { return "", "", nil }
func (s lockedState) PutWorkflow(*projector.Workflow) error                     { panic("read-only") }
func (s lockedState) PutNode(*projector.Workflow, int32, *projector.Node) error { panic("read-only") }
func (s lockedState) ClaimTask(string, string) error                            { panic("read-only") }

func TestRejectedByTheEngineIs400(t *testing.T) {
	t.Parallel()
	b := &rejecting{st: projector.NewMemState(), changed: make(chan struct{})}
	srv := httptest.NewServer(api.NewHandler(b, api.Config{}))
	defer srv.Close()
	e := &env{t: t, srv: srv}
	for range 2 { // the second time it is known already
		r := e.do("POST", "/v1/workflows", `{"task": "tasks.add", "options": {"task_id": "w1"}}`)
		e.expect(r, http.StatusBadRequest, `{"error":"task_id t is already used by workflow w0"}`)
	}
	r := e.do("GET", "/v1/workflows/w1", "")
	if r.code != http.StatusOK || !strings.Contains(r.body, `"error":{"type":"InvalidCanvas"`) {
		t.Errorf("%d %s", r.code, r.body)
	}
}
