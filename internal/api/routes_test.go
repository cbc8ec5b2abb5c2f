package api_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fugue-run/fugue/internal/api"
)

func TestUnknownIDsAre404(t *testing.T) {
	t.Parallel()
	e := setup(t, api.Config{})
	e.expect(e.do("GET", "/v1/workflows/nope", ""), http.StatusNotFound, `{"error":"workflow nope not found"}`)
	e.expect(e.do("GET", "/v1/workflows/nope?wait=10s", ""), http.StatusNotFound, `{"error":"workflow nope not found"}`)
	e.expect(e.do("GET", "/v1/tasks/nope", ""), http.StatusNotFound, `{"error":"task nope not found"}`)
	e.expect(e.do("POST", "/v1/workflows/nope/revoke", ""), http.StatusNotFound, `{"error":"workflow nope not found"}`)
	e.expect(e.do("POST", "/v1/tasks/nope/revoke", ""), http.StatusNotFound, `{"error":"task nope not found"}`)
}

// TestNoRouteIsJSON: a path no route has, or a method its routes do not
// take, is answered in JSON like every other error (the mux's own answers
// were text/plain), a 405 with Allow.
func TestNoRouteIsJSON(t *testing.T) {
	t.Parallel()
	e := setup(t, api.Config{Token: "s3cret"})
	e.expect(e.do("GET", "/v2/nope", ""), http.StatusNotFound, `{"error":"no route for GET /v2/nope"}`)
	e.expect(e.do("GET", "/metrics", ""), http.StatusNotFound, `{"error":"no route for GET /metrics"}`)
	for _, c := range []struct{ method, path, allow string }{
		{"DELETE", "/v1/workflows/x", "GET, HEAD"},
		{"GET", "/v1/workflows", "POST"},
		{"GET", "/v1/tasks/x/revoke", "POST"},
		{"PUT", "/healthz", "GET, HEAD"},
	} {
		r := e.do(c.method, c.path, "")
		e.expect(r, http.StatusMethodNotAllowed,
			`{"error":"method `+c.method+` is not allowed on `+c.path+` (allowed: `+c.allow+`)"}`)
		if got := r.header.Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
	}
	// The routes themselves still answer, path values included.
	e.expect(e.do("GET", "/v1/workflows/nope", "", "Authorization", "Bearer s3cret"), http.StatusNotFound, `{"error":"workflow nope not found"}`)
}

