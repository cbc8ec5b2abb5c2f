// Package events defines Fugue's events, the records of the Kafka topic
// that is the system's only source of truth, and their Avro encoding.
//
// # Encoding
//
// A Codec writes each Event as an Avro single-object record: the marker
// 0xC3 0x01, the 8-byte little-endian CRC-64-AVRO fingerprint of the writer
// schema's Parsing Canonical Form, then the Avro binary encoding of the
// record, with the schemas of package schemas (schemas/README.md shows one
// byte by byte). Any Avro library can read and write these records;
// testdata/interop.py does it with Python's fastavro.
//
// Decode reads records of every released schema version. It looks the
// writer schema up by the fingerprint in the header, never guesses it:
// bytes read with a schema other than their writer's decode into wrong
// values without an error. A record of an older version is resolved to
// today's schema, as the Avro specification's schema resolution says
// (fields added since take their defaults, fields removed are skipped,
// union branches match by name). The resolution plans are compiled once,
// when the Codec is made, by resolve.go: hamba/avro's Resolve cannot be
// used, as it recurses without end on the recursive Value schema
// (v2.31.0). hamba/avro's Compatible decides whether a version can be read.
//
// Records of today's schema are encoded and decoded by hand-written code
// (body.go, value.go, canvas.go) rather than by reflection, for speed; tests
// check it against hamba/avro's generic reading and writing of the schema,
// and golden records of every version (testdata/vN) against it.
//
// # Values
//
// Task arguments, keyword arguments, results and progress metadata are
// values as package value defines them: an any holding nil, bool, int64,
// float64, string, []byte, []any or map[string]any, which map onto the
// branches of the Avro Value union one to one. Types round-trip exactly: an
// int64 stays an int64, a float64 without fraction (4.0) stays a float64,
// []byte stays []byte. Encode refuses any other type (int, float32, ...)
// with ErrUnsupportedValue, strings that are not UTF-8 with ErrInvalidUTF8,
// and values nesting arrays and maps deeper than MaxDepth (which includes
// cycles) with ErrTooDeep; the error is an *EncodeError that names the
// field, as in Event.body.TaskSucceeded.result[2]["x"].
//
// Nil rule: a nil slice or map is encoded as an empty array or map, and
// Decode never returns nil slices or maps, only empty ones: []any{},
// map[string]any{}, []byte{}. So TaskDispatched.Args and Kwargs, and every
// array, map and bytes inside a value, come back non-nil. A nil any is
// Avro null and comes back nil; a nil *Failure is null and comes back nil.
//
// Encoding is deterministic: map keys are written in sorted order, so an
// event always encodes to the same bytes.
//
// # Canvas
//
// WorkflowSubmitted.Canvas is a canvas in Celery's JSON dict shape and is
// written as the Avro Signature record. Encoding reads the keys task (a
// string, required), args ([]any), kwargs and options (map[string]any),
// subtask_type (string or nil) and immutable (bool); a missing or nil key
// takes its default (empty, nil, false), a key of another type is an
// error, and other keys (Celery's chord_size) are not kept. Decoding gives
// a map with exactly those six keys, subtask_type nil when null. Nested
// signatures (a chain's tasks, a chord's body) live inside kwargs as
// values, as in Celery's JSON. EncodeCanvas and DecodeCanvas do the same for
// a Signature record on its own, with its own schema and fingerprint.
//
// DecodeShared is Decode for the engine, which reads a submission's canvas
// once, a member at a time: it leaves each member of a list of 64 or more
// signatures (kwargs.tasks or kwargs.header) as a *value.Lazy, checked as
// Decode would read it but decoded from the record only when it is read.
// Its Event shares the record's bytes.
//
// # Errors
//
// Decode never panics, whatever the bytes (FuzzDecode, FuzzResolve). What
// it returns, for the dead-letter path:
//
//   - ErrNotSingleObject: no single-object header (shorter than 10 bytes
//     or a wrong marker).
//   - *UnknownSchemaError: a writer schema this build does not know, by
//     fingerprint: a newer Fugue's, or a foreign producer's.
//   - *DecodeError: the body does not follow its schema; it gives the byte
//     offset and wraps ErrTruncated, ErrMalformed, ErrTooDeep or an
//     *UnknownBodyError.
package events
