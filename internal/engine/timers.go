package engine

import (
	"context"
	"math"
	"time"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/projector"
	"github.com/fugue-run/fugue/statestore"
)

func (e *Engine) wakeTimers() {
	select {
	case e.timerWake <- struct{}{}:
	default:
	}
}

// runTimers is the timer service: it appends TimerFired when a committed
// timer is due. Fold never reads a clock; this is where time enters. It
// returns only when ctx is done: failures to fire are retried.
//
// A timer is deleted after its TimerFired is on the log. A crash in
// between fires it again, and an engine that lost the partition may fire
// a stale one: both are harmless, since Fold applies a TimerFired only
// while its task still waits for it, and it checks the same before firing.
func (e *Engine) runTimers(ctx context.Context) error {
	wait := time.NewTimer(time.Hour)
	defer wait.Stop()
	for {
		next, err := e.fireDue(ctx)
		d := time.Hour
		switch {
		case err != nil && ctx.Err() != nil:
			return nil
		case err != nil:
			// Kafka or the store is unavailable (a broker restarting, say):
			// nothing was lost, the timer is still stored; try again soon.
			e.log.Warn("engine: timers: will retry", "err", err)
			d = time.Second
		case next > 0:
			d = untilDue(next, now())
		}
		wait.Reset(max(d, 0))
		select {
		case <-ctx.Done():
			return nil
		case <-e.timerWake:
		case <-wait.C:
		}
	}
}

// untilDue is how long before a timer due at next (in microseconds), now
// being now; at most the longest time.Duration (292 years), which a timer
// further off (an eta or countdown centuries away) would overflow into a
// negative wait.
func untilDue(next, now int64) time.Duration {
	us := next - now
	if us > int64(math.MaxInt64/time.Microsecond) {
		return math.MaxInt64
	}
	return time.Duration(us) * time.Microsecond
}

// fireDue fires every due timer and returns the due time of the next one
// (0 when none).
func (e *Engine) fireDue(ctx context.Context) (int64, error) {
	var due []statestore.Timer
	var next int64
	t0 := now()
	if err := e.store.Timers(func(t statestore.Timer) bool {
		if t.Due > t0 {
			next = t.Due
			return false
		}
		due = append(due, t)
		return true
	}); err != nil {
		return 0, err
	}
	st := e.store.Reader()
	for _, t := range due {
		waiting, err := projector.TimerPending(st, t.Workflow, t.Task, t.Name)
		if err != nil {
			return 0, err
		}
		if waiting {
			err := e.append(ctx, events.Event{
				ID: events.TimerFiredID(t.Task, t.Name), Workflow: t.Workflow, Task: t.Task,
				Producer: "timer", Body: &events.TimerFired{Timer: t.Name},
			})
			if err != nil {
				return 0, err
			}
			e.m.timersFired.Inc()
		}
		txn := e.store.Begin()
		txn.DeleteTimer(t)
		if err := txn.Commit(); err != nil {
			return 0, err
		}
	}
	return next, nil
}
