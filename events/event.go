package events

// Event is the envelope of every record on the events topic. The fields
// common to all events live here; what happened lives in Body, one of the
// *Xxx types of this package.
type Event struct {
	// ID identifies the event. Ids are deterministic: an event produced
	// again (a redelivery, a retried transaction, a replay) has the same id.
	ID string
	// Workflow is the workflow id; it is also the Kafka record key.
	Workflow string
	// Task is the task id the event is about; "" for workflow-wide events.
	Task string
	// Time is when the event happened, in microseconds since the Unix
	// epoch, as its producer saw it. Fold uses it as "now".
	Time int64
	// Producer names what wrote the event ("engine", "worker/host-1", ...).
	Producer string
	// Body is what happened.
	Body Body
}

// Body is one of the event types of this package.
type Body interface{ eventBody() }

// Failure describes why a task failed: the exception type, its message
// and, where the worker has one, a traceback.
type Failure struct {
	Type      string
	Message   string
	Traceback string
}

// WorkflowSubmitted asks the engine to run a canvas. Canvas is the Celery
// wire form as a value tree (map[string]any with "task", "args", "kwargs",
// "options", "subtask_type", "immutable"), see spec/canvas-json.md.
type WorkflowSubmitted struct {
	Canvas map[string]any
	// CanvasAvro is, in an event Codec.DecodeShared read, Canvas as it
	// lies in the record: the body of a Signature record of today's
	// schema, which Codec.CanvasHeader makes a record Codec.DecodeCanvas
	// reads. It shares the record, so that a store can keep the canvas
	// as it came instead of encoding it again. Nil otherwise; Encode
	// ignores it.
	CanvasAvro []byte
}

// WorkflowRejected says a submission was refused whole and why.
type WorkflowRejected struct {
	Reason string
}

// WorkflowCompleted says a workflow is ready: its canvas finished and so did
// every callback it fired. State is SUCCESS, FAILURE or REVOKED.
type WorkflowCompleted struct {
	State  string
	Result any
	Error  *Failure
	// ErrorTask is the task the error belongs to ("" when none).
	ErrorTask string
}

// TaskDispatched is one task call decided by the engine. The same record,
// on the tasks.<queue> topic, is the task message a worker runs: it carries
// only this call, never the rest of the canvas.
type TaskDispatched struct {
	Name   string
	Args   []any
	Kwargs map[string]any
	// Attempt counts retries so far (Celery's request.retries).
	Attempt int32
	Queue   string
	// ParentID is the task whose result (or failure) led to this call.
	ParentID string
	// Expires is an absolute deadline in Unix microseconds; 0 when none.
	Expires int64
	// TimeLimit and SoftTimeLimit are in seconds; 0 when none.
	TimeLimit     float64
	SoftTimeLimit float64
	// MaxRetries is the retry cap; -1 means unlimited.
	MaxRetries int32
	Priority   int32
	// ParentFailure is set for an errback: the failure it handles.
	ParentFailure *Failure
	// TimeLimitFloat is true when the canvas gave TimeLimit as a float
	// (1.0), false for an integer (1) or none: TimeLimitExceeded's
	// message is the limit as given, "1.0" or "1", as Celery's. Schemas
	// before v3 have no such field: their records read false, so that a
	// whole limit reads as an integer.
	TimeLimitFloat bool
}

// TaskStarted says a worker began an attempt.
type TaskStarted struct {
	Attempt int32
	Worker  string
}

// TaskSucceeded carries a task's result.
type TaskSucceeded struct {
	Attempt int32
	Result  any
}

// TaskFailed says an attempt failed. The engine decides whether that is
// final (it is, unless the worker asked for a retry with TaskRetrying).
type TaskFailed struct {
	Attempt int32
	Error   Failure
}

// TaskRetrying says an attempt asked to be retried after Countdown seconds.
type TaskRetrying struct {
	Attempt   int32
	Countdown float64
	Error     Failure
	// Explicit is true when the task asked for the retry itself (Celery's
	// self.retry, worker.Retry): its Countdown stands. False is an
	// autoretry (Celery's autoretry_for, worker.AutoretryFor), whose
	// Countdown the canvas's retry_backoff replaces. Schema v1 has no such
	// field: its records read false, as every retry was then.
	Explicit bool
}

// TaskProgress is a custom state (PROGRESS, ...) with its metadata.
type TaskProgress struct {
	Attempt int32
	// Seq orders the updates of one attempt and makes their ids unique.
	Seq   int32
	State string
	Meta  any
}

// TaskRevoked says a task will not run (or run further). Reason is
// "revoked" for a revoke request, "expired" for a task past its expiry.
type TaskRevoked struct {
	Reason string
	// Attempt is the attempt a worker found expired; 0 from the engine.
	Attempt int32
}

// RevokeRequested asks to revoke a workflow (Task "" in the envelope) or one
// task of it. Terminate also cancels tasks that are running.
type RevokeRequested struct {
	Terminate bool
}

// LinkFired records that a callback or errback was applied. Node is the
// callback's position in the workflow's compiled canvas; Errback tells which
// kind; Source is the task or composite whose outcome fired it.
type LinkFired struct {
	Source  string
	Node    int32
	Errback bool
}

// ChordCounterIncremented records one distinct header member finishing.
// Chord is the chord's id; Index the member's position in the header;
// Count the number of distinct members finished so far.
type ChordCounterIncremented struct {
	Chord string
	Index int32
	Count int32
	Size  int32
}

// ChordCompleted records that every header member of a chord finished.
// Failed is true when one failed (the body then does not run).
type ChordCompleted struct {
	Chord  string
	Failed bool
}

// TimerScheduled asks the timer service to append TimerFired with the same
// Timer at Due (Unix microseconds).
type TimerScheduled struct {
	Timer string
	Due   int64
}

// TimerFired says the timer is due.
type TimerFired struct {
	Timer string
}

func (*WorkflowSubmitted) eventBody()       {}
func (*WorkflowRejected) eventBody()        {}
func (*WorkflowCompleted) eventBody()       {}
func (*TaskDispatched) eventBody()          {}
func (*TaskStarted) eventBody()             {}
func (*TaskSucceeded) eventBody()           {}
func (*TaskFailed) eventBody()              {}
func (*TaskRetrying) eventBody()            {}
func (*TaskProgress) eventBody()            {}
func (*TaskRevoked) eventBody()             {}
func (*RevokeRequested) eventBody()         {}
func (*LinkFired) eventBody()               {}
func (*ChordCounterIncremented) eventBody() {}
func (*ChordCompleted) eventBody()          {}
func (*TimerScheduled) eventBody()          {}
func (*TimerFired) eventBody()              {}
