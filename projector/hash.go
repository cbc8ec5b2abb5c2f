package projector

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"slices"
)

// Keys of the state records (see State for the layout).

// WorkflowKey is the key of a workflow header.
func WorkflowKey(wf string) []byte { return append([]byte("w/"), wf...) }

// CanvasKey is the key of a workflow's canvas.
func CanvasKey(wf string) []byte { return append([]byte("c/"), wf...) }

// NodeKey is the key of node i of workflow wf.
func NodeKey(wf string, i int32) []byte {
	k := make([]byte, 0, len(wf)+7)
	k = append(append(append(k, "n/"...), wf...), '/')
	return binary.BigEndian.AppendUint32(k, uint32(i))
}

// TaskKey is the key recording which workflow owns a task_id.
func TaskKey(task string) []byte { return append([]byte("t/"), task...) }

// Hasher computes the state hash: SHA-256 over every state record in key
// order, each as uvarint(len(key)) key uvarint(len(value)) value. Records
// must be added in ascending key order.
type Hasher struct {
	h   [32]byte
	sum interface {
		Write([]byte) (int, error)
		Sum([]byte) []byte
	}
	buf []byte
}

// NewHasher returns an empty Hasher.
func NewHasher() *Hasher { return &Hasher{sum: sha256.New()} }

// Add adds one record.
func (h *Hasher) Add(key, value []byte) {
	h.buf = binary.AppendUvarint(h.buf[:0], uint64(len(key)))
	h.buf = append(h.buf, key...)
	h.buf = binary.AppendUvarint(h.buf, uint64(len(value)))
	_, _ = h.sum.Write(h.buf) // a hash.Hash never fails to write
	_, _ = h.sum.Write(value)
}

// Sum returns the hash.
func (h *Hasher) Sum() [32]byte {
	copy(h.h[:], h.sum.Sum(nil))
	return h.h
}

// Hash returns the state hash of s (see Hasher). A Pebble store holding
// the same state returns the same hash.
func (s *MemState) Hash() [32]byte {
	type rec struct{ k, v []byte }
	var recs []rec
	for _, id := range s.WorkflowIDs() {
		m := s.workflows[id]
		recs = append(recs, rec{WorkflowKey(id), AppendWorkflow(nil, m.w)})
		recs = append(recs, rec{CanvasKey(id), AppendCanvas(nil, m.w.Canvas)})
		for i := range m.nodes {
			// A node never written is not a record.
			if v := AppendNode(nil, &m.nodes[i]); !bytes.Equal(v, zeroNode) {
				recs = append(recs, rec{NodeKey(id, int32(i)), v})
			}
		}
	}
	for task, wf := range s.tasks {
		recs = append(recs, rec{TaskKey(task), []byte(wf)})
	}
	slices.SortFunc(recs, func(a, b rec) int { return bytes.Compare(a.k, b.k) })
	h := NewHasher()
	for _, r := range recs {
		h.Add(r.k, r.v)
	}
	return h.Sum()
}

var zeroNode = AppendNode(nil, &Node{})
