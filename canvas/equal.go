package canvas

import "github.com/fugue-run/fugue/value"

// Equal reports whether s and o are the same canvas: same kinds, names,
// flags and structure, and values equal by value.Equal (type-strict: an
// int 4 is not a float 4.0). A nil and an empty Args, Kwargs, It, Tasks or
// Extra are equal; the wire-form flags SingleLink and SingleLinkError
// are ignored. Two nil signatures are equal.
func (s *Signature) Equal(o *Signature) bool {
	if s == nil || o == nil {
		return s == o
	}
	return s.Kind == o.Kind &&
		s.Task == o.Task &&
		s.Immutable == o.Immutable &&
		s.N == o.N &&
		value.Equal(s.Args, o.Args) &&
		value.Equal(s.Kwargs, o.Kwargs) &&
		value.Equal(s.It, o.It) &&
		s.Options.equal(o.Options) &&
		sigsEqual(s.Tasks, o.Tasks) &&
		s.Body.Equal(o.Body) &&
		s.Inner.Equal(o.Inner) &&
		s.HeaderGroup.Equal(o.HeaderGroup)
}

func (o Options) equal(p Options) bool {
	return o.TaskID == p.TaskID &&
		o.Queue == p.Queue &&
		o.ETA == p.ETA &&
		o.MaxRetriesUnlimited == p.MaxRetriesUnlimited &&
		value.Equal(o.Countdown, p.Countdown) &&
		value.Equal(o.Expires, p.Expires) &&
		value.Equal(o.MaxRetries, p.MaxRetries) &&
		value.Equal(o.RetryBackoff, p.RetryBackoff) &&
		value.Equal(o.RetryBackoffMax, p.RetryBackoffMax) &&
		value.Equal(o.RetryJitter, p.RetryJitter) &&
		value.Equal(o.TimeLimit, p.TimeLimit) &&
		value.Equal(o.SoftTimeLimit, p.SoftTimeLimit) &&
		value.Equal(o.Priority, p.Priority) &&
		value.Equal(o.Extra, p.Extra) &&
		sigsEqual(o.Link, p.Link) &&
		sigsEqual(o.LinkError, p.LinkError)
}

func sigsEqual(a, b []*Signature) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}
