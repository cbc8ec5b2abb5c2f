package events

import (
	"fmt"

	"github.com/hamba/avro/v2"
)

// transcoder reads one writer-encoded item from r and appends it to out,
// encoded with the reader schema. Errors are recorded in r.
type transcoder interface {
	transcode(r *reader, out []byte) []byte
}

// maxRecordDepth bounds the nesting of records, arrays and maps while
// transcoding. A Value nesting MaxDepth levels takes two per level (its
// record and its array or map), plus the envelope's few.
const maxRecordDepth = 2*MaxDepth + 16

// recordPlan transcodes a record: the writer's fields in the writer's
// order, into the reader's fields in the reader's order.
type recordPlan struct {
	name    string
	fields  []fieldPlan // writer order
	nReader int
	// defaults holds, per reader field, its encoded default when the
	// writer lacks the field; nil otherwise.
	defaults [][]byte
	// inOrder is true when the writer's fields are exactly the reader's,
	// in the same order, so that fields transcode straight into out.
	inOrder bool
}

type fieldPlan struct {
	reader int // index of the reader field; -1: skip
	t      transcoder
}

func (p *recordPlan) transcode(r *reader, out []byte) []byte {
	if !r.enter(maxRecordDepth) {
		return out
	}
	defer r.leave()
	if p.inOrder {
		for _, f := range p.fields {
			out = f.t.transcode(r, out)
		}
		return out
	}
	// Transcode the writer's fields into a scratch buffer, remembering
	// where each reader field landed, then lay them out in reader order.
	var scratch []byte
	spans := make([][2]int, p.nReader)
	for i := range spans {
		spans[i] = [2]int{-1, -1}
	}
	for _, f := range p.fields {
		start := len(scratch)
		scratch = f.t.transcode(r, scratch)
		if f.reader < 0 {
			scratch = scratch[:start]
			continue
		}
		spans[f.reader] = [2]int{start, len(scratch)}
	}
	for i, s := range spans {
		if s[0] < 0 {
			out = append(out, p.defaults[i]...)
			continue
		}
		out = append(out, scratch[s[0]:s[1]]...)
	}
	return out
}

// unionPlan reads a writer union's branch number and transcodes the
// branch.
type unionPlan struct {
	name     string
	branches []transcoder
}

func (p *unionPlan) transcode(r *reader, out []byte) []byte {
	start := r.pos
	i := r.long()
	if r.err != nil {
		return out
	}
	if i < 0 || i >= int64(len(p.branches)) {
		r.failMalformedBranch(start, p.name, i)
		return out
	}
	return p.branches[i].transcode(r, out)
}

// toUnion writes a reader union's branch number before a writer's
// non-union item.
type toUnion struct {
	branch int64
	t      transcoder
}

func (p *toUnion) transcode(r *reader, out []byte) []byte {
	return p.t.transcode(r, appendLong(out, p.branch))
}

// primitive copies an item of a primitive type, checking it.
type primitive avro.Type

func (p primitive) transcode(r *reader, out []byte) []byte {
	switch avro.Type(p) {
	case avro.Null:
		return out
	case avro.Boolean:
		return appendBool(out, r.boolean())
	case avro.Int:
		return appendInt(out, r.int32())
	case avro.Long:
		return appendLong(out, r.long())
	case avro.Float:
		return appendFloat(out, r.float())
	case avro.Double:
		return appendDouble(out, r.double())
	default: // string, bytes
		return appendBytes(out, r.raw())
	}
}

// promotion reads a writer's int, long, float, string or bytes as the
// reader's wider type.
type promotion struct{ from, to avro.Type }

func (p promotion) transcode(r *reader, out []byte) []byte {
	switch p.from {
	case avro.String, avro.Bytes:
		return appendBytes(out, r.raw())
	case avro.Float:
		return appendDouble(out, float64(r.float()))
	}
	var v int64
	if p.from == avro.Int {
		v = int64(r.int32())
	} else {
		v = r.long()
	}
	switch p.to {
	case avro.Long:
		return appendLong(out, v)
	case avro.Float:
		return appendFloat(out, float32(v))
	default:
		return appendDouble(out, float64(v))
	}
}

// arrayPlan transcodes an array block by block.
type arrayPlan struct {
	items   transcoder
	minItem int
}

func (p *arrayPlan) transcode(r *reader, out []byte) []byte {
	if !r.enter(maxRecordDepth) {
		return out
	}
	defer r.leave()
	for n := r.blockCount(p.minItem); n > 0; n = r.blockCount(p.minItem) {
		out = appendLong(out, int64(n))
		for i := 0; i < n && r.err == nil; i++ {
			out = p.items.transcode(r, out)
		}
	}
	return append(out, 0)
}

// mapPlan transcodes a map block by block.
type mapPlan struct {
	values  transcoder
	minItem int
}

func (p *mapPlan) transcode(r *reader, out []byte) []byte {
	if !r.enter(maxRecordDepth) {
		return out
	}
	defer r.leave()
	for n := r.blockCount(p.minItem); n > 0; n = r.blockCount(p.minItem) {
		out = appendLong(out, int64(n))
		for i := 0; i < n && r.err == nil; i++ {
			out = appendBytes(out, r.raw())
			out = p.values.transcode(r, out)
		}
	}
	return append(out, 0)
}

// fixedPlan copies a fixed of its size.
type fixedPlan int

func (p fixedPlan) transcode(r *reader, out []byte) []byte {
	n := int(p)
	if r.remaining() < n {
		r.fail(r.pos, ErrTruncated)
		return out
	}
	out = append(out, r.buf[r.pos:r.pos+n]...)
	r.pos += n
	return out
}

// enumPlan maps a writer's symbol number to the reader's.
type enumPlan struct {
	name string
	to   []int64 // per writer symbol: reader symbol, or -1 when none
}

func (p *enumPlan) transcode(r *reader, out []byte) []byte {
	start := r.pos
	i := r.long()
	if r.err != nil {
		return out
	}
	if i < 0 || i >= int64(len(p.to)) || p.to[i] < 0 {
		r.fail(start, fmt.Errorf("%w: enum %s has no readable symbol %d", ErrMalformed, p.name, i))
		return out
	}
	return appendLong(out, p.to[i])
}
