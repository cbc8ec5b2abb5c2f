package worker

import (
	"context"
	"errors"

	"github.com/fugue-run/fugue/value"
)

// The built-in tasks every Registry has.
const (
	// MapTask is Celery's xmap: kwargs {"task": SIG, "it": [x, ...]}; runs
	// the task once per element, task(x), and returns the list of results.
	MapTask = "celery.map"
	// StarmapTask is Celery's xstarmap: like MapTask, but each element is
	// a list of positional arguments, task(*x).
	StarmapTask = "celery.starmap"
)

func (r *Registry) xmap(ctx context.Context, req *Request) (any, error) {
	return r.mapEach(ctx, req, Params{Func: "xmap", Names: []string{"task", "it"}}, false)
}

func (r *Registry) xstarmap(ctx context.Context, req *Request) (any, error) {
	return r.mapEach(ctx, req, Params{Func: "xstarmap", Names: []string{"task", "it"}}, true)
}

// mapEach is Celery's
//
//	def xmap(task, it):
//	    task = signature(task, app=app).type
//	    return [task(item) for item in it]
//
// and xstarmap with task(*item). Like Celery it calls the registered task
// itself, not the signature: the signature's own args, kwargs and
// immutable flag are not used. The calls are direct, in this goroutine:
// a panic fails the whole map, and a Retry fails it with the retry's
// cause (or Retry('Task can be retried')), as a retry of a directly
// called task does in Celery. Progress reports go to the map's reporter.
func (r *Registry) mapEach(ctx context.Context, req *Request, p Params, star bool) (any, error) {
	v, err := p.Bind(req.Args, req.Kwargs)
	if err != nil {
		return nil, err
	}
	name, err := innerName(v[0])
	if err != nil {
		return nil, err
	}
	task, ok := r.Lookup(name)
	if !ok {
		f := notRegistered(name)
		return nil, &TaskError{Type: f.Type, Message: f.Message}
	}
	items, err := iterate(v[1])
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(items))
	for _, x := range items {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		args := []any{x}
		if star {
			if args, err = iterate(x); err != nil {
				return nil, &TaskError{Type: "TypeError",
					Message: name + "() argument after * must be an iterable, not " + typeName(x)}
			}
		}
		inner := &Request{
			ID:            req.ID,
			Workflow:      req.Workflow,
			Name:          name,
			Args:          args,
			Kwargs:        map[string]any{},
			ParentID:      req.ParentID,
			ParentFailure: req.ParentFailure,
			Queue:         req.Queue,
		}
		res, err := task.Func(ctx, inner)
		if err != nil {
			return nil, calledDirectly(err)
		}
		out = append(out, res)
	}
	return out, nil
}

// innerName reads the task name from a map's "task" argument: a signature
// dict, or a bare name (Celery's signature() accepts both).
func innerName(sig any) (string, error) {
	switch sig := sig.(type) {
	case string:
		return sig, nil
	case map[string]any:
		if st, ok := sig["subtask_type"]; ok && st != nil {
			return "", &TaskError{Type: "NotImplementedError",
				Message: "map and starmap run a single task, not a " + typeLabel(st)}
		}
		if name, ok := sig["task"].(string); ok {
			return name, nil
		}
		return "", &TaskError{Type: "TypeError", Message: "the map's task signature has no task name"}
	}
	return "", &TaskError{Type: "TypeError",
		Message: "the map's task must be a signature or a task name, not " + typeName(sig)}
}

func typeLabel(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return typeName(v)
}

// calledDirectly is what a task error becomes inside a map: a retry
// cannot be honoured there.
func calledDirectly(err error) error {
	var re *RetryError
	if !errors.As(err, &re) {
		return err
	}
	if re.Cause != nil {
		return re.Cause
	}
	return &TaskError{Type: "Retry", Message: "Task can be retried"}
}

// iterate is Python's iter() over a value (value.Iterate), with Python's
// TypeError for what is not iterable.
func iterate(v any) ([]any, error) {
	if items, ok := value.Iterate(v); ok {
		return items, nil
	}
	return nil, &TaskError{Type: "TypeError", Message: "'" + typeName(v) + "' object is not iterable"}
}

// typeName is the Python type name of a value.
func typeName(v any) string { return value.TypeName(v) }
