package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/fugue-run/fugue/projector"
)

// getWorkflow is GET /v1/workflows/{id}?wait=D&tasks=B.
func (s *server) getWorkflow(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	wait, err := s.parseWait(r)
	var tasks bool
	if err == nil {
		tasks, err = parseTasks(r)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	start := time.Now()
	s.routed(w, r, "workflow", id, nil, nil, func() { s.workflowHere(w, r, id, remaining(wait, start), tasks) }, nil)
}

// parseTasks reads ?tasks: whether the answer lists the workflow's tasks
// (the default). tasks=false answers with the header alone, at a cost
// that does not grow with the canvas: what a client that waits for a
// result or polls a state wants.
func parseTasks(r *http.Request) (bool, error) {
	q := r.URL.Query()
	if !q.Has("tasks") {
		return true, nil
	}
	raw := q.Get("tasks")
	b, err := strconv.ParseBool(raw)
	if err != nil {
		return false, fmt.Errorf("tasks: %q is neither true nor false", raw)
	}
	return b, nil
}

// workflowHere answers GET /v1/workflows/{id} from this engine's state.
func (s *server) workflowHere(w http.ResponseWriter, r *http.Request, id string, wait time.Duration, tasks bool) {
	var wf *projector.Workflow
	st, err := s.await(r.Context(), wait, func(st projector.State) (bool, error) {
		var err error
		wf, err = projector.Header(st, id) // Describe compiles its plan, once
		return wf == nil || wf.Ready(), err
	})
	switch {
	case r.Context().Err() != nil:
		return // the client is gone
	case err != nil:
		s.internalError(w, r, err)
		return
	case wf == nil:
		writeError(w, http.StatusNotFound, "workflow "+id+" not found")
		return
	}
	var v *projector.WorkflowView
	if tasks {
		v, err = projector.Describe(st, id)
	} else {
		v = projector.HeaderView(wf)
	}
	if err == nil && v == nil {
		err = errVanished(id)
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	body, err := AppendWorkflowJSON(make([]byte, 0, 256+128*len(v.Tasks)), v)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	setReady(w, wf.Ready())
	writeJSON(w, http.StatusOK, body)
}

type errVanished string

func (e errVanished) Error() string { return "api: workflow " + string(e) + " vanished while read" }
