package worker

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/pyrepr"
)

// Execute runs one attempt of req with the task reg has under req.Name
// and says how it ended. It never panics because of the task, and it
// reports the task's custom states to rep (nil discards them) in order,
// until it returns.
//
// The rules, in order:
//
//   - A name nobody registered fails with NotRegistered and the name's
//     repr as message ('tasks.nope'), as Celery does.
//   - A ctx already done fails without running the task (see below).
//   - The task runs in its own goroutine with a context that is cancelled
//     when ctx is, and at the hard and soft time limits (Request's when
//     positive, else the Task's). At the hard limit, or when ctx is done,
//     Execute stops waiting and fails the task; a task that ignores its
//     context keeps running, abandoned, and its result is dropped.
//   - A result is converted into a value (int to int64, ...); one that
//     cannot be fails with EncodeError "result is not encodable: ...".
//   - A panic, or runtime.Goexit, fails with type Panic, the panic value
//     as message and the goroutine's stack as traceback.
//   - An error after ctx is done, or after the soft limit passed, fails
//     with the cancellation's cause (for the soft limit: unless the task
//     returned a *TaskError or *RetryError of its own): a *TaskError
//     cause gives its type and message (Revoked, TimeLimitExceeded,
//     SoftTimeLimitExceeded); context.DeadlineExceeded gives
//     TimeLimitExceeded; any other cause TaskRevokedError, with the
//     cause's text as message.
//   - A *RetryError asks for an explicit retry (Retrying, Explicit; Celery's
//     self.retry) while retries remain: req.Retries < MaxRetries
//     (Request's, or the Task's for TaskDefault; Unlimited never runs out).
//     Its countdown is its own, or DefaultRetryDelay for DefaultCountdown.
//     Its failure is the cause, or Retry with Celery's message ("Retry in
//     0.1s") when there is none. Past the cap, the task fails with the
//     cause, or when there is none with MaxRetriesExceededError "Can't
//     retry <name>[<id>] args:<args> kwargs:<kwargs>", args and kwargs in
//     Python's repr, as Celery does.
//   - Any other error for which the Task's AutoretryFor is true asks for
//     an autoretry (Retrying, not Explicit; Celery's autoretry_for): as a
//     *RetryError with the error as cause, but its countdown is the Task's
//     RetryBackoff (Celery's formula, with jitter drawn at random) or,
//     without one, DefaultRetryDelay. The engine replaces that countdown
//     with the canvas's retry_backoff, when the canvas sets one.
//   - A *TaskError (errors.As) fails with its type, message and traceback.
//   - Any other error fails with type Error and the error's text.
func Execute(ctx context.Context, reg *Registry, req *Request, rep Reporter) Outcome {
	task, ok := reg.Lookup(req.Name)
	if !ok {
		return failed(notRegistered(req.Name))
	}
	if ctx.Err() != nil {
		return failed(cancelled(ctx))
	}

	hardCtx, taskCtx := ctx, ctx
	if d := limit(req.TimeLimit, task.TimeLimit); d > 0 {
		var cancel context.CancelFunc
		asFloat := req.TimeLimit > 0 && req.TimeLimitFloat
		hardCtx, cancel = context.WithTimeoutCause(ctx, d, timeLimitExceeded(d, asFloat))
		defer cancel()
		taskCtx = hardCtx
	}
	if d := limit(req.SoftTimeLimit, task.SoftTimeLimit); d > 0 {
		var cancel context.CancelFunc
		taskCtx, cancel = context.WithTimeoutCause(hardCtx, d, softTimeLimitExceeded())
		defer cancel()
	}
	g := &gate{rep: rep}
	defer g.close()
	taskCtx = WithReporter(taskCtx, g)

	done := make(chan result, 1)
	go run(taskCtx, task.Func, req, done)
	var r result
	select {
	case r = <-done:
	case <-hardCtx.Done():
		select {
		case r = <-done:
		default:
			return failed(cancelled(hardCtx))
		}
	}

	if r.err == nil {
		v, err := normalize(r.res)
		if err != nil {
			return failed(events.Failure{Type: "EncodeError", Message: "result is not encodable: " + err.Error()})
		}
		return Outcome{Kind: Succeeded, Result: v}
	}
	if hardCtx.Err() != nil {
		return failed(cancelled(hardCtx))
	}
	var re *RetryError
	if errors.As(r.err, &re) {
		countdown := re.Countdown
		if countdown < 0 {
			countdown = task.DefaultRetryDelay
		}
		return retry(&task, req, countdown, re.Cause, true)
	}
	var te *TaskError
	if taskCtx.Err() != nil && !errors.As(r.err, &te) {
		return failed(cancelled(taskCtx))
	}
	if task.AutoretryFor != nil && task.AutoretryFor(r.err) {
		return retry(&task, req, task.autoretryCountdown(req.Retries, randomDraw), r.err, false)
	}
	return failed(failureOf(r.err))
}

