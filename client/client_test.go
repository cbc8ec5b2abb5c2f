package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/client"
	"github.com/fugue-run/fugue/internal/api"
	"github.com/fugue-run/fugue/internal/api/apitest"
)

// setup serves the API over an in-process engine; workflow ids are wf1,
// wf2, ...
func setup(t *testing.T, cfg api.Config, opts ...client.Option) (*apitest.Backend, *httptest.Server, *client.Client) {
	t.Helper()
	var n atomic.Int64
	cfg.NewID = func() string { return fmt.Sprintf("wf%d", n.Add(1)) }
	b, srv := apitest.NewServer(t, cfg)
	return b, srv, client.New(srv.URL+"/", append([]client.Option{client.WithHTTPClient(srv.Client())}, opts...)...)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestSubmitAndGet(t *testing.T) {
	t.Parallel()
	_, _, c := setup(t, api.Config{})
	res, err := c.Submit(ctx(t), canvas.Chain(canvas.S("tasks.add", 2, 2), canvas.S("tasks.mul", 8)))
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != "wf1" {
		t.Errorf("id %q", res.ID)
	}
	v, err := res.Get(ctx(t), 0)
	if err != nil || v != int64(32) {
		t.Fatalf("Get = %#v, %v", v, err)
	}
	for name, f := range map[string]func(context.Context) (bool, error){"Ready": res.Ready, "Successful": res.Successful} {
		if ok, err := f(ctx(t)); !ok || err != nil {
			t.Errorf("%s = %v, %v", name, ok, err)
		}
	}
	if failed, err := res.Failed(ctx(t)); failed || err != nil {
		t.Errorf("Failed = %v, %v", failed, err)
	}
	if st, err := res.State(ctx(t)); st != "SUCCESS" || err != nil {
		t.Errorf("State = %q, %v", st, err)
	}
	tasks, err := res.Tasks(ctx(t))
	if err != nil || len(tasks) != 2 {
		t.Fatalf("Tasks = %v, %v", tasks, err)
	}
	w, err := res.Workflow(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	add, mul := w.Tasks[0], w.Tasks[1]
	if !reflect.DeepEqual(mul.Args, []any{int64(4), int64(8)}) || w.Parent(mul) != add || w.Parent(add) != nil ||
		len(w.Children(add)) != 1 || w.Children(add)[0] != mul || w.Task("nope") != nil {
		t.Errorf("graph: %+v %+v", add, mul)
	}
}

func TestNumbersKeepTheirType(t *testing.T) {
	t.Parallel()
	_, _, c := setup(t, api.Config{})
	res, err := c.SubmitJSON(ctx(t), []byte(`{"task": "tasks.echo", "args": [4.0, 4, [1e3]], "kwargs": {"x": 0.5}}`))
	if err != nil {
		t.Fatal(err)
	}
	v, err := res.Get(ctx(t), time.Minute)
	want := map[string]any{"args": []any{4.0, int64(4), []any{1000.0}}, "kwargs": map[string]any{"x": 0.5}}
	if err != nil || !reflect.DeepEqual(v, want) {
		t.Errorf("Get = %#v, %v", v, err)
	}
}

func TestGetFailure(t *testing.T) {
	t.Parallel()
	_, _, c := setup(t, api.Config{})
	res, err := c.Submit(ctx(t), canvas.Chord(canvas.Group(canvas.S("tasks.add", 1, 1), canvas.S("tasks.fail")), canvas.S("tasks.tsum")))
	if err != nil {
		t.Fatal(err)
	}
	_, err = res.Get(ctx(t), 0)
	var tf *client.TaskFailedError
	if !errors.As(err, &tf) || tf.State != "FAILURE" || tf.Type != "ChordError" ||
		tf.Message != "Dependency wf1.3 raised ExpectedException('Task expected to fail')" {
		t.Fatalf("err %#v", err)
	}
	if got := err.Error(); !strings.HasPrefix(got, "client: task wf1.4 failed: ChordError: Dependency") {
		t.Errorf("Error() %q", got)
	}
	if failed, err := res.Failed(ctx(t)); !failed || err != nil {
		t.Errorf("Failed = %v, %v", failed, err)
	}
}

func TestWaitTimesOutAndRevoke(t *testing.T) {
	t.Parallel()
	b, _, c := setup(t, api.Config{})
	gate := b.Gate("test.gate")
	res, err := c.Submit(ctx(t), canvas.Chain(canvas.S("test.gate", 1), canvas.S("tasks.add", 1)))
	if err != nil {
		t.Fatal(err)
	}
	<-gate.Entered()
	w, err := res.Wait(ctx(t), 30*time.Millisecond)
	if !errors.Is(err, client.ErrTimeout) || w == nil || w.Ready || w.State != "PENDING" {
		t.Fatalf("Wait = %+v, %v", w, err)
	}
	if ready, err := res.Ready(ctx(t)); ready || err != nil {
		t.Errorf("Ready = %v, %v", ready, err)
	}
	if err := res.Revoke(ctx(t)); err != nil {
		t.Fatal(err)
	}
	gate.Release()
	_, err = res.Get(ctx(t), 0)
	var tf *client.TaskFailedError
	if !errors.As(err, &tf) || tf.State != "REVOKED" || tf.Type != "TaskRevokedError" {
		t.Fatalf("err %#v", err)
	}
}

// TestDotIDs: ids "." and ".." reach their workflow and task; sent as
// path segments unescaped, they were cleaned away and named another path.
func TestDotIDs(t *testing.T) {
	t.Parallel()
	_, _, c := setup(t, api.Config{})
	for _, id := range []string{".", ".."} {
		res, err := c.SubmitJSON(ctx(t), []byte(`{"task": "tasks.add", "args": [1, 2], "options": {"task_id": "`+id+`"}}`))
		if err != nil || res.ID != id {
			t.Fatalf("submit %q: %v, %v", id, res, err)
		}
		if v, err := res.Get(ctx(t), 0); err != nil || v != int64(3) {
			t.Fatalf("Get %q = %v, %v", id, v, err)
		}
		if w, err := c.Workflow(ctx(t), id, 0); err != nil || w.ID != id {
			t.Errorf("Workflow %q = %+v, %v", id, w, err)
		}
		if tk, err := c.Task(ctx(t), id, 0); err != nil || tk.ID != id || tk.State != "SUCCESS" {
			t.Errorf("Task %q = %+v, %v", id, tk, err)
		}
		if err := c.Revoke(ctx(t), id); err != nil {
			t.Errorf("Revoke %q: %v", id, err)
		}
		if err := c.RevokeTask(ctx(t), id); err != nil {
			t.Errorf("RevokeTask %q: %v", id, err)
		}
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	_, srv, c := setup(t, api.Config{Token: "tok", Limits: canvas.Limits{MaxBytes: 100}}, client.WithToken("tok"))
	_, err := c.SubmitJSON(ctx(t), []byte(`{"task": "celery.group", "kwargs": {"tasks": [{"task": 7}]}}`))
	var se *client.StatusError
	if !errors.Is(err, client.ErrRefused) || !errors.As(err, &se) || se.Code != 400 || se.Message != "kwargs.tasks[0].task: expected a string" {
		t.Errorf("refused: %v", err)
	}
	_, err = c.SubmitJSON(ctx(t), []byte(`{"task": "tasks.identity", "args": ["`+strings.Repeat("x", 100)+`"]}`))
	if !errors.Is(err, client.ErrRefused) || !errors.As(err, &se) || se.Code != 413 {
		t.Errorf("too large: %v", err)
	}
	if _, err := c.Result("nope", nil).State(ctx(t)); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("unknown: %v", err)
	}
	if _, err := c.Task(ctx(t), "nope", 0); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("unknown task: %v", err)
	}
	if err := c.RevokeTask(ctx(t), "nope"); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("unknown task revoke: %v", err)
	}
	anon := client.New(srv.URL, client.WithHTTPClient(srv.Client()))
	if _, err := anon.Submit(ctx(t), canvas.S("tasks.add", 1, 2)); !errors.Is(err, client.ErrUnauthorized) {
		t.Errorf("no token: %v", err)
	}
	if _, err := c.Submit(ctx(t), canvas.S("tasks.add", 1, 2)); err != nil {
		t.Errorf("token: %v", err)
	}
	if _, err := c.Submit(ctx(t), canvas.S("")); err == nil {
		t.Error("an invalid signature was sent")
	}
}

