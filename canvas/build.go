package canvas

import (
	"slices"

	"github.com/fugue-run/fugue/value"
)

// The builders below make canvases the way Celery's canvas API does, with
// Go values. Arguments go through value.Normalize, so Go ints, float32,
// []string, map[string]string and the like are welcome. A builder never
// panics: what it cannot convert (a struct, a channel) is recorded in the
// signature and returned by Validate and MarshalJSON, with its path.
//
// Builders take ownership of the signatures they are given, and the
// methods Set, WithKwargs, Link, OnError and Skew change their receiver
// and return it, so that calls chain as in Celery. Use Clone to put one
// signature in two places.

// S returns a signature of the task named task with the partial
// positional arguments args, like Celery's task.s(*args).
func S(task string, args ...any) *Signature {
	s := &Signature{Kind: KindTask, Task: task}
	s.Args = s.normalizeList("args", args)
	return s
}

// SI returns an immutable signature, like Celery's task.si(*args): partial
// args and kwargs (a parent's result) are not added to it when it runs.
func SI(task string, args ...any) *Signature {
	s := S(task, args...)
	s.Immutable = true
	return s
}

// Chain returns a chain of sigs: each one's result is prepended to the
// next one's args.
func Chain(sigs ...*Signature) *Signature {
	return &Signature{Kind: KindChain, Task: KindChain.TaskName(), Tasks: slices.Clone(sigs)}
}

// Group returns a group of sigs, run in parallel; its result is the list
// of their results in order.
func Group(sigs ...*Signature) *Signature {
	return &Signature{Kind: KindGroup, Task: KindGroup.TaskName(), Tasks: slices.Clone(sigs)}
}

// Chord returns a chord: body runs once with the list of the header's
// results, once every header member has finished, like Celery's
// chord(header, body).
//
// header is normally a group, whose members become the chord's header
// (Tasks); if that group carries arguments or options of its own it is
// kept as HeaderGroup so that nothing is lost. Any other signature is a
// header of one member (unlike Celery, a chain is not split into
// parallel members).
func Chord(header, body *Signature) *Signature {
	c := &Signature{Kind: KindChord, Task: KindChord.TaskName(), Body: body}
	switch {
	case header == nil:
		c.fail("kwargs.header", "missing")
	case header.Kind == KindGroup:
		c.Tasks = slices.Clone(header.Tasks)
		if !isPlainGroup(header) {
			g := *header
			g.Tasks = nil
			c.HeaderGroup = &g
		}
	default:
		c.Tasks = []*Signature{header}
	}
	return c
}

// isPlainGroup reports whether g is a group with nothing but members.
func isPlainGroup(g *Signature) bool {
	return g.Task == KindGroup.TaskName() && len(g.Args) == 0 && len(g.Kwargs) == 0 &&
		!g.Immutable && g.err == nil && g.Options.equal(Options{})
}

// Map returns Celery's xmap: one task message that calls sig's task once
// per element of it, in order ([task(x) for x in it]). it must be a list
// (any Go slice); sig's own args and kwargs are not used by Celery's
// celery.map. Like Celery's, the map is immutable.
func Map(sig *Signature, it any) *Signature {
	return mapping(KindMap, sig, it)
}

// Starmap returns Celery's xstarmap: like Map, but each element is a list
// of arguments ([task(*x) for x in it]).
func Starmap(sig *Signature, it any) *Signature {
	return mapping(KindStarmap, sig, it)
}

// Chunks returns Celery's chunks: it (a list of argument lists) split into
// parts of n, each part a starmap of sig, the parts run as a group (see
// Signature.Group). n must be at least 1.
func Chunks(sig *Signature, it any, n int) *Signature {
	s := mapping(KindChunks, sig, it)
	s.N = int64(n)
	return s
}

func mapping(k Kind, sig *Signature, it any) *Signature {
	s := &Signature{Kind: k, Task: k.TaskName(), Inner: sig, Immutable: true}
	if it == nil {
		s.It = []any{}
		return s
	}
	v, err := value.Normalize(it)
	if err != nil {
		s.failValue("kwargs.it", err)
		return s
	}
	list, ok := v.([]any)
	if !ok {
		s.fail("kwargs.it", "expected a list")
		return s
	}
	s.It = list
	return s
}

// Set merges opts into s's options (see Options.Merge: the options set in
// opts win) and returns s, like Celery's sig.set(**options). The numbers
// and Extra values of opts go through value.Normalize, so Countdown: 10 (an
// int) is fine.
func (s *Signature) Set(opts Options) *Signature {
	s.Options = s.Options.Merge(s.normalizeOptions(opts))
	return s
}

// WithKwargs merges kwargs into s's keyword arguments (the new ones win)
// and returns s. The values go through value.Normalize. For a chord these
// are the chord's own kwargs.
func (s *Signature) WithKwargs(kwargs map[string]any) *Signature {
	if len(kwargs) == 0 {
		return s
	}
	v, err := value.Normalize(kwargs)
	if err != nil {
		s.failValue("kwargs", err)
		return s
	}
	if s.Kwargs == nil {
		s.Kwargs = make(map[string]any, len(kwargs))
	}
	for k, x := range v.(map[string]any) {
		s.Kwargs[k] = x
	}
	return s
}

// Link adds callbacks, applied with s's result once s succeeds, and
// returns s (Celery's sig.link returns the callback instead).
func (s *Signature) Link(callbacks ...*Signature) *Signature {
	s.Options.Link = append(s.Options.Link, callbacks...)
	s.Options.SingleLink = false
	return s
}

// OnError adds errbacks, applied with s's task id once s fails for good,
// and returns s, like Celery's sig.on_error (Celery's link_error).
func (s *Signature) OnError(errbacks ...*Signature) *Signature {
	s.Options.LinkError = append(s.Options.LinkError, errbacks...)
	s.Options.SingleLinkError = false
	return s
}

// normalizeList normalises builder arguments; nil for none.
func (s *Signature) normalizeList(path string, args []any) []any {
	if len(args) == 0 {
		return nil
	}
	v, err := value.Normalize(args)
	if err != nil {
		s.failValue(path, err)
		return nil
	}
	return v.([]any)
}

// normalizeOptions normalises the values of options given by Go code.
func (s *Signature) normalizeOptions(o Options) Options {
	fields := [...]struct {
		name string
		ptr  *any
	}{
		{optCountdown, &o.Countdown},
		{optExpires, &o.Expires},
		{optMaxRetries, &o.MaxRetries},
		{optRetryBackoff, &o.RetryBackoff},
		{optRetryMax, &o.RetryBackoffMax},
		{optRetryJitter, &o.RetryJitter},
		{optTimeLimit, &o.TimeLimit},
		{optSoftTimeLimit, &o.SoftTimeLimit},
		{optPriority, &o.Priority},
	}
	for _, f := range fields {
		if *f.ptr == nil {
			continue
		}
		v, err := value.Normalize(*f.ptr)
		if err != nil {
			s.failValue("options."+f.name, err)
			*f.ptr = nil
			continue
		}
		*f.ptr = v
	}
	if o.Extra != nil {
		v, err := value.Normalize(o.Extra)
		if err != nil {
			s.failValue("options", err)
			o.Extra = nil
		} else {
			o.Extra = v.(map[string]any)
		}
	}
	return o
}

// fail records the first builder error of s.
func (s *Signature) fail(path, msg string) {
	if s.err == nil {
		s.err = errAt(path, msg)
	}
}

// failValue records an error of package value under path.
func (s *Signature) failValue(path string, err error) {
	if s.err == nil {
		s.err = fromValueError(path, err)
	}
}
