package api_test

import (
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/fugue-run/fugue/internal/api"
	"github.com/fugue-run/fugue/projector"
	"github.com/fugue-run/fugue/value"
)

func TestTaskJSON(t *testing.T) {
	t.Parallel()
	parent := "p"
	for _, c := range []struct {
		task *projector.TaskView
		want string
	}{
		{&projector.TaskView{ID: "t", Name: "tasks.progress", State: "PROGRESS", Args: []any{int64(3)}, Meta: map[string]any{"step": int64(1), "total": 3.0}, ParentID: &parent, Children: []string{"a", "b"}, Retries: 2},
			`{"id":"t","name":"tasks.progress","state":"PROGRESS","args":[3],"kwargs":{},"result":null,"error":null,"parent_id":"p","children":["a","b"],"retries":2,"meta":{"step":1,"total":3.0}}`},
		{&projector.TaskView{ID: "q\"", Name: "n", State: "RETRY", Kwargs: map[string]any{"b": []byte("x"), "a": nil},
			Error: &projector.ErrorView{Type: "Retry", Message: "Retry in 0.1s", TaskID: "q\""}},
			`{"id":"q\"","name":"n","state":"RETRY","args":[],"kwargs":{"a":null,"b":"x"},"result":null,"error":{"type":"Retry","message":"Retry in 0.1s","task_id":"q\""},"parent_id":null,"children":[],"retries":0}`},
	} {
		got, err := api.AppendTaskJSON(nil, c.task)
		if err != nil || string(got) != c.want {
			t.Errorf("got  %s (%v)\nwant %s", got, err, c.want)
		}
		// It decodes back to the same values.
		if _, err := value.DecodeJSON(got); err != nil {
			t.Error(err)
		}
	}
}

// TestWorkflowJSONNonFinite checks that NaN and ±Inf results are written
// as Python's json.dumps (and so Celery's result backend) writes them.
func TestWorkflowJSONNonFinite(t *testing.T) {
	t.Parallel()
	v := &projector.WorkflowView{ID: "w", State: "SUCCESS", Result: math.NaN(),
		Tasks: []*projector.TaskView{{ID: "t", Result: []any{math.Inf(1), math.Inf(-1)}}}}
	got, err := api.AppendWorkflowJSON(nil, v)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"result":NaN`, `"result":[Infinity,-Infinity]`} {
		if !strings.Contains(string(got), want) {
			t.Errorf("%s lacks %s", got, want)
		}
	}
	if _, err := value.DecodeJSON(got); err != nil {
		t.Error(err)
	}
}

func TestNewUUID(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		id := api.NewUUID()
		if !re.MatchString(id) || seen[id] {
			t.Fatalf("bad or repeated UUID %q", id)
		}
		seen[id] = true
	}
}
