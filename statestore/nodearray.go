package statestore

import "github.com/fugue-run/fugue/projector"

// nodeArray holds the nodes of one workflow by index, all zero at first.
// It makes them a chunk at a time, as they are first handed out: a group
// dispatches its plain task members without writing them (projector's
// implied nodes), so a chord of 100,000 tasks starts with a handful of
// nodes written, and its array with as many chunks, until its members
// finish. A node's address never changes.
type nodeArray struct {
	n      int
	chunks []*nodeChunk
}

const nodeChunkSize = 128

type nodeChunk [nodeChunkSize]projector.Node

func newNodeArray(n int) *nodeArray {
	return &nodeArray{n: n, chunks: make([]*nodeChunk, (n+nodeChunkSize-1)/nodeChunkSize)}
}

// at returns node i, making its chunk if need be.
func (a *nodeArray) at(i int32) *projector.Node {
	c := a.chunks[i/nodeChunkSize]
	if c == nil {
		c = new(nodeChunk)
		a.chunks[i/nodeChunkSize] = c
	}
	return &c[i%nodeChunkSize]
}

// peek returns node i, nil when its chunk was never made (it is zero).
func (a *nodeArray) peek(i int32) *projector.Node {
	c := a.chunks[i/nodeChunkSize]
	if c == nil {
		return nil
	}
	return &c[i%nodeChunkSize]
}

// has reports whether i is an index of the array.
func (a *nodeArray) has(i int32) bool { return i >= 0 && int(i) < a.n }
