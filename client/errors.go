package client

import (
	"errors"
	"fmt"
)

// ErrTimeout is returned when a wait ran out before the workflow (or the
// group's members) finished.
var ErrTimeout = errors.New("client: timed out waiting for the result")

// TaskFailedError is a workflow (or a member of a group) that failed or
// was revoked: Celery's exception, re-raised by Get and Join.
type TaskFailedError struct {
	// State is FAILURE or REVOKED.
	State string
	// Type and Message are the exception's ("ChordError", "Dependency …
	// raised …"); Type is TaskRevokedError for a revoke without one.
	Type    string
	Message string
	// TaskID is the task that failed.
	TaskID string
}

// Error returns "<Type>: <Message>" and the task's id.
func (e *TaskFailedError) Error() string {
	msg := e.Type
	if e.Message != "" {
		msg += ": " + e.Message
	}
	verb := "failed"
	if e.State == "REVOKED" {
		verb = "was revoked"
	}
	return fmt.Sprintf("client: task %s %s: %s", e.TaskID, verb, msg)
}

// failedError builds a *TaskFailedError from a failure (nil: none given).
func failedError(state string, f *Failure, id string) *TaskFailedError {
	e := &TaskFailedError{State: state, TaskID: id}
	if f != nil {
		e.Type, e.Message = f.Type, f.Message
		if f.TaskID != "" {
			e.TaskID = f.TaskID
		}
	}
	if e.Type == "" {
		e.Type = "TaskRevokedError"
		if state != "REVOKED" {
			e.Type = "Error"
		}
	}
	return e
}
