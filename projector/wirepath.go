package projector

import (
	"slices"
	"strconv"
	"strings"

	"github.com/fugue-run/fugue/canvas"
)

// wirePath is where a signature sits in a canvas's wire form, a selector
// per step down (`kwargs.tasks[1]`, `kwargs.body`, `options.link[0]`),
// rendered only when an error names it.
type wirePath []pathStep

type pathStep struct {
	key   string // "kwargs.tasks", "kwargs.header", "kwargs.body", "options.link", ...
	index int    // position in the list under key; -1 when key holds one signature
}

func (p wirePath) String() string {
	var b strings.Builder
	for k, s := range p {
		if k > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key)
		if s.index >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
		}
	}
	return b.String()
}

// taskID is the path of the task_id option of the signature at p.
func (p wirePath) taskID() string {
	if len(p) == 0 {
		return "options.task_id"
	}
	return p.String() + ".options.task_id"
}

// above reports whether the signature at p is a composite that q's
// signature is part of: q goes down from p through members, a chord's
// header and body, and no callback. Callbacks are plan roots of their own.
func (p wirePath) above(q wirePath) bool {
	if len(q) <= len(p) || !slices.Equal(p, q[:len(p)]) {
		return false
	}
	for _, s := range q[len(p):] {
		if strings.HasPrefix(s.key, "options.") {
			return false
		}
	}
	return true
}

// eachNamed calls fn with every signature of canvas s that gives a
// task_id and the path the walk is at, in wire order: a signature, then
// what its kwargs hold (members; a chord's header group, members and
// body), then its callbacks. It skips the inner task of a map, starmap or
// chunks, which no plan node stands for. fn may keep the path only as a
// copy. The walk stops when fn returns false. A canvas without task_ids
// costs a walk and nothing else: no allocation per signature.
func eachNamed(s *canvas.Signature, fn func(s *canvas.Signature, at wirePath) bool) {
	w := namedWalk{fn: fn}
	w.sig(s, s.Tasks)
}

type namedWalk struct {
	at wirePath
	fn func(*canvas.Signature, wirePath) bool
}

// sig walks s whose members are members: s.Tasks, or for a chord's header
// group, which the parsed canvas keeps without them, the chord's.
func (w *namedWalk) sig(s *canvas.Signature, members []*canvas.Signature) bool {
	if s.Options.TaskID != "" && !w.fn(s, w.at) {
		return false
	}
	switch s.Kind {
	case canvas.KindChain, canvas.KindGroup:
		if !w.list("kwargs.tasks", members, false) {
			return false
		}
	case canvas.KindChord:
		if g := s.HeaderGroup; g != nil {
			if !w.one("kwargs.header", g, s.Tasks) {
				return false
			}
		} else if !w.list("kwargs.header", s.Tasks, false) {
			return false
		}
		if s.Body != nil && !w.one("kwargs.body", s.Body, s.Body.Tasks) {
			return false
		}
	}
	return w.list("options.link", s.Options.Link, s.Options.SingleLink) &&
		w.list("options.link_error", s.Options.LinkError, s.Options.SingleLinkError)
}

func (w *namedWalk) one(key string, s *canvas.Signature, members []*canvas.Signature) bool {
	w.at = append(w.at, pathStep{key, -1})
	ok := w.sig(s, members)
	w.at = w.at[:len(w.at)-1]
	return ok
}

// list walks the signatures under key; single says the wire form wrote
// one signature there rather than a list (a link given as a dict).
func (w *namedWalk) list(key string, sigs []*canvas.Signature, single bool) bool {
	for k, m := range sigs {
		index := k
		if single && len(sigs) == 1 {
			index = -1
		}
		w.at = append(w.at, pathStep{key, index})
		ok := w.sig(m, m.Tasks)
		w.at = w.at[:len(w.at)-1]
		if !ok {
			return false
		}
	}
	return true
}

// namedPaths returns the paths of the signatures of s that give task_id id
// and keep it in the plan: a composite with a signature below it that
// gives the same id gives way to it (see Compile) and is left out.
func namedPaths(s *canvas.Signature, id string) []wirePath {
	var paths []wirePath
	eachNamed(s, func(n *canvas.Signature, at wirePath) bool {
		if n.Options.TaskID != id {
			return true
		}
		paths = slices.DeleteFunc(paths, func(p wirePath) bool { return p.above(at) })
		paths = append(paths, slices.Clone(at))
		return true
	})
	return paths
}
