package events

import (
	"fmt"
	"reflect"
)

// Branches of the Event.body union, in the order of schemas/v3/event.avsc.
// The numbers are on the wire: never reorder them; new bodies go last.
const (
	bodyWorkflowSubmitted = iota
	bodyWorkflowRejected
	bodyWorkflowCompleted
	bodyTaskDispatched
	bodyTaskStarted
	bodyTaskSucceeded
	bodyTaskFailed
	bodyTaskRetrying
	bodyTaskProgress
	bodyTaskRevoked
	bodyRevokeRequested
	bodyLinkFired
	bodyChordCounterIncremented
	bodyChordCompleted
	bodyTimerScheduled
	bodyTimerFired
	numBodies
)

// bodyName is the Avro record name of a body (without namespace), "" for
// nil and types of no known body.
func bodyName(b Body) string {
	switch b.(type) {
	case *WorkflowSubmitted:
		return "WorkflowSubmitted"
	case *WorkflowRejected:
		return "WorkflowRejected"
	case *WorkflowCompleted:
		return "WorkflowCompleted"
	case *TaskDispatched:
		return "TaskDispatched"
	case *TaskStarted:
		return "TaskStarted"
	case *TaskSucceeded:
		return "TaskSucceeded"
	case *TaskFailed:
		return "TaskFailed"
	case *TaskRetrying:
		return "TaskRetrying"
	case *TaskProgress:
		return "TaskProgress"
	case *TaskRevoked:
		return "TaskRevoked"
	case *RevokeRequested:
		return "RevokeRequested"
	case *LinkFired:
		return "LinkFired"
	case *ChordCounterIncremented:
		return "ChordCounterIncremented"
	case *ChordCompleted:
		return "ChordCompleted"
	case *TimerScheduled:
		return "TimerScheduled"
	case *TimerFired:
		return "TimerFired"
	}
	return ""
}

// body appends the body union: branch number, then the record. Field paths
// in errors are relative to the body record.
func (e *encoder) body(body Body) {
	if body == nil || reflect.ValueOf(body).IsNil() {
		e.fail("", errNilBody)
		return
	}
	switch x := body.(type) {
	case *WorkflowSubmitted:
		e.long(bodyWorkflowSubmitted)
		e.signature(".canvas", x.Canvas)
	case *WorkflowRejected:
		e.long(bodyWorkflowRejected)
		e.str(".reason", x.Reason)
	case *WorkflowCompleted:
		e.long(bodyWorkflowCompleted)
		e.str(".state", x.State)
		e.value(".result", x.Result)
		e.optFailure(".error", x.Error)
		e.str(".error_task", x.ErrorTask)
	case *TaskDispatched:
		e.long(bodyTaskDispatched)
		e.str(".name", x.Name)
		e.list(".args", x.Args)
		e.dict(".kwargs", x.Kwargs)
		e.int(x.Attempt)
		e.str(".queue", x.Queue)
		e.str(".parent_id", x.ParentID)
		e.long(x.Expires)
		e.double(x.TimeLimit)
		e.double(x.SoftTimeLimit)
		e.int(x.MaxRetries)
		e.int(x.Priority)
		e.optFailure(".parent_failure", x.ParentFailure)
		e.boolean(x.TimeLimitFloat)
	case *TaskStarted:
		e.long(bodyTaskStarted)
		e.int(x.Attempt)
		e.str(".worker", x.Worker)
	case *TaskSucceeded:
		e.long(bodyTaskSucceeded)
		e.int(x.Attempt)
		e.value(".result", x.Result)
	case *TaskFailed:
		e.long(bodyTaskFailed)
		e.int(x.Attempt)
		e.failure(".error", &x.Error)
	case *TaskRetrying:
		e.long(bodyTaskRetrying)
		e.int(x.Attempt)
		e.double(x.Countdown)
		e.failure(".error", &x.Error)
		e.boolean(x.Explicit)
	case *TaskProgress:
		e.long(bodyTaskProgress)
		e.int(x.Attempt)
		e.int(x.Seq)
		e.str(".state", x.State)
		e.value(".meta", x.Meta)
	case *TaskRevoked:
		e.long(bodyTaskRevoked)
		e.str(".reason", x.Reason)
		e.int(x.Attempt)
	case *RevokeRequested:
		e.long(bodyRevokeRequested)
		e.boolean(x.Terminate)
	case *LinkFired:
		e.long(bodyLinkFired)
		e.str(".source", x.Source)
		e.int(x.Node)
		e.boolean(x.Errback)
	case *ChordCounterIncremented:
		e.long(bodyChordCounterIncremented)
		e.str(".chord", x.Chord)
		e.int(x.Index)
		e.int(x.Count)
		e.int(x.Size)
	case *ChordCompleted:
		e.long(bodyChordCompleted)
		e.str(".chord", x.Chord)
		e.boolean(x.Failed)
	case *TimerScheduled:
		e.long(bodyTimerScheduled)
		e.str(".timer", x.Timer)
		e.long(x.Due)
	case *TimerFired:
		e.long(bodyTimerFired)
		e.str(".timer", x.Timer)
	default:
		e.fail("", fmt.Errorf("no Avro branch for body type %T", body))
	}
}

