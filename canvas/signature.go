package canvas

// Kind says what a Signature is: one task call or a composite of others.
type Kind uint8

// The kinds of signature, as Celery names them in subtask_type.
const (
	KindTask    Kind = iota // a single task call
	KindChain               // subtask_type "chain", task "celery.chain"
	KindGroup               // subtask_type "group", task "celery.group"
	KindChord               // subtask_type "chord", task "celery.chord"
	KindMap                 // subtask_type "xmap", task "celery.map"
	KindStarmap             // subtask_type "xstarmap", task "celery.starmap"
	KindChunks              // subtask_type "chunks", task "celery.chunks"
)

// Signature is one node of a canvas: a task call with its partial
// arguments, or a composite (chain, group, chord, map, starmap, chunks)
// whose structure lives in the typed fields below.
//
// Values in Args, Kwargs and It follow the rules of package value.
type Signature struct {
	Kind Kind
	// Immutable marks Celery's .si(): inputs are not prepended and extra
	// kwargs are not merged; only options merge.
	Immutable bool
	// Task is the task name. For composites it is Celery's name for the
	// kind ("celery.chain", ...), or whatever the wire form carried.
	Task string
	// Args are the partial positional arguments. Inputs (a parent's
	// result, apply-time args) are prepended to them.
	Args []any
	// Kwargs are the partial keyword arguments. For a chord these are the
	// chord's own "kwargs" entry; for other composites, the keyword
	// arguments that are not structure (normally none).
	Kwargs map[string]any
	// Options are the execution options (task_id, link, queue, ...).
	Options Options

	// Tasks holds the members of a chain or group, and the header of a chord.
	Tasks []*Signature
	// Body is a chord's body.
	Body *Signature
	// Inner is the task that a map, starmap or chunks applies per element.
	Inner *Signature
	// It is the iterable of a map, starmap or chunks.
	It []any
	// N is the chunk size of a chunks.
	N int64

	// HeaderGroup is set on a chord whose wire form wrote the header as a
	// group signature (as Celery does once a chord is frozen) rather than
	// as a list: it keeps that group's own task name, args, kwargs,
	// options and immutable flag so that they round-trip. Its Tasks is
	// always empty: the header's members are the chord's Tasks. Nil when
	// the header is a plain list of signatures (an unfrozen Celery chord,
	// and the builders' default). Celery itself drops these attributes when
	// it reads a chord; Fugue keeps them for whoever wants them.
	HeaderGroup *Signature

	// bulk holds the members ParseBulk kept unparsed
	// (then Tasks is nil).
	bulk *bulkTasks

	// err is the first error a builder met, such as an argument that is
	// not a value; Validate and MarshalJSON report it.
	err *Error
}
