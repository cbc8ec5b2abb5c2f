package projector

import (
	"errors"

	"github.com/fugue-run/fugue/canvas"
)

// normalize rewrites a parsed canvas into the shape the plan compiles, with
// Celery's rules (spec/canvas-json.md):
//
//   - map and starmap become one task ("celery.map", "celery.starmap") whose
//     kwargs carry the inner signature and the iterable;
//   - a chunks keeps its kind, with its parts, starmap tasks of n
//     elements each, as its Tasks: the plan runs it as a group, but none
//     of the rules below for groups applies to it. It is never spliced
//     into a group or a chord header, nor unrolled or dropped in a chain
//     (followed by another element there, its parts become a chord's
//     header): its result, the list of its parts' results, is one
//     element of its group's, as Celery applies a chunks as one
//     signature (group._prepared splices only real groups);
//   - a chain inside a chain is spliced in, unless it carries options of its
//     own (task_id, link, link_error) or partial arguments;
//   - a group directly inside a group or a chord header is spliced in, its
//     partial arguments applied to its members; one that carries task_id,
//     link or link_error stays a node, for them, but its results still
//     count as spliced in (PlanNode.Spliced);
//   - inside a chain, a one-member group is unrolled into its member, an
//     empty group is dropped, and a group followed by another element
//     becomes a chord whose body is that element. A group is one-member
//     when it is written so, as Celery's maybe_unroll_group counts:
//     group(group(), a) keeps its group, and gives [a(x)];
//   - a group inside a group or a chord header, a chain inside a chain, a
//     one-member group in a chain and a chunks keep only task_id, link
//     and link_error of their options, spliced in or not: Celery drops the
//     others when it splices, unrolls or rebuilds them, so they never pass
//     down to members (inherit.go).
//
// The input is never modified; a task signature that needs no rewriting is
// returned as it is, so the result shares it with the input.
func normalize(s *canvas.Signature) *canvas.Signature {
	switch s.Kind {
	case canvas.KindMap, canvas.KindStarmap:
		return mapTask(s)
	case canvas.KindChunks:
		c := chunksGroup(s)
		c.Options.Link = normalizeAll(c.Options.Link)
		c.Options.LinkError = normalizeAll(c.Options.LinkError)
		c.Tasks = normalizeAll(c.Tasks)
		return c
	case canvas.KindChain:
		return normalizeChain(s)
	case canvas.KindGroup:
		c := shallow(s)
		c.Tasks = spliceGroups(s.Tasks)
		return c
	case canvas.KindChord:
		c := shallow(s)
		c.Tasks = spliceGroups(s.Tasks)
		if s.HeaderGroup != nil {
			c.HeaderGroup = shallow(s.HeaderGroup)
		}
		if s.Body != nil {
			c.Body = normalize(s.Body)
		}
		return c
	default:
		if len(s.Options.Link) == 0 && len(s.Options.LinkError) == 0 {
			// Nothing to rewrite: share s rather than copy it, so that a
			// plan costs no copy of its task signatures.
			return s
		}
		return shallow(s)
	}
}

// shallow copies s with its callbacks normalised.
func shallow(s *canvas.Signature) *canvas.Signature {
	c := *s
	c.Options.Link = normalizeAll(s.Options.Link)
	c.Options.LinkError = normalizeAll(s.Options.LinkError)
	return &c
}

func normalizeAll(sigs []*canvas.Signature) []*canvas.Signature {
	if len(sigs) == 0 {
		return nil
	}
	out := make([]*canvas.Signature, len(sigs))
	for i, s := range sigs {
		out[i] = normalize(s)
	}
	return out
}

func mapTask(s *canvas.Signature) *canvas.Signature {
	c := shallow(s)
	c.Kind = canvas.KindTask
	if s.Kind == canvas.KindMap {
		c.Task = "celery.map"
	} else {
		c.Task = "celery.starmap"
	}
	kw := make(map[string]any, len(s.Kwargs)+2)
	for k, v := range s.Kwargs {
		kw[k] = v
	}
	kw["task"] = s.Inner.Value()
	kw["it"] = s.It
	c.Kwargs = kw
	c.Inner, c.It = nil, nil
	return c
}

// chunksGroup is Celery's chunks.group(): one starmap per n elements, as
// the Tasks of a chunks (Kind stays KindChunks, so that no rule for groups
// applies to it).
func chunksGroup(s *canvas.Signature) *canvas.Signature {
	// chunks.apply_async applies a new group, without the chunks' own
	// options.
	g := &canvas.Signature{
		Kind: canvas.KindChunks, Task: "celery.group",
		Args: s.Args, Kwargs: s.Kwargs, Options: structuralOptions(s.Options), Immutable: s.Immutable,
	}
	n := int(s.N)
	for lo := 0; lo < len(s.It); lo += n {
		hi := min(lo+n, len(s.It))
		// Immutable, as Celery's xstarmap is: a part never takes the
		// chunks' input, whatever the chunks' own flag.
		g.Tasks = append(g.Tasks, &canvas.Signature{
			Kind: canvas.KindStarmap, Task: "celery.starmap",
			Inner: s.Inner, It: s.It[lo:hi:hi], Immutable: true,
		})
	}
	return g
}

