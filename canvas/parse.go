package canvas

import (
	"fmt"
	"strconv"
	"time"

	"github.com/fugue-run/fugue/value"
)

// ParseJSON parses a canvas in Celery's JSON wire form
// (spec/canvas-json.md) and validates it whole: either every part is
// well-formed and within lim, or the result is an *Error saying where and
// what is wrong. A zero lim field means its default (see Limits).
//
// The tree is kept as written: nothing is flattened, spliced or upgraded.
// Unknown top-level keys are dropped; missing fields take their defaults.
func ParseJSON(data []byte, lim Limits) (*Signature, error) {
	lim = lim.withDefaults()
	if len(data) > lim.MaxBytes {
		return nil, &Error{Msg: fmt.Sprintf("%d bytes exceeds the limit of %d", len(data), lim.MaxBytes), Err: ErrLimit}
	}
	v, err := value.DecodeJSON(data)
	if err != nil {
		return nil, fromValueError("", err)
	}
	return parseTree(v, lim, false)
}

// FromValue parses a canvas from its wire form as a value tree (from
// value.DecodeJSON, an Avro decoder, or built by hand), with the rules and
// the errors of ParseJSON. v is first converted with value.Normalize, so
// the result never shares memory with v. lim.MaxBytes does not apply.
func FromValue(v any, lim Limits) (*Signature, error) {
	n, err := value.Normalize(v)
	if err != nil {
		return nil, fromValueError("", err)
	}
	return parseTree(n, lim.withDefaults(), false)
}

// FromOwnedValue is FromValue for a tree the caller hands over and never
// changes again, such as one fresh from a decoder: it checks that v is a
// value tree instead of copying it, and the Signature shares its memory.
func FromOwnedValue(v any, lim Limits) (*Signature, error) {
	if err := value.Check(v); err != nil {
		return nil, fromValueError("", err)
	}
	return parseTree(v, lim.withDefaults(), false)
}

// TakeValue is FromOwnedValue for a tree the caller hands over and never
// reads again: it takes the tree apart as it parses it. Each element of a
// list of signatures (a chain's or a group's tasks, a chord's header) is
// set to nil once it is parsed, so that its dict is garbage as soon as its
// Signature is made, and a large canvas's tree and its Signatures are not
// whole in memory together. The rest of the tree is left as it is, and
// what the Signature shares (args, kwargs) is kept by it. v may hold
// *value.Lazy members (value.DecodeCanvasJSON, events.Codec.DecodeShared):
// each is decoded as it is parsed, and what a Signature keeps of the tree
// (a task's kwargs) has its *value.Lazy decoded.
func TakeValue(v any, lim Limits) (*Signature, error) {
	return parseLazy(v, parser{lim: lim.withDefaults(), take: true})
}

// parseLazy parses a tree that may hold *value.Lazy members with p.
func parseLazy(v any, p parser) (*Signature, error) {
	if err := value.CheckLazy(v); err != nil {
		return nil, fromValueError("", err)
	}
	p.lazy = true
	s, perr := p.sig(v, 1)
	if perr != nil {
		return nil, perr
	}
	return s, nil
}

// Inspection is what Inspect found in a canvas.
type Inspection struct {
	// TaskID is the root's task_id option ("" when it gives none).
	TaskID string
	// Whole is true when the canvas must be parsed whole (FromOwnedValue)
	// for what it holds to be checked: a signature below the root gives a
	// task_id, or a countdown or an expires that CheckDates refuses.
	Whole bool
}

// Inspect parses a canvas tree as FromOwnedValue does, with its errors,
// but keeps none of the signatures of its lists (a chain's or a group's
// tasks, a chord's header): a canvas of 100,000 tasks is checked without
// its 100,000 Signatures in memory together. v may come from
// value.DecodeCanvasJSON: each *value.Lazy member is decoded as it is
// parsed and let go with its Signature, so that the members' dicts are
// not in memory together either. v is not changed. now is the time
// CheckDates would be given.
func Inspect(v any, lim Limits, now time.Time) (Inspection, error) {
	if err := value.CheckLazy(v); err != nil {
		return Inspection{}, fromValueError("", err)
	}
	p := parser{lim: lim.withDefaults(), inspect: &Inspection{}, room: MaxDueUnixMicro - now.UnixMicro()}
	s, perr := p.sig(v, 1)
	if perr != nil {
		return Inspection{}, perr
	}
	p.inspect.TaskID = s.Options.TaskID
	return *p.inspect, nil
}

// inspected notes what Inspect looks for in s, parsed at depth.
func (p *parser) inspected(s *Signature, depth int) {
	if depth > 1 && s.Options.TaskID != "" || !fitsDate(s.Options.Countdown, p.room) || !fitsDate(s.Options.Expires, p.room) {
		p.inspect.Whole = true
	}
}

func parseTree(v any, lim Limits, take bool) (*Signature, error) {
	p := parser{lim: lim, take: take}
	s, perr := p.sig(v, 1)
	if perr != nil {
		return nil, perr
	}
	return s, nil
}

