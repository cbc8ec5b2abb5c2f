package events

import (
	"errors"
	"fmt"

	"github.com/hamba/avro/v2"

	"github.com/fugue-run/fugue/schemas"
)

// The fingerprints of the schemas this file's hand-written encoder and
// decoder implement: schemas/v3. NewCodec refuses to run on another, so a
// new schema version cannot be released without updating the code.
const (
	implementedEvent     uint64 = 0x99b19b33a80a0899
	implementedSignature uint64 = 0x041eae7f8ff66b37
)

// Codec encodes and decodes events as Avro single-object records: the
// marker 0xC3 0x01, the writer schema's 8-byte little-endian CRC-64-AVRO
// fingerprint, then the Avro binary encoding of the record.
//
// It writes with today's schema (schemas.Latest) and reads records written
// with any released schema version, resolving older ones to today's. A
// Codec is immutable once made and safe for concurrent use.
type Codec struct {
	event  schemaSet
	canvas schemaSet
}

// schemaSet is one record type in all its released versions.
type schemaSet struct {
	current uint64                   // fingerprint of today's schema
	header  [headerLen]byte          // header for today's schema
	older   map[uint64]*olderVersion // known writers other than today's
}

// olderVersion is a released writer schema and its resolution to today's.
type olderVersion struct {
	version int
	plan    transcoder
}

// NewCodec returns a Codec for the schemas in package schemas. It fails
// only if those schemas are broken: one that does not parse, an older
// version today's cannot read, or a newest version this code does not
// implement.
func NewCodec() (*Codec, error) {
	var events, canvases []versionText
	for _, v := range schemas.Versions() {
		e, err := schemas.Event(v)
		if err != nil {
			return nil, err
		}
		s, err := schemas.Signature(v)
		if err != nil {
			return nil, err
		}
		events = append(events, versionText{v, e})
		canvases = append(canvases, versionText{v, s})
	}
	return newCodec(events, canvases)
}

// versionText is the text of one version of a schema.
type versionText struct {
	version int
	text    []byte
}

// newCodec makes a Codec from schema versions, oldest first; the last of
// each list is today's.
func newCodec(events, canvases []versionText) (*Codec, error) {
	ev, err := newSchemaSet("Event", events, implementedEvent)
	if err != nil {
		return nil, err
	}
	cv, err := newSchemaSet("Signature", canvases, implementedSignature)
	if err != nil {
		return nil, err
	}
	return &Codec{event: ev, canvas: cv}, nil
}

func newSchemaSet(name string, versions []versionText, implemented uint64) (schemaSet, error) {
	if len(versions) == 0 {
		return schemaSet{}, fmt.Errorf("events: no %s schema", name)
	}
	last := versions[len(versions)-1]
	reader, err := parseSchema(last.text)
	if err != nil {
		return schemaSet{}, fmt.Errorf("events: %s schema v%d: %w", name, last.version, err)
	}
	set := schemaSet{current: fingerprint(reader), older: map[uint64]*olderVersion{}}
	if set.current != implemented {
		return schemaSet{}, fmt.Errorf("events: %s schema v%d has fingerprint %016x but this code implements %016x: update the encoder and decoder with the schema",
			name, last.version, set.current, implemented)
	}
	set.header = header(set.current)

	compat := avro.NewSchemaCompatibility()
	for _, vt := range versions[:len(versions)-1] {
		writer, err := parseSchema(vt.text)
		if err != nil {
			return schemaSet{}, fmt.Errorf("events: %s schema v%d: %w", name, vt.version, err)
		}
		fp := fingerprint(writer)
		if fp == set.current {
			continue // same canonical form: no resolution needed
		}
		if err := compat.Compatible(reader, writer); err != nil {
			return schemaSet{}, fmt.Errorf("events: %s schema v%d cannot read v%d: %w", name, last.version, vt.version, err)
		}
		plan, err := compilePlan(reader, writer)
		if err != nil {
			return schemaSet{}, fmt.Errorf("events: %s schema v%d cannot read v%d: %w", name, last.version, vt.version, err)
		}
		set.older[fp] = &olderVersion{version: vt.version, plan: plan}
	}
	return set, nil
}

// Fingerprint returns the CRC-64-AVRO fingerprint of the Event schema the
// Codec writes with.
func (c *Codec) Fingerprint() uint64 { return c.event.current }

// Encode returns e as a single-object record.
func (c *Codec) Encode(e *Event) ([]byte, error) {
	size := 192
	if e != nil {
		size += len(e.ID) + len(e.Workflow) + len(e.Task) + len(e.Producer)
	}
	return c.AppendEncode(make([]byte, 0, size), e)
}

