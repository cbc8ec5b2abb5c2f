package canvas

// Group returns what a chunks signature runs as, like Celery's
// chunks.group(): a group of starmaps of the inner task, one per part of
// It, each part n elements long (the last one shorter); an empty It gives
// an empty group. Each starmap holds a clone of the inner task and is
// immutable, as Celery's xstarmap is.
//
// Unlike Celery, which drops them, the chunks' own options (task_id,
// links, ...) and args are copied onto the group, so that a chunks'
// callbacks still fire. s is not changed. On a signature that is not a
// chunks, or one with N < 1 or no inner task, Group returns a group that
// records the error for Validate.
func (s *Signature) Group() *Signature {
	g := Group()
	switch {
	case s == nil || s.Kind != KindChunks:
		g.fail("", "Group: not a chunks")
		return g
	case s.N < 1:
		g.fail("", "Group: chunk size must be at least 1")
		return g
	case s.Inner == nil:
		g.fail("", "Group: chunks without a task")
		return g
	}
	g.Args = cloneList(s.Args)
	g.Options = s.Options.clone()
	n := int(min(s.N, int64(len(s.It))))
	for i := 0; i < len(s.It); i += n {
		part := cloneList(s.It[i:min(i+n, len(s.It))])
		g.Tasks = append(g.Tasks, &Signature{
			Kind:      KindStarmap,
			Task:      KindStarmap.TaskName(),
			Inner:     s.Inner.Clone(),
			It:        part,
			Immutable: true,
		})
	}
	return g
}

// Skew gives the members of a group increasing countdowns, like Celery's
// group.skew(start, stop, step): start, start+step, start+2*step, ... (as
// floats, accumulated as Celery does), never above stop once it is
// reached, where the last value repeats; stop 0 means no bound. It returns
// s. On a signature that is not a group it records an error for Validate.
func (s *Signature) Skew(start, stop, step float64) *Signature {
	if s.Kind != KindGroup {
		s.fail("", "Skew: not a group")
		return s
	}
	cur := start
	for _, t := range s.Tasks {
		var cd float64
		if stop == 0 || cur <= stop {
			cd = cur
			cur += step
		} else {
			cd = cur - step
		}
		if t != nil {
			t.Options.Countdown = cd
		}
	}
	return s
}
