package demo

import (
	"context"
	"time"

	"github.com/fugue-run/fugue/worker"
)

// Register adds the demo tasks to reg.
func Register(reg *worker.Registry) {
	reg.Register("tasks.add", binary("add", add))
	reg.Register("tasks.mul", binary("mul", mul))
	reg.Register("tasks.xsum", xsum)
	reg.Register("tasks.tsum", tsum)
	reg.Register("tasks.identity", identity)
	reg.Register("tasks.echo", echo)
	reg.Register("tasks.fail", fail)
	reg.Register("tasks.sleep", sleep)
	reg.Register("tasks.retry_once", retryOnce)
	reg.Register("tasks.progress", progress)
	reg.Register("tasks.record_error", recordError)
}

// binary is def name(x, y): return op(x, y).
func binary(name string, op func(x, y any) (any, error)) worker.Func {
	p := worker.Params{Func: name, Names: []string{"x", "y"}}
	return func(_ context.Context, req *worker.Request) (any, error) {
		v, err := p.Bind(req.Args, req.Kwargs)
		if err != nil {
			return nil, err
		}
		return op(v[0], v[1])
	}
}

// xsum is sum(sum(n) if isinstance(n, Iterable) else n for n in nums).
func xsum(_ context.Context, req *worker.Request) (any, error) {
	v, err := worker.Params{Func: "xsum", Names: []string{"nums"}}.Bind(req.Args, req.Kwargs)
	if err != nil {
		return nil, err
	}
	nums, err := iterate(v[0])
	if err != nil {
		return nil, err
	}
	return sum(nums, func(n any) (any, error) {
		if items, err := iterate(n); err == nil {
			return sum(items, nil)
		}
		return n, nil
	})
}

// tsum is sum(nums).
func tsum(_ context.Context, req *worker.Request) (any, error) {
	v, err := worker.Params{Func: "tsum", Names: []string{"nums"}}.Bind(req.Args, req.Kwargs)
	if err != nil {
		return nil, err
	}
	nums, err := iterate(v[0])
	if err != nil {
		return nil, err
	}
	return sum(nums, nil)
}

// identity is def identity(x): return x.
func identity(_ context.Context, req *worker.Request) (any, error) {
	v, err := worker.Params{Func: "identity", Names: []string{"x"}}.Bind(req.Args, req.Kwargs)
	if err != nil {
		return nil, err
	}
	return v[0], nil
}

// echo is def echo(*args, **kwargs): return {"args": args, "kwargs": kwargs}.
func echo(_ context.Context, req *worker.Request) (any, error) {
	args, kwargs := req.Args, req.Kwargs
	if args == nil {
		args = []any{}
	}
	if kwargs == nil {
		kwargs = map[string]any{}
	}
	return map[string]any{"args": args, "kwargs": kwargs}, nil
}

// fail is def fail(*args): raise ExpectedException('Task expected to fail').
func fail(_ context.Context, req *worker.Request) (any, error) {
	if _, err := (worker.Params{Func: "fail", VarArgs: true}).Bind(req.Args, req.Kwargs); err != nil {
		return nil, err
	}
	return nil, worker.Fail("ExpectedException", "Task expected to fail")
}

// retryOnce asks for a retry after 0.1 s on its first attempt and returns
// the number of retries so far on the others.
func retryOnce(_ context.Context, req *worker.Request) (any, error) {
	if _, err := (worker.Params{Func: "retry_once", VarArgs: true}).Bind(req.Args, req.Kwargs); err != nil {
		return nil, err
	}
	if req.Retries == 0 {
		return nil, worker.Retry(100*time.Millisecond, nil)
	}
	return int64(req.Retries), nil
}

// progress reports PROGRESS with {"step": i, "total": steps} for i from 1
// to steps, as Celery's examples count, and returns steps.
func progress(ctx context.Context, req *worker.Request) (any, error) {
	v, err := worker.Params{Func: "progress", Names: []string{"steps"}}.Bind(req.Args, req.Kwargs)
	if err != nil {
		return nil, err
	}
	steps, ok := asInt(v[0])
	if !ok {
		return nil, typeError("'%s' object cannot be interpreted as an integer", typeName(v[0]))
	}
	for i := int64(1); i <= steps; i++ {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		if err := worker.UpdateState(ctx, "PROGRESS", map[string]any{"step": i, "total": v[0]}); err != nil {
			return nil, err
		}
	}
	return v[0], nil
}

// recordError is the errback def record_error(task_id, *rest): return
// {"failed": task_id}.
func recordError(_ context.Context, req *worker.Request) (any, error) {
	v, err := worker.Params{Func: "record_error", Names: []string{"task_id"}, VarArgs: true}.Bind(req.Args, req.Kwargs)
	if err != nil {
		return nil, err
	}
	return map[string]any{"failed": v[0]}, nil
}
