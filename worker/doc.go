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
// like; they are converted. NaN and ±Inf are floats, as in Python. Anything
// else (a struct, a channel) fails the task with EncodeError.
//
// The error a task returns steers what happens next:
//
//   - Retry(countdown, cause): run again after countdown, while retries
//     remain (Celery's self.retry(exc=cause, countdown=...)). The
//     countdown stands: retry backoff does not apply to it.
//   - an error that the task's AutoretryFor matches (Celery's
//     autoretry_for): run again, while retries remain, after the task's
//     RetryBackoff (Celery's exponential backoff with jitter) or else its
//     DefaultRetryDelay; the canvas's retry_backoff, when set, replaces
//     that countdown.
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
//	TimeLimitExceeded        the hard limit in seconds as given: 10, 1.5, 10.0 (a canvas's float)
//	SoftTimeLimitExceeded    empty, as Celery's (billiard raises it without arguments)
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
//
// # Running a worker on Kafka
//
// New and Worker.Run take task messages from Kafka and report on it:
//
//	w, err := worker.New(reg, worker.Config{Brokers: []string{"127.0.0.1:9092"}, Queues: []string{"celery"}})
//	...
//	err = w.Run(ctx) // until ctx is done
//
// The protocol, with topic names from package internal/topic:
//
//   - Task messages are records on <prefix>tasks.<queue>: an Avro
//     single-object events.Event whose body is a TaskDispatched, key the
//     task id. Workers read the tasks topics of their queues in one
//     consumer group (Config.Group), read_uncommitted unless
//     Config.ReadCommitted: a message of an engine transaction still open
//     runs at once. A transaction that then aborts sends the message again;
//     a worker skips a task attempt it already took from the same
//     partition (it remembers the last 4,096 per partition).
//   - For each message the worker reports on <prefix>events, keyed by
//     workflow id, with deterministic ids (package events): TaskStarted
//     once the attempt has run Config.StartedAfter (10ms; a shorter one
//     has none, as in Celery without task_track_started), a TaskProgress
//     per UpdateState (Seq 1, 2, ...), then one of TaskSucceeded,
//     TaskFailed or TaskRetrying. The producer is
//     "worker/<hostname>-<pid>".
//   - A message past its Expires is not run: the worker reports
//     TaskRevoked{Reason: "expired"} instead.
//   - A record that is not a task message goes unchanged to
//     <prefix>deadletter, with the fugue-error, fugue-source
//     ("<topic>/<partition>/<offset>") and fugue-component ("worker")
//     headers; the worker carries on.
//   - Revokes: every worker reads all of <prefix>control (no group), from
//     its end at start. A TaskRevoked there cancels the task's running
//     attempts with Revoked(reason) (Execute then fails them with
//     TaskRevokedError, which is reported); the worker remembers the last
//     Config.RevokedMemory revoked ids and drops their later messages
//     without reporting anything.
//   - Acks late: a message's offset is committed only once its events are
//     acknowledged by Kafka (acks=all, idempotent). A slot does not wait
//     for that acknowledgement: it takes the next message, so that the
//     events of many tasks share a produce request; commits come at most
//     every 50ms (and on revoke and stop). With Concurrency
//     tasks in flight, a partition commits only the watermark below which
//     every message is done. When a rebalance takes partitions away, the
//     worker stops starting their messages, waits up to
//     Config.DrainTimeout for the running ones and commits before the
//     rebalance goes on; what is still running then is abandoned. A
//     stopping worker does the same. Delivery is at least once: after a
//     crash, uncommitted messages run again, and their event ids make the
//     duplicates harmless.
//   - Rate limits (Task.RateLimit, Celery's "10/s", "100/m", "5/h") hold a
//     task's slot until a token bucket of capacity one lets it start.
//     Time limits come from the message or the Task (Execute).
//
// Metrics, on Config.Registerer:
//
//	fugue_worker_tasks_total{state}                 messages handled: succeeded, failed, retrying, expired, dropped
//	fugue_worker_task_outcomes_total{name,state}    the same by task name (registered names, else "unregistered")
//	fugue_worker_task_duration_seconds              histogram of attempt run times
//	fugue_worker_tasks_in_flight                    attempts running
//	fugue_worker_deadletter_total                   records set aside on the dead-letter topic
//	fugue_worker_repeated_messages_total            task messages skipped as taken before from the same partition
//	fugue_worker_revoked_total                      running tasks cancelled and messages dropped by revokes
//	fugue_worker_commits_total{result}              offset commits per partition: ok, error
package worker
