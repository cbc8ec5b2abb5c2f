package projector

import "github.com/fugue-run/fugue/canvas"

// Options on a chain, group or chord pass down to the tasks they run, as
// Celery 5.7's canvas.py passes them (read from its source, and checked by
// applying JSON canvases to an instrumented Celery):
//
//   - a group's options reach every member (group.apply_async merges them
//     into the options it applies each member with);
//   - a chain's options reach its first element (_chain.run applies the
//     first task with them; the rest are applied from the chain message);
//   - a chord's options reach its header and its body, except countdown
//     and eta, which delay the header only (chord.run; celery#7851);
//   - where the member sets the same option, the composite's value wins
//     (Signature._merge: the options passed in win; chord.run updates the
//     body's options with the chord's);
//   - task_id, link and link_error never pass down: task_id names the
//     composite, and links have their own rule (spec/canvas-json.md);
//   - max_retries: null (unlimited) is a None option, which
//     Signature.apply_async drops when it applies a task: it reaches a
//     chain, group or chord, and a chord's body, but no other task;
//   - a max_retries that a chord is applied with (by its group or chain)
//     is taken by chord.run as the retry cap of its chord.unlock: it
//     reaches the chord's body only where the chord sets none itself
//     (chord.apply_async cloned the body with it), and never the header.
//
// The options of a group directly inside a group or a chord header, of a
// chain directly inside a chain, of a one-member group in a chain, of a
// chord's header group and of a chunks are not passed down, because Celery
// drops them when it splices, unrolls or rebuilds those (group._prepared,
// _chain.prepare_steps, maybe_unroll_group, chord's _maybe_group,
// chunks.group); normalize leaves them out (see structuralOptions).

// structuralOptions is o without the options that would pass down: only
// task_id, link and link_error, which stay with the node.
func structuralOptions(o canvas.Options) canvas.Options {
	return canvas.Options{
		TaskID: o.TaskID, Link: o.Link, LinkError: o.LinkError,
		SingleLink: o.SingleLink, SingleLinkError: o.SingleLinkError,
	}
}

// inherit returns the options of a plan node whose own options are own and
// to which its parent passes in (noOptions for none): in merged over own,
// without callbacks. A node with no options of its own shares in, so that
// the members of a large group cost no copy.
func inherit(own *canvas.Options, in *canvas.Options) *canvas.Options {
	mine := planOptions(own)
	switch {
	case in == noOptions:
		return mine
	case mine == noOptions:
		return in
	}
	merged := mine.Merge(*in)
	return &merged
}

// passing is what a composite passes down, in the variants its members
// need, each made once and shared by every member that takes it.
type passing struct {
	all    *canvas.Options // to a chain, group or chord, and to a chord's body
	toTask *canvas.Options // to a task: without max_retries null
}

// newPassing makes what a composite with plan options o passes down.
// delayed false leaves countdown and eta out (a chord's body).
func newPassing(o *canvas.Options, delayed bool) passing {
	if o == noOptions {
		return passing{noOptions, noOptions}
	}
	all := *o
	all.TaskID = ""
	if !delayed {
		all.Countdown, all.ETA = nil, ""
	}
	toTask := all
	toTask.MaxRetriesUnlimited = false
	return passing{canonical(&all), canonical(&toTask)}
}

// to returns what member m gets. body marks a chord's body, which Celery
// gives the chord's options by updating its own (chord.run), None values
// and all; the rest are applied with them.
func (p passing) to(m *canvas.Signature, body bool) *canvas.Options {
	if body || m.Kind != canvas.KindTask {
		return p.all
	}
	return p.toTask
}

// chordOptions adjusts the plan options opts of a chord whose own options
// are own, for what chord.apply_async does with options it is applied
// with (by its group or chain; not a chord's body, whose options the outer
// chord updates): max_retries among them is the retry cap of chord.unlock
// (a keyword of chord.run), so the chord's own max_retries wins for its
// body, which was cloned with theirs, and its header gets the chord's own
// or none. It returns the chord's options and those it passes its header.
func chordOptions(opts, own *canvas.Options, applied bool) (chord, header *canvas.Options) {
	if !applied || opts == noOptions {
		return opts, opts
	}
	c, h := *opts, *opts
	if own.MaxRetries != nil || own.MaxRetriesUnlimited {
		c.MaxRetries, c.MaxRetriesUnlimited = own.MaxRetries, own.MaxRetriesUnlimited
	}
	h.MaxRetries, h.MaxRetriesUnlimited = own.MaxRetries, own.MaxRetriesUnlimited
	return canonical(&c), canonical(&h)
}

// canonical returns noOptions for options that hold nothing, else o.
func canonical(o *canvas.Options) *canvas.Options {
	if onlyCallbacks(o) {
		return noOptions
	}
	return o
}
