package worker

import (
	"fmt"
	"math"
	"time"

	"github.com/fugue-run/fugue/events"
)

// TaskDefault is a Request.MaxRetries value: use the registered task's cap.
const TaskDefault = -2

// Request is one task call as the task sees it (Celery's task.request).
// The task must not modify Args or Kwargs.
type Request struct {
	// ID is the task id; Workflow the workflow it belongs to.
	ID       string
	Workflow string
	// Name is the registered task name ("tasks.add").
	Name string
	// Args and Kwargs are the arguments the task is called with.
	Args   []any
	Kwargs map[string]any
	// Retries counts the retries so far: 0 on the first attempt.
	Retries int
	// MaxRetries caps the retries for this call: Unlimited, TaskDefault
	// (the registered task's cap), or a count.
	MaxRetries int
	// ParentID is the task whose result (or failure) led to this call.
	ParentID string
	// ParentFailure is set for an errback: the failure it handles.
	ParentFailure *events.Failure
	// Queue is the queue the call came from.
	Queue string
	// Expires is when the call expires; zero when never. Execute does not
	// check it: the caller revokes an expired call before running it.
	Expires time.Time
	// TimeLimit and SoftTimeLimit override the task's limits when
	// positive.
	TimeLimit     time.Duration
	SoftTimeLimit time.Duration
	// TimeLimitFloat says that the canvas gave TimeLimit as a float
	// (time_limit=1.0): TimeLimitExceeded's message is then "1.0", where
	// for an integer it is "1", as in Celery. It matters only for a
	// whole number of seconds.
	TimeLimitFloat bool
}

// NewRequest returns the Request for a task message: an event whose Body
// is *events.TaskDispatched. MaxRetries is taken as it is (-1 unlimited).
func NewRequest(ev *events.Event) (*Request, error) {
	d, ok := ev.Body.(*events.TaskDispatched)
	if !ok {
		return nil, fmt.Errorf("worker: event %s is a %T, not a task message", ev.ID, ev.Body)
	}
	r := &Request{
		ID:             ev.Task,
		Workflow:       ev.Workflow,
		Name:           d.Name,
		Args:           d.Args,
		Kwargs:         d.Kwargs,
		Retries:        int(d.Attempt),
		MaxRetries:     int(d.MaxRetries),
		ParentID:       d.ParentID,
		ParentFailure:  d.ParentFailure,
		Queue:          d.Queue,
		TimeLimit:      seconds(d.TimeLimit),
		SoftTimeLimit:  seconds(d.SoftTimeLimit),
		TimeLimitFloat: d.TimeLimitFloat,
	}
	if d.Expires != 0 {
		r.Expires = time.UnixMicro(d.Expires)
	}
	return r, nil
}

// seconds converts s seconds to the nearest Duration (0 for none), so
// that a limit of up to nine decimals converts back to the same number:
// 1.001 is 1.001s, where truncating gave 1.000999999s, which is also what
// TimeLimitExceeded's message showed.
func seconds(s float64) time.Duration {
	if s <= 0 {
		return 0
	}
	if s >= float64(1<<63-1)/float64(time.Second) {
		return 1<<63 - 1
	}
	return time.Duration(math.Round(s * float64(time.Second)))
}
