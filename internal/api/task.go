package api

import (
	"net/http"
	"time"

	"github.com/fugue-run/fugue/projector"
)

// getTask is GET /v1/tasks/{id}?wait=D. A task of a known workflow that was
// not dispatched yet shows as PENDING; an id that names a chain, group or
// chord, or no node at all, is 404. With wait it answers once the task is
// final, or its workflow is ready (a task that has not run by then never
// will), or D passed.
func (s *server) getTask(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	wait, err := s.parseWait(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	start := time.Now()
	s.taskRouted(w, r, "task", id, func() { s.taskHere(w, r, id, remaining(wait, start)) })
}

// taskRouted answers a request about task id where its workflow's partition
// is served: found here, the task names its workflow and so the engine
// that owns it (this one, or another when this engine's copy is stale
// after a rebalance); not found, the other engines are asked.
func (s *server) taskRouted(w http.ResponseWriter, r *http.Request, name, id string, local func()) {
	if s.cfg.Router == nil {
		local()
		return
	}
	// here answers from this engine's state, and reports whether it could:
	// first, and again once Peers has waited for this engine to catch up
	// with its partitions, when the task may be known here.
	here := func() bool {
		wf, err := projector.FindTask(s.b.State(), id)
		switch {
		case err != nil:
			s.internalError(w, r, err)
		case wf != "":
			s.routed(w, r, name, wf, nil, nil, local, nil)
		default:
			return false
		}
		return true
	}
	if !here() {
		s.askPeers(w, r, name, "task "+id+" not found", here)
	}
}

// taskHere answers GET /v1/tasks/{id} from this engine's state.
func (s *server) taskHere(w http.ResponseWriter, r *http.Request, id string, wait time.Duration) {
	var (
		t     *projector.TaskView
		ready bool
	)
	_, err := s.await(r.Context(), wait, func(st projector.State) (bool, error) {
		var err error
		t, ready, err = describeTask(st, id)
		return t == nil || ready, err
	})
	switch {
	case r.Context().Err() != nil:
		return
	case err != nil:
		s.internalError(w, r, err)
		return
	case t == nil:
		writeError(w, http.StatusNotFound, "task "+id+" not found")
		return
	}
	body, err := AppendTaskJSON(make([]byte, 0, 256), t)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	setReady(w, ready)
	writeJSON(w, http.StatusOK, body)
}

// describeTask returns the view of task id (nil when unknown) and whether
// it is ready: final, or its workflow is.
func describeTask(st projector.State, id string) (*projector.TaskView, bool, error) {
	wf, t, err := projector.LookupTask(st, id)
	if err != nil || wf == nil || wf.Plan == nil {
		return nil, false, err
	}
	if t == nil {
		i, ok := wf.Plan.Lookup(id)
		if !ok || wf.Plan.Kind(i) != projector.TaskNode {
			return nil, false, nil
		}
		t = &projector.TaskView{
			ID: id, Name: wf.Plan.Node(i).Task, State: projector.Pending.String(),
			Args: []any{}, Kwargs: map[string]any{}, Children: []string{},
		}
	}
	return t, final(t.State) || wf.Ready(), nil
}

// final reports whether a task state is one a task never leaves.
func final(state string) bool {
	switch state {
	case "SUCCESS", "FAILURE", "REVOKED":
		return true
	}
	return false
}
