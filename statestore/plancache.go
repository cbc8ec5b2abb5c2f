package statestore

import (
	"sync"

	"github.com/fugue-run/fugue/projector"
)

// compiled is the plan compiled from a workflow's canvas. It is immutable
// once built, so transactions and readers share it. The canvas itself is
// not kept: nothing reads it back once its record is written, and its
// value tree would double the memory a large workflow holds while it runs.
type compiled struct {
	plan *projector.Plan
}

// planCache is a least-recently-used cache of compiled plans by workflow
// id, safe for concurrent use. A workflow's canvas never changes once
// committed, so an entry never goes stale.
type planCache struct {
	mu    sync.Mutex
	max   int
	items map[string]*planEntry
	// head is a sentinel of the ring of entries, most recently used first.
	head planEntry
}

type planEntry struct {
	id         string
	c          compiled
	prev, next *planEntry
}

func newPlanCache(max int) *planCache {
	p := &planCache{max: max, items: map[string]*planEntry{}}
	p.head.prev, p.head.next = &p.head, &p.head
	return p
}

func (p *planCache) unlink(e *planEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
}

func (p *planCache) pushFront(e *planEntry) {
	e.prev, e.next = &p.head, p.head.next
	e.prev.next, e.next.prev = e, e
}

// get returns the cached plan of workflow id.
func (p *planCache) get(id string) (compiled, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.items[id]
	if e == nil {
		return compiled{}, false
	}
	if p.head.next != e {
		p.unlink(e)
		p.pushFront(e)
	}
	return e.c, true
}

// add caches c for workflow id and returns what is cached: c, or the
// entry another goroutine added first (the two are equivalent, since a
// plan is derived from the immutable canvas).
func (p *planCache) add(id string, c compiled) compiled {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e := p.items[id]; e != nil {
		return e.c
	}
	var e *planEntry
	if len(p.items) >= p.max {
		// Reuse the least recently used entry.
		e = p.head.prev
		p.unlink(e)
		delete(p.items, e.id)
	} else {
		e = &planEntry{}
	}
	e.id, e.c = id, c
	p.items[id] = e
	p.pushFront(e)
	return c
}

// remove drops the plan of workflow id, if cached.
func (p *planCache) remove(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e := p.items[id]; e != nil {
		p.unlink(e)
		delete(p.items, id)
	}
}

// len returns the number of cached plans.
func (p *planCache) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.items)
}
