package api

import (
	"testing"
	"time"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/value"
)

// TestTaskIDBelow finds a task_id wherever a signature can sit below the
// root, and none when only the root gives one (precheck then skips
// compiling the plan).
func TestTaskIDBelow(t *testing.T) {
	t.Parallel()
	named := func(s *canvas.Signature) *canvas.Signature { s.Options.TaskID = "x"; return s }
	add := func() *canvas.Signature { return canvas.S("tasks.add", 1, 1) }
	withGroup := canvas.Chord(canvas.Group(add()), canvas.S("tasks.tsum"))
	withGroup.HeaderGroup = named(canvas.Group())
	for name, c := range map[string]struct {
		sig  *canvas.Signature
		want bool
	}{
		"root only":       {named(canvas.Chain(add(), add())), false},
		"none":            {canvas.Chord(canvas.Group(add(), add()), canvas.S("tasks.tsum")), false},
		"chain member":    {canvas.Chain(add(), named(add())), true},
		"nested member":   {canvas.Group(canvas.Chain(add(), canvas.Group(add(), named(add())))), true},
		"chord body":      {canvas.Chord(canvas.Group(add()), named(canvas.S("tasks.tsum"))), true},
		"header group":    {withGroup, true},
		"link":            {add().Link(named(canvas.S("tasks.identity"))), true},
		"errback":         {add().OnError(canvas.Chain(add(), named(canvas.S("tasks.log")))), true},
		"map inner":       {canvas.Map(named(canvas.S("tasks.double")), []any{1, 2}), true},
		"chunks inner":    {canvas.Chunks(named(add()), [][]any{{1, 2}}, 1), true},
		"link of member":  {canvas.Group(add().Link(named(add()))), true},
		"root with links": {named(add().Link(add())), false},
	} {
		if err := c.sig.Validate(canvas.Limits{}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := taskIDBelow(c.sig); got != c.want {
			t.Errorf("%s: taskIDBelow = %v, want %v", name, got, c.want)
		}
	}
}

// TestCheckDecodesMembersOnlyWhenWhole: check leaves a canvas's members
// undecoded unless it must parse the canvas whole, and then decodes them
// in place, so that the tree appended is the one the signature was
// parsed from.
func TestCheckDecodesMembersOnlyWhenWhole(t *testing.T) {
	for _, c := range []struct {
		body  string
		whole bool
	}{
		{`{"task": "celery.group", "kwargs": {"tasks": [{"task": "a"}, {"task": "b"}]}, "options": {"task_id": "g"}}`, false},
		{`{"task": "celery.group", "kwargs": {"tasks": [{"task": "a"}, {"task": "b", "options": {"task_id": "b"}}]}}`, true},
	} {
		v, err := value.DecodeCanvasJSON([]byte(c.body))
		if err != nil {
			t.Fatal(err)
		}
		sig, err := check(v, canvas.Limits{}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		tasks := v.(map[string]any)["kwargs"].(map[string]any)["tasks"].([]any)
		_, lazy := tasks[1].(*value.Lazy)
		if lazy == c.whole || (len(sig.Tasks) == 2) != c.whole {
			t.Errorf("%s: member %T, signature of %d tasks; want whole %v", c.body, tasks[1], len(sig.Tasks), c.whole)
		}
		if c.whole && sig.Tasks[1].Options.TaskID != "b" {
			t.Errorf("%s: the whole signature lost the member's task_id", c.body)
		}
		if !c.whole && sig.Options.TaskID != "g" {
			t.Errorf("%s: root task_id %q, want g", c.body, sig.Options.TaskID)
		}
	}
}
