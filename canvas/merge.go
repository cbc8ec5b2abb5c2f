package canvas

// Merge returns a new signature: s with Celery's partial rules applied, as
// when a parent's result or apply-time arguments reach it.
//
//   - args are prepended to s's args: add.s(2) merged with args [4] runs
//     add(4, 2);
//   - kwargs are merged over s's kwargs, the new ones winning;
//   - an immutable signature (Celery's .si()) ignores args and kwargs;
//   - opts, when not nil, are merged over s's options, the new ones
//     winning (see Options.Merge), immutable or not.
//
// s is not changed; the result is a deep copy of s, but it holds the
// values of args, kwargs and opts as they are (they must be values; see
// package value).
func (s *Signature) Merge(args []any, kwargs map[string]any, opts *Options) *Signature {
	c := s.Clone()
	if c == nil {
		return nil
	}
	if !s.Immutable {
		if len(args) > 0 {
			merged := make([]any, 0, len(args)+len(c.Args))
			c.Args = append(append(merged, args...), c.Args...)
		}
		if len(kwargs) > 0 {
			if c.Kwargs == nil {
				c.Kwargs = make(map[string]any, len(kwargs))
			}
			for k, v := range kwargs {
				c.Kwargs[k] = v
			}
		}
	}
	if opts != nil {
		c.Options = c.Options.Merge(*opts)
	}
	return c
}

// Merge returns o with every option that is set in other replacing o's:
// a non-empty TaskID, Queue or ETA; a non-empty Link or LinkError list
// (the whole list, as Celery replaces the "link" key); a non-nil
// Countdown, Expires, RetryBackoff, RetryBackoffMax, RetryJitter,
// TimeLimit, SoftTimeLimit or Priority;
// MaxRetries or MaxRetriesUnlimited (either replaces both); and each key of
// Extra. Neither o nor other is changed; the result shares their link
// signatures and values.
func (o Options) Merge(other Options) Options {
	r := o
	if other.TaskID != "" {
		r.TaskID = other.TaskID
	}
	if other.Queue != "" {
		r.Queue = other.Queue
	}
	if len(other.Link) > 0 {
		r.Link = append([]*Signature(nil), other.Link...)
		r.SingleLink = other.SingleLink
	} else if o.Link != nil {
		r.Link = append([]*Signature(nil), o.Link...)
	}
	if len(other.LinkError) > 0 {
		r.LinkError = append([]*Signature(nil), other.LinkError...)
		r.SingleLinkError = other.SingleLinkError
	} else if o.LinkError != nil {
		r.LinkError = append([]*Signature(nil), o.LinkError...)
	}
	if other.Countdown != nil {
		r.Countdown = other.Countdown
	}
	if other.ETA != "" {
		r.ETA = other.ETA
	}
	if other.Expires != nil {
		r.Expires = other.Expires
	}
	if other.MaxRetries != nil || other.MaxRetriesUnlimited {
		r.MaxRetries, r.MaxRetriesUnlimited = other.MaxRetries, other.MaxRetriesUnlimited
	}
	if other.RetryBackoff != nil {
		r.RetryBackoff = other.RetryBackoff
	}
	if other.RetryBackoffMax != nil {
		r.RetryBackoffMax = other.RetryBackoffMax
	}
	if other.RetryJitter != nil {
		r.RetryJitter = other.RetryJitter
	}
	if other.TimeLimit != nil {
		r.TimeLimit = other.TimeLimit
	}
	if other.SoftTimeLimit != nil {
		r.SoftTimeLimit = other.SoftTimeLimit
	}
	if other.Priority != nil {
		r.Priority = other.Priority
	}
	if len(o.Extra) > 0 || len(other.Extra) > 0 {
		r.Extra = make(map[string]any, len(o.Extra)+len(other.Extra))
		for k, v := range o.Extra {
			r.Extra[k] = v
		}
		for k, v := range other.Extra {
			r.Extra[k] = v
		}
	}
	return r
}