// parser turns a value tree into a Signature tree. It owns the values it
// is given (they are fresh from a decoder or from Normalize) and keeps
// them without copying.
type parser struct {
	lim   Limits
	nodes int
	take  bool // TakeValue: clear each list of signatures as it is parsed
	bulk  bool // ParseBulk: keep long lists of lazy members in bulk
	lazy  bool // the tree may hold *value.Lazy where a Signature keeps values
	// inspect, for Inspect, notes what it finds, and lists of signatures
	// are parsed and let go; room is CheckDates's.
	inspect *Inspection
	room    int64
}

// enter counts one more signature at depth and enforces the limits.
func (p *parser) enter(depth int) *Error { return p.enterN(depth, 1) }

// enterN is enter for n signatures at depth.
func (p *parser) enterN(depth, n int) *Error {
	if depth > p.lim.MaxDepth {
		return &Error{Msg: fmt.Sprintf("nesting depth %d exceeds the limit of %d", depth, p.lim.MaxDepth), Err: ErrLimit}
	}
	p.nodes += n
	if p.nodes > p.lim.MaxNodes {
		return &Error{Msg: fmt.Sprintf("signature count exceeds the limit of %d", p.lim.MaxNodes), Err: ErrLimit}
	}
	return nil
}

// sig parses one signature dict at depth; errors have paths relative to it.
func (p *parser) sig(v any, depth int) (*Signature, *Error) {
	d, ok := v.(map[string]any)
	if !ok {
		return nil, errAt("", "expected a dict")
	}
	if err := p.enter(depth); err != nil {
		return nil, err
	}
	s := &Signature{}

	switch t := d["task"].(type) {
	case nil:
		return nil, errAt("task", "missing")
	case string:
		if t == "" {
			return nil, errAt("task", "must not be empty")
		}
		s.Task = t
	default:
		return nil, errAt("task", "expected a string")
	}

	switch st := d["subtask_type"].(type) {
	case nil:
		s.Kind = kindByTask(s.Task)
	case string:
		if st == "" { // falsy in Python, as null
			s.Kind = kindByTask(s.Task)
			break
		}
		k, ok := kindBySubtaskType(st)
		if !ok {
			return nil, errAt("subtask_type", "unknown "+quote(st))
		}
		s.Kind = k
	default:
		return nil, errAt("subtask_type", "expected a string or null")
	}

	switch a := d["args"].(type) {
	case nil:
	case []any:
		s.Args = a
	default:
		return nil, errAt("args", "expected a list")
	}

	var kwargs map[string]any
	switch k := d["kwargs"].(type) {
	case nil:
	case map[string]any:
		kwargs = k
	default:
		return nil, errAt("kwargs", "expected a dict")
	}

	var opts map[string]any
	switch o := d["options"].(type) {
	case nil:
	case map[string]any:
		opts = o
	default:
		return nil, errAt("options", "expected a dict")
	}

	switch im := d["immutable"].(type) {
	case nil:
	case bool:
		s.Immutable = im
	default:
		return nil, errAt("immutable", "expected a bool")
	}

	var err *Error
	if s.Options, err = p.options(opts, depth); err != nil {
		return nil, err.under("options")
	}
	if err := p.structure(s, kwargs, depth); err != nil {
		return nil, err.under("kwargs")
	}
	if p.inspect != nil {
		p.inspected(s, depth)
	}
	return s, nil
}

// structure reads a signature's kwargs according to its kind.
func (p *parser) structure(s *Signature, kwargs map[string]any, depth int) *Error {
	switch s.Kind {
	case KindTask:
		if len(kwargs) > 0 { // nil as for a Signature built in Go: a chord of 100,000 tasks makes as many empty maps
			k, err := p.own(kwargs)
			if err != nil {
				return err
			}
			s.Kwargs = k
		}
	case KindChain, KindGroup:
		tasks, err := p.members(s, kwargs, "tasks", depth, s.Kind == KindGroup)
		if err != nil {
			return err
		}
		s.Tasks = tasks
		k, err := p.own(without(kwargs, "tasks"))
		if err != nil {
			return err
		}
		s.Kwargs = k
	case KindChord:
		return p.chord(s, kwargs, depth)
	case KindMap, KindStarmap, KindChunks:
		return p.mapping(s, kwargs, depth)
	}
	return nil
}

// members parses kwargs[key], a list of signatures one level down, the
// members of s. A group's or a chord header's (bulk) may be kept in bulk
// (ParseBulk): s.bulk is set then, and no Signature returned.
func (p *parser) members(s *Signature, kwargs map[string]any, key string, depth int, bulk bool) ([]*Signature, *Error) {
	raw, ok := kwargs[key]
	if !ok || raw == nil {
		return nil, errAt(key, "missing")
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, errAt(key, "expected a list")
	}
	if bulk {
		if ok, err := p.inBulk(list, key, depth); err != nil || ok {
			if ok {
				s.bulk = &bulkTasks{list: list, depth: depth + 1, lim: p.lim}
			}
			return nil, err
		}
	}
	var out []*Signature
	if p.inspect == nil {
		out = make([]*Signature, len(list))
	}
	for i, e := range list {
		m, err := p.member(e, depth+1)
		if err != nil {
			return nil, err.under(key + "[" + strconv.Itoa(i) + "]")
		}
		if p.inspect != nil {
			continue
		}
		out[i] = m
		if p.take {
			list[i] = nil
		}
	}
	return out, nil
}

