package engine

import "sync/atomic"

// AbortEvery makes e abort every nth transaction it would commit.
func AbortEvery(e *Engine, n int64) {
	var ends atomic.Int64
	e.abortEnd = func() bool { return ends.Add(1)%n == 0 }
}
