package worker

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/fugue-run/fugue/events"
)

// setupMap returns a Registry with tasks for map and starmap tests.
func setupMap(t *testing.T) *Registry {
	t.Helper()
	reg := NewRegistry()
	reg.Register("t.double", func(_ context.Context, req *Request) (any, error) {
		v, err := Params{Func: "double", Names: []string{"x"}}.Bind(req.Args, req.Kwargs)
		if err != nil {
			return nil, err
		}
		x, _ := v[0].(int64)
		return 2 * x, nil
	})
	reg.Register("t.args", func(_ context.Context, req *Request) (any, error) { return req.Args, nil })
	reg.Register("t.fail_on_3", func(_ context.Context, req *Request) (any, error) {
		if req.Args[0] == int64(3) {
			return nil, Fail("ValueError", "three")
		}
		return req.Args[0], nil
	})
	reg.Register("t.retry", func(context.Context, *Request) (any, error) { return nil, Retry(time.Second, nil) })
	reg.Register("t.retry_cause", func(context.Context, *Request) (any, error) {
		return nil, Retry(time.Second, Fail("IOError", "disk"))
	})
	reg.Register("t.progress", func(ctx context.Context, req *Request) (any, error) {
		return nil, UpdateState(ctx, "PROGRESS", req.Args[0])
	})
	return reg
}

func sig(name string, args ...any) map[string]any {
	if args == nil {
		args = []any{}
	}
	return map[string]any{"task": name, "args": args, "kwargs": map[string]any{},
		"options": map[string]any{}, "subtask_type": nil, "immutable": false}
}

func ints(n ...int64) []any {
	out := make([]any, len(n))
	for i, x := range n {
		out[i] = x
	}
	return out
}

func TestMap(t *testing.T) {
	t.Parallel()
	reg := setupMap(t)
	ok := func(v any) Outcome { return Outcome{Kind: Succeeded, Result: v} }
	fail := func(typ, msg string) Outcome {
		return Outcome{Kind: Failed, Failure: events.Failure{Type: typ, Message: msg}}
	}
	tests := []struct {
		name   string
		task   string
		args   []any
		kwargs map[string]any
		want   Outcome
	}{
		{"map", MapTask, nil, map[string]any{"task": sig("t.double"), "it": ints(1, 2, 3)}, ok(ints(2, 4, 6))},
		{"map empty", MapTask, nil, map[string]any{"task": sig("t.double"), "it": []any{}}, ok([]any{})},
		{"map by name", MapTask, nil, map[string]any{"task": "t.double", "it": ints(5)}, ok(ints(10))},
		{"map positional", MapTask, []any{sig("t.double"), ints(1)}, nil, ok(ints(2))},
		{"map mixed", MapTask, []any{sig("t.double")}, map[string]any{"it": ints(1)}, ok(ints(2))},
		{"map ignores partial args, as Celery", MapTask, nil,
			map[string]any{"task": sig("t.args", int64(10)), "it": ints(1, 2)}, ok([]any{ints(1), ints(2)})},
		{"map over a string", MapTask, nil, map[string]any{"task": sig("t.args"), "it": "ab"}, ok([]any{[]any{"a"}, []any{"b"}})},
		{"map over a dict iterates sorted keys", MapTask, nil,
			map[string]any{"task": sig("t.args"), "it": map[string]any{"b": 1, "a": 2}}, ok([]any{[]any{"a"}, []any{"b"}})},
		{"starmap", StarmapTask, nil, map[string]any{"task": sig("t.args"), "it": []any{ints(1, 2), ints(), ints(3)}},
			ok([]any{ints(1, 2), ints(), ints(3)})},
		{"starmap element not iterable", StarmapTask, nil, map[string]any{"task": sig("t.args"), "it": []any{ints(1), int64(2)}},
			fail("TypeError", "t.args() argument after * must be an iterable, not int")},
		{"first failure fails the map", MapTask, nil, map[string]any{"task": sig("t.fail_on_3"), "it": ints(1, 3, 4, 3)},
			fail("ValueError", "three")},
		{"inner binding error", StarmapTask, nil, map[string]any{"task": sig("t.double"), "it": []any{ints(1, 2)}},
			fail("TypeError", "double() takes 1 positional argument but 2 were given")},
		{"inner retry", MapTask, nil, map[string]any{"task": sig("t.retry"), "it": ints(1)},
			fail("Retry", "Task can be retried")},
		{"inner retry with cause", MapTask, nil, map[string]any{"task": sig("t.retry_cause"), "it": ints(1)},
			fail("IOError", "disk")},
		{"inner not registered", MapTask, nil, map[string]any{"task": sig("tasks.nope"), "it": []any{}},
			fail("NotRegistered", "'tasks.nope'")},
		{"it not iterable", MapTask, nil, map[string]any{"task": sig("t.double"), "it": int64(3)},
			fail("TypeError", "'int' object is not iterable")},
		{"multiple values", MapTask, []any{sig("t.double")}, map[string]any{"task": sig("t.double"), "it": ints()},
			fail("TypeError", "xmap() got multiple values for argument 'task'")},
		{"missing it", StarmapTask, nil, map[string]any{"task": sig("t.double")},
			fail("TypeError", "xstarmap() missing 1 required positional argument: 'it'")},
		{"missing both", MapTask, nil, nil,
			fail("TypeError", "xmap() missing 2 required positional arguments: 'task' and 'it'")},
		{"unexpected keyword", MapTask, nil, map[string]any{"task": sig("t.double"), "it": ints(), "n": int64(1)},
			fail("TypeError", "xmap() got an unexpected keyword argument 'n'")},
		{"composite inner", MapTask, nil,
			map[string]any{"task": map[string]any{"task": "celery.chain", "subtask_type": "chain"}, "it": ints()},
			fail("NotImplementedError", "map and starmap run a single task, not a chain")},
		{"bad signature", MapTask, nil, map[string]any{"task": int64(1), "it": ints()},
			fail("TypeError", "the map's task must be a signature or a task name, not int")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Execute(t.Context(), reg, &Request{Name: tt.task, Args: tt.args, Kwargs: tt.kwargs}, nil)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Execute =\n %v\nwant\n %v", got, tt.want)
			}
		})
	}
}

func TestMapProgress(t *testing.T) {
	t.Parallel()
	reg := setupMap(t)
	var metas []any
	rep := ReporterFunc(func(_ string, meta any) error {
		metas = append(metas, meta)
		return nil
	})
	req := &Request{Name: MapTask, Kwargs: map[string]any{"task": sig("t.progress"), "it": ints(1, 2)}}
	if got := Execute(t.Context(), reg, req, rep); got.Kind != Succeeded {
		t.Fatalf("Execute = %v", got)
	}
	if !reflect.DeepEqual(metas, ints(1, 2)) {
		t.Fatalf("reports = %v, want [1 2]", metas)
	}
}
