package api

import (
	"net/http"

	"github.com/fugue-run/fugue/projector"
)

// revokeWorkflow is POST /v1/workflows/{id}/revoke: 202 {"id": …} once the
// request is appended; revoking a finished workflow changes nothing.
func (s *server) revokeWorkflow(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.routed(w, r, "revoke_workflow", id, nil, nil, func() { s.revokeWorkflowHere(w, r, id) }, nil)
}

func (s *server) revokeWorkflowHere(w http.ResponseWriter, r *http.Request, id string) {
	wf, err := projector.Header(s.b.State(), id)
	switch {
	case err != nil:
		s.internalError(w, r, err)
		return
	case wf == nil:
		writeError(w, http.StatusNotFound, "workflow "+id+" not found")
		return
	}
	s.revoke(w, r, id, "")
}

// revokeTask is POST /v1/tasks/{id}/revoke: any node of a known workflow
// (a task, or a chain, group or chord by its task_id) can be revoked.
func (s *server) revokeTask(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.taskRouted(w, r, "revoke_task", id, func() { s.revokeTaskHere(w, r, id) })
}

func (s *server) revokeTaskHere(w http.ResponseWriter, r *http.Request, id string) {
	wf, err := projector.FindTask(s.b.State(), id)
	switch {
	case err != nil:
		s.internalError(w, r, err)
		return
	case wf == "":
		writeError(w, http.StatusNotFound, "task "+id+" not found")
		return
	}
	s.revoke(w, r, wf, id)
}

func (s *server) revoke(w http.ResponseWriter, r *http.Request, wf, task string) {
	if err := s.b.Revoke(r.Context(), wf, task); err != nil {
		s.cfg.Logger.Error("api: revoke failed", "workflow", wf, "task", task, "err", err)
		writeError(w, http.StatusServiceUnavailable, "revoke: "+err.Error())
		return
	}
	id := wf
	if task != "" {
		id = task
	}
	s.cfg.Logger.Debug("api: revoke requested", "workflow", wf, "task", task)
	writeID(w, http.StatusAccepted, id)
}
