package canvas

import "strconv"

var kindNames = [...]struct{ name, subtaskType, task string }{
	KindTask:    {"task", "", ""},
	KindChain:   {"chain", "chain", "celery.chain"},
	KindGroup:   {"group", "group", "celery.group"},
	KindChord:   {"chord", "chord", "celery.chord"},
	KindMap:     {"map", "xmap", "celery.map"},
	KindStarmap: {"starmap", "xstarmap", "celery.starmap"},
	KindChunks:  {"chunks", "chunks", "celery.chunks"},
}

// String returns the kind's name: task, chain, group, chord, map, starmap
// or chunks ("Kind(9)" for a value outside the constants).
func (k Kind) String() string {
	if !k.valid() {
		return "Kind(" + strconv.Itoa(int(k)) + ")"
	}
	return kindNames[k].name
}

// SubtaskType returns the kind's subtask_type in the wire form: "" for a
// task (null on the wire), "chain", "group", "chord", "xmap", "xstarmap"
// or "chunks".
func (k Kind) SubtaskType() string {
	if !k.valid() {
		return ""
	}
	return kindNames[k].subtaskType
}

// TaskName returns Celery's task name for a composite kind ("celery.chain",
// ..., "celery.map", "celery.starmap", "celery.chunks"), and "" for
// KindTask.
func (k Kind) TaskName() string {
	if !k.valid() {
		return ""
	}
	return kindNames[k].task
}

func (k Kind) valid() bool { return int(k) < len(kindNames) }

// kindBySubtaskType maps a wire subtask_type to its kind.
func kindBySubtaskType(st string) (Kind, bool) {
	for k, n := range kindNames {
		if n.subtaskType != "" && n.subtaskType == st {
			return Kind(k), true
		}
	}
	return KindTask, false
}

// kindByTask infers the kind from a task name, for a null subtask_type.
func kindByTask(task string) Kind {
	for k, n := range kindNames {
		if n.task != "" && n.task == task {
			return Kind(k)
		}
	}
	return KindTask
}

// hasMembers reports whether the kind keeps signatures in Tasks.
func (k Kind) hasMembers() bool { return k == KindChain || k == KindGroup || k == KindChord }

// mapsInner reports whether the kind applies an Inner task over It.
func (k Kind) mapsInner() bool { return k == KindMap || k == KindStarmap || k == KindChunks }
