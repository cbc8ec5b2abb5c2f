package api

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/fugue-run/fugue/projector"
)

// Backend is what the API needs of the engine.
type Backend interface {
	// Submit appends a WorkflowSubmitted for canvas (the validated wire
	// map) as workflow id; it returns once Kafka acknowledged it. The
	// members of canvas's lists may be *value.Lazy (from
	// value.DecodeCanvasJSON), which events.Codec.Encode takes as the
	// dicts they decode to; value.Materialize decodes them in place.
	Submit(ctx context.Context, id string, canvas map[string]any) error
	// Revoke appends a RevokeRequested for a workflow (task "") or a task
	// of it.
	Revoke(ctx context.Context, workflow, task string) error
	// State is a read-only view of committed state, safe for concurrent
	// use.
	State() projector.State
	// Changed returns a channel closed the next time committed state
	// changes (for ?wait long polls).
	Changed() <-chan struct{}
}

// server holds what the routes share.
type server struct {
	b   Backend
	cfg Config
	m   *metrics
}

// NewHandler returns the HTTP API over b (see the package comment for the
// routes). It keeps no state of its own: every request reads b.State(), or
// goes to the engine Config.Router names.
func NewHandler(b Backend, cfg Config) http.Handler {
	s := &server{b: b, cfg: cfg.withDefaults()}
	s.m = newMetrics(s.cfg.Registerer)
	mux := http.NewServeMux()
	mux.Handle("POST /v1/workflows", s.auth(s.submit))
	mux.Handle("GET /v1/workflows/{id}", s.auth(s.getWorkflow))
	mux.Handle("POST /v1/workflows/{id}/revoke", s.auth(s.revokeWorkflow))
	mux.Handle("GET /v1/tasks/{id}", s.auth(s.getTask))
	mux.Handle("POST /v1/tasks/{id}/revoke", s.auth(s.revokeTask))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, []byte(`{"status":"ok"}`))
	})
	if s.cfg.Metrics != nil {
		mux.Handle("GET /metrics", s.cfg.Metrics)
	}
	return noMatch{mux}
}

// auth requires the bearer token when one is configured.
func (s *server) auth(next http.HandlerFunc) http.Handler {
	if s.cfg.Token == "" {
		return next
	}
	want := []byte(s.cfg.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The scheme is case-insensitive (RFC 9110, 11.1): "bearer" too.
		scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="fugue"`)
			writeError(w, http.StatusUnauthorized, "unauthorized: a valid bearer token is required")
			return
		}
		next(w, r)
	})
}

// internalError answers 500 and logs why.
func (s *server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	s.cfg.Logger.Error("api: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, err.Error())
}

// setReady sets the Fugue-Ready header.
func setReady(w http.ResponseWriter, ready bool) {
	v := "false"
	if ready {
		v = "true"
	}
	w.Header().Set("Fugue-Ready", v)
}
