package canvas

import "github.com/fugue-run/fugue/value"

// Value returns the signature in Celery's wire form, as a value tree:
// {"task", "args", "kwargs", "options", "subtask_type", "immutable"},
// with a composite's structure in kwargs as spec/canvas-json.md lays it
// out. subtask_type is null for a task and, as Celery writes them, for a
// map, starmap or chunks named celery.map, celery.starmap or celery.chunks (a chord's header is a list, or a group dict when HeaderGroup is
// set). Only options that are set appear; link and link_error are lists
// (one dict when SingleLink/SingleLinkError say the wire form had one).
//
// Value does not validate (see Validate) and shares the leaf values of
// s (Args, Kwargs, It, option values): clone before changing them. A nil
// signature gives nil.
func (s *Signature) Value() map[string]any {
	if s == nil {
		return nil
	}
	args := s.Args
	if args == nil {
		args = []any{}
	}
	return map[string]any{
		"task":         s.Task,
		"args":         args,
		"kwargs":       s.kwargsValue(),
		"options":      s.Options.Value(),
		"subtask_type": s.subtaskTypeValue(),
		"immutable":    s.Immutable,
	}
}

// subtaskTypeValue is the wire subtask_type: null for a task, and, as
// Celery writes them, for a map, starmap or chunks whose task name says
// its kind ("celery.map", ...); the kind's name otherwise.
func (s *Signature) subtaskTypeValue() any {
	switch {
	case s.Kind == KindTask:
		return nil
	case s.Kind.mapsInner() && s.Task == s.Kind.TaskName():
		return nil
	}
	return s.Kind.SubtaskType()
}

// kwargsValue builds the wire kwargs: the signature's own kwargs, plus the
// structure of a composite.
func (s *Signature) kwargsValue() map[string]any {
	if s.Kind == KindChord {
		kw := s.Kwargs
		if kw == nil {
			kw = map[string]any{}
		}
		out := map[string]any{"body": sigAny(s.Body), "kwargs": kw}
		if s.HeaderGroup != nil {
			g := *s.HeaderGroup
			g.Tasks = s.Tasks
			out["header"] = g.Value()
		} else {
			out["header"] = sigList(s.Tasks)
		}
		return out
	}
	out := make(map[string]any, len(s.Kwargs)+3)
	for k, v := range s.Kwargs {
		out[k] = v
	}
	switch s.Kind {
	case KindChain, KindGroup:
		out["tasks"] = sigList(s.Tasks)
	case KindMap, KindStarmap, KindChunks:
		it := s.It
		if it == nil {
			it = []any{}
		}
		out["task"] = sigAny(s.Inner)
		out["it"] = it
		if s.Kind == KindChunks {
			out["n"] = s.N
		}
	}
	return out
}

func sigList(sigs []*Signature) []any {
	out := make([]any, len(sigs))
	for i, s := range sigs {
		out[i] = sigAny(s)
	}
	return out
}

// sigAny is s.Value() as an any that is nil (JSON null) for a nil s.
func sigAny(s *Signature) any {
	if s == nil {
		return nil
	}
	return s.Value()
}

// Value returns the options in the wire form: a dict holding the options
// that are set, Extra included. It shares Extra's values.
func (o Options) Value() map[string]any {
	out := make(map[string]any, len(o.Extra)+4)
	for k, v := range o.Extra {
		out[k] = v
	}
	if o.TaskID != "" {
		out[optTaskID] = o.TaskID
	}
	if o.Queue != "" {
		out[optQueue] = o.Queue
	}
	if len(o.Link) > 0 {
		out[optLink] = linksValue(o.Link, o.SingleLink)
	}
	if len(o.LinkError) > 0 {
		out[optLinkError] = linksValue(o.LinkError, o.SingleLinkError)
	}
	if o.Countdown != nil {
		out[optCountdown] = o.Countdown
	}
	if o.ETA != "" {
		out[optETA] = o.ETA
	}
	if o.Expires != nil {
		out[optExpires] = o.Expires
	}
	if o.MaxRetries != nil {
		out[optMaxRetries] = o.MaxRetries
	} else if o.MaxRetriesUnlimited {
		out[optMaxRetries] = nil
	}
	if o.RetryBackoff != nil {
		out[optRetryBackoff] = o.RetryBackoff
	}
	if o.RetryBackoffMax != nil {
		out[optRetryMax] = o.RetryBackoffMax
	}
	if o.RetryJitter != nil {
		out[optRetryJitter] = o.RetryJitter
	}
	if o.TimeLimit != nil {
		out[optTimeLimit] = o.TimeLimit
	}
	if o.SoftTimeLimit != nil {
		out[optSoftTimeLimit] = o.SoftTimeLimit
	}
	if o.Priority != nil {
		out[optPriority] = o.Priority
	}
	return out
}

func linksValue(sigs []*Signature, single bool) any {
	if single && len(sigs) == 1 {
		return sigAny(sigs[0])
	}
	return sigList(sigs)
}

// MarshalJSON returns the signature's wire form (see Value) as compact
// JSON with sorted keys. It first validates the tree's structure and
// values (not its size: see Validate), and returns that error, including
// any error a builder recorded.
func (s *Signature) MarshalJSON() ([]byte, error) {
	if err := s.Validate(unlimited()); err != nil {
		return nil, err
	}
	return value.AppendJSON(nil, s.Value())
}

// UnmarshalJSON parses data with ParseJSON and the default limits and
// replaces *s with the result.
func (s *Signature) UnmarshalJSON(data []byte) error {
	p, err := ParseJSON(data, Limits{})
	if err != nil {
		return err
	}
	*s = *p
	return nil
}
