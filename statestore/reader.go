package statestore

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/fugue-run/fugue/projector"
)

// Reader is a read-only projector.State over committed data, for the HTTP
// API and tools: its write methods return ErrReadOnly. It is safe for
// concurrent use, also while a Txn runs and commits; it never sees a
// Txn's uncommitted changes.
//
// Every call returns freshly decoded records: a *Workflow or *Node it
// returns belongs to the caller.
type Reader struct {
	s    *Store
	src  source
	snap *pebble.Snapshot
}

var (
	_ projector.State        = (*Reader)(nil)
	_ projector.HeaderReader = (*Reader)(nil)
	_ projector.ChildIndex   = (*Reader)(nil)
)

// Reader returns a view of the latest committed state: each call reads
// what is committed at that moment, so two calls may straddle a commit
// (use Snapshot for a consistent view of several records). It needs no
// Close.
func (s *Store) Reader() *Reader { return &Reader{s: s, src: s.db} }

// Snapshot returns a view of the state committed now, consistent across
// all its calls, however many commits follow. It pins old data in Pebble
// until Close: close it soon.
func (s *Store) Snapshot() *Reader {
	snap := s.db.NewSnapshot()
	return &Reader{s: s, src: snap, snap: snap}
}

// Close releases a snapshot; it does nothing for a view from Store.Reader.
func (r *Reader) Close() error {
	if r.snap == nil {
		return nil
	}
	snap := r.snap
	r.snap = nil
	return snap.Close()
}

// Workflow implements projector.State.
func (r *Reader) Workflow(id string) (*projector.Workflow, error) {
	w, _, err := r.s.loadWorkflow(r.src, id, nil, true)
	return w, err
}

// WorkflowHeader implements projector.HeaderReader: the workflow without
// its canvas and plan, or nil when it is unknown.
func (r *Reader) WorkflowHeader(id string) (*projector.Workflow, error) {
	w, _, err := loadHeader(r.src, id, nil)
	return w, err
}

// Node implements projector.State.
func (r *Reader) Node(w *projector.Workflow, i int32) (*projector.Node, error) {
	n := new(projector.Node)
	_, err := loadNode(r.src, w.ID, i, n, nil)
	if err != nil {
		return nil, err
	}
	return n, nil
}

// TaskOwner implements projector.State.
func (r *Reader) TaskOwner(task string) (string, error) { return taskOwner(r.src, task) }

// PutWorkflow returns ErrReadOnly.
func (r *Reader) PutWorkflow(*projector.Workflow) error { return ErrReadOnly }

// PutNode returns ErrReadOnly.
func (r *Reader) PutNode(*projector.Workflow, int32, *projector.Node) error { return ErrReadOnly }

// MadeUpClaim implements projector.State.
func (r *Reader) MadeUpClaim(wf string) (string, string, error) { return madeUpClaim(r.src, wf) }

// ClaimTask returns ErrReadOnly.
func (r *Reader) ClaimTask(string, string) error { return ErrReadOnly }

// Children implements projector.ChildIndex: the nodes of w recorded as
// started by node i's outcome, in plan order. ok is false for a store
// created before the index was kept, whose children are found by
// scanning the workflow's nodes instead.
func (r *Reader) Children(w *projector.Workflow, i int32) (nodes []int32, ok bool, err error) {
	if !r.s.childIndex {
		return nil, false, nil
	}
	prefix := appendChildPrefix(nil, w.ID, i)
	err = scan(r.src, string(prefix), func(k, _ []byte) (bool, error) {
		if len(k) == len(prefix)+4 { // not another parent's key sharing the prefix
			nodes = append(nodes, int32(binary.BigEndian.Uint32(k[len(prefix):])))
		}
		return true, nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("statestore: children of %s/%d: %w", w.ID, i, err)
	}
	return nodes, true, nil
}
