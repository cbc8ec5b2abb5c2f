package canvas

import (
	"errors"
	"fmt"

	"github.com/fugue-run/fugue/value"
)

// bulkMin is the length from which ParseBulk keeps a list of members in
// bulk.
const bulkMin = 64

// ErrNotBulk is EachTask's error for a member kept in bulk (ParseBulk) that
// is not a plain task, or that does not parse.
var ErrNotBulk = errors.New("canvas: a member kept in bulk is not a plain task")

// bulkTasks are members of a group or of a chord's header that ParseBulk
// kept in bulk: their *value.Lazy, in order, parsed one at a time by
// EachTask.
type bulkTasks struct {
	list  []any
	depth int
	lim   Limits
}

// ParseBulk parses a canvas tree from events.Codec.DecodeShared, whose long
// lists of members are *value.Lazy, for a reader that goes through a
// group's or a chord's members only with NumTasks, EachTask and MoveTasks,
// as projector.Compile does. A list of bulkMin (64) or more members of a
// group or of a chord's header that are all *value.Lazy is not parsed: its
// Signature has no Tasks, and EachTask decodes and parses its members one
// at a time, so that the Signatures, and the dicts, of a chord of 100,000
// tasks are never in memory together.
//
// Such a list is taken for what it is meant to be, plain tasks (each a
// task, not a composite, without task_id, countdown, eta, expires, link or
// link_error), each one signature at the list's depth, so that nothing a
// canvas's dates (CheckDates) or ids depend on is in it. EachTask fails
// with ErrNotBulk for a member that is not one. Neither that nor an error
// of ParseBulk is the canvas's error, which may lie in an earlier member:
// on either, a caller parses v whole with TakeValue, which finds it. For
// that, ParseBulk leaves v as it is (it does not take it apart), and what a
// Signature keeps of it (a task's kwargs) has its *value.Lazy decoded.
func ParseBulk(v any, lim Limits) (*Signature, error) {
	return parseLazy(v, parser{lim: lim.withDefaults(), bulk: true})
}

// Bulky reports whether canvas tree v holds a list that ParseBulk may keep
// in bulk: bulkMin (64) or more *value.Lazy members of a list of
// signatures (kwargs.tasks or kwargs.header), at any depth of the
// signatures. A tree without one is better parsed with TakeValue, which
// takes it apart as it goes.
func Bulky(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	kwargs, _ := m["kwargs"].(map[string]any)
	for _, key := range [...]string{"tasks", "header", "body"} {
		switch x := kwargs[key].(type) {
		case []any:
			if len(x) >= bulkMin && allLazy(x) {
				return true
			}
			for _, e := range x {
				if Bulky(e) {
					return true
				}
			}
		case map[string]any:
			if Bulky(x) {
				return true
			}
		}
	}
	return false
}

// allLazy reports whether every element of list is a *value.Lazy.
func allLazy(list []any) bool {
	for _, e := range list {
		if _, ok := e.(*value.Lazy); !ok {
			return false
		}
	}
	return true
}

// NumTasks is the number of members of s: len(s.Tasks), or as many as it
// keeps in bulk (ParseBulk).
func (s *Signature) NumTasks() int {
	if s.bulk != nil {
		return len(s.bulk.list)
	}
	return len(s.Tasks)
}

// EachTask calls fn with each member of s in order, k its position: the
// Signatures of s.Tasks, or those s keeps in bulk (ParseBulk), each
// decoded and parsed as fn gets it: they can be handed out once, and s
// has none left after. It returns fn's first error, which ends the walk,
// or, for a member kept in bulk that is not a plain task or does not
// parse, an error that wraps ErrNotBulk.
func (s *Signature) EachTask(fn func(k int, t *Signature) error) error {
	b := s.bulk
	if b == nil {
		for k, t := range s.Tasks {
			if err := fn(k, t); err != nil {
				return err
			}
		}
		return nil
	}
	s.bulk = nil
	p := parser{lim: b.lim, lazy: true}
	for k, e := range b.list {
		t, err := p.member(e, b.depth)
		switch {
		case err != nil:
			return fmt.Errorf("%w: member %d: %v", ErrNotBulk, k, err)
		case t.Kind != KindTask || !bulkPlain(&t.Options):
			return fmt.Errorf("%w: member %d", ErrNotBulk, k)
		}
		if err := fn(k, t); err != nil {
			return err
		}
	}
	return nil
}

// MoveTasks moves the members of s, in Tasks or in bulk, to to, which
// gives up its own; s is left with none.
func (s *Signature) MoveTasks(to *Signature) {
	to.Tasks, to.bulk = s.Tasks, s.bulk
	s.Tasks, s.bulk = nil, nil
}

// inBulk reports whether list, members of a group or a chord's header at
// depth, is to be kept in bulk: long enough, every member a *value.Lazy.
// It counts them as the plain tasks they are taken for, with the limits'
// error.
func (p *parser) inBulk(list []any, key string, depth int) (bool, *Error) {
	if !p.bulk || len(list) < bulkMin {
		return false, nil
	}
	if !allLazy(list) {
		return false, nil
	}
	if err := p.enterN(depth+1, len(list)); err != nil {
		return false, err.under(key)
	}
	return true, nil
}

// bulkPlain reports whether a task with options o may be kept in bulk.
func bulkPlain(o *Options) bool {
	return o.TaskID == "" && o.Countdown == nil && o.ETA == "" && o.Expires == nil &&
		len(o.Link) == 0 && len(o.LinkError) == 0
}

// InBulk is the number of members s keeps in bulk (ParseBulk): plain
// tasks, each one node of a plan.
func (s *Signature) InBulk() int {
	if s.bulk == nil {
		return 0
	}
	return len(s.bulk.list)
}
