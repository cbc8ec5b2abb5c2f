package api

import (
	"fmt"
	"net/http"
	"path"
	"strings"
)

// noMatch answers the requests that no route takes as the routes answer
// their errors, in JSON: 404 for a path no route has, 405 with Allow for
// a method that the path's routes do not take, and the mux's redirect of
// a path that is not in its canonical form ("/v1/workflows/." or
// "//v1/…"), with its Location. Everything else goes to the mux.
type noMatch struct{ mux *http.ServeMux }

func (n noMatch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := n.mux.Handler(r)
	if pattern != "" && canonical(r) {
		n.mux.ServeHTTP(w, r) // sets the path values Handler does not
		return
	}
	// The mux's own answer, in text: only its status, Allow and Location
	// are kept. h is the mux's own handler here, never a route's.
	rec := &headerRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	switch {
	case rec.code == http.StatusMethodNotAllowed:
		allow := rec.header.Get("Allow")
		w.Header().Set("Allow", allow)
		writeError(w, rec.code, fmt.Sprintf("method %s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, allow))
	case rec.code == http.StatusNotFound || rec.code == 0:
		writeError(w, http.StatusNotFound, fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path))
	case rec.code >= 300 && rec.code < 400:
		loc := rec.header.Get("Location")
		w.Header().Set("Location", loc)
		writeError(w, rec.code, fmt.Sprintf("path %s is not in canonical form: ask %s", r.URL.EscapedPath(), loc))
	default:
		writeError(w, rec.code, http.StatusText(rec.code))
	}
}

// canonical reports whether the mux takes r's path as it is, rather than
// redirecting to a cleaned one (no "." or ".." segments, no "//"), as
// ServeMux cleans every method's path but CONNECT's.
func canonical(r *http.Request) bool {
	if r.Method == http.MethodConnect {
		return true
	}
	p := r.URL.EscapedPath()
	if p == "" || p[0] != '/' {
		return false
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	return clean == p
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
