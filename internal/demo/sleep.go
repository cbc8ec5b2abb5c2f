package demo

import (
	"context"
	"math"
	"time"

	"github.com/fugue-run/fugue/worker"
)

// sleep is def sleep(seconds, *rest): time.sleep(seconds); return seconds.
// It stops early, failing with the context's cause, when ctx is done.
func sleep(ctx context.Context, req *worker.Request) (any, error) {
	v, err := worker.Params{Func: "sleep", Names: []string{"seconds"}, VarArgs: true}.Bind(req.Args, req.Kwargs)
	if err != nil {
		return nil, err
	}
	secs, ok := asFloat(v[0])
	switch {
	case !ok:
		return nil, typeError("'%s' object cannot be interpreted as an integer", typeName(v[0]))
	case math.IsNaN(secs):
		return nil, worker.Fail("ValueError", "Invalid value NaN (not a number)")
	case secs < 0:
		return nil, worker.Fail("ValueError", "sleep length must be non-negative")
	case secs >= float64(math.MaxInt64)/float64(time.Second):
		return nil, worker.Fail("OverflowError", "timestamp too large to convert to C _PyTime_t")
	}
	t := time.NewTimer(time.Duration(secs * float64(time.Second)))
	defer t.Stop()
	select {
	case <-t.C:
		return v[0], nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}
