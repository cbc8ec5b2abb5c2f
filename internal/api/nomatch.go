package api

import (
	"fmt"
	"net/http"
)

// noMatch answers the requests that no route takes as the routes answer
// their errors, in JSON: 404 for a path no route has, 405 with Allow for
// a method that the path's routes do not take. Everything else goes to
// the mux.
type noMatch struct{ mux *http.ServeMux }

func (n noMatch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := n.mux.Handler(r)
	if pattern != "" {
		n.mux.ServeHTTP(w, r) // sets the path values Handler does not
		return
	}
	// The mux's own answer, in text: only its status and Allow are kept.
	rec := &headerRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	switch rec.code {
	case http.StatusMethodNotAllowed:
		allow := rec.header.Get("Allow")
		w.Header().Set("Allow", allow)
		writeError(w, rec.code, fmt.Sprintf("method %s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, allow))
	case http.StatusNotFound, 0:
		writeError(w, http.StatusNotFound, fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path))
	default:
		writeError(w, rec.code, http.StatusText(rec.code))
	}
}

// headerRecorder keeps the headers and status of an answer and drops its
// body.
type headerRecorder struct {
	header http.Header
	code   int
}

func (h *headerRecorder) Header() http.Header { return h.header }

func (h *headerRecorder) WriteHeader(code int) {
	if h.code == 0 {
		h.code = code
	}
}

func (h *headerRecorder) Write(b []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	return len(b), nil
}
