package statestore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/fugue-run/fugue/projector"
)

// Commit writes every change of the Txn in one Pebble batch, without
// fsync (see the package documentation for why that is safe), and ends
// the Txn. On error nothing is written.
func (t *Txn) Commit() error {
	st := t.st
	if st == nil {
		return ErrTxnDone
	}
	t.st = nil
	defer t.s.release(st)
	if st.err != nil {
		return st.err
	}
	var b *pebble.Batch
	if n := st.sizeHint(); n >= largeBatch {
		b = t.s.db.NewBatchWithSize(n)
	} else {
		b = t.s.db.NewBatch() // Pebble's pooled batches grow as they need
	}
	defer b.Close()
	if err := st.write(t.s.db, b, t.s.codec.CanvasHeader()); err != nil {
		return err
	}
	if b.Empty() {
		return nil
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("statestore: commit: %w", err)
	}
	if t.s.nodes != nil {
		t.s.nodes.commit(st)
	}
	// New plans are committed now: keep them for the next transactions.
	// A completed workflow folds nothing more: its plan goes, so that
	// the memory of a large canvas is given back when it is done (a
	// reader compiles it again for a view).
	for _, e := range st.dirtyW {
		switch {
		case e.w.Completed:
			t.s.plans.remove(e.id)
		case e.fresh && e.w.Plan != nil:
			t.s.plans.add(e.id, compiled{plan: e.w.Plan})
		}
	}
	return nil
}

// Discard ends the Txn without writing anything (after the Kafka
// transaction it belongs to aborted). Discarding a finished Txn does
// nothing.
func (t *Txn) Discard() {
	if st := t.st; st != nil {
		t.st = nil
		t.s.release(st)
	}
}

// largeBatch is the size hint above which Commit sizes its batch.
const largeBatch = 64 << 10

// sizeHint is about the size of the Txn's batch, so that Pebble makes its
// buffer once: a submission of 100,000 tasks writes tens of megabytes,
// which the batch would otherwise grow by doubling, copying each time. It
// is exact for the canvases, which are most of a large batch; a record
// of another kind takes at most a few hundred bytes (a node, its key and
// Pebble's framing are ~100), and an underestimate only means a doubling.
func (st *txnState) sizeHint() int {
	n := 12 + 32*len(st.applied) + 64*(len(st.tasks)+len(st.timers)) + 128*len(st.dirtyN)
	for _, e := range st.dirtyW {
		n += 256 + len(e.canvas) + len(e.canvasAvro)
		if e.all != nil {
			n += 128 * len(e.all.put)
		}
	}
	return n
}

// write puts the Txn's changes into b.
func (st *txnState) write(db *pebble.DB, b *pebble.Batch, canvasHeader []byte) error {
	for k, off := range st.applied {
		st.buf = appendAppliedKey(st.buf[:0], k.topic, k.partition)
		var prev int64
		found, err := get(db, st.buf, func(v []byte) (err error) {
			prev, err = decodeOffset(v)
			return err
		})
		if err != nil {
			return err
		}
		if found && off < prev {
			return fmt.Errorf("%w: %s/%d from %d to %d", ErrOffsetRegressed, k.topic, k.partition, prev, off)
		}
		st.val = binary.BigEndian.AppendUint64(st.val[:0], uint64(off))
		if err := b.Set(st.buf, st.val, nil); err != nil {
			return err
		}
	}
	for _, e := range st.dirtyW {
		st.buf = appendWorkflowKey(st.buf[:0], e.id)
		st.val = projector.AppendWorkflow(st.val[:0], e.w)
		if err := b.Set(st.buf, st.val, nil); err != nil {
			return err
		}
		if e.fresh {
			st.buf = appendCanvasKey(st.buf[:0], e.id)
			if e.canvasAvro != nil {
				// Written into the batch as it is made, with no record
				// of its own to copy from.
				op := b.SetDeferred(len(st.buf), len(canvasHeader)+len(e.canvasAvro))
				copy(op.Key, st.buf)
				copy(op.Value[copy(op.Value, canvasHeader):], e.canvasAvro)
				if err := op.Finish(); err != nil {
					return err
				}
				continue
			}
			v := e.canvas
			if v == nil { // put without a canvas
				st.val = projector.AppendCanvas(st.val[:0], e.w.Canvas)
				v = st.val
			}
			if err := b.Set(st.buf, v, nil); err != nil {
				return err
			}
		}
	}
	for _, ne := range st.dirtyN {
		if ne.ref.e.all != nil {
			continue // moved into its fresh workflow's array (freshNodes)
		}
		if err := st.writeNode(b, ne.ref.e, ne.ref.i, &ne.n, ne.parent); err != nil {
			return err
		}
	}
	for _, e := range st.dirtyW {
		if e.all == nil {
			continue
		}
		for _, i := range e.all.put {
			if err := st.writeNode(b, e, i, e.all.nodes.at(i), ""); err != nil {
				return err
			}
		}
	}
	for task, wf := range st.tasks {
		st.buf = appendTaskKey(st.buf[:0], task)
		st.val = append(st.val[:0], wf...)
		if err := b.Set(st.buf, st.val, nil); err != nil {
			return err
		}
	}
	for k, put := range st.timers {
		st.buf = append(st.buf[:0], k...)
		var err error
		if put {
			err = b.Set(st.buf, nil, nil)
		} else {
			err = b.Delete(st.buf, nil)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// writeNode puts node i of workflow e into b; was is its parent as the
// Txn read it.
func (st *txnState) writeNode(b *pebble.Batch, e *wfEntry, i int32, n *projector.Node, was string) error {
	st.buf = appendNodeKey(st.buf[:0], e.id, i)
	st.val = projector.AppendNode(st.val[:0], n)
	var err error
	switch {
	case !bytes.Equal(st.val, zeroNode):
		err = b.Set(st.buf, st.val, nil)
	case !e.fresh: // back to zero: no record, as in MemState
		err = b.Delete(st.buf, nil)
	}
	if err != nil {
		return err
	}
	if p := n.Parent; p != "" && p != was {
		return st.indexChild(b, e, i, p)
	}
	return nil
}

// indexChild records that node i of workflow e was started by the outcome
// of parent (k/<wf>/<parent><child>), for Reader.Children. A node that
// changes parent keeps its old record too; Children checks each record
// against the node.
func (st *txnState) indexChild(b *pebble.Batch, e *wfEntry, i int32, parent string) error {
	var (
		p  int32
		ok bool
	)
	if w := e.w; w != nil && w.Plan != nil {
		p, ok = w.Plan.Lookup(parent)
	}
	if !ok {
		return fmt.Errorf("statestore: workflow %s: node %d names parent %q, which is not in its plan", e.id, i, parent)
	}
	st.buf = appendChildKey(st.buf[:0], e.id, p, i)
	return b.Set(st.buf, nil, nil)
}

var errOffset = errors.New("statestore: malformed applied offset")

func decodeOffset(v []byte) (int64, error) {
	if len(v) != 8 {
		return 0, errOffset
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}
