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
	d, err := sleepDuration(v[0])
	if err != nil {
		return nil, err
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return v[0], nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// The messages of CPython 3.11's OverflowErrors in time.sleep: a float
// whose nanoseconds fall outside int64 (_PyTime_time_t_overflow), and an
// int whose nanoseconds do (_PyTime_overflow). Python 3.13 says "C
// PyTime_t" in the second.
const (
	floatOutOfRange = "timestamp out of range for platform time_t"
	intOutOfRange   = "timestamp too large to convert to C _PyTime_t"
)

// sleepDuration converts seconds as CPython 3.11's time.sleep does, and
// fails with its exceptions in its order: _PyTime_FromSecondsObject
// rejects NaN, then converts to int64 nanoseconds (a float rounded away
// from zero, as _PyTime_ROUND_TIMEOUT does) and fails with OverflowError
// outside that range, whatever the sign; only then is a negative length
// a ValueError. So sleep(-1e300) and sleep(-9223372037) are
// OverflowErrors, while sleep(-1) is a ValueError and sleep(-0.0)
// returns at once.
func sleepDuration(secs any) (time.Duration, error) {
	var ns int64
	if f, ok := secs.(float64); ok {
		if math.IsNaN(f) {
			return 0, worker.Fail("ValueError", "Invalid value NaN (not a number)")
		}
		d := f * float64(time.Second)
		if d >= 0 {
			d = math.Ceil(d)
		} else {
			d = math.Floor(d)
		}
		// float64(math.MinInt64) is -2**63 exactly; -2**63 <= d < 2**63.
		if !(d >= math.MinInt64 && d < -math.MinInt64) {
			return 0, worker.Fail("OverflowError", floatOutOfRange)
		}
		ns = int64(d)
	} else {
		i, ok := asInt(secs)
		if !ok {
			return 0, typeError("'%s' object cannot be interpreted as an integer", typeName(secs))
		}
		// C's division truncates as Go's does: ±9223372036.
		if i < math.MinInt64/int64(time.Second) || i > math.MaxInt64/int64(time.Second) {
			return 0, worker.Fail("OverflowError", intOutOfRange)
		}
		ns = i * int64(time.Second)
	}
	if ns < 0 {
		return 0, worker.Fail("ValueError", "sleep length must be non-negative")
	}
	return time.Duration(ns), nil
}
