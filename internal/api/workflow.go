package api

import (
	"net/http"
	"time"

	"github.com/fugue-run/fugue/projector"
)

// getWorkflow is GET /v1/workflows/{id}?wait=D.
func (s *server) getWorkflow(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	wait, err := s.parseWait(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	start := time.Now()
	s.routed(w, r, "workflow", id, nil, nil, func() { s.workflowHere(w, r, id, remaining(wait, start)) }, nil)
}

// workflowHere answers GET /v1/workflows/{id} from this engine's state.
func (s *server) workflowHere(w http.ResponseWriter, r *http.Request, id string, wait time.Duration) {
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
	v, err := projector.Describe(st, id)
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
