package api_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/internal/api"
)

func TestInvalidCanvasIs400WithPath(t *testing.T) {
	t.Parallel()
	e := setup(t, api.Config{Limits: canvas.Limits{MaxDepth: 3}})
	for _, c := range []struct{ body, want string }{
		{`{"task": "celery.chain", "subtask_type": "chain", "kwargs": {"tasks": [{"task": "tasks.add"}, {"task": "tasks.mul", "args": {}}]}}`,
			`{"error":"kwargs.tasks[1].args: expected a list"}`},
		{`{"task": "celery.chord", "kwargs": {"header": [{"task": "tasks.add"}]}}`, `{"error":"kwargs.body: chord without a body"}`},
		{`{"args": [1]}`, `{"error":"task: missing"}`},
		{`[1, 2]`, `{"error":"canvas: expected a dict"}`},
		{`{"task": "x", "subtask_type": "nope"}`, `{"error":"subtask_type: unknown \"nope\""}`},
		{`{"task": `, ``}, // a JSON error, worded by the decoder
		// JSON is UTF-8 (RFC 8259, 8.1): a byte that is not was taken as
		// U+FFFD, changing the args unseen.
		{"{\"task\": \"tasks.echo\", \"args\": [\"\xff\"]}", `{"error":"canvas: invalid JSON at byte 34: not UTF-8"}`},
		{`{"task": "celery.chain", "kwargs": {"tasks": [{"task": "celery.chain", "kwargs": {"tasks": [{"task": "celery.group", "kwargs": {"tasks": [{"task": "a"}]}}]}}]}}`,
			`{"error":"kwargs.tasks[0].kwargs.tasks[0].kwargs.tasks[0]: nesting depth 4 exceeds the limit of 3"}`},
		{`{"task": "celery.group", "kwargs": {"tasks": [{"task": "a", "options": {"task_id": "x"}}, {"task": "b", "options": {"task_id": "x"}}]}}`,
			`{"error":"kwargs.tasks[1].options.task_id: task_id \"x\" is used twice in the canvas (also at kwargs.tasks[0].options.task_id)"}`},
		{`{"task": "celery.chord", "kwargs": {"header": [{"task": "a", "options": {"task_id": "x"}}], "body": {"task": "b", "options": {"link": [{"task": "c"}, {"task": "d", "options": {"task_id": "x"}}]}}}}`,
			`{"error":"kwargs.body.options.link[1].options.task_id: task_id \"x\" is used twice in the canvas (also at kwargs.header[0].options.task_id)"}`},
		// Celery's apply_async raises OverflowError for a countdown or an
		// expires past Python's datetime.max; Fugue waited for ever.
		{`{"task": "celery.chain", "kwargs": {"tasks": [{"task": "tasks.add"}, {"task": "tasks.mul", "options": {"countdown": 1e20}}]}}`,
			`{"error":"kwargs.tasks[1].options.countdown: out of range: 1e+20 seconds from now is past 9999-12-31T23:59:59.999999Z, Python's datetime.max (Celery raises OverflowError)"}`},
		{`{"task": "tasks.add", "options": {"expires": 300000000000}}`,
			`{"error":"options.expires: out of range: 300000000000 seconds from now is past 9999-12-31T23:59:59.999999Z, Python's datetime.max (Celery raises OverflowError)"}`},
	} {
		r := e.do("POST", "/v1/workflows", c.body)
		if r.code != http.StatusBadRequest || c.want != "" && r.body != c.want || !strings.HasPrefix(r.body, `{"error":"`) {
			t.Errorf("%s:\ngot  %d %s\nwant 400 %s", c.body, r.code, r.body, c.want)
		}
	}
	if n := e.b.Submits(); n != 0 {
		t.Errorf("%d refused canvases reached the backend", n)
	}
}

// TestEncodedBodyIs415: a body sent with a Content-Encoding (gzip) is
// refused as such; it was read as it came and refused as invalid JSON at
// byte 1, or, when the header lied, accepted.
func TestEncodedBodyIs415(t *testing.T) {
	t.Parallel()
	e := setup(t, api.Config{})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(`{"task": "tasks.add", "args": [1, 2]}`))
	_ = zw.Close()
	for _, enc := range []string{"gzip", "br"} {
		e.expect(e.do("POST", "/v1/workflows", gz.String(), "Content-Encoding", enc), http.StatusUnsupportedMediaType,
			`{"error":"canvas: Content-Encoding `+enc+` is not supported: send the JSON as it is"}`)
	}
	e.expect(e.do("POST", "/v1/workflows", `{"task": "tasks.add", "args": [1, 2]}`, "Content-Encoding", "identity"), http.StatusCreated, `{"id":"wf1"}`)
	if n := e.b.Submits(); n != 1 {
		t.Errorf("%d canvases reached the backend, want 1", n)
	}
}

