package client

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/fugue-run/fugue/canvas"
)

// AsyncResult is a handle on one workflow, as Celery's AsyncResult is on
// a task.
type AsyncResult struct {
	// ID is the workflow id: the root's task_id when the canvas gave one.
	ID string

	c    *Client
	sig  *canvas.Signature // the canvas, when known
	wire []byte            // or its JSON
	// submitted is set on a handle from Submit: the workflow exists even
	// while the server has not folded it yet (404 reads as PENDING).
	submitted bool
}

// Submit submits a canvas and returns its result handle once the server
// accepted it. A canvas the server refuses is an error matching
// ErrRefused, whose *StatusError says where and what is wrong.
func (c *Client) Submit(ctx context.Context, sig *canvas.Signature) (*AsyncResult, error) {
	data, err := sig.MarshalJSON()
	if err != nil {
		return nil, err
	}
	r, err := c.submit(ctx, data)
	if err != nil {
		return nil, err
	}
	r.sig = sig.Clone()
	return r, nil
}

// SubmitJSON submits a canvas in its JSON wire form (spec/canvas-json.md),
// as Submit does.
func (c *Client) SubmitJSON(ctx context.Context, data []byte) (*AsyncResult, error) {
	r, err := c.submit(ctx, data)
	if err != nil {
		return nil, err
	}
	r.wire = bytes.Clone(data)
	return r, nil
}

func (c *Client) submit(ctx context.Context, data []byte) (*AsyncResult, error) {
	rep, err := c.do(ctx, http.MethodPost, "/v1/workflows", nil, data, http.StatusCreated)
	if err != nil {
		return nil, err
	}
	id, err := decodeID(rep.body)
	if err != nil {
		return nil, err
	}
	return &AsyncResult{ID: id, c: c, submitted: true}, nil
}

// Result returns a handle on workflow id. sig, its canvas, may be nil; it
// is needed only for Group.
func (c *Client) Result(id string, sig *canvas.Signature) *AsyncResult {
	return &AsyncResult{ID: id, c: c, sig: sig}
}

// Workflow reads the workflow now. A workflow this handle submitted that
// the engine has not taken in yet reads as PENDING with no tasks, as
// Celery shows a task it knows nothing of yet; for other handles an
// unknown id is an error matching ErrNotFound.
func (r *AsyncResult) Workflow(ctx context.Context) (*Workflow, error) {
	return r.read(ctx, 0, true)
}

// read reads the workflow, with its tasks or (tasks false) its header
// alone, as State, Ready, Successful, Failed and Get need.
func (r *AsyncResult) read(ctx context.Context, wait time.Duration, tasks bool) (*Workflow, error) {
	w, err := r.c.workflow(ctx, r.ID, wait, tasks)
	if r.submitted && errors.Is(err, ErrNotFound) {
		w = &Workflow{ID: r.ID, State: "PENDING"}
		if tasks {
			w.Tasks = []*Task{}
		}
		return w, nil
	}
	return w, err
}

// State returns the workflow's state (PENDING, STARTED, SUCCESS, FAILURE,
// REVOKED).
func (r *AsyncResult) State(ctx context.Context) (string, error) {
	w, err := r.read(ctx, 0, false)
	if err != nil {
		return "", err
	}
	return w.State, nil
}

// Ready reports whether the workflow is final: its canvas and every
// callback and errback it fired have finished.
func (r *AsyncResult) Ready(ctx context.Context) (bool, error) {
	w, err := r.read(ctx, 0, false)
	if err != nil {
		return false, err
	}
	return w.Ready, nil
}

// Successful reports whether the workflow succeeded.
func (r *AsyncResult) Successful(ctx context.Context) (bool, error) {
	w, err := r.read(ctx, 0, false)
	if err != nil {
		return false, err
	}
	return w.Successful(), nil
}

// Failed reports whether the workflow failed or was revoked.
func (r *AsyncResult) Failed(ctx context.Context) (bool, error) {
	w, err := r.read(ctx, 0, false)
	if err != nil {
		return false, err
	}
	return w.Failed(), nil
}

// Tasks returns the workflow's tasks now.
func (r *AsyncResult) Tasks(ctx context.Context) ([]*Task, error) {
	w, err := r.Workflow(ctx)
	if err != nil {
		return nil, err
	}
	return w.Tasks, nil
}

// Revoke revokes the workflow.
func (r *AsyncResult) Revoke(ctx context.Context) error { return r.c.Revoke(ctx, r.ID) }

// Wait waits until the workflow is ready, timeout passed (0: no limit but
// ctx's), or ctx ended. When the time runs out it returns the workflow as
// it last saw it along with ErrTimeout.
func (r *AsyncResult) Wait(ctx context.Context, timeout time.Duration) (*Workflow, error) {
	return r.wait(ctx, timeout, true)
}

// wait polls the workflow, with its tasks or its header alone (read),
// until it is ready, as Wait says.
func (r *AsyncResult) wait(ctx context.Context, timeout time.Duration, tasks bool) (*Workflow, error) {
	var w *Workflow
	err := poll(ctx, timeout, func(ctx context.Context, wait time.Duration) (bool, error) {
		var err error
		w, err = r.read(ctx, wait, tasks)
		return err == nil && w.Ready, err
	})
	return w, err
}

// Get waits as Wait does and returns the workflow's result, or a
// *TaskFailedError when it failed or was revoked, or ErrTimeout. It
// reads the workflow's header alone, whatever the size of its canvas.
func (r *AsyncResult) Get(ctx context.Context, timeout time.Duration) (any, error) {
	w, err := r.wait(ctx, timeout, false)
	if err != nil {
		return nil, err
	}
	if err := w.err(); err != nil {
		return nil, err
	}
	return w.Result, nil
}

// poll calls ask with the wait to ask the server for until it reports
// done, timeout passed (ErrTimeout; 0: no limit) or ctx ended. A server
// that answers before the wait it was asked for (one that does not long
// poll) is asked again only after a growing pause.
func poll(ctx context.Context, timeout time.Duration, ask func(context.Context, time.Duration) (bool, error)) error {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	pause := 50 * time.Millisecond
	for {
		wait := PollWait
		if !deadline.IsZero() {
			wait = min(wait, time.Until(deadline))
		}
		start := time.Now()
		done, err := ask(ctx, max(wait, 0))
		if err != nil || done {
			return err
		}
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			return ErrTimeout
		}
		if time.Since(start) < wait/2 {
			d := pause
			if !deadline.IsZero() {
				d = min(d, time.Until(deadline))
			}
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
			pause = min(2*pause, 2*time.Second)
		}
	}
}
