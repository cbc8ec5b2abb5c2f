package worker

import (
	"fmt"
	"strconv"
	"time"

	"github.com/fugue-run/fugue/internal/pyrepr"
)

// DefaultCountdown, passed to Retry, asks for the task's DefaultRetryDelay
// (3 minutes unless set), as Celery's self.retry() without countdown does.
// RetryBackoff does not apply: in Celery it is for autoretries only (see
// AutoretryFor).
const DefaultCountdown time.Duration = -1

// RetryError is returned by a task that asks to run again later (Celery's
// self.retry): an explicit retry, whose countdown the engine keeps even
// when the canvas sets retry_backoff. Build it with Retry.
type RetryError struct {
	// Countdown is how long to wait before the next attempt; negative means
	// the task's default (see DefaultCountdown).
	Countdown time.Duration
	// Cause is why the task retries; nil when it gave none. Once the task
	// has no retries left, it fails with Cause (or, when Cause is nil,
	// with MaxRetriesExceededError), as Celery does.
	Cause error
}

// Retry returns a *RetryError: the task asks to be run again after
// countdown (DefaultCountdown for the task's default) because of cause,
// which may be nil. Return it from the task function:
//
//	return nil, worker.Retry(10*time.Second, err)
func Retry(countdown time.Duration, cause error) error {
	return &RetryError{Countdown: countdown, Cause: cause}
}

// Error describes the retry request.
func (e *RetryError) Error() string {
	if e.Cause == nil {
		return "worker: retry in " + e.Countdown.String()
	}
	return "worker: retry in " + e.Countdown.String() + ": " + e.Cause.Error()
}

// Unwrap returns the cause.
func (e *RetryError) Unwrap() error { return e.Cause }

// TaskError is a failure with a Python-style exception type, such as
// ExpectedException('Task expected to fail'). A task returns one (see
// Fail) to fail with that type; any other error fails with type "Error".
// A TaskError anywhere in an error's chain (errors.As) sets the type.
type TaskError struct {
	// Type is the exception class name: "ValueError", "ExpectedException".
	Type string
	// Message is the exception's message (Python's str(exc)).
	Message string
	// Traceback is optional detail, such as a stack.
	Traceback string
}

// Fail returns a *TaskError of type typ with message: the task fails for
// good with that exception, without retrying.
func Fail(typ, message string) error {
	return &TaskError{Type: typ, Message: message}
}

// Failf is Fail with a formatted message.
func Failf(typ, format string, args ...any) error {
	return &TaskError{Type: typ, Message: fmt.Sprintf(format, args...)}
}

// Error renders the error as the last line of a Python traceback:
// "ValueError: bad value".
func (e *TaskError) Error() string {
	if e.Message == "" {
		return e.Type
	}
	return e.Type + ": " + e.Message
}

// Revoked returns the error to cancel a running task's context with when
// it is revoked (context.WithCancelCause): Execute then fails the task
// with TaskRevokedError and reason as its message, as Celery does. Celery's
// reasons are "revoked", "terminated" and "expired".
func Revoked(reason string) error {
	return &TaskError{Type: "TaskRevokedError", Message: reason}
}

// TimeLimitExceeded returns the error for a hard time limit of limit:
// TimeLimitExceeded with the limit in seconds as its message, written as
// Python writes the number a Celery user gives as time_limit: "10" for a
// whole number of seconds, as Celery's TimeLimitExceeded(10) (billiard
// raises it with the limit as given), else "1.5". Execute uses it for
// Task.TimeLimit, and for Request.TimeLimit unless the canvas gave that
// as a float (Request.TimeLimitFloat: "1.0"); a caller that enforces a
// limit itself can cancel with it.
func TimeLimitExceeded(limit time.Duration) error {
	return timeLimitExceeded(limit, false)
}

// timeLimitExceeded is TimeLimitExceeded for a limit given as a float when
// asFloat is true: its message is then Python's repr of a float even for
// a whole number of seconds ("1.0").
func timeLimitExceeded(limit time.Duration, asFloat bool) error {
	msg := pyrepr.Float(limit.Seconds())
	if !asFloat && limit%time.Second == 0 {
		msg = strconv.FormatInt(int64(limit/time.Second), 10)
	}
	return &TaskError{Type: "TimeLimitExceeded", Message: msg}
}

// softTimeLimitExceeded is the cause a task's context is cancelled with
// when its soft time limit passes. Its message is empty, as Celery's:
// billiard raises SoftTimeLimitExceeded() without arguments.
func softTimeLimitExceeded() error {
	return &TaskError{Type: "SoftTimeLimitExceeded"}
}
