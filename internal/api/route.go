package api

import (
	"context"
	"net/http"
	"strconv"
)

// Router says which engine answers for a workflow, when several engines
// share the partitions of the events topic, each keeping the state of its
// own (Config.Router). The engine implements it from its consumer group's
// assignment.
type Router interface {
	// Route returns where the requests about a workflow go: this engine,
	// or the base URL of the engine that owns the workflow's partition.
	// While no engine can answer for the partition (the group is
	// rebalancing, its owner is catching up with it) it waits, until ctx
	// is done; then, or at once when the owner cannot be asked at all, it
	// returns an error that names the partition and says why.
	Route(ctx context.Context, q RouteQuery) (Route, error)
	// Peers returns the base URLs of the other engines, to ask about a
	// task id, which does not name its partition. While some partition is
	// served by no engine that can be asked (this one included) it waits,
	// until ctx is done; then it returns the URLs it has and an error
	// saying which partition and why: a task that neither this engine nor
	// the others know may still exist.
	Peers(ctx context.Context) ([]string, error)
}

// RouteQuery asks Router.Route where a workflow's requests go.
type RouteQuery struct {
	// Workflow is the workflow id.
	Workflow string
	// Forwarded says another engine sent the request here. Route then
	// names no other engine: it answers Local, or an error.
	Forwarded bool
	// Failed is the base URL of the owner this request was just forwarded
	// to in vain (unreachable, or no longer the owner). Route answers from
	// a view of the group taken after that failure.
	Failed string
}

// Route is where the requests about one workflow go.
type Route struct {
	// Partition is the workflow's partition of the events topic.
	Partition int32
	// Local says this engine owns the partition and has caught up with
	// it: its state is the workflow's.
	Local bool
	// Owner is the base URL of the engine that owns the partition, when
	// not Local.
	Owner string
}

// Headers of requests between engines and of their answers.
const (
	// HeaderForwarded marks a request an engine forwarded to the owner of
	// its workflow. A forwarded request is answered where it arrives and
	// never forwarded again, so that a request cannot go round in a loop
	// while the group rebalances.
	HeaderForwarded = "Fugue-Forwarded"
	// HeaderWorkflowID carries, on a forwarded POST /v1/workflows, the id
	// the forwarding engine gave a canvas whose root has no task_id, so
	// that the owner submits it under that id.
	HeaderWorkflowID = "Fugue-Workflow-Id"
	// HeaderUnroutable marks a 503 that says no engine answers for the
	// workflow here now (a rebalance): nothing was done, and the
	// forwarding engine may ask the group again and retry.
	HeaderUnroutable = "Fugue-Unroutable"
)

// retryAfter is the Retry-After, in seconds, of a 503 for a request no
// engine could answer: about the time a rebalance step takes.
const retryAfter = 1

// forwarded reports whether r came from another engine.
func forwarded(r *http.Request) bool { return r.Header.Get(HeaderForwarded) != "" }

// unroutable answers 503: no engine can answer for the request now.
func (s *server) unroutable(w http.ResponseWriter, r *http.Request, route string, err error) {
	s.m.unroutable.WithLabelValues(route).Inc()
	s.cfg.Logger.Warn("api: no engine answers for the request", "method", r.Method, "path", r.URL.Path, "err", err)
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	w.Header().Set(HeaderUnroutable, "true")
	writeError(w, http.StatusServiceUnavailable, err.Error())
}