// AppendEncode appends e as a single-object record to dst. Encoding is
// deterministic: map keys are written in sorted order, so an event always
// encodes to the same bytes. On error it returns dst unchanged and an
// *EncodeError.
func (c *Codec) AppendEncode(dst []byte, e *Event) ([]byte, error) {
	if e == nil {
		return dst, &EncodeError{Path: "Event", Err: errors.New("nil event")}
	}
	enc := encoder{b: append(dst, c.event.header[:]...)}
	enc.str(".id", e.ID)
	enc.str(".workflow", e.Workflow)
	enc.str(".task", e.Task)
	enc.long(e.Time)
	enc.str(".producer", e.Producer)
	if enc.err == nil {
		enc.body(e.Body)
		if enc.err != nil {
			seg := ".body"
			if name := bodyName(e.Body); name != "" {
				seg += "." + name
			}
			enc.err = errAt(enc.err, seg)
		}
	}
	if enc.err != nil {
		return dst, encodeError("Event", enc.err)
	}
	return enc.b, nil
}

// Decode reads a single-object record. Records written with an older
// released schema are resolved to today's; the writer schema is always
// known, never guessed. Errors: ErrNotSingleObject, *UnknownSchemaError,
// or a *DecodeError (wrapping ErrTruncated, ErrMalformed, ErrTooDeep or an
// *UnknownBodyError). Decode never panics, and the Event shares no memory
// with b.
func (c *Codec) Decode(b []byte) (*Event, error) { return c.decode(b, false) }

// decode is Decode, and DecodeShared with share.
func (c *Codec) decode(b []byte, share bool) (*Event, error) {
	r, err := c.event.open(b)
	if err != nil {
		return nil, err
	}
	r.share = share
	e := &Event{}
	r.envelope(e)
	e.Body = r.body()
	if err := r.close(); err != nil {
		return nil, err
	}
	return e, nil
}

// EncodeCanvas returns a canvas, in Celery's dict shape, as a single-object
// Signature record (the schemas.Signature schema). The rules are those of
// WorkflowSubmitted.Canvas: missing keys take their defaults, other keys
// are not kept.
func (c *Codec) EncodeCanvas(canvas map[string]any) ([]byte, error) {
	return c.AppendEncodeCanvas(make([]byte, 0, 256), canvas)
}

// AppendEncodeCanvas appends a canvas as a single-object Signature record
// to dst. On error it returns dst unchanged and an *EncodeError.
func (c *Codec) AppendEncodeCanvas(dst []byte, canvas map[string]any) ([]byte, error) {
	enc := encoder{b: append(dst, c.canvas.header[:]...)}
	enc.signature("", canvas)
	if enc.err != nil {
		return dst, encodeError("Signature", enc.err)
	}
	return enc.b, nil
}

// CanvasHeader returns the header of a single-object Signature record of
// today's schema: with WorkflowSubmitted.CanvasAvro after it, a record
// DecodeCanvas reads.
func (c *Codec) CanvasHeader() []byte {
	h := c.canvas.header
	return h[:]
}

// IsRecord reports whether b begins as a single-object record does (the
// marker 0xC3 0x01), which tells it from data of other encodings that do
// not begin with 0xC3.
func IsRecord(b []byte) bool { return len(b) >= 2 && b[0] == 0xC3 && b[1] == 0x01 }

// DecodeCanvas reads a single-object Signature record into a canvas map
// with exactly the keys task, args, kwargs, options, subtask_type and
// immutable. Errors are those of Decode.
func (c *Codec) DecodeCanvas(b []byte) (map[string]any, error) {
	r, err := c.canvas.open(b)
	if err != nil {
		return nil, err
	}
	canvas := r.signature()
	if err := r.close(); err != nil {
		return nil, err
	}
	return canvas, nil
}

// open checks a record's header and returns a reader of its body in
// today's schema, resolving it first if an older schema wrote it.
func (s *schemaSet) open(b []byte) (*reader, error) {
	fp, err := readHeader(b)
	if err != nil {
		return nil, err
	}
	r := &reader{buf: b, pos: headerLen, fp: fp}
	if fp == s.current {
		return r, nil
	}
	old, ok := s.older[fp]
	if !ok {
		return nil, &UnknownSchemaError{Fingerprint: fp}
	}
	resolved := old.plan.transcode(r, append(make([]byte, 0, 2*len(b)), s.header[:]...))
	if err := r.close(); err != nil {
		return nil, err
	}
	return &reader{buf: resolved, pos: headerLen, fp: fp, resolved: true}, nil
}

// envelope reads the fields before the body.
func (r *reader) envelope(e *Event) {
	// One field after the other, in the record's order.
	e.ID = r.str()
	e.Workflow = r.str()
	e.Task = r.str()
	e.Time = r.long()
	e.Producer = r.str()
}

// close checks that the whole record was read and returns the first error
// as a *DecodeError.
func (r *reader) close() error {
	if r.err == nil && r.pos != len(r.buf) {
		r.fail(r.pos, fmt.Errorf("%w: %d bytes after the record", ErrMalformed, len(r.buf)-r.pos))
	}
	if r.err == nil {
		return nil
	}
	r.err.Fingerprint = r.fp
	r.err.Resolved = r.resolved
	return r.err
}
