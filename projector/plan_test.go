package projector

import (
	"bufio"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/value"
)

// TestCompileSizesExactly checks that size counts the nodes Compile makes,
// so that the plan's node array is allocated once, at its final size.
func TestCompileSizesExactly(t *testing.T) {
	t.Parallel()
	add := func(args ...any) *canvas.Signature { return canvas.S("tasks.add", args...) }
	sigs := map[string]*canvas.Signature{
		"task":                   add(1, 2),
		"task with callbacks":    add(1, 2).Link(add(3), canvas.Chain(add(4), add(5))).OnError(canvas.S("tasks.log")),
		"chord":                  canvas.Chord(canvas.Group(add(1, 1), add(2, 2)), canvas.S("tasks.tsum")),
		"header group callbacks": canvas.Chord(canvas.Group(add(1, 1)).Link(add(9)).OnError(canvas.S("tasks.log")), canvas.S("tasks.tsum")),
		"chain upgraded to chord": canvas.Chain(add(1, 1),
			canvas.Group(add(2), add(3)).Link(add(7)), canvas.S("tasks.tsum").Link(add(8))),
		"nested groups":  canvas.Group(add(1, 1), canvas.Group(add(2, 2), canvas.Group(add(3, 3))), canvas.Chain(add(4, 4), add(5))),
		"one-member":     canvas.Chain(add(1, 1), canvas.Group(add(2)), canvas.Group(), add(3)),
		"chunks and map": canvas.Group(canvas.Chunks(add(), [][]any{{1, 2}, {3, 4}, {5, 6}}, 2), canvas.Map(canvas.S("tasks.double"), []any{1, 2})),
		"chord of chords": canvas.Chord(canvas.Group(
			canvas.Chord(canvas.Group(add(1, 1)), canvas.S("tasks.tsum")).Link(add(1)),
			canvas.Chord(canvas.Group(add(2, 2), add(3, 3)).OnError(canvas.S("tasks.log")), canvas.S("tasks.tsum")),
		), canvas.Chord(canvas.Group(add(4)), canvas.S("tasks.tsum"))),
	}
	readCases(t, "../canvas/testdata/cases.jsonl", "", sigs)
	for name, sig := range sigs {
		if err := sig.Validate(canvas.Limits{}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		p, err := Compile("w", sig)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(p.nodes) != cap(p.nodes) {
			t.Errorf("%s: %d nodes stored, sized for %d", name, len(p.nodes), cap(p.nodes))
		}
	}
}

// TestPlanIDsAndLookup checks that Lookup finds every node by the id
// Plan.ID gives it, whether made up or kept (a given task_id, one that
// happens to be the made-up one, a composite's after it gave way, in a
// workflow whose id has dots), keeps only the ids that are not made up,
// and finds nothing for an id no node has, however close to a made-up one.
func TestPlanIDsAndLookup(t *testing.T) {
	t.Parallel()
	add := func(args ...any) *canvas.Signature { return canvas.S("tasks.add", args...) }
	withID := func(s *canvas.Signature, id string) *canvas.Signature { s.Options.TaskID = id; return s }
	const wf = "w.1"
	sig := canvas.Chain(
		add(1, 1),
		withID(add(2), "mine"),
		withID(add(3), "w.1.3"), // node 3's made-up id, given to node 3
		canvas.Chord(canvas.Group(add(4), withID(add(5), "w.1.40")), canvas.S("tasks.tsum")).Link(add(6)),
		withID(canvas.Chain(add(7), withID(add(8), "gave")), "gave"), // the chain gives way to its task
		withID(add(9), "w.1.999"),
	)
	p, err := Compile(wf, sig)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i := range p.Len() {
		id := p.ID(int32(i))
		if seen[id] {
			t.Errorf("id %s twice", id)
		}
		seen[id] = true
		if j, ok := p.Lookup(id); !ok || j != int32(i) {
			t.Errorf("Lookup(%q) = %d, %v; want node %d", id, j, ok, i)
		}
		madeUp := wf
		if i > 0 {
			madeUp = wf + "." + strconv.Itoa(i)
		}
		if kept := p.Node(int32(i)).id != ""; kept == (id == madeUp) {
			t.Errorf("node %d, id %s: kept %v", i, id, kept)
		}
	}
	for _, id := range []string{"mine", "w.1.3", "w.1.40", "gave", "w.1.999"} {
		if !seen[id] {
			t.Errorf("no node has id %s", id)
		}
	}
	if i, ok := p.Lookup("gave"); !ok || p.Kind(i) != TaskNode {
		t.Errorf("the chain did not give way to its task: %d, %v", i, ok)
	}
	for _, id := range []string{"", "w", "w.", "w.1.", "w.1.0", "w.1.01", "w.1.+1", "w.1.-1", "w.1.1a", "w.1.1.1",
		"w.1.2", // node 2 gives task_id mine
		"w.1." + strconv.Itoa(p.Len()), "w.1.99999999999999999999", "w.2.1", "xw.1.1"} {
		if i, ok := p.Lookup(id); ok {
			t.Errorf("Lookup(%q) = node %d, whose id is %s", id, i, p.ID(i))
		}
	}
}

// readCases adds to sigs the canvases of the cases in the JSONL file at
// path that parse, named prefix and the case's name.
func readCases(t *testing.T, path, prefix string, sigs map[string]*canvas.Signature) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		v, err := value.DecodeJSON(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		c := v.(map[string]any)
		sig, err := canvas.FromValue(c["canvas"], canvas.Limits{})
		if err != nil {
			continue // a refused canvas compiles to nothing
		}
		sigs[prefix+c["name"].(string)] = sig
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestCompileWithoutIDIndex: for a canvas whose ids are all made up,
// Compile keeps no index of ids while it compiles, and the plan is the
// one it makes with the index; a canvas that gives a task_id below its
// root, or a root task_id other than the workflow id, is indexed.
func TestCompileWithoutIDIndex(t *testing.T) {
	t.Parallel()
	add := func(args ...any) *canvas.Signature { return canvas.S("tasks.add", args...) }
	withID := func(s *canvas.Signature, id string) *canvas.Signature { s.Options.TaskID = id; return s }
	const wf = "w"
	linked := add(1)
	linked.Options.Link = []*canvas.Signature{add(2)}
	linked.Options.LinkError = []*canvas.Signature{canvas.Chain(add(3), add(4))}
	for name, c := range map[string]struct {
		sig    *canvas.Signature
		madeUp bool
	}{
		"chord":              {canvas.Chord(canvas.Group(add(1), add(2), canvas.Group(add(3), add(4))), canvas.S("tasks.tsum")), true},
		"root gives wf":      {withID(canvas.Chain(add(1), canvas.Group(add(2), add(3)), add(4)), wf), true},
		"callbacks":          {canvas.Chain(linked, canvas.Map(canvas.S("tasks.echo"), []any{1, 2})), true},
		"chunks":             {canvas.Chunks(add(), []any{[]any{1, 2}, []any{3, 4}, []any{5, 6}}, 2), true},
		"root gives another": {withID(canvas.Group(add(1), add(2)), "mine"), false},
		"member gives one":   {canvas.Group(add(1), withID(add(2), "x")), false},
		"link gives one":     {canvas.Chain(add(1).Link(withID(add(2), "l"))), false},
	} {
		t.Run(name, func(t *testing.T) {
			if got := madeUpOnly(wf, c.sig); got != c.madeUp {
				t.Fatalf("madeUpOnly = %v, want %v", got, c.madeUp)
			}
			indexed, err := compile(wf, c.sig, true, true)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := Compile(wf, c.sig)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(plain, indexed) {
				t.Fatalf("the plan differs from the one compiled with an index of ids")
			}
			if plain.Len() < 3 {
				t.Fatalf("%d nodes: the test compares little", plain.Len())
			}
		})
	}
}

// TestPlanOptionsKeepsEveryOption sets each field of canvas.Options in
// turn and checks that the plan node keeps it: planOptions tells an empty
// Options by listing its fields, so a field added to canvas.Options
// without a line there fails here. The callbacks alone are not kept.
func TestPlanOptionsKeepsEveryOption(t *testing.T) {
	t.Parallel()
	callbacks := map[string]bool{"Link": true, "LinkError": true, "SingleLink": true, "SingleLinkError": true}
	typ := reflect.TypeFor[canvas.Options]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		var o canvas.Options
		setField(t, &o, i)
		got := planOptions(&o)
		if callbacks[f.Name] {
			if got != noOptions {
				t.Errorf("Options with only %s set: the plan node got its own options %+v", f.Name, got)
			}
			continue
		}
		if got == noOptions || !reflect.DeepEqual(*got, o) {
			t.Errorf("Options with %s set: the plan node kept %+v", f.Name, got)
		}
	}
	o := canvas.Options{TaskID: "t", Link: []*canvas.Signature{canvas.S("tasks.log")}, SingleLink: true}
	if got := planOptions(&o); got.TaskID != "t" || got.Link != nil || got.SingleLink {
		t.Errorf("planOptions(%+v) = %+v, want the task_id without the link", o, got)
	}
	if !reflect.DeepEqual(*noOptions, canvas.Options{}) {
		t.Errorf("noOptions was modified: %+v", noOptions)
	}
}

// TestCompileFrozenCanvases compiles the canvases Celery froze (the
// harness's "frozen by Celery" cases), with the root's task_id as the
// workflow id as the API takes it: every task keeps the task_id it gives,
// and a composite that gives one gives way to the node below it with that
// id, as Celery's result for a chain is its last task's.
func TestCompileFrozenCanvases(t *testing.T) {
	t.Parallel()
	f, err := os.Open("../internal/harness/testdata/fugue.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	frozen := 0
	for sc.Scan() {
		v, err := value.DecodeJSON(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		c := v.(map[string]any)
		if name := c["name"].(string); !strings.HasPrefix(name, "frozen by Celery") {
			continue
		}
		frozen++
		sig, err := canvas.FromValue(c["canvas"], canvas.Limits{})
		if err != nil {
			t.Fatalf("%s: %v", c["name"], err)
		}
		wf := sig.Options.TaskID
		p, err := Compile(wf, sig)
		if err != nil {
			t.Fatalf("%s: %v", c["name"], err)
		}
		gaveWay := 0
		for i := range p.Len() {
			n, id := p.Node(int32(i)), p.ID(int32(i))
			given := n.Options.TaskID
			switch {
			case given == "" || id == given:
			case n.Kind == TaskNode:
				t.Errorf("%s: task %d gives task_id %s, has id %s", c["name"], i, given, id)
			default:
				gaveWay++
				j, ok := p.Lookup(given)
				if !ok || !below(p, j, int32(i)) || id != wf+"."+strconv.Itoa(i) {
					t.Errorf("%s: composite %d gives task_id %s and has id %s; the node with that id is %d", c["name"], i, given, id, j)
				}
			}
		}
		if gaveWay == 0 && c["name"] != "frozen by Celery: group" {
			t.Errorf("%s: no composite gave way: the case tests nothing of it", c["name"])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if frozen < 5 {
		t.Fatalf("%d frozen cases: regenerate fugue.jsonl with gen_cases.py", frozen)
	}
}

// below reports whether node j is part of composite i.
func below(p *Plan, j, i int32) bool {
	for k := p.parent(j); k >= 0; k = p.parent(k) {
		if k == i {
			return true
		}
	}
	return false
}

// TestUsedTwiceSaysWhere: a task_id on two nodes is refused at the second
// place the wire form gives it, naming the first; a composite that gave
// way to a node below it is not one of the two.
func TestUsedTwiceSaysWhere(t *testing.T) {
	t.Parallel()
	const (
		a = `{"task": "tasks.a"}`
		x = `{"task": "tasks.x", "options": {"task_id": "x"}}`
	)
	for _, c := range []struct{ canvas, want string }{
		{`{"task": "celery.chord", "kwargs": {"header": {"task": "celery.group", "kwargs": {"tasks": [` + a + `, ` + x + `]}}, "body": ` + x + `}}`,
			`kwargs.body.options.task_id: task_id "x" is used twice in the canvas (also at kwargs.header.kwargs.tasks[1].options.task_id)`},
		// The group gives way to its second member; the link of its first
		// is no part of it.
		{`{"task": "celery.group", "options": {"task_id": "x"}, "kwargs": {"tasks": [{"task": "tasks.a", "options": {"link": [` + a + `, ` + x + `]}}, ` + x + `]}}`,
			`kwargs.tasks[1].options.task_id: task_id "x" is used twice in the canvas (also at kwargs.tasks[0].options.link[1].options.task_id)`},
		// A map's inner task is no node: only the map's own id counts.
		{`{"task": "celery.group", "kwargs": {"tasks": [{"task": "celery.map", "subtask_type": "xmap", "options": {"task_id": "x"}, "kwargs": {"task": ` + x + `, "it": [1]}}, {"task": "celery.chain", "options": {"task_id": "y"}, "kwargs": {"tasks": [` + x + `]}}]}}`,
			`kwargs.tasks[1].kwargs.tasks[0].options.task_id: task_id "x" is used twice in the canvas (also at kwargs.tasks[0].options.task_id)`},
		{`{"task": "celery.chain", "options": {"link_error": ` + x + `}, "kwargs": {"tasks": [` + a + `, {"task": "celery.chain", "options": {"task_id": "x"}, "kwargs": {"tasks": [` + x + `]}}]}}`,
			`options.link_error.options.task_id: task_id "x" is used twice in the canvas (also at kwargs.tasks[1].kwargs.tasks[0].options.task_id)`},
	} {
		v, err := value.DecodeJSON([]byte(c.canvas))
		if err != nil {
			t.Fatal(err)
		}
		sig, err := canvas.FromValue(v, canvas.Limits{})
		if err != nil {
			t.Fatalf("%s: %v", c.canvas, err)
		}
		_, err = Compile("w", sig)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s:\ngot  %v\nwant %s", c.canvas, err, c.want)
		}
	}
}
