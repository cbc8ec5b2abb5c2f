package events

import (
	"bytes"
	"encoding/binary"
	"slices"
	"sync"

	"github.com/fugue-run/fugue/value"
)

// appendLazy appends a canvas member from value.DecodeCanvasJSON as the
// Value of the dict it decodes to, at nesting level depth, straight from
// its JSON text (value.Lazy.Emit): the bytes appendValue would append for
// the decoded dict, without making it. A member that may nest past
// MaxDepth is decoded, for appendValue's error and path, and so is one that
// is not JSON text (its strings are checked then).
func appendLazy(b []byte, l *value.Lazy, depth int) ([]byte, error) {
	if depth+l.Depth() > MaxDepth || !l.JSON() {
		m, err := l.Decode()
		if err != nil {
			return b, err
		}
		return appendDict(appendLong(b, valueMap), m, depth+1)
	}
	s := lazySinks.Get().(*lazySink)
	s.b = b
	err := l.Emit(s)
	b = s.b
	s.b, s.open, s.keys = nil, s.open[:0], s.keys[:0]
	lazySinks.Put(s)
	return b, err
}

var lazySinks = sync.Pool{New: func() any { return new(lazySink) }}

// lazySink appends Values as value.Lazy.Emit gives them. A list or dict
// is written as its elements come, and its count put in front at its end;
// a dict's entries are then sorted by key, the last of a repeated key
// kept, as appendDict writes a map.
type lazySink struct {
	b    []byte
	open []frame // the lists and dicts being written
	keys []entry // the entries of the open dicts
	tmp  []byte
}

type frame struct {
	start int // where its elements start in b
	keys  int // where its entries start in keys
}

// entry is a dict entry in b: its key (as appendString wrote it) from
// start, its key's bytes at key.
type entry struct{ start, keyAt, keyEnd int }

func (s *lazySink) Null()           { s.b = appendLong(s.b, valueNull) }
func (s *lazySink) Bool(v bool)     { s.b = appendBool(appendLong(s.b, valueBoolean), v) }
func (s *lazySink) Int(v int64)     { s.b = appendLong(appendLong(s.b, valueLong), v) }
func (s *lazySink) Float(v float64) { s.b = appendDouble(appendLong(s.b, valueDouble), v) }
func (s *lazySink) String(v []byte) {
	s.b = append(appendLong(appendLong(s.b, valueString), int64(len(v))), v...)
}

func (s *lazySink) BeginList() {
	s.b = appendLong(s.b, valueArray)
	s.open = append(s.open, frame{start: len(s.b)})
}

func (s *lazySink) EndList(n int) {
	f := s.open[len(s.open)-1]
	s.open = s.open[:len(s.open)-1]
	s.count(f.start, n)
	s.b = append(s.b, 0)
}

func (s *lazySink) BeginDict() {
	s.b = appendLong(s.b, valueMap)
	s.open = append(s.open, frame{start: len(s.b), keys: len(s.keys)})
}

func (s *lazySink) Key(k []byte) {
	start := len(s.b)
	s.b = appendLong(s.b, int64(len(k)))
	s.keys = append(s.keys, entry{start: start, keyAt: len(s.b), keyEnd: len(s.b) + len(k)})
	s.b = append(s.b, k...)
}

func (s *lazySink) EndDict(int) {
	f := s.open[len(s.open)-1]
	s.open = s.open[:len(s.open)-1]
	es := s.keys[f.keys:]
	s.keys = s.keys[:f.keys]
	key := func(e entry) []byte { return s.b[e.keyAt:e.keyEnd] }
	sorted := true
	for i := 1; i < len(es); i++ {
		if bytes.Compare(key(es[i-1]), key(es[i])) >= 0 {
			sorted = false
			break
		}
	}
	n := len(es)
	if !sorted {
		// Entries end where the next begins; the last where b does.
		ends := make([]int, len(es))
		for i := range es {
			ends[i] = len(s.b)
			if i+1 < len(es) {
				ends[i] = es[i+1].start
			}
		}
		order := make([]int, len(es))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(x, y int) int { return bytes.Compare(key(es[x]), key(es[y])) })
		s.tmp = append(s.tmp[:0], s.b[f.start:]...)
		s.b = s.b[:f.start] // rewritten from tmp: keys are read there
		tkey := func(e entry) []byte { return s.tmp[e.keyAt-f.start : e.keyEnd-f.start] }
		n = 0
		for i, o := range order {
			if i+1 < len(order) && bytes.Equal(tkey(es[o]), tkey(es[order[i+1]])) {
				continue // a repeated key: the last written is kept
			}
			s.b = append(s.b, s.tmp[es[o].start-f.start:ends[o]-f.start]...)
			n++
		}
	}
	s.count(f.start, n)
	s.b = append(s.b, 0)
}

// count puts the count n of the elements written from start in front of
// them, as appendList and appendDict do (nothing for none).
func (s *lazySink) count(start, n int) {
	if n == 0 {
		return
	}
	var buf [binary.MaxVarintLen64]byte
	c := appendLong(buf[:0], int64(n))
	s.b = slices.Insert(s.b, start, c...)
}
