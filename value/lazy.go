package value

import (
	"errors"
	"sync"
)

// DecodeCanvasJSON is DecodeJSON for a canvas in Celery's JSON wire form,
// with the same results and errors, except that the members of its lists
// of signatures are not decoded yet: each JSON object that is an element
// of the list under "tasks" or "header" in a dict under "kwargs" is left
// as a *Lazy, at any depth. A chord of 100,000 tasks is then a dict and a
// list of 100,000 *Lazy, not 100,000 dicts; its members are decoded one
// at a time, as they are read (Lazy.Decode), and can be let go at once.
//
// The text of each *Lazy is checked as DecodeJSON checks it, so that
// Decode cannot fail and no error is found late. The tree shares data,
// which must not change while it is used.
//
// A tree that holds a *Lazy is not a value tree: Check and Normalize
// refuse it. CheckLazy checks it, and Materialize decodes every *Lazy
// in it.
func DecodeCanvasJSON(data []byte) (any, error) {
	doc := &lazyDoc{text: data}
	doc.d = fastDecoder{data: data, doc: doc}
	d := &doc.d
	d.skipSpace()
	v, ok := d.value(0, placeOther)
	if ok {
		d.skipSpace()
		ok = d.pos == len(d.data)
	}
	if !ok {
		// As DecodeJSON: encoding/json says what is wrong.
		return decodeJSONStd(data)
	}
	d.stack, d.keys, d.buf = nil, nil, nil
	return v, nil
}

// Lazy is a member of a canvas's list of signatures that has been checked
// but not yet decoded: a JSON object from DecodeCanvasJSON, or a dict of
// another encoding's record (NewLazy).
type Lazy struct {
	src        LazySource
	start, end int // its place in src
	depth      int // how deeply its arrays and objects nest, itself at 1
}

// LazySource holds the text of Lazy values: a document, and a decoder of
// what lies at a span of it, which a decoder that leaves members undecoded
// gives NewLazy. Its spans were checked when they were made, so that
// DecodeLazy fails only when the text changed since.
type LazySource interface {
	// DecodeLazy decodes the dict at [start, end) as the decoder would have
	// decoded it in place, with its members of lists of signatures lazy.
	DecodeLazy(start, end int) (map[string]any, error)
}

// NewLazy returns a Lazy for the dict at [start, end) of src, whose arrays
// and dicts nest depth deep, itself counted as 1.
func NewLazy(src LazySource, start, end, depth int) *Lazy {
	return &Lazy{src: src, start: start, end: end, depth: depth}
}

// lazyDoc is what the *Lazy values of one JSON document share: the
// decoder that decodes them, with its interned strings. DecodeLazy locks
// it, so that a tree may be read from more than one goroutine.
type lazyDoc struct {
	text []byte // the document, which nothing changes once it is decoded
	mu   sync.Mutex
	d    fastDecoder
}

// errLazy is Decode's error for text that no longer decodes as it did:
// the data it shares was changed.
var errLazy = errors.New("value: a lazy JSON object no longer decodes: its document changed")

// Decode decodes the object: a map[string]any, in which the members of
// lists of signatures are *Lazy again. It decodes again each time it is
// called, so that nothing holds the result but the caller.
func (l *Lazy) Decode() (map[string]any, error) { return l.src.DecodeLazy(l.start, l.end) }

func (doc *lazyDoc) DecodeLazy(start, end int) (map[string]any, error) {
	doc.mu.Lock()
	defer doc.mu.Unlock()
	d := &doc.d
	if d.data[start] != '{' {
		return nil, errLazy
	}
	d.pos = start
	v, ok := d.object(1, placeOther)
	if !ok || d.pos != end {
		return nil, errLazy
	}
	return v.(map[string]any), nil
}

// JSON reports whether l is JSON text from DecodeCanvasJSON, which Emit
// reads without decoding it, and whose strings are valid UTF-8.
func (l *Lazy) JSON() bool {
	_, ok := l.src.(*lazyDoc)
	return ok
}

