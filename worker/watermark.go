package worker

import "sort"

// watermark tracks, for one partition, the offsets handed out for
// processing and which of them are finished, so that only the offset below
// which everything is finished gets committed: with several tasks of a
// partition in flight, a fast task on a high offset must not commit past
// a slow one on a lower offset.
//
// Offsets are added in increasing order (gaps are fine: compacted records
// and transaction markers never show up). The zero value is empty. Not
// safe for concurrent use.
type watermark struct {
	// pending holds the added offsets not yet retired, in order; retired
	// entries are cut off the front.
	pending []mark
	// next is one past the highest offset retired: the offset to commit.
	// epoch is the leader epoch of the record at next-1. ok says that
	// anything was retired.
	next  int64
	epoch int32
	ok    bool
	// last is the highest offset added, once started.
	last    int64
	started bool
}

type mark struct {
	offset int64
	epoch  int32
	done   bool
}

// Add records that offset, from a record of leader epoch epoch, is handed
// out. It reports false, and records nothing, when offset is not above
// every offset added before.
func (w *watermark) Add(offset int64, epoch int32) bool {
	if w.started && offset <= w.last {
		return false
	}
	w.started, w.last = true, offset
	w.pending = append(w.pending, mark{offset: offset, epoch: epoch})
	return true
}

// Done marks offset finished and retires every finished offset at the
// front. It reports false when offset is not pending (never added, or
// done already).
func (w *watermark) Done(offset int64) bool {
	i := sort.Search(len(w.pending), func(i int) bool { return w.pending[i].offset >= offset })
	if i == len(w.pending) || w.pending[i].offset != offset || w.pending[i].done {
		return false
	}
	w.pending[i].done = true
	n := 0
	for n < len(w.pending) && w.pending[n].done {
		n++
	}
	if n > 0 {
		m := w.pending[n-1]
		w.next, w.epoch, w.ok = m.offset+1, m.epoch, true
		// Appends reallocate once the array's tail is used up, copying
		// only what is pending: memory follows what is in flight.
		w.pending = w.pending[n:]
	}
	return true
}

// Committable returns the offset to commit, one past the last offset of
// the finished prefix, with the leader epoch of that last record. ok is
// false while nothing is finished.
func (w *watermark) Committable() (offset int64, epoch int32, ok bool) {
	return w.next, w.epoch, w.ok
}

// Pending returns how many added offsets are not retired.
func (w *watermark) Pending() int { return len(w.pending) }
