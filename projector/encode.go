package projector

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/fugue-run/fugue/value"
)

// The state records have one deterministic binary form, used for the state
// hash and by persistent stores: the same state always encodes to the same
// bytes (map keys sorted, no pointers, no padding).

const encodingVersion = 1

// AppendWorkflow appends the encoding of w's header: neither its canvas
// (AppendCanvas; a record of its own, written once and read only to
// compile the plan) nor its plan, which is derived from the canvas.
func AppendWorkflow(b []byte, w *Workflow) []byte {
	b = append(b, encodingVersion)
	b = appendString(b, w.ID)
	b = binary.AppendVarint(b, w.Submitted)
	b = append(b, byte(w.Status))
	b = appendValue(b, w.Result)
	b = appendError(b, w.Err)
	b = appendBool(b, w.RootDone)
	b = binary.AppendVarint(b, int64(w.Outstanding))
	b = appendBool(b, w.Completed)
	b = appendString(b, w.Rejected)
	return b
}

// AppendCanvas appends the encoding of a workflow's canvas. Its members
// may be *value.Lazy (events.Codec.DecodeShared): each is decoded, one at
// a time, and encoded as the dict it is.
func AppendCanvas(b []byte, canvas map[string]any) []byte {
	// Sized first: a chord of 100,000 is a record of megabytes, which
	// append would otherwise grow (and copy) a quarter at a time.
	b = slices.Grow(b, 1+valueSize(canvas))
	return appendValue(append(b, encodingVersion), canvas)
}

// DecodeCanvas decodes a canvas written by AppendCanvas.
func DecodeCanvas(b []byte) (map[string]any, error) {
	d := decoder{b: b}
	if v := d.byte(); v != encodingVersion && d.err == nil {
		return nil, fmt.Errorf("projector: canvas record version %d, want %d", v, encodingVersion)
	}
	c, _ := d.value().(map[string]any)
	return c, d.finish()
}

// DecodeWorkflow decodes a header written by AppendWorkflow. Canvas and
// Plan are left nil.
func DecodeWorkflow(b []byte) (*Workflow, error) {
	d := decoder{b: b}
	if v := d.byte(); v != encodingVersion && d.err == nil {
		return nil, fmt.Errorf("projector: workflow record version %d, want %d", v, encodingVersion)
	}
	w := &Workflow{ID: d.string()}
	w.Submitted = d.varint()
	w.Status = Status(d.byte())
	w.Result = d.value()
	w.Err = d.error()
	w.RootDone = d.bool()
	w.Outstanding = int32(d.varint())
	w.Completed = d.bool()
	w.Rejected = d.string()
	return w, d.finish()
}

// AppendNode appends the encoding of n.
func AppendNode(b []byte, n *Node) []byte {
	b = append(b, encodingVersion, byte(n.Status))
	b = appendString(b, n.Custom)
	b = binary.AppendVarint(b, int64(n.Attempt))
	b = binary.AppendVarint(b, int64(n.Seq))
	b = appendBool(b, n.Dispatched)
	b = appendNullable(b, n.Args == nil, n.Args)
	b = appendNullable(b, n.Kwargs == nil, n.Kwargs)
	b = appendValue(b, n.Result)
	b = appendValue(b, n.Meta)
	b = appendError(b, n.Err)
	b = appendString(b, n.Parent)
	b = appendError(b, n.Failure)
	b = binary.AppendVarint(b, n.Expires)
	b = binary.AppendVarint(b, int64(n.Done))
	b = binary.AppendVarint(b, int64(n.FirstFailed))
	b = binary.AppendVarint(b, int64(n.Next))
	return b
}

// DecodeNode decodes a node written by AppendNode.
func DecodeNode(b []byte) (Node, error) {
	d := decoder{b: b}
	var n Node
	if v := d.byte(); v != encodingVersion && d.err == nil {
		return n, fmt.Errorf("projector: node record version %d, want %d", v, encodingVersion)
	}
	n.Status = Status(d.byte())
	n.Custom = d.string()
	n.Attempt = int32(d.varint())
	n.Seq = int32(d.varint())
	n.Dispatched = d.bool()
	n.Args, _ = d.value().([]any)
	n.Kwargs, _ = d.value().(map[string]any)
	n.Result = d.value()
	n.Meta = d.value()
	n.Err = d.error()
	n.Parent = d.string()
	n.Failure = d.error()
	n.Expires = d.varint()
	n.Done = int32(d.varint())
	n.FirstFailed = int32(d.varint())
	n.Next = int32(d.varint())
	return n, d.finish()
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendError(b []byte, e *Error) []byte {
	if e == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	b = appendString(b, e.Type)
	b = appendString(b, e.Message)
	b = appendString(b, e.Traceback)
	return appendString(b, e.TaskID)
}

// Value tags.
const (
	tagNull byte = iota
	tagFalse
	tagTrue
	tagInt
	tagFloat
	tagString
	tagBytes
	tagList
	tagMap
)

func appendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, tagNull)
	case bool:
		if v {
			return append(b, tagTrue)
		}
		return append(b, tagFalse)
	case int64:
		return binary.AppendVarint(append(b, tagInt), v)
	case float64:
		return binary.LittleEndian.AppendUint64(append(b, tagFloat), math.Float64bits(v))
	case string:
		return appendString(append(b, tagString), v)
	case []byte:
		return appendString(append(b, tagBytes), string(v))
	case []any:
		b = binary.AppendUvarint(append(b, tagList), uint64(len(v)))
		for _, e := range v {
			b = appendValue(b, e)
		}
		return b
	case *value.Lazy:
		return appendValue(b, decodeLazy(v))
	case map[string]any:
		b = binary.AppendUvarint(append(b, tagMap), uint64(len(v)))
		var small [8]string // a signature's keys, without an allocation
		keys := small[:0]
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			b = appendString(b, k)
			b = appendValue(b, v[k])
		}
		return b
	default:
		panic(fmt.Sprintf("projector: %T is not a value", v))
	}
}

