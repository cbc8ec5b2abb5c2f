package api

import (
	"testing"

	"github.com/fugue-run/fugue/canvas"
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