// Len is the length of l's text in its source, in bytes.
func (l *Lazy) Len() int { return l.end - l.start }

// Depth is how deeply the arrays and objects of the decoded object nest,
// the object itself counted as 1: {"a": [1]} is 2.
func (l *Lazy) Depth() int { return l.depth }

// lazy checks the object at d.pos, as object would decode it, and returns
// it as a *Lazy.
func (d *fastDecoder) lazy(depth int) (any, bool) {
	start := d.pos
	deepest, ok := d.skip(depth)
	if !ok {
		return nil, false
	}
	return &Lazy{src: d.doc, start: start, end: d.pos, depth: deepest - depth}, true
}

// within is the place of the value of key k in a dict at at.
func (d *fastDecoder) within(at place, k string) place {
	switch {
	case d.doc == nil:
		return placeOther
	case k == "kwargs":
		return placeKwargs
	case at == placeKwargs && (k == "tasks" || k == "header"):
		return placeMembers
	}
	return placeOther
}

// skip checks the value at d.pos as value would decode it, at depth, and
// moves past it without making it. deepest is the depth of its most
// deeply nested array or object (depth when it is neither).
func (d *fastDecoder) skip(depth int) (deepest int, ok bool) {
	if d.pos >= len(d.data) {
		return 0, false
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.skipMembers(depth+1, '}')
	case c == '[':
		return d.skipMembers(depth+1, ']')
	case c == '"':
		_, _, ok := d.scanString()
		return depth, ok
	case d.atLiteral():
		_, ok := d.literalValue()
		return depth, ok
	case c == '-' || c >= '0' && c <= '9':
		s, isFloat, ok := d.scanNumber()
		if ok && isFloat {
			_, ok = parseFloat(s)
		} else if ok {
			_, ok = parseInt(s)
		}
		return depth, ok
	}
	return 0, false
}

// skipMembers skips an object (end '}') or an array (end ']') at depth,
// as object and array would decode it.
func (d *fastDecoder) skipMembers(depth int, end byte) (deepest int, ok bool) {
	if depth > fastMaxDepth {
		return 0, false
	}
	d.pos++ // { or [
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == end {
		d.pos++
		return depth, true
	}
	deepest = depth
	for {
		d.skipSpace()
		if end == '}' {
			if d.pos >= len(d.data) || d.data[d.pos] != '"' {
				return 0, false
			}
			if _, _, ok := d.scanString(); !ok {
				return 0, false
			}
			d.skipSpace()
			if d.pos >= len(d.data) || d.data[d.pos] != ':' {
				return 0, false
			}
			d.pos++
			d.skipSpace()
		}
		n, ok := d.skip(depth)
		if !ok {
			return 0, false
		}
		deepest = max(deepest, n)
		if done, ok := d.separator(end); !ok {
			return 0, false
		} else if done {
			return deepest, true
		}
	}
}

// Materialize decodes every *Lazy in v (from DecodeCanvasJSON or another
// decoder) in place, so that v is a value tree, and returns it. Only the
// lists and dicts that held a *Lazy are written to.
func Materialize(v any) (any, error) {
	switch x := v.(type) {
	case *Lazy:
		m, err := x.Decode()
		if err != nil {
			return nil, err
		}
		return Materialize(m)
	case []any:
		for i, e := range x {
			m, err := Materialize(e)
			if err != nil {
				return nil, err
			}
			if _, ok := e.(*Lazy); ok {
				x[i] = m
			}
		}
	case map[string]any:
		for k, e := range x {
			m, err := Materialize(e)
			if err != nil {
				return nil, err
			}
			if _, ok := e.(*Lazy); ok {
				x[k] = m
			}
		}
	}
	return v, nil
}