func hasOwnOptions(s *canvas.Signature) bool {
	o := &s.Options
	return o.TaskID != "" || len(o.Link) > 0 || len(o.LinkError) > 0
}

func hasPartials(s *canvas.Signature) bool {
	return len(s.Args) > 0 || len(s.Kwargs) > 0
}

// spliceGroups normalises group members, splicing member groups in.
func spliceGroups(members []*canvas.Signature) []*canvas.Signature {
	out := make([]*canvas.Signature, 0, len(members))
	for _, m := range members {
		n := normalize(m)
		if n.Kind == canvas.KindGroup && hasOwnOptions(n) {
			n.Options = structuralOptions(n.Options) // n is normalize's copy
		}
		if n.Kind != canvas.KindGroup || hasOwnOptions(n) {
			out = append(out, n)
			continue
		}
		// A group kept in bulk (canvas.ParseBulk) is spliced in whole: its
		// members are parsed here, not one at a time as Compile would.
		eachTask(n, func(inner *canvas.Signature) {
			out = append(out, withPartials(inner, n))
		})
	}
	return out
}

// eachTask calls fn with each member of s (canvas.Signature.EachTask). A
// member kept in bulk that is not a plain task (canvas.ErrNotBulk) ends
// normalize with a bulkError panic, which compile recovers and returns:
// the caller then parses the canvas whole. Any other error is a bug: the
// members of a normalised signature are handed out once.
func eachTask(s *canvas.Signature, fn func(*canvas.Signature)) {
	err := s.EachTask(func(_ int, t *canvas.Signature) error {
		fn(t)
		return nil
	})
	if errors.Is(err, canvas.ErrNotBulk) {
		panic(bulkError{err})
	}
	if err != nil {
		panic("projector: " + err.Error())
	}
}

// bulkError carries EachTask's ErrNotBulk out of normalize.
type bulkError struct{ err error }

// withPartials applies the partial arguments of composite outer to s, as
// outer would when it starts s, where s takes outer's place (spliced in or
// unrolled). An immutable outer takes no input, so neither does s then.
func withPartials(s, outer *canvas.Signature) *canvas.Signature {
	switch {
	case outer.Immutable && !s.Immutable:
		c := *s
		c.Immutable = true
		return &c
	case !hasPartials(outer) || outer.Immutable:
		return s
	}
	return s.Merge(outer.Args, outer.Kwargs, nil)
}

func normalizeChain(s *canvas.Signature) *canvas.Signature {
	c := shallow(s)
	var steps []*canvas.Signature
	for _, m := range s.Tasks {
		n := normalize(m)
		// Celery's chain unrolls a group by the number of members it was
		// written with (maybe_unroll_group), before member groups were
		// spliced in: len(m.Tasks). A chunks is no group here: never
		// unrolled or dropped, however many parts it has.
		if n.Kind == canvas.KindChain || (n.Kind == canvas.KindGroup && m.NumTasks() == 1) {
			n.Options = structuralOptions(n.Options) // n is normalize's copy
		}
		switch {
		case n.Kind == canvas.KindChain && !hasOwnOptions(n) && !hasPartials(n):
			steps = append(steps, n.Tasks...)
		case n.Kind == canvas.KindGroup && !hasOwnOptions(n) && n.NumTasks() == 0:
			// An empty group in a chain is dropped.
		case n.Kind == canvas.KindGroup && !hasOwnOptions(n) && n.NumTasks() == 1 && m.NumTasks() == 1:
			steps = append(steps, withPartials(n.Tasks[0], n))
		default:
			steps = append(steps, n)
		}
	}
	// A group followed by another element is a chord with that body, and
	// so is a chunks, whose parts become the header: the body gets the
	// chunks' result.
	var out []*canvas.Signature
	for i := 0; i < len(steps); i++ {
		st := steps[i]
		if (st.Kind == canvas.KindGroup || st.Kind == canvas.KindChunks) && i+1 < len(steps) {
			header := *st
			header.Kind = canvas.KindGroup
			st = &canvas.Signature{
				Kind: canvas.KindChord, Task: "celery.chord",
				HeaderGroup: &header, Body: steps[i+1],
			}
			header.MoveTasks(st)
			i++
		}
		out = append(out, st)
	}
	c.Tasks = out
	return c
}