type result struct {
	res any
	err error
}

// run calls f and sends what came of it, a panic included, on done.
func run(ctx context.Context, f Func, req *Request, done chan<- result) {
	returned := false
	defer func() {
		if returned {
			return
		}
		p := recover()
		if p == nil {
			p = "task called runtime.Goexit"
		}
		done <- result{err: &TaskError{Type: "Panic", Message: fmt.Sprint(p), Traceback: string(debug.Stack())}}
	}()
	res, err := f(ctx, req)
	returned = true
	done <- result{res, err}
}

func limit(call, task time.Duration) time.Duration {
	if call > 0 {
		return call
	}
	return task
}

func notRegistered(name string) events.Failure {
	return events.Failure{Type: "NotRegistered", Message: pyrepr.String(name)}
}

// cancelled is the failure of a task whose context ctx is done.
func cancelled(ctx context.Context) events.Failure {
	cause := context.Cause(ctx)
	var te *TaskError
	switch {
	case errors.As(cause, &te):
		return events.Failure{Type: te.Type, Message: te.Message, Traceback: te.Traceback}
	case errors.Is(cause, context.DeadlineExceeded):
		return events.Failure{Type: "TimeLimitExceeded", Message: cause.Error()}
	}
	return events.Failure{Type: "TaskRevokedError", Message: cause.Error()}
}

// failureOf is the failure an error returned by a task stands for.
func failureOf(err error) events.Failure {
	var te *TaskError
	if errors.As(err, &te) {
		return events.Failure{Type: te.Type, Message: te.Message, Traceback: te.Traceback}
	}
	return events.Failure{Type: "Error", Message: err.Error()}
}

// retry is the outcome of a retry after countdown because of cause (nil
// for none), explicit or an autoretry.
func retry(task *Task, req *Request, countdown time.Duration, cause error, explicit bool) Outcome {
	max := req.MaxRetries
	if max == TaskDefault {
		max = task.MaxRetries
	}
	if max >= 0 && req.Retries >= max {
		if cause != nil {
			return failed(failureOf(cause))
		}
		return failed(events.Failure{
			Type: "MaxRetriesExceededError",
			Message: fmt.Sprintf("Can't retry %s[%s] args:%s kwargs:%s",
				req.Name, req.ID, pyrepr.Tuple(req.Args), pyrepr.Value(kwargsOrEmpty(req.Kwargs))),
		})
	}
	f := events.Failure{Type: "Retry", Message: "Retry in " + secondsRepr(countdown) + "s"}
	if cause != nil {
		f = failureOf(cause)
	}
	return Outcome{Kind: Retrying, Failure: f, Countdown: countdown.Seconds(), Explicit: explicit}
}

func kwargsOrEmpty(kw map[string]any) map[string]any {
	if kw == nil {
		return map[string]any{}
	}
	return kw
}

// secondsRepr renders d in seconds as a Python number: 5 or 0.1.
func secondsRepr(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprint(int64(d / time.Second))
	}
	return pyrepr.Float(d.Seconds())
}

// gate passes reports to rep until closed, so that a task abandoned by
// Execute reports nothing after its outcome.
type gate struct {
	mu     sync.Mutex
	rep    Reporter
	closed bool
}

// errFinished is returned by UpdateState once Execute has returned.
var errFinished = errors.New("worker: the task's attempt has ended")

func (g *gate) Report(state string, meta any) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return errFinished
	}
	if g.rep == nil {
		return nil
	}
	return g.rep.Report(state, meta)
}

func (g *gate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}
