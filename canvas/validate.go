package canvas

import (
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/fugue-run/fugue/value"
)

// Validate checks a signature tree built in Go (or changed after parsing)
// with the rules ParseJSON applies to the wire form, and the limits of lim
// except MaxBytes (a zero field means its default). It returns nil or an
// *Error whose path is where the wire form of s would hold the problem,
// and reports the first error a builder recorded (an argument that is not
// a value, say).
//
// Beyond the wire rules it refuses what the wire form cannot say: a nil
// signature in a list, structure fields on a kind that has none (Body on a
// chain), kwargs keys that a composite uses for its structure, Extra
// options that have a field of their own, MaxRetries together with
// MaxRetriesUnlimited, and values that are not values (package value).
func (s *Signature) Validate(lim Limits) error {
	v := validator{lim: lim.withDefaults()}
	if err := v.sig(s, 1); err != nil {
		return err
	}
	return nil
}

type validator struct {
	lim   Limits
	nodes int
}

func (v *validator) sig(s *Signature, depth int) *Error {
	if s == nil {
		return errAt("", "nil signature")
	}
	if depth > v.lim.MaxDepth {
		return &Error{Msg: fmt.Sprintf("nesting depth %d exceeds the limit of %d", depth, v.lim.MaxDepth), Err: ErrLimit}
	}
	v.nodes++
	if v.nodes > v.lim.MaxNodes {
		return &Error{Msg: fmt.Sprintf("signature count exceeds the limit of %d", v.lim.MaxNodes), Err: ErrLimit}
	}
	if s.err != nil {
		e := *s.err
		return &e
	}
	if s.Task == "" {
		return errAt("task", "must not be empty")
	}
	if !s.Kind.valid() {
		return errAt("subtask_type", "unknown kind "+strconv.Itoa(int(s.Kind)))
	}
	if s.Kind == KindTask {
		if msg := checkPlainTaskName(s.Task); msg != "" {
			return errAt("task", msg)
		}
	}
	if s.Args != nil {
		if err := value.Check(s.Args); err != nil {
			return fromValueError("args", err)
		}
	}
	if err := checkValueMap(s.Kwargs); err != nil {
		return err.under("kwargs")
	}
	if err := v.options(&s.Options, depth); err != nil {
		return err.under("options")
	}
	if err := v.structure(s, depth); err != nil {
		return err.under("kwargs")
	}
	return nil
}

// structure checks the kind-specific fields; paths are relative to kwargs.
func (v *validator) structure(s *Signature, depth int) *Error {
	k := s.Kind
	switch {
	case !k.hasMembers() && len(s.Tasks) > 0:
		return errAt("tasks", "a "+k.String()+" has no members")
	case k != KindChord && s.Body != nil:
		return errAt("body", "only a chord has a body")
	case k != KindChord && s.HeaderGroup != nil:
		return errAt("header", "only a chord has a header")
	case !k.mapsInner() && s.Inner != nil:
		return errAt("task", "only a map, starmap or chunks has an inner task")
	case !k.mapsInner() && s.It != nil:
		return errAt("it", "only a map, starmap or chunks has an iterable")
	case k != KindChunks && s.N != 0:
		return errAt("n", "only a chunks has a chunk size")
	}

	switch k {
	case KindChain, KindGroup:
		if err := reserved(s.Kwargs, k, "tasks"); err != nil {
			return err
		}
		return v.members(s.Tasks, "tasks", depth)
	case KindChord:
		if g := s.HeaderGroup; g != nil {
			if g.Kind != KindGroup {
				return errAt("header", "expected a group or a list of signatures")
			}
			if len(g.Tasks) > 0 {
				return errAt("header.kwargs.tasks", "the header's members belong in the chord's Tasks")
			}
			if err := v.sig(g, depth+1); err != nil {
				return err.under("header")
			}
			if err := v.members(s.Tasks, "tasks", depth+1); err != nil {
				return err.under("header.kwargs")
			}
		} else if err := v.members(s.Tasks, "header", depth); err != nil {
			return err
		}
		if s.Body == nil {
			return errAt("body", "chord without a body")
		}
		if err := v.sig(s.Body, depth+1); err != nil {
			return err.under("body")
		}
	case KindMap, KindStarmap, KindChunks:
		if err := reserved(s.Kwargs, k, "task", "it", "n"); err != nil {
			return err
		}
		if s.Inner == nil {
			return errAt("task", "missing")
		}
		if err := v.sig(s.Inner, depth+1); err != nil {
			return err.under("task")
		}
		if s.It != nil {
			if err := value.Check(s.It); err != nil {
				return fromValueError("it", err)
			}
		}
		if k != KindMap {
			if err := checkArgLists(s.It); err != nil {
				return err.under("it")
			}
		}
		if k == KindChunks {
			if msg := checkChunkSize(s.N); msg != "" {
				return errAt("n", msg)
			}
		}
	}
	return nil
}

