package api_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fugue-run/fugue/internal/api"
	"github.com/fugue-run/fugue/internal/api/apitest"
)

// cluster is a few API servers, each over its own backend (its own state,
// as engines on different partitions have), routed by a fake Router: a
// workflow whose id contains "@<name>" belongs to that engine, any other to
// the first. The test changes the routing at will.
type cluster struct {
	t       *testing.T
	engines []*engine
	byName  map[string]*engine

	mu sync.Mutex
	// owner overrides the owner of a workflow: an engine's name, "" for
	// none (a rebalance), "gone" for an engine that cannot be reached.
	owner map[string]string
	// stale names an engine that Route gives for a workflow until a
	// query says it failed.
	stale map[string]string
	// incomplete makes Peers report a partition nobody serves.
	incomplete bool
	// queries records every RouteQuery.
	queries []api.RouteQuery
	gone    string
}

type engine struct {
	name string
	b    *apitest.Backend
	srv  *httptest.Server
	reg  *prometheus.Registry
	gate *apitest.Gate
}

// newCluster starts engines with the given names; cfg is each one's
// config (Router, NewID and Registerer are set here: engine x mints ids
// "x1@x", "x2@x", …, its own).
func newCluster(t *testing.T, cfg api.Config, names ...string) *cluster {
	t.Helper()
	c := &cluster{t: t, byName: map[string]*engine{}, owner: map[string]string{}, stale: map[string]string{}}
	dead := httptest.NewServer(http.NotFoundHandler())
	c.gone = dead.URL
	dead.Close() // its port refuses connections from now on
	for _, name := range names {
		e := &engine{name: name, b: apitest.NewBackend(t), reg: prometheus.NewRegistry()}
		e.gate = e.b.Gate("test.gate")
		cfg := cfg
		var n atomic.Int64
		cfg.NewID = func() string { return fmt.Sprintf("%s%d@%s", name, n.Add(1), name) }
		cfg.Router = &fakeRouter{c: c, self: name}
		cfg.Registerer = e.reg
		e.srv = httptest.NewServer(api.NewHandler(e.b, cfg))
		t.Cleanup(e.srv.Close)
		c.engines = append(c.engines, e)
		c.byName[name] = e
	}
	return c
}

// ownerOf returns the owner's name of a workflow ("" for none).
func (c *cluster) ownerOf(wf string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if o, ok := c.owner[wf]; ok {
		return o
	}
	for _, e := range c.engines {
		if strings.Contains(wf, "@"+e.name) {
			return e.name
		}
	}
	return c.engines[0].name
}

func (c *cluster) setOwner(wf, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.owner[wf] = name
}

func (c *cluster) url(name string) string {
	if name == "gone" {
		return c.gone
	}
	return c.byName[name].srv.URL
}

// fakeRouter is one engine's Router over the cluster's routing table.
type fakeRouter struct {
	c    *cluster
	self string
}

func (f *fakeRouter) Route(ctx context.Context, q api.RouteQuery) (api.Route, error) {
	f.c.mu.Lock()
	f.c.queries = append(f.c.queries, q)
	stale, isStale := f.c.stale[q.Workflow]
	if isStale && q.Failed == f.c.url(stale) {
		delete(f.c.stale, q.Workflow)
		isStale = false
	}
	f.c.mu.Unlock()
	rt := api.Route{Partition: 3}
	owner := f.c.ownerOf(q.Workflow)
	switch {
	case isStale && !q.Forwarded:
		rt.Owner = f.c.url(stale)
		return rt, nil
	case owner == f.self:
		rt.Local = true
		return rt, nil
	case q.Forwarded:
		return rt, errors.New("partition 3: not on this engine")
	case owner == "":
		<-ctx.Done() // a rebalance that does not end in time
		return rt, errors.New("partition 3: no engine owns it (the group is rebalancing)")
	}
	rt.Owner = f.c.url(owner)
	return rt, nil
}

func (f *fakeRouter) Peers(context.Context) ([]string, error) {
	var urls []string
	for _, e := range f.c.engines {
		if e.name != f.self {
			urls = append(urls, e.srv.URL)
		}
	}
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if f.c.incomplete {
		return urls, errors.New("partition 5: no engine owns it (the group is rebalancing)")
	}
	return urls, nil
}

// do sends a request to engine name.
func (c *cluster) do(name, method, path, body string, hdr ...string) response {
	c.t.Helper()
	e := &env{t: c.t, b: c.byName[name].b, srv: c.byName[name].srv}
	return e.do(method, path, body, hdr...)
}

