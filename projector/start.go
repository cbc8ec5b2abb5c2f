package projector

import (
	"hash/fnv"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/events"
)

// call applies inputs to a signature's partial arguments: inputs are
// prepended to args and merged under kwargs (new wins), unless the
// signature is immutable. The results share no mutable memory with sig.
func call(pn *PlanNode, in []any, inKw map[string]any) ([]any, map[string]any) {
	if pn.Immutable || (len(in) == 0 && len(inKw) == 0) {
		return pn.Args, pn.Kwargs
	}
	args := pn.Args
	if len(in) > 0 {
		args = make([]any, 0, len(in)+len(pn.Args))
		args = append(append(args, in...), pn.Args...)
	}
	kw := pn.Kwargs
	if len(inKw) > 0 {
		kw = make(map[string]any, len(pn.Kwargs)+len(inKw))
		for k, v := range pn.Kwargs {
			kw[k] = v
		}
		for k, v := range inKw {
			kw[k] = v
		}
	}
	return args, kw
}

// start starts node i with the inputs flowing into it. parent is the task
// whose outcome started it; pf, for an errback, the failure it handles.
func (x *folding) start(i int32, in []any, inKw map[string]any, parent string, pf *Error) {
	pn := x.w.Plan.Node(i)
	n := x.node(i)
	if n.Status == Revoked {
		// Revoked before it was reached: it fails as it starts. Its view
		// shows the call it was spared and the task that reached it, as
		// the view of a task sent and then revoked does.
		n.Parent = parent
		if pn.Kind == TaskNode {
			n.Args, n.Kwargs = call(pn, in, inKw)
		}
		x.complete(i, n, false, nil, revokedError(x.w.Plan.ID(i)))
		x.putNode(i, n)
		return
	}
	if n.Status != Idle {
		return
	}
	n.Parent, n.Failure = parent, pf
	args, kw := call(pn, in, inKw)
	switch pn.Kind {
	case TaskNode:
		n.Args, n.Kwargs = args, kw
		if at, ok := pn.Options.ExpiresAt(time.UnixMicro(x.ev.Time)); ok {
			// Workers drop an expired message; the timer also expires a
			// task that no worker received in time.
			n.Expires = at.UnixMicro()
			timer, id := timerName(timerExpires, 0), x.w.Plan.ID(i)
			x.emit(id, events.TimerScheduledID(id, timer), &events.TimerScheduled{Timer: timer, Due: n.Expires})
		}
		if due, ok := x.due(pn.Options); ok {
			n.Status = Scheduled
			timer, id := timerName(timerETA, 0), x.w.Plan.ID(i)
			x.emit(id, events.TimerScheduledID(id, timer), &events.TimerScheduled{Timer: timer, Due: due})
		} else {
			x.dispatchAs(i, pn, n)
		}
		x.putNode(i, n)
	case ChainNode:
		n.Status = Started
		x.putNode(i, n)
		if len(pn.Members) == 0 {
			x.complete(i, n, true, nil, nil)
			x.putNode(i, n)
			return
		}
		x.start(pn.Members[0], args, kw, parent, pf)
	case GroupNode:
		n.Status = Started
		x.putNode(i, n)
		if len(pn.Members) == 0 {
			x.complete(i, n, true, []any{}, nil)
			x.putNode(i, n)
			return
		}
		x.startMembers(i, n, args, kw, parent, pf)
	case ChordNode:
		n.Status = Started
		x.putNode(i, n)
		x.start(pn.Members[0], args, kw, parent, pf)
	}
}

// due returns when a task with countdown or eta may run, if later than now.
// As in Celery (amqp.as_task_v2: "if countdown: eta = now + countdown"), a
// countdown other than 0 wins over eta, and a negative one is an eta in
// the past: the task runs at once.
func (x *folding) due(o *canvas.Options) (int64, bool) {
	var due int64
	if s, ok := o.CountdownSeconds(); ok && s != 0 {
		due = after(x.ev.Time, seconds(s))
	} else if t, ok := o.ETATime(); ok {
		due = t.UnixMicro()
	}
	return due, due > x.ev.Time
}

// seconds converts s seconds to microseconds, at most math.MaxInt64.
func seconds(s float64) int64 {
	us := math.Round(s * 1e6)
	if us >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(us)
}

// dispatch sends the current attempt of task node i.
func (x *folding) dispatch(i int32, n *Node) {
	x.dispatchAs(i, x.w.Plan.Node(i), n)
}

// dispatchAs is dispatch for task node i whose plan node is pn.
func (x *folding) dispatchAs(i int32, pn *PlanNode, n *Node) {
	o := pn.Options
	d := &events.TaskDispatched{
		Name: pn.Task, Args: n.Args, Kwargs: n.Kwargs, Attempt: n.Attempt,
		Queue: o.Queue, ParentID: n.Parent, Expires: n.Expires,
		MaxRetries: x.maxRetries(o),
	}
	if s, ok := o.TimeLimitSeconds(); ok {
		// Celery's TimeLimitExceeded message is the limit as given, 1 or
		// 1.0, which the double alone cannot tell apart.
		_, isFloat := o.TimeLimit.(float64)
		d.TimeLimit, d.TimeLimitFloat = s, isFloat
	}
	if s, ok := o.SoftTimeLimitSeconds(); ok {
		d.SoftTimeLimit = s
	}
	if p, ok := o.PriorityValue(); ok {
		d.Priority = int32(p)
	}
	if n.Failure != nil {
		d.ParentFailure = &events.Failure{Type: n.Failure.Type, Message: n.Failure.Message, Traceback: n.Failure.Traceback}
	}
	n.Status, n.Dispatched = Pending, true
	id := x.w.Plan.ID(i)
	x.emit(id, events.DispatchedID(id, n.Attempt), d)
}

