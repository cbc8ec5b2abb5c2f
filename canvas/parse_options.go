package canvas

import (
	"slices"
	"strconv"
)

// Option names with a typed field in Options; every other option goes to
// Options.Extra.
const (
	optTaskID        = "task_id"
	optQueue         = "queue"
	optLink          = "link"
	optLinkError     = "link_error"
	optCountdown     = "countdown"
	optETA           = "eta"
	optExpires       = "expires"
	optMaxRetries    = "max_retries"
	optRetryBackoff  = "retry_backoff"
	optRetryMax      = "retry_backoff_max"
	optRetryJitter   = "retry_jitter"
	optTimeLimit     = "time_limit"
	optSoftTimeLimit = "soft_time_limit"
	optPriority      = "priority"
)

// knownOptions are the options with a typed field in Options, in the
// order options visits them, so that the first error reported does not
// depend on map iteration order.
var knownOptions = [...]string{optTaskID, optQueue, optLink, optLinkError, optCountdown,
	optETA, optExpires, optMaxRetries, optRetryBackoff, optRetryMax, optRetryJitter, optTimeLimit,
	optSoftTimeLimit, optPriority}

// isKnownOption reports whether name has a typed field in Options.
func isKnownOption(name string) bool { return slices.Contains(knownOptions[:], name) }

// options parses a signature's options dict. A known option whose value
// is null is unset (Celery drops None options when it applies a
// signature), except max_retries, where null means retry for ever. An empty
// task_id or queue is the same as an unset one. Errors have paths relative to the
// options dict.
func (p *parser) options(d map[string]any, depth int) (Options, *Error) {
	var o Options
	for _, name := range knownOptions {
		v, ok := d[name]
		if !ok || (v == nil && name != optMaxRetries) {
			continue
		}
		if err := p.option(&o, name, v, depth); err != nil {
			return Options{}, err.under(name)
		}
	}
	for k, v := range d {
		if !isKnownOption(k) {
			if o.Extra == nil {
				o.Extra = make(map[string]any)
			}
			o.Extra[k] = v
		}
	}
	return o, nil
}

// option sets one known, non-null option (max_retries may be null).
func (p *parser) option(o *Options, name string, v any, depth int) *Error {
	msg := ""
	switch name {
	case optTaskID, optQueue:
		s, ok := v.(string)
		if !ok {
			return errAt("", "expected a string")
		}
		if name == optTaskID {
			if msg := checkTaskID(s); msg != "" {
				return errAt("", msg)
			}
			o.TaskID = s
		} else {
			o.Queue = s
		}
	case optLink, optLinkError:
		sigs, single, err := p.links(v, depth)
		if err != nil {
			return err
		}
		if name == optLink {
			o.Link, o.SingleLink = sigs, single
		} else {
			o.LinkError, o.SingleLinkError = sigs, single
		}
	case optCountdown:
		msg, o.Countdown = checkCountdown(v), v
	case optETA:
		s, ok := kombuTime(v)
		if !ok {
			return errAt("", "expected an ISO 8601 time")
		}
		msg, o.ETA = checkISO(s), s
	case optExpires:
		if s, ok := kombuTime(v); ok {
			v = s
		}
		msg, o.Expires = checkExpires(v), v
	case optMaxRetries:
		if v == nil {
			o.MaxRetriesUnlimited = true
			return nil
		}
		msg, o.MaxRetries = checkMaxRetries(v), v
	case optRetryBackoff:
		msg, o.RetryBackoff = checkRetryBackoff(v), v
	case optRetryMax:
		msg, o.RetryBackoffMax = checkSeconds(v), v
	case optRetryJitter:
		msg, o.RetryJitter = checkBool(v), v
	case optTimeLimit:
		msg, o.TimeLimit = checkSeconds(v), v
	case optSoftTimeLimit:
		msg, o.SoftTimeLimit = checkSeconds(v), v
	case optPriority:
		msg, o.Priority = checkPriority(v), v
	}
	if msg != "" {
		return errAt("", msg)
	}
	return nil
}

// kombuTime reads a time option: an ISO 8601 string, or the tagged form
// kombu's JSON serializer writes for a Python datetime
// ({"__type__": "datetime", "__value__": "2024-01-02T03:04:05+00:00"}).
func kombuTime(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case map[string]any:
		if x["__type__"] == "datetime" {
			s, ok := x["__value__"].(string)
			return s, ok
		}
	}
	return "", false
}

// links reads link or link_error: one signature dict, or a list of them.
func (p *parser) links(v any, depth int) ([]*Signature, bool, *Error) {
	switch x := v.(type) {
	case map[string]any:
		s, err := p.sig(x, depth+1)
		if err != nil {
			return nil, false, err
		}
		return []*Signature{s}, true, nil
	case []any:
		out := make([]*Signature, len(x))
		for i, e := range x {
			s, err := p.sig(e, depth+1)
			if err != nil {
				return nil, false, err.under("[" + strconv.Itoa(i) + "]")
			}
			out[i] = s
		}
		return out, false, nil
	default:
		return nil, false, errAt("", "expected a signature or a list of signatures")
	}
}