func TestTaskIDOfAnotherWorkflowIs400(t *testing.T) {
	t.Parallel()
	e := setup(t, api.Config{})
	e.submit(`{"task": "celery.group", "kwargs": {"tasks": [{"task": "tasks.add", "args": [1, 2], "options": {"task_id": "mine"}}]}}`)
	r := e.do("POST", "/v1/workflows", `{"task": "tasks.add", "args": [1, 2], "options": {"link": {"task": "tasks.identity", "options": {"task_id": "mine"}}}}`)
	e.expect(r, http.StatusBadRequest, `{"error":"options.link.options.task_id: task_id \"mine\" is already used by workflow wf1"}`)
}

// TestIDOfAnotherWorkflowIs400: a task_id, or the id of the workflow
// itself, that another workflow uses (a task_id it gave, its own id, an id
// it made up for a task) is refused before anything is appended, and the
// other workflow's task is still the one its id finds.
func TestIDOfAnotherWorkflowIs400(t *testing.T) {
	t.Parallel()
	e := setup(t, api.Config{})
	e.submit(`{"task": "celery.group", "kwargs": {"tasks": [{"task": "tasks.add", "args": [1, 2]}, {"task": "tasks.add", "args": [3, 4], "options": {"task_id": "mine"}},
		{"task": "tasks.add", "args": [5, 6], "options": {"task_id": "next.3"}}]}}`)
	e.settle()
	submits := e.b.Submits()
	task := func(id string) string {
		return `{"task": "tasks.add", "args": [1, 1], "options": {"task_id": "` + id + `"}}`
	}
	for _, c := range []struct{ body, want string }{
		{`{"task": "celery.chain", "kwargs": {"tasks": [` + task("wf1.1") + `]}}`,
			`kwargs.tasks[0].options.task_id: task_id \"wf1.1\" is reserved for workflow wf1, whose tasks without a task_id are named wf1.<n>`},
		{task("wf1.1"), `options.task_id: task_id \"wf1.1\" is reserved for workflow wf1, whose tasks without a task_id are named wf1.<n>`},
		{task("mine"), `options.task_id: task_id \"mine\" is already used by workflow wf1`},
		{`{"task": "celery.group", "kwargs": {"tasks": [` + task("wf1") + `]}}`,
			`kwargs.tasks[0].options.task_id: task_id \"wf1\" is already used by workflow wf1`},
		{`{"task": "celery.group", "options": {"task_id": "wf1.2"}, "kwargs": {"tasks": [` + task("wf1.2") + `]}}`,
			`options.task_id: task_id \"wf1.2\" is reserved for workflow wf1, whose tasks without a task_id are named wf1.<n>`},
		// A workflow whose made-up ids a task_id given earlier has taken.
		{task("next"), `workflow id \"next\" would name its tasks without a task_id next.<n>, and workflow wf1 already uses task_id \"next.3\"`},
	} {
		e.expect(e.do("POST", "/v1/workflows", c.body), http.StatusBadRequest, `{"error":"`+c.want+`"}`)
	}
	if n := e.b.Submits(); n != submits {
		t.Errorf("%d refused submissions reached the backend", n-submits)
	}
	r := e.do("GET", "/v1/tasks/wf1.1", "")
	if r.code != http.StatusOK || !strings.Contains(r.body, `"id":"wf1.1","name":"tasks.add"`) || !strings.Contains(r.body, `"result":3`) {
		t.Errorf("GET /v1/tasks/wf1.1: %d %s", r.code, r.body)
	}
}

