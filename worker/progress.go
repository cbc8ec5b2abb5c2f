package worker

import (
	"context"
	"errors"
	"fmt"
)

// Reporter receives the custom states a task reports with UpdateState, in
// the order it reports them. Meta is a value (see package value).
type Reporter interface {
	Report(state string, meta any) error
}

// ReporterFunc adapts a function to Reporter.
type ReporterFunc func(state string, meta any) error

// Report calls f.
func (f ReporterFunc) Report(state string, meta any) error { return f(state, meta) }

// ErrNoReporter is returned by UpdateState when ctx carries no Reporter:
// the task is not running under Execute (or WithReporter).
var ErrNoReporter = errors.New("worker: no reporter in context")

type reporterKey struct{}

// WithReporter returns a context whose UpdateState calls reach rep. Execute
// does this; a test that calls a task function directly can too.
func WithReporter(ctx context.Context, rep Reporter) context.Context {
	return context.WithValue(ctx, reporterKey{}, rep)
}

// UpdateState reports a custom state, such as PROGRESS, with its metadata
// (Celery's self.update_state). meta must be a value; common Go types (int,
// []string, ...) are converted. The states the engine itself uses
// (PENDING, STARTED, RETRY, SUCCESS, FAILURE, REVOKED) are refused: a task
// ends in those by returning.
func UpdateState(ctx context.Context, state string, meta any) error {
	rep, _ := ctx.Value(reporterKey{}).(Reporter)
	if rep == nil {
		return ErrNoReporter
	}
	switch state {
	case "":
		return errors.New("worker: UpdateState: empty state")
	case "PENDING", "STARTED", "RETRY", "SUCCESS", "FAILURE", "REVOKED":
		return fmt.Errorf("worker: UpdateState: state %s is reserved", state)
	}
	m, err := normalize(meta)
	if err != nil {
		return fmt.Errorf("worker: UpdateState: meta is not a value: %w", err)
	}
	return rep.Report(state, m)
}
