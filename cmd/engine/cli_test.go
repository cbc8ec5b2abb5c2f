package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/internal/api"
	"github.com/fugue-run/fugue/internal/api/apitest"
)

// cli runs the client commands against an API over an in-process engine.
type cli struct {
	t   *testing.T
	b   *apitest.Backend
	srv *httptest.Server
	env map[string]string
}

func setup(t *testing.T, cfg api.Config) *cli {
	t.Helper()
	var n atomic.Int64
	cfg.NewID = func() string { return fmt.Sprintf("wf%d", n.Add(1)) }
	b, srv := apitest.NewServer(t, cfg)
	return &cli{t: t, b: b, srv: srv, env: map[string]string{"FUGUE_SERVER": srv.URL}}
}

type result struct {
	code           int
	stdout, stderr string
}

func (c *cli) run(cmd func(context.Context, []string, func(string) string, io.Reader, io.Writer, io.Writer) int, stdin string, args ...string) result {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), 30*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code := cmd(ctx, args, func(k string) string { return c.env[k] }, strings.NewReader(stdin), &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

func (c *cli) file(content string) string {
	c.t.Helper()
	p := filepath.Join(c.t.TempDir(), "canvas.json")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		c.t.Fatal(err)
	}
	return p
}

// get returns the server's JSON for a path, as the CLI prints it.
func (c *cli) get(path string) string {
	c.t.Helper()
	res, err := c.srv.Client().Get(c.srv.URL + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func check(t *testing.T, got result, code int, stdout, stderr string) {
	t.Helper()
	if got.code != code || stdout != "*" && got.stdout != stdout || !strings.Contains(got.stderr, stderr) {
		t.Errorf("got exit %d\nstdout %q\nstderr %q\nwant exit %d, stdout %q, stderr containing %q", got.code, got.stdout, got.stderr, code, stdout, stderr)
	}
}

const chain = `{"task": "celery.chain", "kwargs": {"tasks": [{"task": "tasks.add", "args": [2, 2]}, {"task": "tasks.mul", "args": [8.0]}]}}`

func TestSubmitWait(t *testing.T) {
	t.Parallel()
	c := setup(t, api.Config{})
	got := c.run(runSubmit, "", "--wait", c.file(chain))
	want := `{"id":"wf1","state":"SUCCESS","result":32.0,"error":null,"tasks":[` +
		`{"id":"wf1.1","name":"tasks.add","state":"SUCCESS","args":[2,2],"kwargs":{},"result":4,"error":null,"parent_id":null,"children":["wf1.2"],"retries":0},` +
		`{"id":"wf1.2","name":"tasks.mul","state":"SUCCESS","args":[4,8.0],"kwargs":{},"result":32.0,"error":null,"parent_id":"wf1.1","children":[],"retries":0}]}` + "\n"
	check(t, got, 0, want, "")
	if server := c.get("/v1/workflows/wf1"); server != want {
		t.Errorf("the server's JSON differs:\n%s", server)
	}
	// stdin, flags after the file, a capped wait, --server given.
	c.env = nil
	got = c.run(runSubmit, chain, "-", "--wait=30s", "--server", c.srv.URL)
	check(t, got, 0, strings.ReplaceAll(want, "wf1", "wf2"), "")
}

func TestSubmitFailure(t *testing.T) {
	t.Parallel()
	c := setup(t, api.Config{})
	got := c.run(runSubmit, `{"task": "tasks.fail", "options": {"task_id": "f"}}`, "--wait=1m", "-")
	check(t, got, 1, `{"id":"f","state":"FAILURE","result":null,"error":{"type":"ExpectedException","message":"Task expected to fail","task_id":"f"},"tasks":[`+
		`{"id":"f","name":"tasks.fail","state":"FAILURE","args":[],"kwargs":{},"result":null,"error":{"type":"ExpectedException","message":"Task expected to fail","task_id":"f"},"parent_id":null,"children":[],"retries":0}]}`+"\n", "")
}

func TestSubmitRefused(t *testing.T) {
	t.Parallel()
	c := setup(t, api.Config{Limits: canvas.Limits{MaxBytes: 65536}})
	check(t, c.run(runSubmit, `{"task": "celery.group", "kwargs": {"tasks": [{"task": "a"}, {"args": [1]}]}}`, "-"),
		2, "", "engine submit: kwargs.tasks[1].task: missing\n")
	check(t, c.run(runSubmit, `{"task": "tasks.identity", "args": ["`+strings.Repeat("x", 70000)+`"]}`, "--wait", "-"),
		2, "", "engine submit: canvas: the request body exceeds the limit of 65536 bytes\n")
	check(t, c.run(runSubmit, "", filepath.Join(t.TempDir(), "missing.json")), 2, "", "no such file")
	c.env["FUGUE_SERVER"] = "127.0.0.1:1" // nothing listens there
	check(t, c.run(runSubmit, chain, "-"), 2, "", "engine submit: client: Post")
}

func TestSubmitWaitRunsOut(t *testing.T) {
	t.Parallel()
	c := setup(t, api.Config{})
	gate := c.b.Gate("test.gate")
	defer gate.Release()
	got := c.run(runSubmit, `{"task": "test.gate", "args": [1]}`, "--wait=50ms", "-")
	check(t, got, 3, `{"id":"wf1","state":"PENDING","result":null,"error":null,"tasks":[`+
		`{"id":"wf1","name":"test.gate","state":"PENDING","args":[1],"kwargs":{},"result":null,"error":null,"parent_id":null,"children":[],"retries":0}]}`+"\n",
		"engine submit: workflow wf1: not ready after 50ms")
}

// --wait=0 does not wait: it prints the workflow as it is and exits 3
// while it is not ready. It used to wait without a limit.
func TestSubmitWaitZero(t *testing.T) {
	t.Parallel()
	c := setup(t, api.Config{})
	gate := c.b.Gate("test.gate")
	defer gate.Release()
	got := c.run(runSubmit, `{"task": "test.gate", "args": [1]}`, "--wait=0", "-")
	check(t, got, 3, "*", "engine submit: workflow wf1: not ready after 0s")
	if !strings.HasPrefix(got.stdout, `{"id":"wf1","state":"PENDING",`) {
		t.Errorf("stdout %q", got.stdout)
	}
	gate.Release()
	// Ready: exit 0. A known task_id is answered as its first submission.
	const add = `{"task": "tasks.add", "args": [1, 2], "options": {"task_id": "a"}}`
	check(t, c.run(runSubmit, add, "--wait", "-"), 0, "*", "")
	check(t, c.run(runSubmit, add, "--wait=0", "-"), 0, "*", "")
}

// Without --wait it prints the workflow as it is, even before the engine
// took it in, and succeeds.
func TestSubmitNoWait(t *testing.T) {
	t.Parallel()
	c := setup(t, api.Config{SubmitWait: -1})
	gate := c.b.Gate("test.gate")
	defer gate.Release()
	res, err := c.srv.Client().Post(c.srv.URL+"/v1/workflows", "application/json", strings.NewReader(`{"task": "test.gate"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	<-gate.Entered() // the engine is busy: it takes wf2 in only once wf1 is done
	check(t, c.run(runSubmit, `{"task": "tasks.add", "args": [1, 2]}`, "-"), 0, `{"id":"wf2","state":"PENDING","result":null,"error":null,"tasks":[]}`+"\n", "")
}

func TestUsage(t *testing.T) {
	t.Parallel()
	c := setup(t, api.Config{})
	for _, cmd := range []struct {
		name string
		f    func(context.Context, []string, func(string) string, io.Reader, io.Writer, io.Writer) int
	}{{"submit", runSubmit}, {"status", runStatus}, {"revoke", runRevoke}} {
		check(t, c.run(cmd.f, ""), 2, "", "usage: engine "+cmd.name)
		check(t, c.run(cmd.f, "", "a", "b"), 2, "", "want 1 argument(s), got 2")
		check(t, c.run(cmd.f, "", "--bogus", "a"), 2, "", "flag provided but not defined: -bogus")
		check(t, c.run(cmd.f, "", "-h"), 0, "", "usage: engine "+cmd.name)
		// An empty --server read as "http:", a request "with no Host".
		for _, server := range []string{"", "http://", "ftp://x", "http://[::1"} {
			check(t, c.run(cmd.f, "", "--server", server, "x"), 2, "", fmt.Sprintf("engine %s: --server: %q is not a URL such as http://127.0.0.1:8080\n", cmd.name, server))
		}
	}
	check(t, c.run(runSubmit, "", "--wait=soon", "-"), 2, "", `invalid boolean value "soon" for -wait: want a duration`)
	check(t, c.run(runSubmit, "", "--wait=-1s", "-"), 2, "", "negative")
	// "--" ends the flags: a file may be called --wait.
	check(t, c.run(runSubmit, "", "--", "--wait"), 2, "", "open --wait")
}

func TestStatus(t *testing.T) {
	t.Parallel()
	c := setup(t, api.Config{Token: "tok"})
	c.env["FUGUE_TOKEN"] = "tok"
	check(t, c.run(runSubmit, chain, "--wait", "-"), 0, "*", "")
	got := c.run(runStatus, "", "wf1")
	check(t, got, 0, "*", "")
	if !strings.HasPrefix(got.stdout, `{"id":"wf1","state":"SUCCESS","result":32.0,`) || strings.Count(got.stdout, "\n") != 1 {
		t.Errorf("stdout %s", got.stdout)
	}
	check(t, c.run(runStatus, "", "nope"), 1, "", "engine status: workflow nope not found\n")
	// A --server whose path is wrong is not an unknown workflow.
	check(t, c.run(runStatus, "", "--server", c.srv.URL+"/api", "wf1"), 1, "", "engine status: no route for GET /api/v1/workflows/wf1\n")
	c.env["FUGUE_TOKEN"] = "wrong"
	check(t, c.run(runStatus, "", "wf1"), 1, "", "engine status: unauthorized")
	check(t, c.run(runSubmit, chain, "-"), 2, "", "engine submit: unauthorized")
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	c := setup(t, api.Config{})
	gate := c.b.Gate("test.gate")
	check(t, c.run(runSubmit, `{"task": "celery.chain", "kwargs": {"tasks": [{"task": "test.gate", "args": [1]}, {"task": "tasks.add", "args": [1], "options": {"task_id": "second"}}]}}`, "-"), 0, "*", "")
	<-gate.Entered()
	check(t, c.run(runRevoke, "", "second"), 0, `{"id":"second","revoked":"task"}`+"\n", "")
	check(t, c.run(runRevoke, "", "wf1"), 0, `{"id":"wf1","revoked":"workflow"}`+"\n", "")
	check(t, c.run(runRevoke, "", "nope"), 1, "", "engine revoke: no workflow or task nope\n")
	// A --server whose path is wrong is not an unknown id.
	check(t, c.run(runRevoke, "", "--server", c.srv.URL+"/api", "wf1"), 1, "", "engine revoke: no route for POST /api/v1/tasks/wf1/revoke\n")
	gate.Release()
	if err := c.b.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := c.run(runStatus, "", "wf1")
	if !strings.HasPrefix(got.stdout, `{"id":"wf1","state":"REVOKED"`) {
		t.Errorf("status after revoke: %+v", got)
	}
}
