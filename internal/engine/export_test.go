package engine

import "sync/atomic"

// AbortEvery makes e abort every nth transaction it would commit, the
// first of them included.
func AbortEvery(e *Engine, n int64) {
	var ends atomic.Int64
	e.abortEnd = func() bool { return (ends.Add(1)-1)%n == 0 }
}
