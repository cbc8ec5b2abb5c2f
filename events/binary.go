package events

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Avro binary primitives. Appenders write; reader reads and records the
// first error it meets, after which every read returns a zero value and
// consumes nothing, so decoding code checks r.err once at the end (and in
// loops, to stop early).

func appendLong(b []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63) // zigzag
	for u >= 0x80 {
		b = append(b, byte(u)|0x80)
		u >>= 7
	}
	return append(b, byte(u))
}

func appendInt(b []byte, v int32) []byte { return appendLong(b, int64(v)) }

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendDouble(b []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
}

func appendFloat(b []byte, v float32) []byte {
	return binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
}

func appendString(b []byte, s string) []byte {
	b = appendLong(b, int64(len(s)))
	return append(b, s...)
}

func appendBytes(b, v []byte) []byte {
	b = appendLong(b, int64(len(v)))
	return append(b, v...)
}

// reader decodes Avro binary from buf, starting at pos. Offsets in errors
// are positions in buf, which holds the whole single-object record, so they
// count the 10-byte header too.
type reader struct {
	buf      []byte
	pos      int
	err      *DecodeError
	depth    int    // nesting of arrays and maps (values) or records (resolution)
	empties  int    // items read so far that take no bytes
	fp       uint64 // writer schema, for errors
	resolved bool   // buf is a record resolved from an older schema
	lastStr  any    // the last string Value read (strValue)

	// DecodeShared's: share leaves long lists of a canvas's members
	// undecoded, in rec; deepest is the deepest nesting a skip met.
	share   bool
	rec     *sharedRecord
	deepest int
}

// fail records the first error, at offset off.
func (r *reader) fail(off int, err error) {
	if r.err == nil {
		r.err = &DecodeError{Offset: off, Err: err}
		r.pos = len(r.buf) // stop every later read
	}
}

func (r *reader) remaining() int { return len(r.buf) - r.pos }

func (r *reader) long() int64 {
	var u uint64
	start := r.pos
	for shift := uint(0); ; shift += 7 {
		if r.pos >= len(r.buf) {
			if r.err == nil {
				r.fail(start, ErrTruncated)
			}
			return 0
		}
		c := r.buf[r.pos]
		r.pos++
		if shift == 63 && c > 1 {
			r.fail(start, fmt.Errorf("%w: varint overflows 64 bits", ErrMalformed))
			return 0
		}
		u |= uint64(c&0x7f) << shift
		if c < 0x80 {
			break
		}
	}
	return int64(u>>1) ^ -int64(u&1)
}

func (r *reader) int32() int32 {
	start := r.pos
	v := r.long()
	if v < math.MinInt32 || v > math.MaxInt32 {
		r.fail(start, fmt.Errorf("%w: int %d out of 32-bit range", ErrMalformed, v))
		return 0
	}
	return int32(v)
}

func (r *reader) boolean() bool {
	if r.pos >= len(r.buf) {
		r.fail(r.pos, ErrTruncated)
		return false
	}
	c := r.buf[r.pos]
	if c > 1 {
		r.fail(r.pos, fmt.Errorf("%w: boolean byte %#x", ErrMalformed, c))
		return false
	}
	r.pos++
	return c == 1
}

func (r *reader) double() float64 {
	if r.remaining() < 8 {
		r.fail(r.pos, ErrTruncated)
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.buf[r.pos:]))
	r.pos += 8
	return v
}

func (r *reader) float() float32 {
	if r.remaining() < 4 {
		r.fail(r.pos, ErrTruncated)
		return 0
	}
	v := math.Float32frombits(binary.LittleEndian.Uint32(r.buf[r.pos:]))
	r.pos += 4
	return v
}

// raw returns the next length-prefixed byte string without copying it.
func (r *reader) raw() []byte {
	start := r.pos
	n := r.long()
	if r.err != nil {
		return nil
	}
	if n < 0 {
		r.fail(start, fmt.Errorf("%w: negative length %d", ErrMalformed, n))
		return nil
	}
	if n > int64(r.remaining()) {
		r.fail(start, ErrTruncated)
		return nil
	}
	b := r.buf[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return b
}

func (r *reader) str() string { return string(r.raw()) }

// bytes returns a copy of the next byte string; never nil unless the read
// failed.
func (r *reader) bytes() []byte {
	b := r.raw()
	if r.err != nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

// blockCount reads the item count of the next block of an array or map,
// skipping a negative count's byte size. minItem is the fewest bytes one
// item can take; when it is positive the count is checked against what is
// left, so that no input can make the decoder loop or allocate beyond its
// size. It returns 0 at the end of the array or map and on error.
func (r *reader) blockCount(minItem int) int {
	start := r.pos
	n := r.long()
	if r.err != nil {
		return 0
	}
	if n < 0 {
		if n == math.MinInt64 {
			r.fail(start, fmt.Errorf("%w: block count %d", ErrMalformed, n))
			return 0
		}
		n = -n
		size := r.long()
		if size < 0 {
			r.fail(start, fmt.Errorf("%w: negative block size %d", ErrMalformed, size))
			return 0
		}
	}
	if minItem == 0 {
		if n > int64(maxEmptyItems-r.empties) {
			r.fail(start, fmt.Errorf("%w: more than %d items that take no bytes", ErrMalformed, maxEmptyItems))
			return 0
		}
		r.empties += int(n)
		return int(n)
	}
	if n > int64(r.remaining()/minItem) {
		r.fail(start, fmt.Errorf("%w: block of %d items in %d bytes", ErrTruncated, n, r.remaining()))
		return 0
	}
	return int(n)
}

// maxEmptyItems bounds the items of one record that take no bytes (an
// array of nulls, say), which the record's size cannot bound.
const maxEmptyItems = 1 << 16

// prealloc bounds the capacity allocated before items are read, so that a
// lying count deep inside a value cannot make the decoder allocate much
// more than the input's size.
func prealloc(n int) int { return min(n, 1024) }

// enter counts one more level of nesting and fails past limit.
func (r *reader) enter(limit int) bool {
	r.depth++
	if r.depth > limit {
		r.fail(r.pos, ErrTooDeep)
		return false
	}
	return true
}

func (r *reader) leave() { r.depth-- }