// TestUncleanPathRedirectsInJSON: a path the mux cleans ("/v1/workflows/.",
// "//v1/…") is redirected to its clean form with a Location, in JSON like
// every other answer. The redirect to a path no route has went without
// its Location, and the one to a route's path answered in HTML.
func TestUncleanPathRedirectsInJSON(t *testing.T) {
	t.Parallel()
	e := setup(t, api.Config{})
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, c := range []struct{ method, path, location string }{
		{"GET", "/v1/workflows/.", "/v1/workflows"},
		{"POST", "/v1/tasks/../revoke", "/v1/revoke"},
		{"GET", "/v1/workflows/../workflows/x?wait=1s", "/v1/workflows/x?wait=1s"},
		{"GET", "//v1/workflows/x", "/v1/workflows/x"},
	} {
		req, err := http.NewRequestWithContext(t.Context(), c.method, e.srv.URL+c.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		escaped, _, _ := strings.Cut(c.path, "?")
		want := `{"error":"path ` + escaped + ` is not in canonical form: ask ` + c.location + `"}`
		if res.StatusCode != http.StatusTemporaryRedirect || strings.TrimSpace(string(b)) != want {
			t.Errorf("%s %s: %d %s, want 307 %s", c.method, c.path, res.StatusCode, b, want)
		}
		if got := res.Header.Get("Location"); got != c.location {
			t.Errorf("%s %s: Location %q, want %q", c.method, c.path, got, c.location)
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: Content-Type %q", c.method, c.path, ct)
		}
	}
	// An escaped dot is an id, not a segment to clean.
	e.expect(e.do("GET", "/v1/workflows/%2E", ""), http.StatusNotFound, `{"error":"workflow . not found"}`)
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	e := setup(t, api.Config{})
	e.expect(e.do("GET", "/healthz", ""), http.StatusOK, `{"status":"ok"}`)
	if r := e.do("GET", "/metrics", ""); r.code != http.StatusNotFound {
		t.Errorf("/metrics without Config.Metrics: %d", r.code)
	}
}

func TestBearerToken(t *testing.T) {
	t.Parallel()
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("fugue_up 1\n")) })
	e := setup(t, api.Config{Token: "s3cret", Metrics: metrics})
	const unauthorized = `{"error":"unauthorized: a valid bearer token is required"}`
	for _, route := range []struct{ method, path string }{
		{"POST", "/v1/workflows"}, {"GET", "/v1/workflows/x"}, {"GET", "/v1/tasks/x"},
		{"POST", "/v1/workflows/x/revoke"}, {"POST", "/v1/tasks/x/revoke"},
	} {
		for _, hdr := range [][]string{nil, {"Authorization", "Bearer wrong"}, {"Authorization", "s3cret"}, {"Authorization", "Basic s3cret"}} {
			r := e.do(route.method, route.path, chainJSON, hdr...)
			e.expect(r, http.StatusUnauthorized, unauthorized)
			if r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s: no WWW-Authenticate", route.method, route.path)
			}
		}
	}
	r := e.do("POST", "/v1/workflows", chainJSON, "Authorization", "Bearer s3cret")
	e.expect(r, http.StatusCreated, `{"id":"wf1"}`)
	e.expect(e.do("GET", "/v1/workflows/wf2", "", "Authorization", "Bearer s3cret"), http.StatusNotFound, `{"error":"workflow wf2 not found"}`)
	// The scheme's case does not matter (RFC 9110, 11.1).
	e.expect(e.do("GET", "/v1/workflows/wf2", "", "Authorization", "bearer s3cret"), http.StatusNotFound, `{"error":"workflow wf2 not found"}`)
	e.expect(e.do("GET", "/v1/workflows/wf2", "", "Authorization", "BEARER s3cret"), http.StatusNotFound, `{"error":"workflow wf2 not found"}`)
	e.expect(e.do("GET", "/healthz", ""), http.StatusOK, `{"status":"ok"}`)
	if r := e.do("GET", "/metrics", ""); r.code != http.StatusOK || r.body != "fugue_up 1" {
		t.Errorf("/metrics: %d %q", r.code, r.body)
	}
}

func TestGetTask(t *testing.T) {
	t.Parallel()
	e := setup(t, api.Config{})
	id := e.submit(`{"task": "tasks.add", "args": [2, 3], "options": {"link": [{"task": "tasks.mul", "args": [10]}],
		"link_error": [{"task": "tasks.record_error"}]}}`)
	e.settle()
	e.expect(e.do("GET", "/v1/tasks/"+id, ""), http.StatusOK,
		`{"id":"wf1","name":"tasks.add","state":"SUCCESS","args":[2,3],"kwargs":{},"result":5,"error":null,"parent_id":null,"children":["wf1.1"],"retries":0}`)
	r := e.do("GET", "/v1/tasks/wf1.1", "")
	e.expect(r, http.StatusOK,
		`{"id":"wf1.1","name":"tasks.mul","state":"SUCCESS","args":[5,10],"kwargs":{},"result":50,"error":null,"parent_id":"wf1","children":[],"retries":0}`)
	if got := r.header.Get("Fugue-Ready"); got != "true" {
		t.Errorf("Fugue-Ready %q", got)
	}
	// The errback never ran: it is a task of the plan, PENDING.
	e.expect(e.do("GET", "/v1/tasks/wf1.2", ""), http.StatusOK,
		`{"id":"wf1.2","name":"tasks.record_error","state":"PENDING","args":[],"kwargs":{},"result":null,"error":null,"parent_id":null,"children":[],"retries":0}`)
}

