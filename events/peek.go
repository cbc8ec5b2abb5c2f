package events

// Peek reads a record's workflow id and the type of its body without
// decoding the rest and without allocating, for a reader that acts on some
// kinds of event only. The workflow id aliases b. kind is a nil pointer of
// the body's type ((*TaskDispatched)(nil), ...), good for a type switch
// and for nothing else.
//
// ok is false when Decode must be asked instead: a record written with a
// schema other than today's (it needs resolving first) or one that does
// not read as far as its body's branch. Peek checks no more than it reads:
// a record it reads may still fail Decode.
func (c *Codec) Peek(b []byte) (workflow []byte, kind Body, ok bool) {
	fp, err := readHeader(b)
	if err != nil || fp != c.event.current {
		return nil, nil, false
	}
	r := reader{buf: b, pos: headerLen}
	r.raw() // id
	workflow = r.raw()
	r.raw() // task
	r.long()
	r.raw() // producer
	branch := r.long()
	if r.err != nil || branch < 0 || branch >= numBodies {
		return nil, nil, false
	}
	return workflow, bodyKinds[branch], true
}

// bodyKinds holds a nil pointer of each body type, by union branch.
var bodyKinds = [numBodies]Body{
	bodyWorkflowSubmitted:       (*WorkflowSubmitted)(nil),
	bodyWorkflowRejected:        (*WorkflowRejected)(nil),
	bodyWorkflowCompleted:       (*WorkflowCompleted)(nil),
	bodyTaskDispatched:          (*TaskDispatched)(nil),
	bodyTaskStarted:             (*TaskStarted)(nil),
	bodyTaskSucceeded:           (*TaskSucceeded)(nil),
	bodyTaskFailed:              (*TaskFailed)(nil),
	bodyTaskRetrying:            (*TaskRetrying)(nil),
	bodyTaskProgress:            (*TaskProgress)(nil),
	bodyTaskRevoked:             (*TaskRevoked)(nil),
	bodyRevokeRequested:         (*RevokeRequested)(nil),
	bodyLinkFired:               (*LinkFired)(nil),
	bodyChordCounterIncremented: (*ChordCounterIncremented)(nil),
	bodyChordCompleted:          (*ChordCompleted)(nil),
	bodyTimerScheduled:          (*TimerScheduled)(nil),
	bodyTimerFired:              (*TimerFired)(nil),
}
