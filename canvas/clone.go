package canvas

import (
	"maps"

	"github.com/fugue-run/fugue/value"
)

// Clone returns a deep copy of s: changing the copy, its members or its
// values never changes s. A nil s gives nil.
func (s *Signature) Clone() *Signature {
	if s == nil {
		return nil
	}
	c := *s
	c.Args = cloneList(s.Args)
	c.Kwargs = cloneDict(s.Kwargs)
	c.Options = s.Options.clone()
	c.Tasks = cloneSigs(s.Tasks)
	c.Body = s.Body.Clone()
	c.Inner = s.Inner.Clone()
	c.It = cloneList(s.It)
	c.HeaderGroup = s.HeaderGroup.Clone()
	if s.err != nil {
		e := *s.err
		c.err = &e
	}
	return &c
}

// clone deep-copies the options, link signatures included.
func (o Options) clone() Options {
	c := o
	c.Link = cloneSigs(o.Link)
	c.LinkError = cloneSigs(o.LinkError)
	c.Countdown = value.Clone(o.Countdown)
	c.Expires = value.Clone(o.Expires)
	c.MaxRetries = value.Clone(o.MaxRetries)
	c.RetryBackoff = value.Clone(o.RetryBackoff)
	c.RetryBackoffMax = value.Clone(o.RetryBackoffMax)
	c.RetryJitter = value.Clone(o.RetryJitter)
	c.TimeLimit = value.Clone(o.TimeLimit)
	c.SoftTimeLimit = value.Clone(o.SoftTimeLimit)
	c.Priority = value.Clone(o.Priority)
	c.Extra = cloneDict(o.Extra)
	return c
}

func cloneSigs(sigs []*Signature) []*Signature {
	if sigs == nil {
		return nil
	}
	out := make([]*Signature, len(sigs))
	for i, s := range sigs {
		out[i] = s.Clone()
	}
	return out
}

func cloneList(l []any) []any {
	if l == nil {
		return nil
	}
	return value.Clone(l).([]any)
}

func cloneDict(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := maps.Clone(m)
	for k, v := range out {
		out[k] = value.Clone(v)
	}
	return out
}