// TestRetryAfter: a 503 with Retry-After (engines rebalancing) is asked
// again after it; a 503 without one is an error at once; a context that
// ends while waiting returns the server's 503.
func TestRetryAfter(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch k := n.Add(1); {
		case r.URL.Path == "/v1/workflows/plain":
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"error":"submit: kafka is down"}`)
		case r.URL.Path == "/v1/workflows/never":
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"error":"partition 3: no engine owns it"}`)
		case k < 3:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"error":"partition 3: no engine owns it (the group is rebalancing)"}`)
		default:
			_, _ = io.WriteString(w, `{"id":"x","state":"SUCCESS","result":3,"error":null,"tasks":[]}`)
		}
	}))
	defer srv.Close()
	c := client.New(srv.URL)
	w, err := c.Workflow(ctx(t), "x", 0)
	if err != nil || w.State != "SUCCESS" || n.Load() != 3 {
		t.Fatalf("after two 503s with Retry-After: %+v %v, %d requests", w, err, n.Load())
	}
	n.Store(0)
	var se *client.StatusError
	if _, err := c.Workflow(ctx(t), "plain", 0); !errors.As(err, &se) || se.Code != 503 || n.Load() != 1 {
		t.Errorf("a 503 without Retry-After: %v after %d requests, want the 503 at once", err, n.Load())
	}
	short, cancel := context.WithTimeout(ctx(t), 200*time.Millisecond)
	defer cancel()
	if _, err := c.Workflow(short, "never", 0); !errors.As(err, &se) || se.Code != 503 || !strings.Contains(se.Message, "no engine owns it") {
		t.Errorf("a context that ends while waiting: %v, want the server's 503", err)
	}
}

// A server that does not long poll is not asked again at once.
func TestPollBacksOff(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		w.Header().Set("Fugue-Ready", "false")
		_, _ = io.WriteString(w, `{"id":"x","state":"STARTED","result":null,"error":null,"tasks":[]}`)
	}))
	defer srv.Close()
	c := client.New(srv.URL)
	start := time.Now()
	_, err := c.Result("x", nil).Get(ctx(t), 300*time.Millisecond)
	if !errors.Is(err, client.ErrTimeout) {
		t.Fatalf("err %v", err)
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 5*time.Second {
		t.Errorf("gave up after %v", d)
	}
	if got := n.Load(); got > 10 {
		t.Errorf("%d requests in 300ms", got)
	}
}

func TestMarshalJSONIsTheServersJSON(t *testing.T) {
	t.Parallel()
	b, srv, c := setup(t, api.Config{})
	res, err := c.SubmitJSON(ctx(t), []byte(`{"task": "celery.chord", "kwargs": {
		"header": [{"task": "tasks.add", "args": [1.5, 2]}, {"task": "tasks.fail", "options": {"link_error": {"task": "tasks.record_error"}}}],
		"body": {"task": "tasks.tsum"}}, "options": {"link_error": [{"task": "tasks.echo", "kwargs": {"k": "\u2028\"q\""}}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	w, err := res.Wait(ctx(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	_ = b
	r, err := srv.Client().Get(srv.URL + "/v1/workflows/" + res.ID)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(r.Body)
	r.Body.Close()
	got, err := w.MarshalJSON()
	if err != nil || string(got)+"\n" != string(raw) {
		t.Errorf("client: %s (%v)\nserver: %s", got, err, raw)
	}
	task, err := c.Task(ctx(t), w.Tasks[0].ID, 0)
	if err != nil || !task.Ready || task.Result != 3.5 {
		t.Fatalf("Task = %+v, %v", task, err)
	}
	tj, _ := task.MarshalJSON()
	wj, _ := w.Tasks[0].MarshalJSON()
	if string(tj) != string(wj) {
		t.Errorf("task JSON %s != %s", tj, wj)
	}
}

// TestHeaderReads checks which reads ask for the tasks: Get, State,
// Ready, Successful and Failed read the workflow's header alone
// (?tasks=false), Wait, Workflow and Tasks the whole workflow.
// WorkflowHeader's workflow has no tasks and marshals without them.
func TestHeaderReads(t *testing.T) {
	t.Parallel()
	var cfg api.Config
	var n atomic.Int64
	cfg.NewID = func() string { return fmt.Sprintf("wf%d", n.Add(1)) }
	b := apitest.NewBackend(t)
	h := api.NewHandler(b, cfg)
	var header, full atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			if r.URL.Query().Get("tasks") == "false" {
				header.Add(1)
			} else {
				full.Add(1)
			}
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c := client.New(srv.URL, client.WithHTTPClient(srv.Client()))
	res, err := c.Submit(ctx(t), canvas.Chain(canvas.S("tasks.add", 2, 2), canvas.S("tasks.mul", 8)))
	if err != nil {
		t.Fatal(err)
	}
	if v, err := res.Get(ctx(t), 0); err != nil || v != int64(32) {
		t.Fatalf("Get = %#v, %v", v, err)
	}
	_, _ = res.State(ctx(t))
	_, _ = res.Ready(ctx(t))
	_, _ = res.Successful(ctx(t))
	_, _ = res.Failed(ctx(t))
	if header.Load() < 5 || full.Load() != 0 {
		t.Fatalf("Get, State, Ready, Successful, Failed: %d header reads, %d full reads", header.Load(), full.Load())
	}
	header.Store(0)
	if _, err := res.Wait(ctx(t), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := res.Tasks(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if header.Load() != 0 || full.Load() < 2 {
		t.Fatalf("Wait, Tasks: %d header reads, %d full reads", header.Load(), full.Load())
	}
	w, err := c.WorkflowHeader(ctx(t), res.ID, 0)
	if err != nil || w.State != "SUCCESS" || w.Result != int64(32) || !w.Ready || w.Tasks != nil {
		t.Fatalf("WorkflowHeader = %+v, %v", w, err)
	}
	if got, err := w.MarshalJSON(); err != nil || string(got) != `{"id":"wf1","state":"SUCCESS","result":32,"error":null}` {
		t.Errorf("MarshalJSON = %s, %v", got, err)
	}
}