func (c *cluster) settle() {
	c.t.Helper()
	for _, e := range c.engines {
		(&env{t: c.t, b: e.b, srv: e.srv}).settle()
	}
}

// same checks that a request gives the same answer through every engine.
func (c *cluster) same(method, path string, hdr ...string) response {
	c.t.Helper()
	var first response
	for i, e := range c.engines {
		r := c.do(e.name, method, path, "", hdr...)
		if i == 0 {
			first = r
			continue
		}
		if r.code != first.code || r.body != first.body || r.header.Get("Fugue-Ready") != first.header.Get("Fugue-Ready") {
			c.t.Fatalf("%s %s: through %s: %d %s (ready %s)\nthrough %s: %d %s (ready %s)", method, path,
				c.engines[0].name, first.code, first.body, first.header.Get("Fugue-Ready"),
				e.name, r.code, r.body, r.header.Get("Fugue-Ready"))
		}
	}
	return first
}

func TestRoutedSubmitAndGet(t *testing.T) {
	t.Parallel()
	c := newCluster(t, api.Config{}, "a", "b")
	// A canvas with a task_id on b's partition, submitted through a.
	r := c.do("a", "POST", "/v1/workflows", `{"task": "tasks.add", "args": [2, 3], "options": {"task_id": "w@b"}}`)
	c.expectCode(r, http.StatusCreated, `{"id":"w@b"}`)
	if loc := r.header.Get("Location"); loc != "/v1/workflows/w@b" {
		t.Errorf("Location %q", loc)
	}
	if got := c.byName["b"].b.Submits(); got != 1 {
		t.Fatalf("b accepted %d submissions, want 1", got)
	}
	if got := c.byName["a"].b.Submits(); got != 0 {
		t.Fatalf("a accepted %d submissions, want 0", got)
	}
	// A canvas without one: a mints the id, the owner b submits it under
	// that id (the fake routes "…@b" to b).
	r = c.do("b", "POST", "/v1/workflows", `{"task": "tasks.mul", "args": [2, 3]}`)
	c.expectCode(r, http.StatusCreated, `{"id":"b1@b"}`)
	c.setOwner("a1@a", "b")
	r = c.do("a", "POST", "/v1/workflows", `{"task": "tasks.mul", "args": [4, 5]}`)
	c.expectCode(r, http.StatusCreated, `{"id":"a1@a"}`)
	if got := c.byName["b"].b.Submits(); got != 3 {
		t.Fatalf("b accepted %d submissions, want 3", got)
	}
	c.settle()

	// Every route answers the same through either engine.
	c.same("GET", "/v1/workflows/w@b")
	c.same("GET", "/v1/workflows/a1@a?wait=1s")
	r = c.same("GET", "/v1/tasks/w@b")
	c.expectCode(r, http.StatusOK, `{"id":"w@b","name":"tasks.add","state":"SUCCESS","args":[2,3],"kwargs":{},"result":5,"error":null,"parent_id":null,"children":[],"retries":0}`)
	c.same("GET", "/v1/tasks/a1@a?wait=1s")
	c.same("GET", "/v1/workflows/nope@b")
	c.same("GET", "/v1/tasks/nope")
	c.same("POST", "/v1/workflows/w@b/revoke")
	c.same("POST", "/v1/tasks/w@b/revoke")
	c.same("POST", "/v1/workflows/nope@b/revoke")
	r = c.same("POST", "/v1/tasks/nope/revoke")
	c.expectCode(r, http.StatusNotFound, `{"error":"task nope not found"}`)

	// Submitting a known id again through the other engine answers as the
	// first did and appends nothing.
	r = c.do("a", "POST", "/v1/workflows", `{"task": "tasks.add", "args": [2, 3], "options": {"task_id": "w@b"}}`)
	c.expectCode(r, http.StatusCreated, `{"id":"w@b"}`)
	if got := c.byName["b"].b.Submits(); got != 3 {
		t.Fatalf("b accepted %d submissions, want 3", got)
	}
	if got := c.forwarded("a", "submit"); got != 3 {
		t.Errorf("a: fugue_api_forwarded_total{route=submit} = %v, want 3", got)
	}
	if got := c.forwarded("a", "task"); got != 2 {
		t.Errorf("a: fugue_api_forwarded_total{route=task} = %v, want 2", got)
	}
}

