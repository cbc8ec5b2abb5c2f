package worker

import (
	"fmt"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/pyrepr"
)

// OutcomeKind says how an attempt ended.
type OutcomeKind uint8

// The ways an attempt ends.
const (
	// Succeeded: Outcome.Result holds the result.
	Succeeded OutcomeKind = iota + 1
	// Failed: Outcome.Failure says why; the task will not be retried.
	Failed
	// Retrying: the task asked to run again after Outcome.Countdown
	// seconds; Outcome.Failure is why.
	Retrying
)

// maxRepr caps how much of a result String shows.
const maxRepr = 200

// String returns "succeeded", "failed" or "retrying".
func (k OutcomeKind) String() string {
	switch k {
	case Succeeded:
		return "succeeded"
	case Failed:
		return "failed"
	case Retrying:
		return "retrying"
	}
	return fmt.Sprintf("OutcomeKind(%d)", uint8(k))
}

// Outcome is how one attempt of a task ended. It maps onto one event:
// TaskSucceeded, TaskFailed or TaskRetrying.
type Outcome struct {
	Kind OutcomeKind
	// Result is the task's result (Succeeded), a value (see package value).
	Result any
	// Failure is why the attempt failed (Failed) or is retried (Retrying).
	Failure events.Failure
	// Countdown is the delay before the next attempt, in seconds
	// (Retrying).
	Countdown float64
	// Explicit (Retrying) is true when the task returned Retry (Celery's
	// self.retry): the engine keeps Countdown. False is an autoretry
	// (Task.AutoretryFor), whose Countdown the canvas's retry_backoff
	// replaces when it is set. It becomes TaskRetrying.Explicit.
	Explicit bool
}

// String describes the outcome for logs and test failures, the result in
// Python's repr (so 4 and 4.0 differ).
func (o Outcome) String() string {
	switch o.Kind {
	case Succeeded:
		r := pyrepr.Value(o.Result)
		if len(r) > maxRepr {
			r = r[:maxRepr] + fmt.Sprintf("... (%d bytes)", len(r))
		}
		return "succeeded: " + r
	case Failed:
		return fmt.Sprintf("failed: %s: %s", o.Failure.Type, o.Failure.Message)
	case Retrying:
		kind := "autoretry"
		if o.Explicit {
			kind = "retry"
		}
		return fmt.Sprintf("%s in %gs: %s: %s", kind, o.Countdown, o.Failure.Type, o.Failure.Message)
	}
	return o.Kind.String()
}

func failed(f events.Failure) Outcome { return Outcome{Kind: Failed, Failure: f} }