// body reads the body union. Calls in a composite literal run left to
// right, which is the order of the record's fields.
func (r *reader) body() Body {
	start := r.pos
	branch := r.long()
	switch branch {
	case bodyWorkflowSubmitted:
		start := r.pos
		b := &WorkflowSubmitted{Canvas: r.signature()}
		if r.share && r.err == nil {
			b.CanvasAvro = r.buf[start:r.pos:r.pos]
		}
		return b
	case bodyWorkflowRejected:
		return &WorkflowRejected{Reason: r.str()}
	case bodyWorkflowCompleted:
		return &WorkflowCompleted{State: r.str(), Result: r.value(), Error: r.optFailure(), ErrorTask: r.str()}
	case bodyTaskDispatched:
		return &TaskDispatched{
			Name:           r.str(),
			Args:           r.list(),
			Kwargs:         r.dict(),
			Attempt:        r.int32(),
			Queue:          r.str(),
			ParentID:       r.str(),
			Expires:        r.long(),
			TimeLimit:      r.double(),
			SoftTimeLimit:  r.double(),
			MaxRetries:     r.int32(),
			Priority:       r.int32(),
			ParentFailure:  r.optFailure(),
			TimeLimitFloat: r.boolean(),
		}
	case bodyTaskStarted:
		return &TaskStarted{Attempt: r.int32(), Worker: r.str()}
	case bodyTaskSucceeded:
		return &TaskSucceeded{Attempt: r.int32(), Result: r.value()}
	case bodyTaskFailed:
		return &TaskFailed{Attempt: r.int32(), Error: r.failure()}
	case bodyTaskRetrying:
		return &TaskRetrying{Attempt: r.int32(), Countdown: r.double(), Error: r.failure(), Explicit: r.boolean()}
	case bodyTaskProgress:
		return &TaskProgress{Attempt: r.int32(), Seq: r.int32(), State: r.str(), Meta: r.value()}
	case bodyTaskRevoked:
		return &TaskRevoked{Reason: r.str(), Attempt: r.int32()}
	case bodyRevokeRequested:
		return &RevokeRequested{Terminate: r.boolean()}
	case bodyLinkFired:
		return &LinkFired{Source: r.str(), Node: r.int32(), Errback: r.boolean()}
	case bodyChordCounterIncremented:
		return &ChordCounterIncremented{Chord: r.str(), Index: r.int32(), Count: r.int32(), Size: r.int32()}
	case bodyChordCompleted:
		return &ChordCompleted{Chord: r.str(), Failed: r.boolean()}
	case bodyTimerScheduled:
		return &TimerScheduled{Timer: r.str(), Due: r.long()}
	case bodyTimerFired:
		return &TimerFired{Timer: r.str()}
	}
	if r.err == nil {
		r.fail(start, &UnknownBodyError{Index: branch})
	}
	return nil
}