// forwarded is engine name's fugue_api_forwarded_total{route}.
func (c *cluster) forwarded(name, route string) float64 {
	c.t.Helper()
	return c.counter(name, "fugue_api_forwarded_total", route)
}

func (c *cluster) counter(name, metric, route string) float64 {
	c.t.Helper()
	mfs, err := c.byName[name].reg.Gather()
	if err != nil {
		c.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != metric {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == route {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func (c *cluster) expectCode(r response, code int, body string) {
	c.t.Helper()
	(&env{t: c.t}).expect(r, code, body)
}

func TestRoutedLongPollAndRevoke(t *testing.T) {
	t.Parallel()
	c := newCluster(t, api.Config{}, "a", "b")
	gate, gate2 := c.byName["b"].gate, c.byName["b"].b.Gate("test.gate2")
	c.expectCode(c.do("a", "POST", "/v1/workflows", `{"task": "test.gate", "args": [5], "options": {"task_id": "g@b"}}`),
		http.StatusCreated, `{"id":"g@b"}`)
	<-gate.Entered()
	// Long polls through a answer once b's workflow is ready; a short one
	// answers when its wait runs out.
	r := c.do("a", "GET", "/v1/workflows/g@b?wait=20ms", "")
	if r.code != http.StatusOK || r.header.Get("Fugue-Ready") != "false" {
		t.Fatalf("%d %v %s", r.code, r.header, r.body)
	}
	got := make(chan response, 2)
	go func() { got <- c.do("a", "GET", "/v1/tasks/g@b?wait=1m", "") }()
	go func() { got <- c.do("a", "GET", "/v1/workflows/g@b?wait=1m", "") }()
	gate.Release()
	for range 2 {
		r := <-got
		if r.code != http.StatusOK || r.header.Get("Fugue-Ready") != "true" || !strings.Contains(r.body, `"state":"SUCCESS"`) {
			t.Errorf("%d %v %s", r.code, r.header, r.body)
		}
	}

	// Revokes through a reach b's workflows.
	c.expectCode(c.do("a", "POST", "/v1/workflows", `{"task": "celery.chain", "options": {"task_id": "rv@b"}, "kwargs": {"tasks": [
		{"task": "test.gate2", "args": [1]}, {"task": "tasks.mul", "args": [2], "options": {"task_id": "m@b"}}]}}`),
		http.StatusCreated, `{"id":"rv@b"}`)
	<-gate2.Entered()
	c.expectCode(c.do("a", "POST", "/v1/tasks/m@b/revoke", ""), http.StatusAccepted, `{"id":"m@b"}`)
	c.expectCode(c.do("a", "POST", "/v1/workflows/rv@b/revoke", ""), http.StatusAccepted, `{"id":"rv@b"}`)
	gate2.Release()
	r = c.do("a", "GET", "/v1/workflows/rv@b?wait=1m", "")
	if r.code != http.StatusOK || !strings.HasPrefix(r.body, `{"id":"rv@b","state":"REVOKED"`) {
		t.Fatalf("%d %s", r.code, r.body)
	}
	if r := c.same("GET", "/v1/tasks/m@b"); r.code != http.StatusOK {
		t.Fatalf("%d %s", r.code, r.body)
	}
}

// TestRouteErrorsAre503: when no engine can answer for a workflow (no
// owner, or one that cannot be reached) the API answers 503 with
// Retry-After, except for a submission, which is accepted unchecked.
func TestRouteErrorsAre503(t *testing.T) {
	t.Parallel()
	c := newCluster(t, api.Config{RouteWait: 50 * time.Millisecond}, "a", "b")
	check := func(r response, why string) {
		t.Helper()
		if r.code != http.StatusServiceUnavailable || r.header.Get("Retry-After") != "1" ||
			r.header.Get(api.HeaderUnroutable) != "true" || !strings.Contains(r.body, why) {
			t.Errorf("got %d %v %s\nwant 503 with Retry-After and %q", r.code, r.header, r.body, why)
		}
	}
	// A submission is accepted unchecked when no engine can check it:
	// appended here, 201; the owner's Fold checks it when it can.
	accepted := func(r response, id string) {
		t.Helper()
		if r.code != http.StatusCreated || r.body != `{"id":"`+id+`"}` {
			t.Errorf("got %d %s, want 201 for a submission no engine can check", r.code, r.body)
		}
	}
	// No owner (a rebalance that outlasts RouteWait).
	c.setOwner("r@b", "")
	accepted(c.do("a", "POST", "/v1/workflows", `{"task": "tasks.add", "args": [1, 1], "options": {"task_id": "r@b"}}`), "r@b")
	check(c.do("a", "GET", "/v1/workflows/r@b", ""), `workflow r@b: partition 3: no engine owns it`)
	check(c.do("a", "POST", "/v1/workflows/r@b/revoke", ""), `partition 3: no engine owns it`)
	// An owner that cannot be reached.
	c.setOwner("d@b", "gone")
	start := time.Now()
	check(c.do("a", "GET", "/v1/workflows/d@b?wait=1m", ""), `workflow d@b: partition 3: its owner `+c.gone+` cannot be reached: `)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("an unreachable owner took %s to answer", d)
	}
	accepted(c.do("a", "POST", "/v1/workflows", `{"task": "tasks.add", "args": [1, 1], "options": {"task_id": "d@b"}}`), "d@b")
	for _, e := range c.engines {
		want := map[string]int{"a": 2}[e.name]
		if n := e.b.Submits(); n != want {
			t.Errorf("%s appended %d submissions, want %d", e.name, n, want)
		}
	}
	if got := c.counter("a", "fugue_api_unroutable_total", "submit"); got != 0 {
		t.Errorf("fugue_api_unroutable_total{route=submit} = %v, want 0", got)
	}
	// A task nobody knows while a partition has no engine: not a 404.
	c.mu.Lock()
	c.incomplete = true
	c.mu.Unlock()
	check(c.do("a", "GET", "/v1/tasks/nope", ""), `task nope not found here or on the other engines, but not every partition could be asked: partition 5: no engine owns it`)
	check(c.do("a", "POST", "/v1/tasks/nope/revoke", ""), `partition 5`)
}

// TestForwardedIsNeverForwardedAgain: an engine that gets a forwarded
// request for a partition it does not serve answers 503 itself, and the
// engine that forwarded it asks the group again.
func TestForwardedIsNeverForwardedAgain(t *testing.T) {
	t.Parallel()
	c := newCluster(t, api.Config{RouteWait: 5 * time.Second}, "a", "b")
	c.expectCode(c.do("a", "POST", "/v1/workflows", `{"task": "tasks.add", "args": [1, 2], "options": {"task_id": "s@a"}}`),
		http.StatusCreated, `{"id":"s@a"}`)
	c.settle()
	// Straight to b, marked forwarded: b does not send it on to a.
	r := c.do("b", "GET", "/v1/workflows/s@a", "", api.HeaderForwarded, "1")
	if r.code != http.StatusServiceUnavailable || r.header.Get(api.HeaderUnroutable) == "" || !strings.Contains(r.body, "not on this engine") {
		t.Fatalf("%d %v %s", r.code, r.header, r.body)
	}
	// a's view of the group is stale and names b, which answers that it
	// is not the owner: a asks again (Failed = b) and answers itself.
	c.mu.Lock()
	c.stale["s@a"] = "b"
	c.queries = nil
	c.mu.Unlock()
	want := c.do("a", "GET", "/v1/workflows/s@a", "")
	if want.code != http.StatusOK {
		t.Fatalf("%d %s", want.code, want.body)
	}
	c.mu.Lock()
	qs := c.queries
	c.mu.Unlock()
	var failed bool
	for _, q := range qs {
		failed = failed || q.Workflow == "s@a" && q.Failed == c.url("b")
	}
	if !failed {
		t.Errorf("a never asked again after b refused: %+v", qs)
	}
}

func TestRoutedTokenGoesAlong(t *testing.T) {
	t.Parallel()
	c := newCluster(t, api.Config{Token: "s3cret"}, "a", "b")
	auth := []string{"Authorization", "Bearer s3cret"}
	r := c.do("a", "POST", "/v1/workflows", `{"task": "tasks.add", "args": [1, 2], "options": {"task_id": "t@b"}}`, auth...)
	c.expectCode(r, http.StatusCreated, `{"id":"t@b"}`)
	c.settle()
	if r := c.same("GET", "/v1/workflows/t@b", auth...); r.code != http.StatusOK {
		t.Fatalf("%d %s", r.code, r.body)
	}
	c.expectCode(c.do("a", "GET", "/v1/workflows/t@b", ""), http.StatusUnauthorized, `{"error":"unauthorized: a valid bearer token is required"}`)
	c.expectCode(c.do("a", "GET", "/v1/tasks/t@b", "", "Authorization", "Bearer wrong"), http.StatusUnauthorized, `{"error":"unauthorized: a valid bearer token is required"}`)
}

// TestForwardedBodyAndHeaders: the owner gets the method, path, query,
// body and Authorization, and the forwarding marks.
func TestForwardedBodyAndHeaders(t *testing.T) {
	t.Parallel()
	type seen struct {
		method, uri, body, auth, fwd, id string
	}
	got := make(chan seen, 1)
	owner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.URL.RequestURI(), string(b), r.Header.Get("Authorization"), r.Header.Get(api.HeaderForwarded), r.Header.Get(api.HeaderWorkflowID)}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Location", "/v1/workflows/x1")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":"x1"}`+"\n")
	}))
	defer owner.Close()
	b := apitest.NewBackend(t)
	srv := httptest.NewServer(api.NewHandler(b, api.Config{
		NewID: func() string { return "x1" }, Router: ownerRouter(owner.URL),
	}))
	defer srv.Close()
	e := &env{t: t, b: b, srv: srv}
	const canvas = `{"task": "tasks.add", "args": [1, 2]}`
	r := e.do("POST", "/v1/workflows?x=1", canvas, "Authorization", "Bearer tok")
	e.expect(r, http.StatusCreated, `{"id":"x1"}`)
	if r.header.Get("Location") != "/v1/workflows/x1" {
		t.Errorf("Location %q", r.header.Get("Location"))
	}
	if s := <-got; s != (seen{"POST", "/v1/workflows?x=1", canvas, "Bearer tok", "1", "x1"}) {
		t.Errorf("the owner saw %+v", s)
	}
	// A wait is forwarded, less the time spent routing.
	e.do("GET", "/v1/workflows/x1?wait=30s", "")
	s := <-got
	w, err := time.ParseDuration(strings.TrimPrefix(s.uri, "/v1/workflows/x1?wait="))
	if err != nil || w > 30*time.Second || w < 20*time.Second {
		t.Errorf("the owner saw %s (%v)", s.uri, err)
	}
}

// ownerRouter routes every workflow to the engine at url.
type ownerRouter string

func (o ownerRouter) Route(context.Context, api.RouteQuery) (api.Route, error) {
	return api.Route{Owner: string(o)}, nil
}

func (o ownerRouter) Peers(context.Context) ([]string, error) { return []string{string(o)}, nil }

// catchingUp is the Router of an engine alone in its group that is
// catching up with its partition: Peers names no other engine and
// returns once caughtUp is closed; peersAsked is closed when it is first
// asked.
type catchingUp struct {
	peersAsked, caughtUp chan struct{}
	once                 sync.Once
}

func (c *catchingUp) Route(context.Context, api.RouteQuery) (api.Route, error) {
	return api.Route{Local: true}, nil
}

func (c *catchingUp) Peers(ctx context.Context) ([]string, error) {
	c.once.Do(func() { close(c.peersAsked) })
	select {
	case <-c.caughtUp:
		return nil, nil
	case <-ctx.Done():
		return nil, errors.New("partition 0: this engine is catching up with it")
	}
}

// TestTaskKnownOnceCaughtUp: a task id this engine did not know while it
// caught up, and no other engine knows, is looked up here again once
// Peers returns: it was answered 404 (and its revoke lost) although the
// catch-up brought it in.
func TestTaskKnownOnceCaughtUp(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		method, path string
		code         int
	}{{"GET", "/v1/tasks/t1", http.StatusOK}, {"POST", "/v1/tasks/t1/revoke", http.StatusAccepted}} {
		router := &catchingUp{peersAsked: make(chan struct{}), caughtUp: make(chan struct{})}
		e := setup(t, api.Config{Router: router})
		got := make(chan response, 1)
		go func() { got <- e.do(c.method, c.path, "") }()
		<-router.peersAsked
		// The catch-up brings the task in.
		e.expect(e.do("POST", "/v1/workflows", `{"task": "tasks.add", "args": [1, 2], "options": {"task_id": "t1"}}`), http.StatusCreated, `{"id":"t1"}`)
		close(router.caughtUp)
		if r := <-got; r.code != c.code {
			t.Errorf("%s %s: %d %s, want %d", c.method, c.path, r.code, r.body, c.code)
		}
	}
}
