package harness_test

import (
	"testing"

	"github.com/fugue-run/fugue/internal/harness"
	"github.com/fugue-run/fugue/projector"
)

// A task past its hard limit fails with TimeLimitExceeded whose message is
// the canvas's time_limit as given, from the canvas through the task
// message to the worker: Celery's billiard raises
// TimeLimitExceeded(job._timeout), and its result backend stores
// exc_message [1] for time_limit=1, [1.0] for 1.0, [0.5] for 0.5.
func TestTimeLimitMessage(t *testing.T) {
	t.Parallel()
	for _, limit := range []string{"1", "1.0", "0.5"} {
		t.Run(limit, func(t *testing.T) {
			t.Parallel()
			h := harness.New(projector.Config{}, harness.Chaos{})
			canvas := `{"task": "tasks.sleep", "args": [30], "options": {"time_limit": ` + limit + `}}`
			if err := h.SubmitJSON("wf", []byte(canvas)); err != nil {
				t.Fatal(err)
			}
			if err := h.Run(t.Context()); err != nil {
				t.Fatal(err)
			}
			v, err := h.Workflow("wf")
			if err != nil {
				t.Fatal(err)
			}
			if v.State != "FAILURE" || v.Error == nil || v.Error.Type != "TimeLimitExceeded" || v.Error.Message != limit {
				t.Fatalf("workflow = %s %+v, want FAILURE TimeLimitExceeded %q", v.State, v.Error, limit)
			}
		})
	}
}