func TestFailureShowsTheError(t *testing.T) {
	t.Parallel()
	e := setup(t, api.Config{})
	id := e.submit(`{"task": "celery.chord", "kwargs": {"header": [{"task": "tasks.add", "args": [1, 1], "options": {"task_id": "ok"}},
		{"task": "tasks.fail", "options": {"task_id": "bad"}}], "body": {"task": "tasks.tsum", "options": {"task_id": "body"}}}}`)
	e.settle()
	r := e.do("GET", "/v1/workflows/"+id, "")
	want := `{"id":"wf1","state":"FAILURE","result":null,"error":{"type":"ChordError","message":"Dependency bad raised ExpectedException('Task expected to fail')","task_id":"body"},"tasks":[`
	if r.code != http.StatusOK || !strings.HasPrefix(r.body, want) {
		t.Fatalf("got %d %s\nwant prefix %s", r.code, r.body, want)
	}
	e.expect(e.do("GET", "/v1/tasks/bad", ""), http.StatusOK,
		`{"id":"bad","name":"tasks.fail","state":"FAILURE","args":[],"kwargs":{},"result":null,`+
			`"error":{"type":"ExpectedException","message":"Task expected to fail","task_id":"bad"},"parent_id":null,"children":[],"retries":0}`)
}

func TestWaitAnswersWhenReady(t *testing.T) {
	t.Parallel()
	e := setup(t, api.Config{})
	gate := e.b.Gate("test.gate")
	id := e.submit(`{"task": "celery.chain", "kwargs": {"tasks": [{"task": "test.gate", "args": [5]}, {"task": "tasks.mul", "args": [2]}]}}`)
	<-gate.Entered()

	// Not ready: a short wait runs out and answers the current state.
	start := time.Now()
	r := e.do("GET", "/v1/workflows/"+id+"?wait=50ms", "")
	if r.code != http.StatusOK || r.header.Get("Fugue-Ready") != "false" || !strings.Contains(r.body, `"state":"PENDING"`) {
		t.Fatalf("%d %v %s", r.code, r.header, r.body)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("answered after %v, before the wait ran out", d)
	}
	r = e.do("GET", "/v1/tasks/"+id+".2?wait=0.01", "")
	if r.code != http.StatusOK || r.header.Get("Fugue-Ready") != "false" || !strings.Contains(r.body, `"state":"PENDING"`) {
		t.Fatalf("%d %v %s", r.code, r.header, r.body)
	}

	// A long wait answers as soon as the workflow is ready.
	got := make(chan response, 2)
	go func() { got <- e.do("GET", "/v1/workflows/"+id+"?wait=1m", "") }()
	go func() { got <- e.do("GET", "/v1/tasks/"+id+".2?wait=60", "") }()
	gate.Release()
	for range 2 {
		r := <-got
		if r.code != http.StatusOK || r.header.Get("Fugue-Ready") != "true" || !strings.Contains(r.body, `"state":"SUCCESS","result":10`) &&
			!strings.Contains(r.body, `"state":"SUCCESS","args":[5,2],"kwargs":{},"result":10`) {
			t.Errorf("%d %v %s", r.code, r.header, r.body)
		}
	}
}

func TestWaitParameter(t *testing.T) {
	t.Parallel()
	e := setup(t, api.Config{MaxWait: 20 * time.Millisecond})
	gate := e.b.Gate("test.gate")
	id := e.submit(`{"task": "test.gate"}`)
	<-gate.Entered()
	defer gate.Release()
	for _, bad := range []string{"soon", "-1s", "-3", "NaN"} {
		r := e.do("GET", "/v1/workflows/"+id+"?wait="+bad, "")
		if r.code != http.StatusBadRequest || !strings.HasPrefix(r.body, `{"error":"wait: `) {
			t.Errorf("wait=%s: %d %s", bad, r.code, r.body)
		}
	}
	// Waits are capped at MaxWait: these answer after 20ms, not an hour.
	for _, w := range []string{"1h", "3600", "", "+Inf"} {
		r := e.do("GET", "/v1/workflows/"+id+"?wait="+w, "")
		if r.code != http.StatusOK || r.header.Get("Fugue-Ready") != "false" {
			t.Errorf("wait=%s: %d %s", w, r.code, r.body)
		}
	}
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	e := setup(t, api.Config{})
	gate := e.b.Gate("test.gate")
	id := e.submit(`{"task": "celery.chain", "kwargs": {"tasks": [{"task": "test.gate", "args": [5]}, {"task": "tasks.mul", "args": [2]}]}}`)
	<-gate.Entered()
	e.expect(e.do("POST", "/v1/workflows/"+id+"/revoke", ""), http.StatusAccepted, `{"id":"wf1"}`)
	gate.Release()
	r := e.do("GET", "/v1/workflows/"+id+"?wait=1m", "")
	if r.code != http.StatusOK || !strings.HasPrefix(r.body, `{"id":"wf1","state":"REVOKED"`) {
		t.Fatalf("%d %s", r.code, r.body)
	}

	gate2 := e.b.Gate("test.gate2")
	id = e.submit(`{"task": "celery.group", "kwargs": {"tasks": [{"task": "test.gate2", "args": [1]}, {"task": "tasks.add", "args": [1, 1], "options": {"countdown": 60, "task_id": "later"}}]}}`)
	<-gate2.Entered()
	e.expect(e.do("POST", "/v1/tasks/later/revoke", ""), http.StatusAccepted, `{"id":"later"}`)
	gate2.Release()
	r = e.do("GET", "/v1/tasks/later?wait=1m", "")
	if r.code != http.StatusOK || !strings.Contains(r.body, `"state":"REVOKED"`) {
		t.Fatalf("%d %s", r.code, r.body)
	}
	r = e.do("GET", "/v1/workflows/"+id+"?wait=1m", "")
	if r.code != http.StatusOK || !strings.HasPrefix(r.body, `{"id":"wf2","state":"REVOKED"`) {
		t.Fatalf("%d %s", r.code, r.body)
	}
}

