package projector

import (
	"reflect"
	"testing"

	"github.com/fugue-run/fugue/canvas"
)

// TestPackedAlike compiles canvases with their plain group members packed
// and without, and checks that every node reads the same either way:
// Node, its id and Lookup of it, the shape accessors Fold reads instead of
// Node (Kind, parent, pos, spliced, callbacks), and the result ids and
// errbacks. A canvas refused one way is refused the same way the other.
func TestPackedAlike(t *testing.T) {
	t.Parallel()
	sigs := packCases(t)
	packedSome := 0
	for name, sig := range sigs {
		wf := "w"
		if sig.Options.TaskID != "" {
			wf = sig.Options.TaskID
		}
		index := !madeUpOnly(wf, sig)
		want, werr := compile(wf, sig, index, false)
		got, gerr := compile(wf, sig, index, true)
		if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
			t.Fatalf("%s: packed: %v; not packed: %v", name, gerr, werr)
		}
		if werr != nil {
			continue
		}
		if len(got.runs) > 0 {
			packedSome++
		}
		if got.Len() != want.Len() {
			t.Fatalf("%s: %d nodes, want %d", name, got.Len(), want.Len())
		}
		if !reflect.DeepEqual(got.ids, want.ids) {
			t.Fatalf("%s: ids %v, want %v", name, got.ids, want.ids)
		}
		for i := range int32(want.Len()) {
			w, g := want.Node(i), got.Node(i)
			if !reflect.DeepEqual(g, w) {
				t.Fatalf("%s: node %d:\n%+v\nwant\n%+v", name, i, g, w)
			}
			if got.Kind(i) != w.Kind || got.parent(i) != w.Parent || got.pos(i) != w.Pos || got.spliced(i) != w.Spliced {
				t.Fatalf("%s: node %d: shape %v %d %d %v, want %+v", name, i, got.Kind(i), got.parent(i), got.pos(i), got.spliced(i), w)
			}
			links, ebs, cb := got.callbacks(i)
			if !reflect.DeepEqual(links, w.Links()) || !reflect.DeepEqual(ebs, w.Errbacks()) || cb != w.Callback {
				t.Fatalf("%s: node %d: callbacks %v %v %v, want %+v", name, i, links, ebs, cb, w)
			}
			id := got.ID(i)
			if id != want.ID(i) {
				t.Fatalf("%s: node %d: id %s, want %s", name, i, id, want.ID(i))
			}
			if j, ok := got.Lookup(id); !ok || j != i {
				t.Fatalf("%s: Lookup(%s) = %d, %v", name, id, j, ok)
			}
			gid, gebs := got.resultErrbacks(i)
			wid, webs := want.resultErrbacks(i)
			if gid != wid || !reflect.DeepEqual(gebs, webs) {
				t.Fatalf("%s: node %d: result %s %v, want %s %v", name, i, gid, gebs, wid, webs)
			}
		}
	}
	if packedSome < len(sigs)/4 {
		t.Fatalf("%d of %d canvases packed a member: the test compares little", packedSome, len(sigs))
	}
}

// packCases are canvases for TestPackedAlike: the parser's cases, the
// harness's, and runs of plain members that break and start again.
func packCases(t *testing.T) map[string]*canvas.Signature {
	add := func(args ...any) *canvas.Signature { return canvas.S("tasks.add", args...) }
	withID := func(s *canvas.Signature, id string) *canvas.Signature { s.Options.TaskID = id; return s }
	many := func(n int, f func(k int) *canvas.Signature) []*canvas.Signature {
		sigs := make([]*canvas.Signature, n)
		for k := range sigs {
			sigs[k] = f(k)
		}
		return sigs
	}
	mixed := many(40, func(k int) *canvas.Signature {
		switch k % 10 {
		case 1:
			return canvas.SI("tasks.echo", int64(k)) // another name, immutable
		case 2:
			return add(int64(k)).Set(canvas.Options{Queue: "q"}) // options of its own
		case 3:
			return canvas.Chain(add(int64(k)), add()) // ends a run
		case 4:
			return withID(add(int64(k)), "given"+string(rune('a'+k/10))) // not packable
		case 5:
			return add(int64(k)).Link(canvas.S("tasks.log")) // not packable
		case 6:
			return canvas.Map(canvas.S("tasks.double"), []any{int64(k)})
		case 7:
			return &canvas.Signature{Kind: canvas.KindTask, Task: "tasks.nothing"} // nil args and kwargs
		}
		return add(int64(k), map[string]any{"k": []any{int64(k), "x", 1.5, nil, true}})
	})
	sigs := map[string]*canvas.Signature{
		"mixed group": canvas.Group(mixed...).Set(canvas.Options{Queue: "g", MaxRetriesUnlimited: true}),
		"mixed chord": canvas.Chord(canvas.Group(mixed...), canvas.S("tasks.tsum")).Set(canvas.Options{Priority: int64(3)}),
		"groups in a chain": canvas.Chain(canvas.Group(many(5, func(k int) *canvas.Signature { return add(int64(k)) })...),
			canvas.Group(many(5, func(k int) *canvas.Signature { return add(int64(k)) })...)),
		"group in a group":           canvas.Group(add(1), withID(canvas.Group(add(2), add(3)), "inner"), add(4)),
		"member takes a made-up id":  canvas.Group(add(1), add(2), withID(add(3), "w.1")),
		"member gives the root's id": canvas.Group(add(1), withID(add(2), "w")),
		"chunks": canvas.Chunks(add(), []any{[]any{1, 2}, []any{3, 4}, []any{5, 6}}, 2).
			Set(canvas.Options{Countdown: int64(3)}),
		"callbacks with groups": add(1).Link(canvas.Group(add(2), add(3))).OnError(canvas.Group(add(4), add(5))),
	}
	for _, path := range []string{"../canvas/testdata/cases.jsonl", "../internal/harness/testdata/fugue.jsonl"} {
		readCases(t, path, path+": ", sigs)
	}
	return sigs
}

// TestPackedChord checks what packing saves: a chord of 10,000 plain
// tasks keeps three nodes (the chord, its header, its body) and one run.
func TestPackedChord(t *testing.T) {
	t.Parallel()
	members := make([]*canvas.Signature, 10_000)
	for k := range members {
		members[k] = canvas.S("tasks.add", int64(k), int64(k))
	}
	p, err := Compile("w", canvas.Chord(canvas.Group(members...), canvas.S("tasks.tsum")))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.nodes) != 3 || len(p.runs) != 1 || p.Len() != 10_003 {
		t.Fatalf("%d nodes stored, %d runs, %d nodes in all", len(p.nodes), len(p.runs), p.Len())
	}
	if r := p.runs[0]; len(r.calls) > 12*len(members) {
		t.Fatalf("%d bytes of calls for %d members", len(r.calls), len(members))
	}
	n := p.Node(2 + 9_999)
	if n.Task != "tasks.add" || !reflect.DeepEqual(n.Args, []any{int64(9_999), int64(9_999)}) || n.Pos != 9_999 || n.Parent != 1 {
		t.Fatalf("last member: %+v", n)
	}
	if p.Kind(10_002) != TaskNode || p.parent(10_002) != 0 || p.pos(10_002) != 1 {
		t.Fatalf("the body: %+v", p.Node(10_002))
	}
}
