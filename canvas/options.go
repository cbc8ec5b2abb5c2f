package canvas

// Options are a signature's execution options (Celery's "options" dict).
// Numbers keep their wire type (int64 or float64) so that a canvas
// round-trips exactly; use the accessor methods for typed reads.
// Parse guarantees that every field holds a type its accessor accepts.
type Options struct {
	// TaskID is the id to give the task ("task_id"). On a workflow's
	// root it is the workflow id, and submitting it again is idempotent.
	TaskID string
	// Queue routes the task to tasks.<Queue> ("queue").
	Queue string
	// Link are callbacks applied with the result after success ("link").
	Link []*Signature
	// LinkError are errbacks applied with the failed task's id after a
	// final failure ("link_error").
	LinkError []*Signature
	// SingleLink and SingleLinkError record the wire form only: the
	// wire form wrote link (link_error) as one signature instead of a
	// list of one, and emitting writes it the same way again. They have
	// no meaning for execution, are ignored when len(Link) (len(LinkError))
	// is not 1, and Signature.Equal ignores them.
	SingleLink      bool
	SingleLinkError bool
	// Countdown delays the dispatch, in seconds: int64 or float64; nil
	// when unset. As in Celery, a negative countdown runs the task at
	// once, and a countdown other than 0 wins over ETA.
	Countdown any
	// ETA is the earliest time to run, ISO 8601; "" when unset. It is
	// ignored when Countdown is set and not 0.
	ETA string
	// Expires is seconds after dispatch (int64 or float64) or an ISO 8601
	// time (string); nil when unset.
	Expires any
	// MaxRetries caps retries: int64; nil when unset (the task's default).
	// MaxRetriesUnlimited is true when the wire form says null (Celery's
	// None: retry for ever).
	MaxRetries          any
	MaxRetriesUnlimited bool
	// RetryBackoff is Celery's retry_backoff: bool, or a factor in seconds
	// (int64 or float64); nil when unset. RetryBackoffMax
	// ("retry_backoff_max") caps the backoff, in seconds (int64 or
	// float64); nil when unset (600). RetryJitter ("retry_jitter", bool)
	// turns full jitter on or off; nil when unset (on). See
	// RetryBackoffSeconds.
	RetryBackoff    any
	RetryBackoffMax any
	RetryJitter     any
	// TimeLimit and SoftTimeLimit are seconds (int64 or float64); nil when
	// unset.
	TimeLimit     any
	SoftTimeLimit any
	// Priority is accepted and passed on: int64; nil when unset.
	Priority any
	// Extra holds every other option, exactly as given, so that it
	// round-trips and reaches the task.
	Extra map[string]any
}