// member parses e, a member of a list of signatures, at depth: a dict, or
// a *value.Lazy (from value.DecodeCanvasJSON or events.Codec.DecodeShared)
// decoded first.
func (p *parser) member(e any, depth int) (*Signature, *Error) {
	if l, ok := e.(*value.Lazy); ok {
		d, err := l.Decode()
		if err != nil {
			return nil, errAt("", err.Error())
		}
		e = d
	}
	return p.sig(e, depth)
}

// own returns a dict of values that a Signature keeps, its *value.Lazy
// members decoded when the parser is given them (lazy).
func (p *parser) own(m map[string]any) (map[string]any, *Error) {
	if !p.lazy || m == nil {
		return m, nil
	}
	if _, err := value.Materialize(m); err != nil {
		return nil, errAt("", err.Error())
	}
	return m, nil
}

// chord reads {"header": GROUP or [SIG, ...], "body": SIG, "kwargs": {}}.
// Other keys of a chord's kwargs are ignored (Celery folds them into the
// kwargs it passes on, which nothing reads).
func (p *parser) chord(s *Signature, kwargs map[string]any, depth int) *Error {
	switch h := kwargs["header"].(type) {
	case nil:
		return errAt("header", "missing")
	case []any:
		tasks, err := p.members(s, kwargs, "header", depth, true)
		if err != nil {
			return err
		}
		s.Tasks = tasks
	case map[string]any:
		g, err := p.sig(h, depth+1)
		if err != nil {
			return err.under("header")
		}
		if g.Kind != KindGroup {
			return errAt("header", "expected a group or a list of signatures")
		}
		g.MoveTasks(s)
		s.HeaderGroup = g
	default:
		return errAt("header", "expected a group or a list of signatures")
	}

	if kwargs["body"] == nil {
		return errAt("body", "chord without a body")
	}
	body, err := p.sig(kwargs["body"], depth+1)
	if err != nil {
		return err.under("body")
	}
	s.Body = body

	switch k := kwargs["kwargs"].(type) {
	case nil:
	case map[string]any:
		s.Kwargs = k
	default:
		return errAt("kwargs", "expected a dict")
	}
	return nil
}

// mapping reads {"task": SIG, "it": [...]} and, for chunks, "n".
func (p *parser) mapping(s *Signature, kwargs map[string]any, depth int) *Error {
	switch t := kwargs["task"].(type) {
	case nil:
		return errAt("task", "missing")
	case string:
		// Celery's built-in map tasks accept a task name too.
		if err := p.enter(depth + 1); err != nil {
			return err.under("task")
		}
		if t == "" {
			return errAt("task", "must not be empty")
		}
		if msg := checkPlainTaskName(t); msg != "" {
			return errAt("task", msg)
		}
		s.Inner = &Signature{Task: t}
	case map[string]any:
		inner, err := p.sig(t, depth+1)
		if err != nil {
			return err.under("task")
		}
		s.Inner = inner
	default:
		return errAt("task", "expected a signature")
	}

	switch it := kwargs["it"].(type) {
	case nil:
		return errAt("it", "missing")
	case []any:
		if s.Kind != KindMap {
			if msg := checkArgLists(it); msg != nil {
				return msg.under("it")
			}
		}
		s.It = it
	default:
		return errAt("it", "expected a list")
	}

	if s.Kind == KindChunks {
		switch n := kwargs["n"].(type) {
		case nil:
			return errAt("n", "missing")
		case int64:
			if msg := checkChunkSize(n); msg != "" {
				return errAt("n", msg)
			}
			s.N = n
		default:
			return errAt("n", "expected an integer")
		}
		s.Kwargs = without(kwargs, "task", "it", "n")
	} else {
		s.Kwargs = without(kwargs, "task", "it")
	}
	var err *Error
	s.Kwargs, err = p.own(s.Kwargs)
	return err
}

// checkArgLists checks that every element of a starmap's or chunks' it is
// a list of arguments.
func checkArgLists(it []any) *Error {
	for i, e := range it {
		if _, ok := e.([]any); !ok {
			return errAt("["+strconv.Itoa(i)+"]", "expected a list")
		}
	}
	return nil
}

// without returns m without keys, or nil when nothing is left. m itself is
// not changed.
func without(m map[string]any, keys ...string) map[string]any {
	n := 0
	for k := range m {
		if !contains(keys, k) {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make(map[string]any, n)
	for k, v := range m {
		if !contains(keys, k) {
			out[k] = v
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
