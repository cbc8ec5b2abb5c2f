package events

import (
	"errors"
	"sync"

	"github.com/fugue-run/fugue/value"
)

// lazyMin is the fewest members a list of signatures has for DecodeShared
// to leave them undecoded. A shorter list is decoded at once: reading a
// member lazily costs a check of its bytes and a decode each time it is
// read, which only a large canvas repays in memory.
const lazyMin = 64

// DecodeShared is Decode for a reader that reads a submission's canvas
// once, a member at a time, and lets it go, as the engine's Fold does with
// canvas.ParseBulk. The members of a list of signatures of lazyMin (64)
// or more — kwargs.tasks or kwargs.header of the canvas, of a member, of a
// chord's header or body, at any depth — are left as *value.Lazy: checked
// as Decode would decode them, with its errors, but decoded from b only
// when they are read (value.Lazy.Decode, value.Materialize). A chord of
// 100,000 tasks is then its record and 100,000 spans of it, not 100,000
// dicts. Every other event, and every other part of the canvas, decodes
// as Decode decodes it.
//
// Unlike Decode's, the Event shares b, which must not change while the
// Event or a value from it is used.
func (c *Codec) DecodeShared(b []byte) (*Event, error) { return c.decode(b, true) }

// place is where a Value lies in a canvas, for DecodeShared: whether a
// list there holds signatures.
type place uint8

const (
	placeOther   place = iota
	placeSig           // a dict that may be a signature
	placeKwargs        // a signature's kwargs
	placeMembers       // a signature's kwargs.tasks or kwargs.header
)

// within is the place of the value of key k in a dict at p.
func within(p place, k string) place {
	switch {
	case p == placeSig && k == keyKwargs:
		return placeKwargs
	case p == placeKwargs && (k == "tasks" || k == "header"):
		return placeMembers
	case p == placeKwargs && k == "body":
		return placeSig
	}
	return placeOther
}

// valueAt reads a Value at p.
func (r *reader) valueAt(p place) any {
	if p == placeOther {
		return r.value()
	}
	start := r.pos
	branch := r.long()
	switch {
	case branch == valueArray && p == placeMembers:
		return r.members()
	case branch == valueMap && p == placeMembers:
		return r.dictAt(placeSig) // a chord's header given as a group
	case branch == valueMap:
		return r.dictAt(p)
	}
	return r.valueOf(start, branch)
}

// dictAt reads a map<Value> at p; never nil unless the read failed. A key
// that repeats keeps its last value.
func (r *reader) dictAt(p place) map[string]any {
	if !r.enter(MaxDepth) {
		return nil
	}
	defer r.leave()
	n := r.blockCount(1 + minValue)
	m := make(map[string]any, prealloc(n))
	for n > 0 {
		for i := 0; i < n && r.err == nil; i++ {
			k := r.key()
			m[k] = r.valueAt(within(p, k))
		}
		n = r.blockCount(1 + minValue)
	}
	return m
}

// members is list for a list of signatures. Its dicts are left as
// *value.Lazy when it has lazyMin or more in its first block.
func (r *reader) members() []any {
	if !r.enter(MaxDepth) {
		return nil
	}
	defer r.leave()
	n := r.blockCount(minValue)
	var src *lazyList
	if n >= lazyMin {
		if r.rec == nil {
			r.rec = &sharedRecord{buf: r.buf}
		}
		src = &lazyList{rec: r.rec, level: r.depth + 1}
	}
	l := make([]any, 0, prealloc(n))
	for n > 0 {
		for i := 0; i < n && r.err == nil; i++ {
			l = append(l, r.member(src))
		}
		n = r.blockCount(minValue)
	}
	return l
}

// member reads a Value of a list of signatures: a dict is a *value.Lazy
// of src, or decoded at placeSig without one.
func (r *reader) member(src *lazyList) any {
	start := r.pos
	branch := r.long()
	switch {
	case branch != valueMap:
		return r.valueOf(start, branch)
	case src == nil:
		return r.dictAt(placeSig)
	}
	at := r.pos
	r.deepest = 0
	r.skipDict()
	if r.err != nil {
		return nil
	}
	return value.NewLazy(src, at, r.pos, r.deepest-r.depth)
}

// skipValue checks a Value as value reads it, with its errors, and moves
// past it without making it. r.deepest is the deepest nesting it met.
func (r *reader) skipValue() {
	start := r.pos
	switch branch := r.long(); branch {
	case valueNull:
	case valueBoolean:
		r.boolean()
	case valueLong:
		r.long()
	case valueDouble:
		r.double()
	case valueString, valueBytes:
		r.raw()
	case valueArray:
		r.skipList()
	case valueMap:
		r.skipDict()
	default:
		r.failMalformedBranch(start, "Value", branch)
	}
}

// skipList is list for skipValue.
func (r *reader) skipList() {
	if !r.enter(MaxDepth) {
		return
	}
	defer r.leave()
	r.deepest = max(r.deepest, r.depth)
	for n := r.blockCount(minValue); n > 0; n = r.blockCount(minValue) {
		for i := 0; i < n && r.err == nil; i++ {
			r.skipValue()
		}
	}
}

// skipDict is dict for skipValue.
func (r *reader) skipDict() {
	if !r.enter(MaxDepth) {
		return
	}
	defer r.leave()
	r.deepest = max(r.deepest, r.depth)
	for n := r.blockCount(1 + minValue); n > 0; n = r.blockCount(1 + minValue) {
		for i := 0; i < n && r.err == nil; i++ {
			r.raw()
			r.skipValue()
		}
	}
}

// sharedRecord is the record that the *value.Lazy members of one
// DecodeShared share. DecodeLazy locks it: a tree may be read from more
// than one goroutine.
type sharedRecord struct {
	buf     []byte
	mu      sync.Mutex
	lastStr any // the reader's, carried from one member to the next
}

// lazyList is the value.LazySource of the members of one list: its
// record, and the nesting level of its members' dicts.
type lazyList struct {
	rec   *sharedRecord
	level int
}

// errShared is DecodeLazy's error for a member that no longer decodes as
// it did: the record it shares was changed.
var errShared = errors.New("events: a lazy canvas member no longer decodes: its record changed")

// DecodeLazy decodes the dict at [start, end) of the record, as
// DecodeShared would have decoded it there.
func (s *lazyList) DecodeLazy(start, end int) (map[string]any, error) {
	rec := s.rec
	rec.mu.Lock()
	defer rec.mu.Unlock()
	// Its errors are errShared: the span was read once before without any.
	r := reader{buf: rec.buf, pos: start, depth: s.level - 1, lastStr: rec.lastStr, share: true, rec: rec}
	m := r.dictAt(placeSig)
	rec.lastStr = r.lastStr
	if r.err != nil || r.pos != end {
		return nil, errShared
	}
	return m, nil
}
