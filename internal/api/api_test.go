package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fugue-run/fugue/internal/api"
	"github.com/fugue-run/fugue/internal/api/apitest"
	"github.com/fugue-run/fugue/value"
)

// env is one API server over an in-process engine.
type env struct {
	t   *testing.T
	b   *apitest.Backend
	srv *httptest.Server
}

// setup starts a server whose workflow ids are wf1, wf2, ...
func setup(t *testing.T, cfg api.Config) *env {
	t.Helper()
	var n atomic.Int64
	if cfg.NewID == nil {
		cfg.NewID = func() string { return fmt.Sprintf("wf%d", n.Add(1)) }
	}
	b, srv := apitest.NewServer(t, cfg)
	return &env{t: t, b: b, srv: srv}
}

type response struct {
	code   int
	header http.Header
	body   string
}

func (e *env) do(method, path, body string, hdr ...string) response {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{code: res.StatusCode, header: res.Header, body: strings.TrimSuffix(string(b), "\n")}
}

// expect checks a response's status and exact body.
func (e *env) expect(r response, code int, body string) {
	e.t.Helper()
	if r.code != code || r.body != body {
		e.t.Fatalf("got %d %s\nwant %d %s", r.code, r.body, code, body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		e.t.Errorf("Content-Type %q", ct)
	}
}

// submit posts a canvas, expects 201 and returns the id.
func (e *env) submit(canvas string) string {
	e.t.Helper()
	r := e.do("POST", "/v1/workflows", canvas)
	if r.code != http.StatusCreated {
		e.t.Fatalf("submit: %d %s", r.code, r.body)
	}
	v, err := value.DecodeJSON([]byte(r.body))
	if err != nil {
		e.t.Fatal(err)
	}
	return v.(map[string]any)["id"].(string)
}

func (e *env) settle() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.t.Context(), 10*time.Second)
	defer cancel()
	if err := e.b.Settle(ctx); err != nil {
		e.t.Fatal(err)
	}
}

const chainJSON = `{"task": "celery.chain", "subtask_type": "chain", "kwargs": {"tasks": [
	{"task": "tasks.add", "args": [2, 2]}, {"task": "tasks.mul", "args": [8]}]}}`

// TestLocationOfDotIDs: the Location of workflow "." or ".." names it,
// not the path a client would clean it to.
func TestLocationOfDotIDs(t *testing.T) {
	t.Parallel()
	e := setup(t, api.Config{})
	for id, loc := range map[string]string{".": "/v1/workflows/%2E", "..": "/v1/workflows/%2E%2E"} {
		r := e.do("POST", "/v1/workflows", `{"task": "tasks.add", "args": [1, 2], "options": {"task_id": "`+id+`"}}`)
		e.expect(r, http.StatusCreated, `{"id":"`+id+`"}`)
		if got := r.header.Get("Location"); got != loc {
			t.Errorf("task_id %q: Location %q, want %q", id, got, loc)
		}
	}
}

func TestSubmitAndGetWorkflow(t *testing.T) {
	t.Parallel()
	e := setup(t, api.Config{})
	r := e.do("POST", "/v1/workflows", chainJSON)
	e.expect(r, http.StatusCreated, `{"id":"wf1"}`)
	if loc := r.header.Get("Location"); loc != "/v1/workflows/wf1" {
		t.Errorf("Location %q", loc)
	}
	e.settle()
	r = e.do("GET", "/v1/workflows/wf1", "")
	e.expect(r, http.StatusOK, `{"id":"wf1","state":"SUCCESS","result":32,"error":null,"tasks":[`+
		`{"id":"wf1.1","name":"tasks.add","state":"SUCCESS","args":[2,2],"kwargs":{},"result":4,"error":null,"parent_id":null,"children":["wf1.2"],"retries":0},`+
		`{"id":"wf1.2","name":"tasks.mul","state":"SUCCESS","args":[4,8],"kwargs":{},"result":32,"error":null,"parent_id":"wf1.1","children":[],"retries":0}]}`)
	if got := r.header.Get("Fugue-Ready"); got != "true" {
		t.Errorf("Fugue-Ready %q", got)
	}
}

func TestFloatsStayFloats(t *testing.T) {
	t.Parallel()
	e := setup(t, api.Config{})
	id := e.submit(`{"task": "tasks.add", "args": [1.5, 2.5], "kwargs": {}}`)
	e.settle()
	e.expect(e.do("GET", "/v1/workflows/"+id, ""), http.StatusOK,
		`{"id":"wf1","state":"SUCCESS","result":4.0,"error":null,"tasks":[`+
			`{"id":"wf1","name":"tasks.add","state":"SUCCESS","args":[1.5,2.5],"kwargs":{},"result":4.0,"error":null,"parent_id":null,"children":[],"retries":0}]}`)
	id = e.submit(`{"task": "tasks.echo", "args": [4.0, 4], "kwargs": {"f": 1e3}}`)
	e.settle()
	r := e.do("GET", "/v1/tasks/"+id, "")
	e.expect(r, http.StatusOK, `{"id":"wf2","name":"tasks.echo","state":"SUCCESS","args":[4.0,4],"kwargs":{"f":1000.0},`+
		`"result":{"args":[4.0,4],"kwargs":{"f":1000.0}},"error":null,"parent_id":null,"children":[],"retries":0}`)
}
