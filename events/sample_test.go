package events

import (
	"math"
	"reflect"
	"testing"
)

// nested is a value that exercises every branch of Value: a map inside a
// list inside a map, empty list and map, bytes, floats without fraction,
// extreme integers.
func nested() map[string]any {
	return map[string]any{
		"int":      int64(7),
		"max":      int64(math.MaxInt64),
		"min":      int64(math.MinInt64),
		"float":    4.0,
		"neg_zero": math.Copysign(0, -1),
		"tiny":     5e-324,
		"str":      "héllo ✓",
		"empty":    "",
		"bytes":    []byte{0, 1, 0xff},
		"nobytes":  []byte{},
		"null":     nil,
		"yes":      true,
		"no":       false,
		"list": []any{
			int64(1), 2.5, "three", nil,
			map[string]any{"deep": []any{map[string]any{"deeper": int64(-1)}}},
			[]any{}, map[string]any{},
		},
		"empty_list": []any{},
		"empty_map":  map[string]any{},
	}
}

// chainCanvas is chain(add.s(2, 2), group(mul.s(8), mul.s(9)).si()) in
// Celery's dict shape, as decode returns it.
func chainCanvas() map[string]any {
	sig := func(task string, args ...any) map[string]any {
		return map[string]any{
			"task": task, "args": append([]any{}, args...), "kwargs": map[string]any{},
			"options": map[string]any{}, "subtask_type": nil, "immutable": false,
		}
	}
	group := map[string]any{
		"task": "celery.group", "args": []any{}, "options": map[string]any{},
		"kwargs":       map[string]any{"tasks": []any{sig("tasks.mul", int64(8)), sig("tasks.mul", int64(9))}},
		"subtask_type": "group", "immutable": true,
	}
	return map[string]any{
		"task":         "celery.chain",
		"args":         []any{},
		"kwargs":       map[string]any{"tasks": []any{sig("tasks.add", int64(2), int64(2)), group}},
		"options":      map[string]any{"task_id": "wf-1", "link": []any{sig("tasks.log")}, "countdown": 1.5},
		"subtask_type": "chain",
		"immutable":    false,
	}
}

// samples returns one event of every body type, with every field set, in
// the form Decode returns (non-nil empty collections).
func samples() []*Event {
	env := func(task string, b Body) *Event {
		return &Event{
			ID: "wf-1." + bodyName(b), Workflow: "wf-1", Task: task,
			Time: 1767225600123456, Producer: "engine", Body: b,
		}
	}
	failure := Failure{Type: "ValueError", Message: "bad input: 3", Traceback: "Traceback (most recent call last):\n  ...\nValueError: bad input: 3\n"}
	return []*Event{
		env("", &WorkflowSubmitted{Canvas: chainCanvas()}),
		env("", &WorkflowRejected{Reason: `chord body "x" is not a signature`}),
		env("", &WorkflowCompleted{State: "FAILURE", Result: nested(), Error: &failure, ErrorTask: "wf-1.t2"}),
		env("wf-1.t1", &TaskDispatched{
			Name: "tasks.add", Args: []any{int64(2), 2.0, nested()}, Kwargs: map[string]any{"scale": 1.5, "opts": nested()},
			Attempt: 2, Queue: "math", ParentID: "wf-1.t0", Expires: 1767225660000000,
			TimeLimit: 30, SoftTimeLimit: 25.5, MaxRetries: -1, Priority: 9, ParentFailure: &failure,
			TimeLimitFloat: true,
		}),
		env("wf-1.t1", &TaskStarted{Attempt: 1, Worker: "worker/host-1"}),
		env("wf-1.t1", &TaskSucceeded{Attempt: 1, Result: []any{nested(), int64(4), 4.0}}),
		env("wf-1.t1", &TaskFailed{Attempt: 3, Error: failure}),
		env("wf-1.t1", &TaskRetrying{Attempt: 1, Countdown: 2.5, Error: failure, Explicit: true}),
		env("wf-1.t1", &TaskProgress{Attempt: 0, Seq: 17, State: "PROGRESS", Meta: map[string]any{"done": int64(3), "total": int64(10)}}),
		env("wf-1.t1", &TaskRevoked{Reason: "expired"}),
		env("", &RevokeRequested{Terminate: true}),
		env("wf-1.t3", &LinkFired{Source: "wf-1.t1", Node: 12, Errback: true}),
		env("wf-1.t4", &ChordCounterIncremented{Chord: "wf-1.c1", Index: 3, Count: 2, Size: 5}),
		env("", &ChordCompleted{Chord: "wf-1.c1", Failed: true}),
		env("wf-1.t1", &TimerScheduled{Timer: "wf-1.t1.retry.1", Due: 1767225602623456}),
		env("wf-1.t1", &TimerFired{Timer: "wf-1.t1.retry.1"}),
	}
}

func newTestCodec(t testing.TB) *Codec {
	t.Helper()
	c, err := NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func encode(t testing.TB, c *Codec, e *Event) []byte {
	t.Helper()
	b, err := c.Encode(e)
	if err != nil {
		t.Fatalf("Encode(%s): %v", bodyName(e.Body), err)
	}
	return b
}

func equalEvents(a, b *Event) bool { return reflect.DeepEqual(a, b) }
