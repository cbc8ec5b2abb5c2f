package apitest

import (
	"context"
	"errors"
	"sync"

	"github.com/fugue-run/fugue/worker"
)

// Gate is a task that blocks until the test releases it. While it blocks,
// the backend's state shows the workflow running, and what the API appends
// meanwhile (a revoke) reaches the log before the task's own outcome.
type Gate struct {
	b       *Backend
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

// Gate registers task name as a gate and returns it. The task returns its
// first argument (nil without one). Call it before the first submission.
func (b *Backend) Gate(name string) *Gate {
	g := &Gate{b: b, entered: make(chan struct{}, 64), release: make(chan struct{})}
	b.h.Registry().Register(name, g.run)
	return g
}

// Entered is sent a value each time a run of the gate starts blocking.
func (g *Gate) Entered() <-chan struct{} { return g.entered }

// Release lets every run of the gate, now and later, return.
func (g *Gate) Release() { g.once.Do(func() { close(g.release) }) }

// run is the task. It runs while the runner goroutine waits for it, so it
// may use the harness: it publishes the state, and appends what arrives
// while it blocks.
func (g *Gate) run(_ context.Context, req *worker.Request) (any, error) {
	g.b.publish(true)
	g.entered <- struct{}{}
	for {
		select {
		case <-g.release:
			var out any
			if len(req.Args) > 0 {
				out = req.Args[0]
			}
			return out, nil
		case <-g.b.kick:
			g.b.apply() // folded by the run under way, after this task
		case <-g.b.closing:
			return nil, errors.New("apitest: backend closed")
		}
	}
}
