package statestore

import (
	"sync"

	"github.com/fugue-run/fugue/projector"
)

// nodeCache keeps the committed nodes of workflows across transactions, so
// that a Txn's first touch of a node is a copy instead of a Pebble read and
// a decode. Safe for concurrent use.
//
// It holds only workflows whose submission a Txn of this Store committed:
// every node of such a workflow went through this cache's commit, so a
// node it holds as zero is a node never written (no record), and a cached
// workflow answers every node without Pebble. A workflow is cached whole
// or not at all; a completed one is dropped (Fold reads no node of it).
//
// A cached Node is a shallow copy of what was committed: like the plan
// cache, it relies on Fold replacing a node's values (Args, Result, Err,
// ...) rather than changing them in place, so a copy handed to a Txn
// shares nothing a Txn changes.
type nodeCache struct {
	mu  sync.Mutex
	max int // nodes, summed over the cached workflows
	n   int
	wfs map[string]*nodeArray
}

func newNodeCache(max int) *nodeCache {
	return &nodeCache{max: max, wfs: map[string]*nodeArray{}}
}

// get copies node i of workflow wf into n; false when the workflow is not
// cached (n is left alone).
func (c *nodeCache) get(wf string, i int32, n *projector.Node) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	nodes, ok := c.wfs[wf]
	if !ok || !nodes.has(i) {
		return false
	}
	if p := nodes.peek(i); p != nil {
		*n = *p
	} else {
		*n = projector.Node{}
	}
	return true
}

// commit brings the cache up to a committed Txn's changes.
func (c *nodeCache) commit(st *txnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range st.dirtyW {
		switch {
		case e.w.Completed:
			c.drop(e.id)
		case e.fresh && e.w.Plan != nil && e.w.Plan.Len() <= c.max:
			c.drop(e.id) // cannot be there; keeps the count exact regardless
			for c.n+e.w.Plan.Len() > c.max {
				c.evict()
			}
			// The Txn's array of a fresh workflow's nodes is what was
			// committed; the Txn is over, so the cache takes it whole.
			nodes := newNodeArray(e.w.Plan.Len())
			if e.all != nil {
				nodes = e.all.nodes
			}
			c.wfs[e.id] = nodes
			c.n += nodes.n
		}
	}
	for _, ne := range st.dirtyN {
		if ne.ref.e.all != nil {
			continue // in its fresh workflow's array, taken above
		}
		if nodes, ok := c.wfs[ne.ref.e.id]; ok && nodes.has(ne.ref.i) {
			*nodes.at(ne.ref.i) = ne.n
		}
	}
}

func (c *nodeCache) drop(wf string) {
	if nodes, ok := c.wfs[wf]; ok {
		c.n -= nodes.n
		delete(c.wfs, wf)
	}
}

// evict drops some cached workflow. Which one does not matter for
// correctness (a dropped workflow's nodes are read from Pebble again), so
// it is whichever the map yields first.
func (c *nodeCache) evict() {
	for wf := range c.wfs {
		c.drop(wf)
		return
	}
}
