package statestore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Key prefixes (projector/state.go has the layout of the state records).
const (
	prefixCanvas   = "c/"
	prefixChild    = "k/"
	prefixMeta     = "m/"
	prefixNode     = "n/"
	prefixApplied  = "o/"
	prefixTimer    = "r/"
	prefixTask     = "t/"
	prefixWorkflow = "w/"
)

// keyVersion holds the store format version.
var keyVersion = []byte(prefixMeta + "version")

// formatVersion is the store format this package writes and reads.
// Version 2 stores may leave the nodes of a started group's members
// unwritten (projector's implied nodes); a build that reads only version
// 1, where every started node has a record, would read them as never
// started, and must refuse the store instead. Version 3 stores may hold
// a canvas as the Signature record its event carried, which a build that
// reads only version 2 would refuse at the first plan it compiled.
const formatVersion = "3"

// formatsUpgraded are the older formats this package reads: a version 2
// store is a version 3 store whose canvases were all encoded by the
// projector, and a version 1 store is a version 2 store whose groups all
// wrote their members. Open marks either version 3 before anything is
// written to it.
var formatsUpgraded = []string{"1", "2"}

// keyChildIndex marks a store whose child index (k/) is complete: one
// created by a build that writes it. A store created before has no
// marker, and its readers find a task's children by scanning its
// workflow's nodes instead (Reader.Children).
var keyChildIndex = []byte(prefixMeta + "child-index")

// appendChildKey appends k/<wf>/<parent u32 BE><child u32 BE>: node child
// of workflow wf was started by the outcome of node parent.
func appendChildKey(b []byte, wf string, parent, child int32) []byte {
	b = appendChildPrefix(b, wf, parent)
	return binary.BigEndian.AppendUint32(b, uint32(child))
}

// appendChildPrefix appends k/<wf>/<parent u32 BE>, the prefix of the
// child keys of node parent.
func appendChildPrefix(b []byte, wf string, parent int32) []byte {
	b = append(append(append(b, prefixChild...), wf...), '/')
	return binary.BigEndian.AppendUint32(b, uint32(parent))
}

// prefixEnd returns the smallest key after every key starting with p,
// nil when there is none (p is all 0xff): the upper bound of a prefix
// scan. A prefix may end in binary, as the child keys' do.
func prefixEnd(p []byte) []byte {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] != 0xff {
			b := append([]byte(nil), p[:i+1]...)
			b[i]++
			return b
		}
	}
	return nil
}

func appendWorkflowKey(b []byte, wf string) []byte {
	return append(append(b, prefixWorkflow...), wf...)
}

func appendCanvasKey(b []byte, wf string) []byte {
	return append(append(b, prefixCanvas...), wf...)
}

// appendNodeKey appends n/<wf>/<i u32 BE>, as projector.NodeKey.
func appendNodeKey(b []byte, wf string, i int32) []byte {
	b = append(append(append(b, prefixNode...), wf...), '/')
	return binary.BigEndian.AppendUint32(b, uint32(i))
}

func appendTaskKey(b []byte, task string) []byte {
	return append(append(b, prefixTask...), task...)
}

// appendAppliedKey appends o/<topic>/<partition u32 BE>.
func appendAppliedKey(b []byte, topic string, partition int32) []byte {
	b = append(append(append(b, prefixApplied...), topic...), '/')
	return binary.BigEndian.AppendUint32(b, uint32(partition))
}

// Timer is a pending timer (a countdown, an eta, a retry backoff, an
// expiry) of a task: the engine's timer service fires it as TimerFired
// once Due has passed. Timers are kept in due order.
type Timer struct {
	// Due is when the timer fires, in µs since the Unix epoch. A time
	// before the epoch is kept as the epoch: it is due at once all the
	// same, and the key orders timers by an unsigned due time.
	Due int64
	// Workflow and Task say whose timer it is; they contain no NUL byte.
	Workflow, Task string
	// Name is the timer's name (TimerScheduled.Timer).
	Name string
}

var errTimerKey = errors.New("statestore: malformed timer key")

// appendTimerKey appends r/<due u64 BE>/<wf>\x00<task>\x00<name>.
func appendTimerKey(b []byte, t Timer) ([]byte, error) {
	if strings.IndexByte(t.Workflow, 0) >= 0 || strings.IndexByte(t.Task, 0) >= 0 {
		return b, fmt.Errorf("statestore: timer %q/%q: a NUL byte in a workflow or task id", t.Workflow, t.Task)
	}
	b = binary.BigEndian.AppendUint64(append(b, prefixTimer...), uint64(max(t.Due, 0)))
	b = append(append(append(append(append(b, '/'), t.Workflow...), 0), t.Task...), 0)
	return append(b, t.Name...), nil
}

func parseTimerKey(k []byte) (Timer, error) {
	const head = len(prefixTimer) + 8 + 1
	if len(k) < head || k[head-1] != '/' {
		return Timer{}, errTimerKey
	}
	t := Timer{Due: int64(binary.BigEndian.Uint64(k[len(prefixTimer):]))}
	rest := k[head:]
	i := bytes.IndexByte(rest, 0)
	if i < 0 {
		return Timer{}, errTimerKey
	}
	t.Workflow, rest = string(rest[:i]), rest[i+1:]
	if i = bytes.IndexByte(rest, 0); i < 0 {
		return Timer{}, errTimerKey
	}
	t.Task, t.Name = string(rest[:i]), string(rest[i+1:])
	return t, nil
}
