package events

import "strconv"

// Event ids are deterministic: the same fact produced twice (a redelivered
// task run, a retried transaction, a replay) gets the same id, so that a
// consumer can recognise it. Each helper below names one fact.

// SubmittedID is the id of the WorkflowSubmitted event of workflow wf.
func SubmittedID(wf string) string { return wf + ":submitted" }

// RejectedID is the id of the WorkflowRejected event of workflow wf.
func RejectedID(wf string) string { return wf + ":rejected" }

// CompletedID is the id of the WorkflowCompleted event of workflow wf.
func CompletedID(wf string) string { return wf + ":completed" }

// RevokeID is the id of a RevokeRequested event for a workflow or a task.
func RevokeID(target string) string { return target + ":revoke" }

// DispatchedID is the id of the TaskDispatched event of one attempt.
func DispatchedID(task string, attempt int32) string { return attemptID(task, ":dispatched:", attempt) }

// StartedID is the id of the TaskStarted event of one attempt.
func StartedID(task string, attempt int32) string { return attemptID(task, ":started:", attempt) }

// SucceededID is the id of the TaskSucceeded event of one attempt.
func SucceededID(task string, attempt int32) string { return attemptID(task, ":succeeded:", attempt) }

// FailedID is the id of the TaskFailed event of one attempt.
func FailedID(task string, attempt int32) string { return attemptID(task, ":failed:", attempt) }

// RetryingID is the id of the TaskRetrying event of one attempt.
func RetryingID(task string, attempt int32) string { return attemptID(task, ":retrying:", attempt) }

// ProgressID is the id of the seq-th TaskProgress event of one attempt.
func ProgressID(task string, attempt, seq int32) string {
	return attemptID(task, ":progress:", attempt) + "." + strconv.Itoa(int(seq))
}

// RevokedID is the id of the TaskRevoked event of a task; reason is
// "revoked" or "expired".
func RevokedID(task, reason string) string { return task + ":" + reason }

// LinkFiredID is the id of the LinkFired event of callback node n.
func LinkFiredID(wf string, node int32) string { return attemptID(wf, ":link:", node) }

// ChordCounterID is the id of the ChordCounterIncremented event for header
// member index of chord.
func ChordCounterID(chord string, index int32) string { return attemptID(chord, ":counter:", index) }

// ChordCompletedID is the id of the ChordCompleted event of chord.
func ChordCompletedID(chord string) string { return chord + ":chord-completed" }

// TimerScheduledID is the id of the TimerScheduled event of a timer.
func TimerScheduledID(task, timer string) string { return task + ":timer:" + timer }

// TimerFiredID is the id of the TimerFired event of a timer.
func TimerFiredID(task, timer string) string { return task + ":fired:" + timer }

func attemptID(prefix, kind string, n int32) string {
	b := make([]byte, 0, len(prefix)+len(kind)+4)
	b = append(b, prefix...)
	b = append(b, kind...)
	b = strconv.AppendInt(b, int64(n), 10)
	return string(b)
}