// TestFrozenCanvasIsAccepted: Celery's frozen chain gives itself its last
// task's id; that id is the workflow's and its last task's.
func TestFrozenCanvasIsAccepted(t *testing.T) {
	t.Parallel()
	e := setup(t, api.Config{})
	id := e.submit(`{"task": "celery.chain", "subtask_type": "chain", "options": {"task_id": "c-2"}, "kwargs": {"tasks": [
		{"task": "tasks.add", "args": [2, 2], "options": {"task_id": "c-1"}}, {"task": "tasks.mul", "args": [8], "options": {"task_id": "c-2"}}]}}`)
	e.settle()
	if id != "c-2" {
		t.Fatalf("id %q, want c-2", id)
	}
	if r := e.do("GET", "/v1/workflows/c-2", ""); r.code != http.StatusOK || !strings.Contains(r.body, `"state":"SUCCESS","result":32`) {
		t.Errorf("GET /v1/workflows/c-2: %d %s", r.code, r.body)
	}
	if r := e.do("GET", "/v1/tasks/c-2", ""); r.code != http.StatusOK || !strings.Contains(r.body, `"id":"c-2","name":"tasks.mul"`) {
		t.Errorf("GET /v1/tasks/c-2: %d %s", r.code, r.body)
	}
}

func TestBodyOverTheLimitIs413(t *testing.T) {
	t.Parallel()
	e := setup(t, api.Config{Limits: canvas.Limits{MaxBytes: 64}})
	big := `{"task": "tasks.identity", "args": ["` + strings.Repeat("x", 100) + `"]}`
	want := `{"error":"canvas: the request body exceeds the limit of 64 bytes"}`
	e.expect(e.do("POST", "/v1/workflows", big), http.StatusRequestEntityTooLarge, want)

	// Without a Content-Length the reader stops at the limit.
	req, err := http.NewRequestWithContext(t.Context(), "POST", e.srv.URL+"/v1/workflows", io.MultiReader(strings.NewReader(big)))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = -1
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge || strings.TrimSpace(string(body)) != want {
		t.Errorf("chunked: %d %s", res.StatusCode, body)
	}
	// Exactly at the limit is fine.
	at := `{"task": "tasks.identity", "args": ["` + strings.Repeat("x", 64-40) + `"]}`
	if len(at) != 64 {
		t.Fatalf("test body is %d bytes", len(at))
	}
	e.submit(at)
}

func TestRootTaskIDIsTheIDAndIdempotent(t *testing.T) {
	t.Parallel()
	e := setup(t, api.Config{})
	canvas := `{"task": "tasks.add", "args": [1, 2], "options": {"task_id": "job-7"}}`
	e.expect(e.do("POST", "/v1/workflows", canvas), http.StatusCreated, `{"id":"job-7"}`)
	e.expect(e.do("POST", "/v1/workflows", canvas), http.StatusCreated, `{"id":"job-7"}`)
	if n := e.b.Submits(); n != 1 {
		t.Errorf("%d submissions reached the backend, want 1", n)
	}
	e.settle()
	r := e.do("GET", "/v1/workflows/job-7", "")
	if r.code != http.StatusOK || !strings.Contains(r.body, `"state":"SUCCESS","result":3`) {
		t.Errorf("%d %s", r.code, r.body)
	}
}

func TestBackendFailureIs503(t *testing.T) {
	t.Parallel()
	e := setup(t, api.Config{})
	id := e.submit(`{"task": "tasks.add", "args": [1, 2]}`)
	e.b.FailAppends(io.ErrClosedPipe)
	e.expect(e.do("POST", "/v1/workflows", `{"task": "tasks.add", "args": [1, 2]}`), http.StatusServiceUnavailable,
		`{"error":"submit: io: read/write on closed pipe"}`)
	e.expect(e.do("POST", "/v1/workflows/"+id+"/revoke", ""), http.StatusServiceUnavailable,
		`{"error":"revoke: io: read/write on closed pipe"}`)
}

// TestRecordOverKafkaLimitIs413: a canvas under the body limit may still
// make a record over Kafka's; the backend says so with canvas.ErrLimit.
func TestRecordOverKafkaLimitIs413(t *testing.T) {
	t.Parallel()
	e := setup(t, api.Config{})
	e.b.FailAppends(fmt.Errorf("%w: the event is 2000000 bytes, over the Kafka record limit of 1000000", canvas.ErrLimit))
	e.expect(e.do("POST", "/v1/workflows", `{"task": "tasks.add", "args": [1, 2]}`), http.StatusRequestEntityTooLarge,
		`{"error":"canvas: limit exceeded: the event is 2000000 bytes, over the Kafka record limit of 1000000"}`)
}
