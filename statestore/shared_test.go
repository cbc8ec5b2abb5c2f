package statestore

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/projector"
)

// checkCanvasRecord checks that workflow wf of s, read with its plan no
// longer cached, compiles from its canvas record to the plan it was
// folded with, or, refused, reads back with the canvas it was refused.
func checkCanvasRecord(t *testing.T, s *Store, wf string) {
	t.Helper()
	c, cached := s.plans.get(wf)
	s.plans.remove(wf)
	w, _, err := s.loadWorkflow(s.db, wf, nil, true) // as the views read it
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case w.Rejected != "":
		if w.Canvas == nil {
			t.Fatal("a refused workflow read back without its canvas")
		}
	case !cached || !reflect.DeepEqual(w.Plan, c.plan):
		t.Fatalf("the plan compiled from the canvas record differs from the one folded (cached %v)", cached)
	}
}

// TestFoldSharedAlike checks that a submission the engine decodes with
// events.Codec.DecodeShared, whose long lists of members Fold compiles in
// bulk (canvas.ParseBulk) or, where it cannot, parses whole, folds into a
// store as the same submission decoded whole (Decode): the same outputs,
// the same state. The canvases are plain chords and groups, which compile
// in bulk, and others that must be parsed whole after trying: members
// that are not plain tasks, given task_ids, an error in a member or after
// it.
func TestFoldSharedAlike(t *testing.T) {
	t.Parallel()
	c, err := events.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	plain := func(n int) []*canvas.Signature {
		sigs := make([]*canvas.Signature, n)
		for i := range sigs {
			sigs[i] = canvas.S("tasks.add", int64(i), int64(i))
		}
		return sigs
	}
	with := func(n, at int, s *canvas.Signature) []*canvas.Signature {
		sigs := plain(n)
		sigs[at] = s
		return sigs
	}
	tsum := canvas.S("tasks.tsum")
	named := plain(100)
	for i, m := range named {
		m.Options.TaskID = fmt.Sprintf("id-%d", i)
	}
	bad := func(v map[string]any) map[string]any {
		v["kwargs"].(map[string]any)["header"].([]any)[70].(map[string]any)["args"] = "not a list"
		return v
	}
	cases := map[string]map[string]any{
		"chord":                  canvas.Chord(canvas.Group(plain(300)...), tsum).Value(),
		"group":                  canvas.Group(plain(100)...).Value(),
		"chain into a group":     canvas.Chain(tsum, canvas.Group(plain(100)...), tsum).Value(),
		"groups in a group":      canvas.Group(canvas.Group(plain(80)...), canvas.Group(plain(90)...)).Value(),
		"a member with a link":   canvas.Chord(canvas.Group(with(100, 50, canvas.S("t").Link(tsum))...), tsum).Value(),
		"a member a chord":       canvas.Group(with(100, 3, canvas.Chord(canvas.Group(plain(2)...), tsum))...).Value(),
		"given task_ids":         canvas.Chord(canvas.Group(named...), tsum).Value(),
		"a bad member":           bad(canvas.Chord(canvas.Group(plain(100)...), tsum).Value()),
		"a countdown past 9999":  canvas.Group(with(100, 80, canvas.S("t").Set(canvas.Options{Countdown: 1e20}))...).Value(),
		"a bad body after bulk":  canvas.Chord(canvas.Group(plain(100)...), canvas.S("t").Set(canvas.Options{Countdown: 1e20})).Value(),
		"too many nodes":         canvas.Group(plain(2000)...).Value(),
		"a chain of plain tasks": canvas.Chain(plain(100)...).Value(),
	}
	for name, cv := range cases {
		t.Run(name, func(t *testing.T) {
			rec, err := c.Encode(&events.Event{ID: events.SubmittedID("wf"), Workflow: "wf", Time: 1, Body: &events.WorkflowSubmitted{Canvas: cv}})
			if err != nil {
				t.Fatal(err)
			}
			// fold decodes rec and folds it into a store, or a MemState
			// (mem), handing the event over (take) or not.
			fold := func(decode func([]byte) (*events.Event, error), take, mem bool) ([32]byte, []*events.Event) {
				ev, err := decode(rec)
				if err != nil {
					t.Fatal(err)
				}
				var outs []*events.Event
				collect := func(o *events.Event) { outs = append(outs, o) }
				f := projector.New(projector.Config{Limits: canvas.Limits{MaxNodes: 1000}})
				if mem {
					st := projector.NewMemState()
					if err := f.FoldEachTaking(st, ev, collect); err != nil {
						t.Fatal(err)
					}
					return st.Hash(), outs
				}
				s, _ := setup(t)
				txn := s.Begin()
				if take {
					err = f.FoldEachTaking(txn, ev, collect)
				} else {
					err = f.FoldEach(txn, ev, collect)
				}
				if err != nil {
					t.Fatal(err)
				}
				if err := txn.Commit(); err != nil {
					t.Fatal(err)
				}
				checkCanvasRecord(t, s, "wf")
				return mustHash(t, s), outs
			}
			wantHash, want := fold(c.Decode, true, false)
			for _, way := range []struct {
				name      string
				take, mem bool
			}{{"handed over", true, false}, {"not handed over", false, false}, {"into a MemState", true, true}} {
				gotHash, got := fold(c.DecodeShared, way.take, way.mem)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s: outputs differ:\n%v\nwant\n%v", way.name, got[:min(len(got), 3)], want[:min(len(want), 3)])
				}
				if gotHash != wantHash {
					t.Fatalf("%s: state hashes differ", way.name)
				}
			}
		})
	}
}