func (v *validator) members(sigs []*Signature, key string, depth int) *Error {
	for i, m := range sigs {
		if err := v.sig(m, depth+1); err != nil {
			return err.under(key + "[" + strconv.Itoa(i) + "]")
		}
	}
	return nil
}

// reserved refuses kwargs keys that the wire form uses for structure.
func reserved(kwargs map[string]any, k Kind, keys ...string) *Error {
	for _, key := range keys {
		if key == "n" && k != KindChunks {
			continue
		}
		if _, ok := kwargs[key]; ok {
			return errAt(key, "reserved for the structure of a "+k.String())
		}
	}
	return nil
}

// options checks the typed option fields with the parser's rules.
func (v *validator) options(o *Options, depth int) *Error {
	checks := [...]struct {
		name string
		val  any
		fn   func(any) string
	}{
		{optCountdown, o.Countdown, checkCountdown},
		{optExpires, o.Expires, checkExpires},
		{optMaxRetries, o.MaxRetries, checkMaxRetries},
		{optRetryBackoff, o.RetryBackoff, checkRetryBackoff},
		{optRetryMax, o.RetryBackoffMax, checkSeconds},
		{optRetryJitter, o.RetryJitter, checkBool},
		{optTimeLimit, o.TimeLimit, checkSeconds},
		{optSoftTimeLimit, o.SoftTimeLimit, checkSeconds},
		{optPriority, o.Priority, checkPriority},
	}
	if o.ETA != "" {
		if msg := checkISO(o.ETA); msg != "" {
			return errAt(optETA, msg)
		}
	}
	if msg := checkTaskID(o.TaskID); msg != "" {
		return errAt(optTaskID, msg)
	}
	for _, c := range checks {
		if c.val == nil {
			continue
		}
		if err := value.Check(c.val); err != nil {
			return fromValueError(c.name, err)
		}
		if msg := c.fn(c.val); msg != "" {
			return errAt(c.name, msg)
		}
	}
	if o.MaxRetries != nil && o.MaxRetriesUnlimited {
		return errAt(optMaxRetries, "both MaxRetries and MaxRetriesUnlimited are set")
	}
	if err := v.links(o.Link, o.SingleLink, depth); err != nil {
		return err.under(optLink)
	}
	if err := v.links(o.LinkError, o.SingleLinkError, depth); err != nil {
		return err.under(optLinkError)
	}
	for _, k := range slices.Sorted(maps.Keys(o.Extra)) {
		if isKnownOption(k) {
			return errAt(k, "set in Extra; use its Options field")
		}
	}
	return checkValueMap(o.Extra)
}

func (v *validator) links(sigs []*Signature, single bool, depth int) *Error {
	if single && len(sigs) == 1 {
		return v.sig(sigs[0], depth+1)
	}
	for i, s := range sigs {
		if err := v.sig(s, depth+1); err != nil {
			return err.under("[" + strconv.Itoa(i) + "]")
		}
	}
	return nil
}

// checkValueMap checks that every entry of m is a value.
func checkValueMap(m map[string]any) *Error {
	if m == nil {
		return nil
	}
	if err := value.Check(m); err != nil {
		return fromValueError("", err)
	}
	return nil
}
