package projector

import (
	"errors"
	"reflect"
	"testing"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/events"
)

// TestCompileBulkAlike checks that a canvas decoded by
// events.Codec.DecodeShared and parsed with canvas.ParseBulk, whose long
// lists of plain tasks Compile parses one member at a time, compiles to
// the plan of the same canvas parsed whole, wherever normalize moves or
// splices those lists.
func TestCompileBulkAlike(t *testing.T) {
	t.Parallel()
	plain := func(n int) []*canvas.Signature {
		sigs := make([]*canvas.Signature, n)
		for i := range sigs {
			sigs[i] = canvas.S("tasks.add", int64(i), int64(i))
			if i%3 == 0 {
				sigs[i] = canvas.SI("tasks.add", int64(i)).Set(canvas.Options{Queue: "q"})
			}
		}
		return sigs
	}
	big := func() *canvas.Signature { return canvas.Group(plain(70)...) }
	a, b := canvas.S("tasks.add", int64(1), int64(2)), canvas.S("tasks.tsum")
	cases := map[string]*canvas.Signature{
		"group":                          big(),
		"chord":                          canvas.Chord(big(), b),
		"chord with options":             canvas.Chord(big().Set(canvas.Options{TaskID: "h", Queue: "hq"}), b).Set(canvas.Options{Priority: int64(3)}),
		"chain into a group":             canvas.Chain(a, big()),
		"chain, group, task":             canvas.Chain(a, big(), b),
		"chain, group, group, task":      canvas.Chain(a, big(), big(), b),
		"group in a group":               canvas.Group(a, big(), b),
		"group with options in a group":  canvas.Group(a, big().Set(canvas.Options{TaskID: "inner"}), b),
		"group with a link":              big().Link(b),
		"chord in a header":              canvas.Chord(canvas.Group(big(), canvas.Chord(big(), a)), b),
		"group with options":             canvas.Group(append(plain(69), canvas.S("tasks.add"))...).Set(canvas.Options{Queue: "g"}),
		"group with partials in a group": canvas.Group(a, withArgs(big(), false)),
		"immutable group in a group":     canvas.Group(a, withArgs(big(), true)),
		"group with partials in a chain": canvas.Chain(a, withArgs(big(), false), b),
	}
	for name, sig := range cases {
		t.Run(name, func(t *testing.T) {
			whole, err := canvas.FromOwnedValue(sig.Value(), canvas.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			want, err := Compile("wf", whole)
			if err != nil {
				t.Fatal(err)
			}
			bulk, err := canvas.ParseBulk(sharedCanvas(t, sig), canvas.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if !hasBulk(bulk) {
				t.Fatal("no list kept in bulk: the case checks nothing")
			}
			got, err := Compile("wf", bulk)
			if err != nil {
				t.Fatal(err)
			}
			if got.Len() != want.Len() {
				t.Fatalf("%d nodes, want %d", got.Len(), want.Len())
			}
			for i := range int32(want.Len()) {
				if !reflect.DeepEqual(got.Node(i), want.Node(i)) {
					t.Fatalf("node %d:\n%+v\nwant\n%+v", i, got.Node(i), want.Node(i))
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatal("plans differ")
			}
		})
	}
}

// sharedCanvas is sig's wire form as the engine reads it from its
// submission's record (events.Codec.DecodeShared): long lists of members
// left undecoded.
func sharedCanvas(t *testing.T, sig *canvas.Signature) map[string]any {
	t.Helper()
	c, err := events.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Encode(&events.Event{ID: "s", Workflow: "wf", Body: &events.WorkflowSubmitted{Canvas: sig.Value()}})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := c.DecodeShared(b)
	if err != nil {
		t.Fatal(err)
	}
	return ev.Body.(*events.WorkflowSubmitted).Canvas
}

// TestCompileBulkRefused checks that Compile fails with canvas.ErrNotBulk
// where a member of a list kept in bulk is not a plain task, wherever
// normalize reads the list.
func TestCompileBulkRefused(t *testing.T) {
	t.Parallel()
	odd := func(o *canvas.Signature) *canvas.Signature {
		sigs := make([]*canvas.Signature, 70)
		for i := range sigs {
			sigs[i] = canvas.S("tasks.add", int64(i), int64(i))
		}
		sigs[40] = o
		return canvas.Group(sigs...)
	}
	a, b := canvas.S("tasks.add", int64(1), int64(2)), canvas.S("tasks.tsum")
	cases := map[string]*canvas.Signature{
		"a task_id":               odd(canvas.S("t").Set(canvas.Options{TaskID: "x"})),
		"a link":                  odd(canvas.S("t").Link(b)),
		"a group":                 odd(canvas.Group(a, b)),
		"in a chord":              canvas.Chord(odd(canvas.S("t").Set(canvas.Options{Countdown: 5.0})), b),
		"spliced into a group":    canvas.Group(a, odd(canvas.Chain(a, b))),
		"in a chain, into a task": canvas.Chain(a, odd(canvas.S("t").Set(canvas.Options{TaskID: "y"})), b),
	}
	for name, sig := range cases {
		t.Run(name, func(t *testing.T) {
			bulk, err := canvas.ParseBulk(sharedCanvas(t, sig), canvas.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if !hasBulk(bulk) {
				t.Fatal("no list kept in bulk: the case checks nothing")
			}
			if _, err := Compile("wf", bulk); !errors.Is(err, canvas.ErrNotBulk) {
				t.Fatalf("Compile: %v, want canvas.ErrNotBulk", err)
			}
		})
	}
}

// hasBulk reports whether s or a signature below it keeps members in bulk.
func hasBulk(s *canvas.Signature) bool {
	if s == nil {
		return false
	}
	if s.InBulk() > 0 {
		return true
	}
	for _, l := range [][]*canvas.Signature{s.Tasks, s.Options.Link, s.Options.LinkError, {s.Body, s.Inner, s.HeaderGroup}} {
		for _, m := range l {
			if hasBulk(m) {
				return true
			}
		}
	}
	return false
}

// withArgs gives group g partial args, or makes it immutable.
func withArgs(g *canvas.Signature, immutable bool) *canvas.Signature {
	if immutable {
		g.Immutable = true
	} else {
		g.Args, g.Kwargs = []any{int64(5)}, map[string]any{"k": "v"}
	}
	return g
}