// appendNullable appends v, or null when isNil (a nil slice or map, which
// appendValue would write as an empty one).
func appendNullable(b []byte, isNil bool, v any) []byte {
	if isNil {
		return appendValue(b, nil)
	}
	return appendValue(b, v)
}

// valueSize is len(appendValue(nil, v)), or more where v holds a
// *value.Lazy.
func valueSize(v any) int {
	switch v := v.(type) {
	case nil, bool:
		return 1
	case int64:
		return 1 + varintLen(v)
	case float64:
		return 1 + 8
	case string:
		return 1 + stringSize(len(v))
	case []byte:
		return 1 + stringSize(len(v))
	case []any:
		n := 1 + uvarintLen(uint64(len(v)))
		for _, e := range v {
			n += valueSize(e)
		}
		return n
	case map[string]any:
		n := 1 + uvarintLen(uint64(len(v)))
		for k, e := range v {
			n += stringSize(len(k)) + valueSize(e)
		}
		return n
	case *value.Lazy:
		// Not decoded just to be sized: its Avro text (from
		// events.Codec.DecodeShared) is no shorter than this encoding
		// (the same tags, lengths and numbers, but a byte more for a
		// bool, a block's end and a negative block's size), so it sizes
		// the buffer (a hint: a longer value grows it).
		return 1 + v.Len()
	default:
		panic(fmt.Sprintf("projector: %T is not a value", v))
	}
}

// decodeLazy decodes a canvas member that was checked when its event was
// decoded: an error is a bug (its record changed), as a value of another
// type is to appendValue.
func decodeLazy(l *value.Lazy) map[string]any {
	m, err := l.Decode()
	if err != nil {
		panic("projector: " + err.Error())
	}
	return m
}

// stringSize is the size of a string of n bytes as appendString writes it.
func stringSize(n int) int { return uvarintLen(uint64(n)) + n }

func uvarintLen(x uint64) int { return (bits.Len64(x|1) + 6) / 7 }

func varintLen(x int64) int {
	ux := uint64(x) << 1 // binary.PutVarint's zig-zag
	if x < 0 {
		ux = ^ux
	}
	return uvarintLen(ux)
}

var errShort = errors.New("projector: record truncated")

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) finish() error {
	if d.err == nil && len(d.b) > 0 {
		d.err = fmt.Errorf("projector: %d bytes after the record", len(d.b))
	}
	return d.err
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) == 0 {
		d.err = errShort
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) bool() bool { return d.byte() == 1 }

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.err = errShort
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) error() *Error {
	if d.byte() == 0 {
		return nil
	}
	return &Error{Type: d.string(), Message: d.string(), Traceback: d.string(), TaskID: d.string()}
}

func (d *decoder) value() any {
	switch d.byte() {
	case tagNull:
		return nil
	case tagFalse:
		return false
	case tagTrue:
		return true
	case tagInt:
		return d.varint()
	case tagFloat:
		if len(d.b) < 8 {
			d.err = errShort
			return nil
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
		d.b = d.b[8:]
		return f
	case tagString:
		return d.string()
	case tagBytes:
		return []byte(d.string())
	case tagList:
		n := d.uvarint()
		if n > uint64(len(d.b)) {
			d.err = errShort
			return nil
		}
		l := make([]any, n)
		for i := range l {
			l[i] = d.value()
		}
		return l
	case tagMap:
		n := d.uvarint()
		if n > uint64(len(d.b)) {
			d.err = errShort
			return nil
		}
		m := make(map[string]any, n)
		for range n {
			k := d.string()
			m[k] = d.value()
		}
		return m
	default:
		if d.err == nil {
			d.err = errors.New("projector: bad value tag")
		}
		return nil
	}
}
