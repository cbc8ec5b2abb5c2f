package demo

import (
	"context"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/fugue-run/fugue/worker"
)

// TestSleep checks tasks.sleep against CPython 3.11.7's time.sleep: each
// message is the str() of what `python3 -c "import time; time.sleep(X)"`
// raised, copied verbatim. Python's ints past int64 (10**30: "timestamp
// too large to convert to C _PyTime_t") never reach a task: the canvas
// is refused (value.DecodeJSON), so they are not here.
func TestSleep(t *testing.T) {
	t.Parallel()
	const (
		floatRange = "timestamp out of range for platform time_t"
		intRange   = "timestamp too large to convert to C _PyTime_t"
		negative   = "sleep length must be non-negative"
	)
	run(t, []call{
		{"int", "tasks.sleep", list(int64(0), "rest"), nil, ok(int64(0))},
		{"float", "tasks.sleep", list(0.001), nil, ok(0.001)},
		{"False", "tasks.sleep", list(false), nil, ok(false)},
		{"minus zero", "tasks.sleep", list(math.Copysign(0, -1)), nil, ok(math.Copysign(0, -1))},
		{"str", "tasks.sleep", list("1"), nil,
			fails("TypeError", "'str' object cannot be interpreted as an integer")},
		{"None", "tasks.sleep", list(nil), nil,
			fails("TypeError", "'NoneType' object cannot be interpreted as an integer")},
		{"list", "tasks.sleep", list(ints(1)), nil,
			fails("TypeError", "'list' object cannot be interpreted as an integer")},
		{"NaN", "tasks.sleep", list(math.NaN()), nil, fails("ValueError", "Invalid value NaN (not a number)")},

		// Negative, but within range: the sign check.
		{"-1", "tasks.sleep", ints(-1), nil, fails("ValueError", negative)},
		{"-1.0", "tasks.sleep", list(-1.0), nil, fails("ValueError", negative)},
		{"-1e-300", "tasks.sleep", list(-1e-300), nil, fails("ValueError", negative)},
		{"-9223372036", "tasks.sleep", ints(-9223372036), nil, fails("ValueError", negative)},
		// -2**63 ns exactly, the last float in range.
		{"-9223372036.854776", "tasks.sleep", list(-9223372036.854776), nil, fails("ValueError", negative)},

		// A float whose nanoseconds leave int64, of either sign: the
		// range is checked before the sign.
		{"1e300", "tasks.sleep", list(1e300), nil, fails("OverflowError", floatRange)},
		{"inf", "tasks.sleep", list(math.Inf(1)), nil, fails("OverflowError", floatRange)},
		{"-inf", "tasks.sleep", list(math.Inf(-1)), nil, fails("OverflowError", floatRange)},
		{"-1e300", "tasks.sleep", list(-1e300), nil, fails("OverflowError", floatRange)},
		{"1e10", "tasks.sleep", list(1e10), nil, fails("OverflowError", floatRange)},
		{"-1e10", "tasks.sleep", list(-1e10), nil, fails("OverflowError", floatRange)},
		// 2**63 ns, the first float past the top.
		{"9223372036.854776", "tasks.sleep", list(9223372036.854776), nil, fails("OverflowError", floatRange)},
		{"-9223372036.854778", "tasks.sleep", list(-9223372036.854778), nil, fails("OverflowError", floatRange)},

		// An int whose nanoseconds leave int64: another message.
		{"9223372037", "tasks.sleep", ints(9223372037), nil, fails("OverflowError", intRange)},
		{"-9223372037", "tasks.sleep", ints(-9223372037), nil, fails("OverflowError", intRange)},
		{"2**63-1", "tasks.sleep", ints(math.MaxInt64), nil, fails("OverflowError", intRange)},
		{"-2**63", "tasks.sleep", ints(math.MinInt64), nil, fails("OverflowError", intRange)},
		{"keyword", "tasks.sleep", nil, map[string]any{"seconds": math.Inf(1)}, fails("OverflowError", floatRange)},
	})
}

func TestSleepCancelled(t *testing.T) {
	t.Parallel()
	reg := setup(t)
	got := worker.Execute(t.Context(), reg, &worker.Request{Name: "tasks.sleep", Args: ints(60),
		TimeLimit: 5 * time.Millisecond}, nil)
	if want := fails("TimeLimitExceeded", "0.005"); !reflect.DeepEqual(got, want) {
		t.Fatalf("sleep past its time limit = %v, want %v", got, want)
	}

	ctx, cancel := context.WithCancelCause(t.Context())
	started := make(chan struct{})
	rep := worker.ReporterFunc(func(string, any) error { return nil })
	out := make(chan worker.Outcome)
	go func() {
		close(started)
		out <- worker.Execute(ctx, reg, &worker.Request{Name: "tasks.sleep", Args: ints(60)}, rep)
	}()
	<-started
	cancel(worker.Revoked("terminated"))
	if got, want := <-out, fails("TaskRevokedError", "terminated"); !reflect.DeepEqual(got, want) {
		t.Fatalf("revoked sleep = %v, want %v", got, want)
	}
}