// HasLazy reports whether the tree v holds a *Lazy.
func HasLazy(v any) bool {
	switch x := v.(type) {
	case *Lazy:
		return true
	case []any:
		for _, e := range x {
			if HasLazy(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if HasLazy(e) {
				return true
			}
		}
	}
	return false
}

// CheckLazy is Check for a tree from DecodeCanvasJSON: each *Lazy in it
// is taken for the value it decodes to, which DecodeCanvasJSON checked.
func CheckLazy(v any) error {
	return checkTree(v, 0, true)
}

// Sink receives a value as Lazy.Emit reads it from its text: a scalar by
// the call of its type, a list as BeginList, its elements and EndList
// with their number, a dict as BeginDict, each key (Key) followed by its
// value, and EndDict with the number of keys as written (a repeated key
// is given each time; the last is the one DecodeJSON keeps). The bytes
// given to String and Key are valid UTF-8 and valid only until the call
// returns.
type Sink interface {
	Null()
	Bool(bool)
	Int(int64)
	Float(float64)
	String([]byte)
	BeginList()
	EndList(n int)
	BeginDict()
	Key([]byte)
	EndDict(n int)
}

// Emit gives s the object l decodes to, in the order its text writes it,
// without making it: what Decode's dict holds, read in one pass. Members
// that Decode would leave lazy are emitted as the dicts they are. Only a
// Lazy of DecodeCanvasJSON has text to read (JSON); another's Emit fails.
func (l *Lazy) Emit(s Sink) error {
	doc, ok := l.src.(*lazyDoc)
	if !ok {
		return errNotJSON
	}
	d := fastDecoder{data: doc.text, pos: l.start}
	if d.pos >= len(d.data) || d.data[d.pos] != '{' || !d.emit(s) || d.pos != l.end {
		return errLazy
	}
	return nil
}

// errNotJSON is Emit's error for a Lazy that is not JSON text.
var errNotJSON = errors.New("value: a lazy member that is not JSON text has nothing to emit: decode it")

// emit reads the value at d.pos, checked by DecodeCanvasJSON, into s.
func (d *fastDecoder) emit(s Sink) bool {
	if d.pos >= len(d.data) {
		return false
	}
	switch c := d.data[d.pos]; {
	case c == '{' || c == '[':
		end := byte('}')
		if c == '[' {
			end = ']'
			s.BeginList()
		} else {
			s.BeginDict()
		}
		d.pos++
		d.skipSpace()
		n := 0
		if d.pos < len(d.data) && d.data[d.pos] == end {
			d.pos++
		} else {
			for {
				d.skipSpace()
				if end == '}' {
					if d.pos >= len(d.data) || d.data[d.pos] != '"' {
						return false
					}
					k, ok := d.stringBytes()
					if !ok {
						return false
					}
					s.Key(k)
					d.skipSpace()
					if d.pos >= len(d.data) || d.data[d.pos] != ':' {
						return false
					}
					d.pos++
					d.skipSpace()
				}
				if !d.emit(s) {
					return false
				}
				n++
				if done, ok := d.separator(end); !ok {
					return false
				} else if done {
					break
				}
			}
		}
		if end == ']' {
			s.EndList(n)
		} else {
			s.EndDict(n)
		}
		return true
	case c == '"':
		str, ok := d.stringBytes()
		if ok {
			s.String(str)
		}
		return ok
	case d.atLiteral():
		switch v, ok := d.literalValue(); x := v.(type) {
		case nil:
			s.Null()
			return ok
		case bool:
			s.Bool(x)
			return ok
		default:
			s.Float(x.(float64))
			return ok
		}
	case c == '-' || c >= '0' && c <= '9':
		num, isFloat, ok := d.scanNumber()
		if !ok {
			return false
		}
		if isFloat {
			f, ok := parseFloat(num)
			s.Float(f)
			return ok
		}
		i, ok := parseInt(num)
		s.Int(i)
		return ok
	}
	return false
}
