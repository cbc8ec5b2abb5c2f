package worker

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/fugue-run/fugue/canvas"
)

// Func is a task as its author writes it: it gets the call and returns a
// result that is a value (see package value; Execute also accepts int,
// float32, []string and similar and converts them) or an error. The error
// steers what happens next: a *RetryError (Retry) asks for another attempt,
// a *TaskError (Fail) fails with a typed exception, any other error fails
// with type "Error" (or, when the Task's AutoretryFor says so, is
// retried). ctx is cancelled when the task is revoked or runs out of time;
// a long task should watch it.
type Func func(ctx context.Context, req *Request) (any, error)

// Unlimited is a MaxRetries value: retry for ever (Celery's max_retries=None).
const Unlimited = -1

// Task is a registered task: its function and its settings. A Request may
// override MaxRetries and the time limits for one call.
type Task struct {
	Name string
	Func Func
	// MaxRetries caps the retries; Unlimited for no cap. Default 3.
	MaxRetries int
	// DefaultRetryDelay is the countdown of a Retry with DefaultCountdown,
	// and of an autoretry when RetryBackoff is off (Celery's
	// default_retry_delay). Default 3 minutes.
	DefaultRetryDelay time.Duration
	// AutoretryFor is Celery's autoretry_for: an error the task returns
	// that would fail it (neither a *RetryError nor a cancellation; see
	// Execute) is retried instead when AutoretryFor reports true for it,
	// as if the task had returned Retry(countdown, err) with the countdown
	// of RetryBackoff. Default nil (no autoretry).
	AutoretryFor func(error) bool
	// RetryBackoff, when positive, makes the countdown of an autoretry
	// exponential, by Celery's formula (canvas.Options.RetryBackoffSeconds):
	// min(RetryBackoffMax, factor * 2**retries) whole seconds, factor being
	// RetryBackoff in whole seconds and at least 1, then with RetryJitter a
	// random whole number of seconds from 0 to that. It applies to
	// autoretries only, as in Celery: a Retry keeps its own countdown.
	// Default 0 (off: autoretries wait DefaultRetryDelay).
	RetryBackoff time.Duration
	// RetryBackoffMax caps the backoff, in whole seconds. Default 10
	// minutes.
	RetryBackoffMax time.Duration
	// RetryJitter draws the backoff at random between 0 and its value
	// (Celery's retry_jitter). Default true.
	RetryJitter bool
	// TimeLimit is the hard time limit: when it passes, the task's context
	// is cancelled and Execute fails it with TimeLimitExceeded without
	// waiting for it. Default 0 (none).
	TimeLimit time.Duration
	// SoftTimeLimit cancels the task's context with SoftTimeLimitExceeded;
	// Execute waits for the task, which may still return a result.
	// Default 0 (none).
	SoftTimeLimit time.Duration
	// RateLimit is Celery's rate limit ("10/s", "100/m", "5/h"; see
	// ParseRateLimit): a Worker starts the task at most that often,
	// holding the slot meanwhile. Default "" (none).
	RateLimit string
}

// TaskOption sets one of a Task's settings at Register.
type TaskOption func(*Task)

// MaxRetries sets the default retry cap (Unlimited for none). Default 3.
func MaxRetries(n int) TaskOption { return func(t *Task) { t.MaxRetries = n } }

// DefaultRetryDelay sets the countdown of a Retry with DefaultCountdown,
// and of an autoretry without RetryBackoff. Default 3 minutes.
func DefaultRetryDelay(d time.Duration) TaskOption {
	return func(t *Task) { t.DefaultRetryDelay = d }
}

// AutoretryFor retries the errors for which match is true, as Celery's
// autoretry_for does (see Task.AutoretryFor). To autoretry on some errors:
//
//	worker.AutoretryFor(func(err error) bool { return errors.Is(err, ErrBusy) })
//
// AutoretryForErrors is the common case. Default none.
func AutoretryFor(match func(error) bool) TaskOption {
	return func(t *Task) { t.AutoretryFor = match }
}

// AutoretryForErrors retries the errors that wrap one of targets
// (errors.Is). Default none.
func AutoretryForErrors(targets ...error) TaskOption {
	return AutoretryFor(func(err error) bool {
		for _, target := range targets {
			if errors.Is(err, target) {
				return true
			}
		}
		return false
	})
}

// RetryBackoff makes the countdown of an autoretry exponential, by
// Celery's formula: factor * 2**retries seconds, capped at max (max <= 0
// keeps the default of 10 minutes), with jitter unless RetryJitter(false).
// It does not change a Retry's countdown. Default off.
func RetryBackoff(factor, max time.Duration) TaskOption {
	return func(t *Task) {
		t.RetryBackoff = factor
		if max > 0 {
			t.RetryBackoffMax = max
		}
	}
}

// RetryJitter turns the backoff's jitter on or off (Celery's
// retry_jitter). Default on.
func RetryJitter(on bool) TaskOption { return func(t *Task) { t.RetryJitter = on } }

// TimeLimit sets the hard time limit. Default none.
func TimeLimit(d time.Duration) TaskOption { return func(t *Task) { t.TimeLimit = d } }

// SoftTimeLimit sets the soft time limit. Default none.
func SoftTimeLimit(d time.Duration) TaskOption { return func(t *Task) { t.SoftTimeLimit = d } }

// RateLimit sets Celery's rate limit ("10/s", "100/m", "5/h"), which a
// Worker enforces; New fails on one that does not parse. Default none.
func RateLimit(s string) TaskOption { return func(t *Task) { t.RateLimit = s } }

// newTask returns a Task with Celery's defaults and opts applied.
func newTask(name string, f Func, opts []TaskOption) Task {
	t := Task{
		Name:              name,
		Func:              f,
		MaxRetries:        3,
		DefaultRetryDelay: 3 * time.Minute,
		RetryBackoffMax:   canvas.RetryBackoffMax * time.Second,
		RetryJitter:       true,
	}
	for _, o := range opts {
		o(&t)
	}
	return t
}

// autoretryCountdown is the countdown of an autoretry of attempt retries:
// Celery's backoff, computed by the one implementation of its formula,
// canvas.Options.RetryBackoffSeconds, with draw for the jitter; else
// DefaultRetryDelay.
func (t *Task) autoretryCountdown(retries int, draw func(n int64) int64) time.Duration {
	if t.RetryBackoff <= 0 {
		return t.DefaultRetryDelay
	}
	o := canvas.Options{
		RetryBackoff:    t.RetryBackoff.Seconds(),
		RetryBackoffMax: t.RetryBackoffMax.Seconds(),
		RetryJitter:     t.RetryJitter,
	}
	s, ok := o.RetryBackoffSeconds(retries, draw)
	if !ok {
		return t.DefaultRetryDelay
	}
	if s > int64(maxDuration/time.Second) {
		return maxDuration
	}
	return time.Duration(s) * time.Second
}

// maxDuration is the longest time.Duration.
const maxDuration = time.Duration(1<<63 - 1)

// randomDraw is the backoff's jitter in a worker: a random number in
// [0, n), as Celery's random.randrange.
func randomDraw(n int64) int64 { return rand.Int64N(n) }
