package api_test

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/api"
)

// TestTooDeepCanvasIs400WithShortPath: a canvas whose values nest deeper
// than its WorkflowSubmitted event carries (events.MaxDepth) cannot be
// appended. It is refused with 400 and a short canvas path, not with 503
// and the encoder's path of 1.5 KB; one at the limit is accepted.
func TestTooDeepCanvasIs400WithShortPath(t *testing.T) {
	t.Parallel()
	e := setup(t, api.Config{})
	// levels of lists, or of dicts keyed key, around 1.
	nest := func(levels int, key string) string {
		if key == "" {
			return strings.Repeat("[", levels) + "1" + strings.Repeat("]", levels)
		}
		return strings.Repeat(`{"`+key+`": `, levels) + "1" + strings.Repeat("}", levels)
	}
	// The second member's args list is the 4th level of the chain's
	// kwargs, its first argument the 5th.
	chain := func(arg string) string {
		return `{"task": "celery.chain", "subtask_type": "chain", "kwargs": {"tasks": [{"task": "tasks.add"}, {"task": "tasks.identity", "args": [` + arg + `]}]}}`
	}
	e.submit(chain(nest(events.MaxDepth-4, "")))
	e.expect(e.do("POST", "/v1/workflows", chain(nest(events.MaxDepth-3, ""))), http.StatusBadRequest,
		`{"error":"kwargs.tasks[1].args[0]`+strings.Repeat("[0]", 25)+`[0...: lists and dicts nest deeper than 512 levels"}`)

	// A path through keys of two-byte runes is cut between them.
	r := e.do("POST", "/v1/workflows", `{"task": "tasks.add", "options": `+nest(events.MaxDepth+1, "ключ")+`}`)
	e.expect(r, http.StatusBadRequest,
		`{"error":"options`+strings.Repeat(`[\"ключ\"]`, 7)+`[\"клю...: lists and dicts nest deeper than 512 levels"}`)
	if !utf8.ValidString(r.body) {
		t.Errorf("the answer is not UTF-8: %q", r.body)
	}
	if n := e.b.Submits(); n != 1 {
		t.Errorf("%d canvases reached the backend, want the one at the limit", n)
	}
}