func TestLongPollEndsWithTheClient(t *testing.T) {
	t.Parallel()
	e := setup(t, api.Config{})
	gate := e.b.Gate("test.gate")
	id := e.submit(`{"task": "test.gate"}`)
	<-gate.Entered()
	defer gate.Release()
	ctx, cancel := context.WithCancel(t.Context())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/v1/workflows/"+id+"?wait=5m", nil)
	done := make(chan error, 1)
	go func() {
		res, err := e.srv.Client().Do(req)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err %v", err)
	}
	// The handler returns too: the server's Close at cleanup would
	// otherwise block for five minutes.
}

// TestTasksParameter checks ?tasks=false: the workflow's header without
// its tasks (also after a wait), the full view by default and with
// tasks=true, and a 400 for a value that is not a boolean.
func TestTasksParameter(t *testing.T) {
	t.Parallel()
	e := setup(t, api.Config{})
	gate := e.b.Gate("test.gate")
	id := e.submit(`{"task": "celery.chain", "kwargs": {"tasks": [{"task": "test.gate", "args": [5]}, {"task": "tasks.mul", "args": [2]}]}}`)
	<-gate.Entered()
	r := e.do("GET", "/v1/workflows/"+id+"?tasks=false&wait=10ms", "")
	e.expect(r, http.StatusOK, `{"id":"wf1","state":"PENDING","result":null,"error":null}`)
	if r.header.Get("Fugue-Ready") != "false" {
		t.Errorf("Fugue-Ready %q while the chain runs", r.header.Get("Fugue-Ready"))
	}
	done := make(chan response, 1)
	go func() { done <- e.do("GET", "/v1/workflows/"+id+"?wait=1m&tasks=0", "") }()
	gate.Release()
	r = <-done
	e.expect(r, http.StatusOK, `{"id":"wf1","state":"SUCCESS","result":10,"error":null}`)
	if r.header.Get("Fugue-Ready") != "true" {
		t.Errorf("Fugue-Ready %q once the chain is done", r.header.Get("Fugue-Ready"))
	}
	for _, q := range []string{"", "?tasks=true", "?tasks=1"} {
		r := e.do("GET", "/v1/workflows/"+id+q, "")
		want := `{"id":"wf1","state":"SUCCESS","result":10,"error":null,"tasks":[{"id":"wf1.1","name":"test.gate"`
		if r.code != http.StatusOK || !strings.HasPrefix(r.body, want) {
			t.Errorf("%q: %d %s, want prefix %s", q, r.code, r.body, want)
		}
	}
	e.expect(e.do("GET", "/v1/workflows/"+id+"?tasks=some", ""), http.StatusBadRequest,
		`{"error":"tasks: \"some\" is neither true nor false"}`)
	e.expect(e.do("GET", "/v1/workflows/nope?tasks=false", ""), http.StatusNotFound, `{"error":"workflow nope not found"}`)
}
