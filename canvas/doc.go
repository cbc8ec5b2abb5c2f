// Package canvas holds Fugue's canvas: Celery's signatures and their
// composites (chain, group, chord, map, starmap, chunks) as a tree of
// *Signature, with the Celery JSON wire form, validation, Go builders and
// the partial-argument rules.
//
// # Wire form
//
// ParseJSON and FromValue read the dict that Celery 5 itself writes for a
// signature (spec/canvas-json.md); Value and MarshalJSON write it back.
// Parsing keeps the tree as written (no flattening, splicing or chord
// upgrade: the projector owns that) and validates it whole: a canvas is
// either accepted or refused with one *Error naming the place, such as
// `kwargs.tasks[2].args: expected a list` or `kwargs.body: chord without a
// body`. Limits bound depth, signature count and JSON size. CheckDates
// refuses, by the same *Error, a countdown or expires that Celery cannot
// turn into a date (past Python's datetime.max) counted from a given time.
//
// The round trip is exact for what Celery writes: integers stay integers
// and floats floats (package value), option numbers keep their type, a
// chord header written as a group dict stays one (HeaderGroup), a link
// written as one dict stays one. What parsing deliberately does not keep:
// unknown top-level keys and unknown keys of a chord's kwargs (dropped),
// known options whose value is null (unset; max_retries null means
// unlimited and is kept), a null or empty subtask_type on a chain, group or
// chord (written back as its name; map, starmap and chunks are written with
// a null subtask_type, as Celery writes them), a map's task given by name
// (written back as a signature),
// and kombu's tagged datetimes in eta and expires (written back as the ISO
// string). For every accepted canvas, ParseJSON(MarshalJSON(s)) equals s.
//
// # Building in Go
//
//	c := canvas.Chain(
//		canvas.Group(canvas.S("tasks.add", 2, 2), canvas.S("tasks.add", 4, 4)),
//		canvas.S("tasks.xsum"),
//	).Set(canvas.Options{Queue: "math"})
//
// S, SI, Chain, Group, Chord, Map, Starmap and Chunks build nodes; Set,
// WithKwargs, Link, OnError and Skew change a node and return it; Clone,
// Merge and Group (of a chunks) return new ones. Builders never panic:
// a Go value that is not a value is recorded and reported by Validate and
// MarshalJSON.
//
// # Partial arguments
//
// Merge applies Celery's rules: args are prepended, kwargs and options
// merged with the new ones winning, and an immutable signature ignores
// args and kwargs.
//
// The package is pure: no I/O, no clock (accessors that need "now" take
// it as an argument), no randomness, and map iteration order never
// reaches an output or an error message.
package canvas