// maxRetries is the retry cap of a task: -1 for unlimited.
func (x *folding) maxRetries(o *canvas.Options) int32 {
	n, unlimited, set := o.MaxRetriesValue()
	switch {
	case unlimited:
		return -1
	case set:
		return int32(min(n, math.MaxInt32))
	default:
		return x.f.cfg.DefaultMaxRetries
	}
}

const (
	timerETA     = "eta"
	timerRetry   = "retry"
	timerExpires = "expires"
)

// timerName names a task's timer: what it is for and the attempt it
// dispatches ("eta/0", "retry/2").
func timerName(kind string, attempt int32) string {
	return kind + "/" + strconv.Itoa(int(attempt))
}

func (x *folding) timerFired(b *events.TimerFired) {
	if !x.load() {
		return
	}
	i, ok := x.w.Plan.Lookup(x.ev.Task)
	if !ok || x.w.Plan.Kind(i) != TaskNode {
		return
	}
	n := x.node(i)
	if !awaits(n, b.Timer) {
		return
	}
	if strings.HasPrefix(b.Timer, timerExpires+"/") {
		// Past its expiry before it started: revoked, as Celery does.
		id := x.w.Plan.ID(i)
		x.emit(id, events.RevokedID(id, ReasonExpired), &events.TaskRevoked{Reason: ReasonExpired, Attempt: n.Attempt})
		x.expired(i, n)
	} else {
		x.dispatch(i, n)
	}
	x.putNode(i, n)
}

// awaits reports whether task node n still waits for timer: an eta timer
// while it is scheduled, a retry timer while that retry is pending, an
// expiry timer until the task starts.
func awaits(n *Node, timer string) bool {
	kind, num, ok := strings.Cut(timer, "/")
	attempt, err := strconv.Atoi(num)
	if !ok || err != nil {
		return false
	}
	switch kind {
	case timerExpires:
		return n.Status == Scheduled || n.Status == Pending || n.Status == Retry
	case timerETA:
		return n.Status == Scheduled
	case timerRetry:
		return n.Status == Retry && int(n.Attempt) == attempt
	}
	return false
}

// TimerPending reports whether the timer of task in workflow wf would
// still do something if it fired now. The timer service asks before it
// fires, so that stale timers die quietly.
func TimerPending(st State, wf, task, timer string) (bool, error) {
	w, err := st.Workflow(wf)
	if err != nil || w == nil || w.Plan == nil || w.Completed {
		return false, err
	}
	i, ok := w.Plan.Lookup(task)
	if !ok || w.Plan.Kind(i) != TaskNode {
		return false, nil
	}
	n, err := newNodeReader(st, w).node(i)
	if err != nil {
		return false, err
	}
	return awaits(n, timer), nil
}

// retrying applies a worker's request to retry the current attempt. The
// canvas's retry_backoff replaces the countdown of an autoretry only: an
// explicit retry (Celery's self.retry) keeps its own, as in Celery, where
// retry_backoff lives in the autoretry_for wrapper. TaskRetrying records
// of schema v1 read as autoretries, as Fold treated every retry then.
func (x *folding) retrying(i int32, n *Node, b *events.TaskRetrying) {
	pn, id := x.w.Plan.Node(i), x.w.Plan.ID(i)
	o := pn.Options
	if max := x.maxRetries(o); max >= 0 && b.Attempt >= max {
		err := &Error{
			Type:    "MaxRetriesExceededError",
			Message: maxRetriesMessage(pn.Task, id, n.Args, n.Kwargs),
			TaskID:  id,
		}
		n.Status, n.Err = Failure, err
		x.complete(i, n, false, nil, err)
		return
	}
	countdown := seconds(b.Countdown)
	if !b.Explicit {
		if backoff, ok := o.RetryBackoffSeconds(int(b.Attempt), jitter(id, b.Attempt)); ok {
			countdown = seconds(float64(backoff))
		}
	}
	n.Attempt = b.Attempt + 1
	n.Status = Retry
	n.Err = &Error{Type: b.Error.Type, Message: b.Error.Message, Traceback: b.Error.Traceback, TaskID: id}
	if countdown <= 0 {
		x.dispatch(i, n)
		return
	}
	timer := timerName(timerRetry, n.Attempt)
	x.emit(id, events.TimerScheduledID(id, timer), &events.TimerScheduled{Timer: timer, Due: after(x.ev.Time, countdown)})
}

// jitter is the random draw of retry backoff's full jitter for attempt
// retries of task: a number in [0, n) taken from an FNV-1a hash of the task
// id and the attempt, never from a random source. The draw stays in Fold
// because the countdown is decided there, from the canvas's options; Fold
// may not draw a random number (doc.go), and a replay of the log must
// schedule the same timer. What jitter is for, spreading the retries of
// many tasks that failed together, needs only that different tasks draw
// differently, and task ids are unique. (A worker could draw instead, but
// its task message carries no retry_backoff, and its draw would still
// have to reach the log.)
func jitter(task string, retries int32) func(n int64) int64 {
	return func(n int64) int64 {
		h := fnv.New64a()
		h.Write([]byte(task))
		h.Write([]byte{byte(retries), byte(retries >> 8), byte(retries >> 16), byte(retries >> 24)})
		return int64(h.Sum64() % uint64(n))
	}
}

// after returns t plus d microseconds, at most math.MaxInt64.
func after(t, d int64) int64 {
	if d > math.MaxInt64-t {
		return math.MaxInt64
	}
	return t + d
}
