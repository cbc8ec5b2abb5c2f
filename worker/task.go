package worker

import (
	"context"
	"math"
	"time"
)

// Func is a task as its author writes it: it gets the call and returns a
// result that is a value (see package value; Execute also accepts int,
// float32, []string and similar and converts them) or an error. The error
// steers what happens next: a *RetryError (Retry) asks for another attempt,
// a *TaskError (Fail) fails with a typed exception, any other error fails
// with type "Error". ctx is cancelled when the task is revoked or runs out
// of time; a long task should watch it.
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
	// unless RetryBackoff is set. Default 3 minutes.
	DefaultRetryDelay time.Duration
	// RetryBackoff, when positive, makes the default countdown exponential:
	// RetryBackoff * 2^retries, at most RetryBackoffMax. Default 0 (off).
	// Unlike Celery there is no jitter: countdowns are deterministic.
	RetryBackoff time.Duration
	// RetryBackoffMax caps the backoff. Default 10 minutes.
	RetryBackoffMax time.Duration
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

// DefaultRetryDelay sets the countdown of a Retry with DefaultCountdown.
// Default 3 minutes.
func DefaultRetryDelay(d time.Duration) TaskOption {
	return func(t *Task) { t.DefaultRetryDelay = d }
}

// RetryBackoff makes the default countdown exponential: factor *
// 2^retries, capped at max (max <= 0 keeps the default of 10 minutes).
// Default off.
func RetryBackoff(factor, max time.Duration) TaskOption {
	return func(t *Task) {
		t.RetryBackoff = factor
		if max > 0 {
			t.RetryBackoffMax = max
		}
	}
}

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
		RetryBackoffMax:   10 * time.Minute,
	}
	for _, o := range opts {
		o(&t)
	}
	return t
}

// defaultCountdown is the countdown of a Retry with DefaultCountdown on
// attempt retries.
func (t *Task) defaultCountdown(retries int) time.Duration {
	if t.RetryBackoff <= 0 {
		return t.DefaultRetryDelay
	}
	d := t.RetryBackoff
	for range retries {
		if d >= t.RetryBackoffMax || d > math.MaxInt64/2 {
			break
		}
		d *= 2
	}
	return min(d, t.RetryBackoffMax)
}
