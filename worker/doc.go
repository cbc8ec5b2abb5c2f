// Package worker is the task-author API of Fugue and the pure core that
// runs one attempt of a task.
//
// # Writing tasks
//
// A task is a Func: it gets a context and the Request (id, name, args,
// kwargs, retries so far, ...) and returns a result or an error:
//
//	reg := worker.NewRegistry()
//	reg.Register("tasks.add", func(ctx context.Context, req *worker.Request) (any, error) {
//		v, err := worker.Params{Func: "add", Names: []string{"x", "y"}}.Bind(req.Args, req.Kwargs)
//		if err != nil {
//			return nil, err // TypeError: add() missing 1 required positional argument: 'y'
//		}
//		...
//	}, worker.MaxRetries(5))
//
// Results, args and kwargs are values as package value defines them: nil,
// bool, int64, float64, string, []byte, []any, map[string]any. A task may
// return int, float32, []string, map[string]int, pointers to those and the
// like; they are converted. Anything else (a struct, a channel, NaN or
// ±Inf, which JSON cannot carry) fails the task with EncodeError.
//
// The error a task returns steers what happens next:
//
//   - Retry(countdown, cause): run again after countdown, while retries
//     remain (Celery's self.retry(exc=cause, countdown=...)).
//   - Fail(typ, message), or any *TaskError in the error chain: fail with
//     that Python-style exception, ExpectedException('Task expected to
//     fail').
//   - any other error: fail with type "Error" and the error's text.
//
// UpdateState reports a custom state such as PROGRESS with metadata. The
// context is cancelled when the task is revoked or its time limit passes;
// a long task should watch ctx.Done.
//
// # Running tasks
//
// Execute runs one attempt and returns its Outcome (Succeeded, Failed or
// Retrying), which maps onto one event (TaskSucceeded, TaskFailed,
// TaskRetrying); its comment lists the rules. It holds no state and does
// no I/O of its own, so the Kafka consumer loop and in-process test
// harnesses share it; it starts one goroutine per attempt so that a
// panicking task, or one past its hard time limit, cannot take the caller
// down or hold it up. It does not check Request.Expires: the caller
// revokes an expired task before running it.
//
// Failure types Execute produces itself:
//
//	NotRegistered            'tasks.nope' (Celery: KeyError's repr of the name)
//	Panic                    the panic value; Traceback is the goroutine stack
//	EncodeError              result is not encodable: [1].a: chan int is not a value
//	MaxRetriesExceededError  Can't retry tasks.x[<id>] args:(1, 2) kwargs:{}
//	Retry                    Retry in 0.1s (the failure of a Retrying outcome without cause)
//	TimeLimitExceeded        the hard limit in seconds, 10.0
//	SoftTimeLimitExceeded    the soft limit in seconds, 10.0 (Celery's is empty)
//	TaskRevokedError         the reason given to Revoked: revoked, terminated, expired
//	Error                    a plain Go error's text
//	TypeError                argument binding (Params) and built-ins
//
// Panics get the type Panic rather than a Python name such as RuntimeError
// so that they stand out as bugs in Go task code.
//
// # Built-in tasks
//
// Every Registry has celery.map and celery.starmap (MapTask, StarmapTask),
// bound like Celery's def xmap(task, it). As in Celery, they call the
// registered task named by the signature with each element alone —
// [task(x) for x in it], [task(*x) for x in it] — and ignore the
// signature's own args, kwargs and immutable flag.
package worker
