package apitest

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fugue-run/fugue/internal/api"
	"github.com/fugue-run/fugue/internal/harness"
	"github.com/fugue-run/fugue/projector"
	"github.com/fugue-run/fugue/value"
	"github.com/fugue-run/fugue/worker"
)

// Backend is an api.Backend over a harness. Submit and Revoke append to an
// inbox and return at once (Kafka acknowledged); a runner goroutine folds
// and runs everything and then publishes a snapshot of the state, which
// State returns and which Changed announces.
type Backend struct {
	h *harness.Harness // owned by the runner goroutine (and the gates it runs)

	mu        sync.Mutex
	inbox     []func(*harness.Harness)
	running   bool
	changed   chan struct{}
	runErr    error
	submitErr error
	submits   int

	kick    chan struct{}
	closing chan struct{}
	stopped chan struct{}
	snap    atomic.Pointer[Snapshot]
}

var _ api.Backend = (*Backend)(nil)

// NewBackend returns a running Backend with the demo tasks. Register extra
// tasks (Gate, Registry) before the first submission. It is closed when
// the test ends, and the test fails if the fold returned an error.
func NewBackend(t testing.TB) *Backend {
	b := &Backend{
		h:       harness.New(projector.Config{}, harness.Chaos{}),
		changed: make(chan struct{}),
		kick:    make(chan struct{}, 1),
		closing: make(chan struct{}),
		stopped: make(chan struct{}),
	}
	b.snap.Store(emptySnapshot())
	go b.run()
	t.Cleanup(func() {
		b.Close()
		if err := b.Err(); err != nil {
			t.Errorf("apitest: %v", err)
		}
	})
	return b
}

// Registry is the worker's registry, to add tasks before the first
// submission.
func (b *Backend) Registry() *worker.Registry { return b.h.Registry() }

// Submit implements api.Backend.
func (b *Backend) Submit(_ context.Context, id string, canvas map[string]any) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.submitErr != nil {
		return b.submitErr
	}
	b.submits++
	// The harness folds the canvas as it is, where the engine would
	// encode it: its *value.Lazy members are decoded first.
	if _, err := value.Materialize(canvas); err != nil {
		return err
	}
	b.enqueueLocked(func(h *harness.Harness) { h.Submit(id, canvas) })
	return nil
}

// Revoke implements api.Backend.
func (b *Backend) Revoke(_ context.Context, workflow, task string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.submitErr != nil {
		return b.submitErr
	}
	b.enqueueLocked(func(h *harness.Harness) { h.Revoke(workflow, task) })
	return nil
}

// State implements api.Backend: the last published snapshot.
func (b *Backend) State() projector.State { return b.snap.Load() }

// Changed implements api.Backend.
func (b *Backend) Changed() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.changed
}

// FailAppends makes Submit and Revoke fail with err (nil: succeed again).
func (b *Backend) FailAppends(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.submitErr = err
}

// Submits counts the submissions the backend accepted.
func (b *Backend) Submits() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.submits
}

// Err returns the first error the fold returned.
func (b *Backend) Err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.runErr
}

// Settle waits until everything appended so far was folded and run, and
// the result published.
func (b *Backend) Settle(ctx context.Context) error {
	for {
		b.mu.Lock()
		idle, ch := len(b.inbox) == 0 && !b.running, b.changed
		b.mu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close stops the runner, releasing every gate first.
func (b *Backend) Close() {
	select {
	case <-b.closing:
	default:
		close(b.closing)
	}
	<-b.stopped
}

func (b *Backend) enqueueLocked(f func(*harness.Harness)) {
	b.inbox = append(b.inbox, f)
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// take empties the inbox; the runner is busy from then until it publishes.
func (b *Backend) take() []func(*harness.Harness) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fs := b.inbox
	b.inbox = nil
	if len(fs) > 0 {
		b.running = true
	}
	return fs
}

// apply hands what was appended to the harness. It runs on the runner
// goroutine, or on a gate's while the runner waits for it.
func (b *Backend) apply() bool {
	fs := b.take()
	for _, f := range fs {
		f(b.h)
	}
	return len(fs) > 0
}

func (b *Backend) run() {
	defer close(b.stopped)
	for {
		select {
		case <-b.kick:
		case <-b.closing:
			return
		}
		for b.apply() {
			// Tasks run with a context that is never cancelled: a gate
			// returns on Close, and nothing else blocks.
			err := b.h.Run(context.Background())
			b.publish(false)
			if err != nil {
				b.mu.Lock()
				b.runErr = errors.Join(b.runErr, err)
				b.mu.Unlock()
			}
		}
	}
}

// publish stores a snapshot of the harness state and announces it. busy
// says whether the runner is still at work (a gate publishes mid-run).
func (b *Backend) publish(busy bool) {
	b.snap.Store(snapshotOf(b.h.State))
	b.mu.Lock()
	defer b.mu.Unlock()
	b.running = busy || len(b.inbox) > 0
	close(b.changed)
	b.changed = make(chan struct{})
}

// NewServer serves api.NewHandler(b, cfg) with httptest; it is closed
// when the test ends.
func NewServer(t testing.TB, cfg api.Config) (*Backend, *httptest.Server) {
	b := NewBackend(t)
	srv := httptest.NewServer(api.NewHandler(b, cfg))
	t.Cleanup(srv.Close)
	return b, srv
}
