package statestore

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"weak"

	"github.com/cockroachdb/pebble/v2"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/harness"
	"github.com/fugue-run/fugue/projector"
)

func TestKeysMatchProjector(t *testing.T) {
	t.Parallel()
	for _, wf := range []string{"", "wf", "a/b", "x\x00y"} {
		for _, i := range []int32{0, 1, 255, 1 << 20} {
			if got, want := appendNodeKey(nil, wf, i), projector.NodeKey(wf, i); !bytes.Equal(got, want) {
				t.Errorf("node key %q, projector %q", got, want)
			}
		}
		if got, want := appendWorkflowKey(nil, wf), projector.WorkflowKey(wf); !bytes.Equal(got, want) {
			t.Errorf("workflow key %q, projector %q", got, want)
		}
		if got, want := appendCanvasKey(nil, wf), projector.CanvasKey(wf); !bytes.Equal(got, want) {
			t.Errorf("canvas key %q, projector %q", got, want)
		}
		if got, want := appendTaskKey(nil, wf), projector.TaskKey(wf); !bytes.Equal(got, want) {
			t.Errorf("task key %q, projector %q", got, want)
		}
	}
}

func TestOpenRefusesOtherFormats(t *testing.T) {
	t.Parallel()
	s, dir := setup(t)
	if err := s.db.Set(keyVersion, []byte("99"), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); !errors.Is(err, ErrFormat) {
		t.Fatalf("open of a version 99 store: %v, want ErrFormat", err)
	}

	// A version 1 or 2 store is read, and marked version 3 before
	// anything is written: a build that reads only its version refuses it
	// from then on.
	for _, old := range formatsUpgraded {
		if err := setVersion(dir, old); err != nil {
			t.Fatal(err)
		}
		s, err := Open(dir)
		if err != nil {
			t.Fatalf("open of a version %s store: %v", old, err)
		}
		v, closer, err := s.db.Get(keyVersion)
		if err != nil || string(v) != formatVersion {
			t.Fatalf("version %s store opened: version %q (%v), want %q", old, v, err, formatVersion)
		}
		closer.Close()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}

	// Data without a version is not a store either.
	other := filepath.Join(t.TempDir(), "other")
	db, err := pebble.Open(other, &pebble.Options{Logger: pebbleLogger{defaultConfig().logger}})
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(db.Set([]byte("k"), []byte("v"), pebble.Sync), db.Close()); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(other); !errors.Is(err, ErrFormat) {
		t.Fatalf("open of foreign data: %v, want ErrFormat", err)
	}
}

// setVersion writes the format version of the closed store in dir.
func setVersion(dir, v string) error {
	db, err := pebble.Open(dir, &pebble.Options{Logger: pebbleLogger{defaultConfig().logger}, FormatMajorVersion: pebble.FormatNewest})
	if err != nil {
		return err
	}
	return errors.Join(db.Set(keyVersion, []byte(v), pebble.Sync), db.Close())
}

func TestOptionsValidated(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := Open(dir, WithPlanCacheSize(0)); err == nil {
		t.Error("plan cache size 0 accepted")
	}
	if _, err := Open(dir, WithCacheSize(-1)); err == nil {
		t.Error("negative cache size accepted")
	}
}

// TestReopen folds a log, closes the store and opens it again: the state,
// the applied offset and the plans come back.
func TestReopen(t *testing.T) {
	t.Parallel()
	h := record(t, harness.Chaos{}, caseCanvases(t)...)
	s, dir := setup(t)
	if empty, err := s.Empty(); err != nil || !empty {
		t.Fatalf("a new store: empty %v, %v", empty, err)
	}
	half := len(h.Log) / 2
	newFolder(s, 50).fold(t, h.Log[:half], 0)
	s = reopen(t, s, dir)
	if empty, err := s.Empty(); err != nil || empty {
		t.Fatalf("a used store: empty %v, %v", empty, err)
	}
	off, ok, err := s.Applied(testTopic, 0)
	if err != nil || !ok || off != int64(half-1) {
		t.Fatalf("applied %d %v %v, want %d", off, ok, err, half-1)
	}
	if _, ok, err := s.Applied(testTopic, 1); ok || err != nil {
		t.Fatalf("partition 1: applied %v %v, want none", ok, err)
	}
	// Go on from the committed offset, with plans compiled from the stored
	// canvases this time.
	newFolder(s, 50).fold(t, h.Log, int(off)+1)
	mem, _ := memFold(t, h.Log)
	if got, want := mustHash(t, s), mem.Hash(); got != want {
		t.Fatalf("hash after reopen %x, memory %x", got, want)
	}
	var ids []string
	if err := s.WorkflowIDs(func(id string) bool { ids = append(ids, id); return true }); err != nil {
		t.Fatal(err)
	}
	if want := mem.WorkflowIDs(); len(ids) != len(want) || ids[0] != want[0] || ids[len(ids)-1] != want[len(want)-1] {
		t.Fatalf("workflow ids %v, want %v", ids, want)
	}
}

func TestAppliedOnlyGrows(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	commit := func(offs ...int64) error {
		txn := s.Begin()
		for _, o := range offs {
			txn.SetApplied(testTopic, 3, o)
		}
		return txn.Commit()
	}
	if err := commit(10); err != nil {
		t.Fatal(err)
	}
	if err := commit(10); err != nil {
		t.Fatalf("the same offset again: %v", err)
	}
	if err := commit(9); !errors.Is(err, ErrOffsetRegressed) {
		t.Fatalf("offset 9 after 10: %v, want ErrOffsetRegressed", err)
	}
	if err := commit(12, 11); !errors.Is(err, ErrOffsetRegressed) {
		t.Fatalf("12 then 11 in one txn: %v, want ErrOffsetRegressed", err)
	}
	if off, _, _ := s.Applied(testTopic, 3); off != 10 {
		t.Fatalf("applied %d after failed commits, want 10", off)
	}
	// A failed commit writes nothing, state included.
	txn := s.Begin()
	txn.SetApplied(testTopic, 3, 5)
	if err := txn.ClaimTask("t1", "w1"); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); !errors.Is(err, ErrOffsetRegressed) {
		t.Fatal(err)
	}
	if owner, err := s.Reader().TaskOwner("t1"); owner != "" || err != nil {
		t.Fatalf("a failed commit wrote a task claim: %q %v", owner, err)
	}
	if err := commit(11); err != nil {
		t.Fatal(err)
	}
	if off, _, _ := s.Applied(testTopic, 3); off != 11 {
		t.Fatalf("applied %d, want 11", off)
	}
}

func submitEvent(wf string, sig *canvas.Signature) *events.Event {
	return &events.Event{ID: events.SubmittedID(wf), Workflow: wf, Time: harness.Epoch, Body: &events.WorkflowSubmitted{Canvas: sig.Value()}}
}

func TestDiscard(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	f := projector.New(projector.Config{})
	txn := s.Begin()
	if _, err := f.Fold(txn, submitEvent("w1", chord(3)), nil); err != nil {
		t.Fatal(err)
	}
	txn.SetApplied(testTopic, 0, 0)
	txn.PutTimer(Timer{Due: 5, Workflow: "w1", Task: "w1.2", Name: "eta"})
	if w, err := txn.Workflow("w1"); err != nil || w == nil {
		t.Fatalf("the txn does not see its own workflow: %v %v", w, err)
	}
	txn.Discard()
	txn.Discard() // harmless
	if empty, err := s.Empty(); err != nil || !empty {
		t.Fatalf("after discard: empty %v, %v", empty, err)
	}
	if s.plans.len() != 0 {
		t.Fatal("a discarded workflow's plan was cached")
	}
	// The same submission again, committed this time, on recycled memory.
	txn = s.Begin()
	if w, err := txn.Workflow("w1"); err != nil || w != nil {
		t.Fatalf("a new txn sees a discarded workflow: %v %v", w, err)
	}
	if _, err := f.Fold(txn, submitEvent("w1", chord(3)), nil); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	if w, err := s.Reader().Workflow("w1"); err != nil || w == nil || w.Plan == nil {
		t.Fatalf("committed workflow: %v %v", w, err)
	}
}

func TestTxnDone(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	txn := s.Begin()
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); !errors.Is(err, ErrTxnDone) {
		t.Fatalf("second commit: %v", err)
	}
	if _, err := txn.Workflow("w"); !errors.Is(err, ErrTxnDone) {
		t.Fatalf("read after commit: %v", err)
	}
	if err := txn.PutWorkflow(&projector.Workflow{ID: "w"}); !errors.Is(err, ErrTxnDone) {
		t.Fatalf("write after commit: %v", err)
	}
	txn.SetApplied(testTopic, 0, 1) // ignored
	if _, ok, _ := s.Applied(testTopic, 0); ok {
		t.Fatal("SetApplied after commit wrote")
	}
}

// TestStablePointers checks that a Txn returns the same records for the
// same keys, read from the store or created.
func TestStablePointers(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	f := projector.New(projector.Config{})
	committedChord(t, s, f, "w1")
	txn := s.Begin()
	defer txn.Discard()
	w1, _ := txn.Workflow("w1")
	w2, _ := txn.Workflow("w1")
	n1, _ := txn.Node(w1, 2)
	n2, _ := txn.Node(w2, 2)
	if w1 == nil || w1 != w2 || n1 != n2 {
		t.Fatalf("pointers differ: %p %p, %p %p", w1, w2, n1, n2)
	}
	if n1.Status != projector.Idle {
		t.Fatalf("header member dispatched unwritten read back raw as %+v", n1)
	}
	if n, err := projector.ReadNode(txn, w1, 2); err != nil || n.Status != projector.Pending || !n.Dispatched {
		t.Fatalf("header member read back as %+v (%v)", n, err)
	}
	if _, err := txn.Node(w1, int32(w1.Plan.Len())); err == nil {
		t.Fatal("a node beyond the plan was given")
	}
	none, err := txn.Workflow("nope")
	if err != nil || none != nil {
		t.Fatalf("unknown workflow: %v %v", none, err)
	}
}

func TestCheckpoint(t *testing.T) {
	t.Parallel()
	h := record(t, harness.Chaos{}, caseCanvases(t)...)
	s, _ := setup(t)
	newFolder(s, 100).fold(t, h.Log, 0)
	want := mustHash(t, s)
	dir := filepath.Join(t.TempDir(), "copy")
	if err := s.Checkpoint(dir); err != nil {
		t.Fatal(err)
	}
	// Later commits do not reach the copy.
	txn := s.Begin()
	if err := txn.ClaimTask("late", "w"); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := mustHash(t, c); got != want {
		t.Fatalf("checkpoint hash %x, store %x", got, want)
	}
	if off, ok, err := c.Applied(testTopic, 0); err != nil || !ok || off != int64(len(h.Log)-1) {
		t.Fatalf("checkpoint applied %d %v %v", off, ok, err)
	}
}

// TestConcurrentTxns runs transactions on disjoint partitions at once, as
// the projector and the timer service do.
func TestConcurrentTxns(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	const per = 200
	done := make(chan error, 2)
	for p := range int32(2) {
		go func() {
			for i := range per {
				txn := s.Begin()
				txn.PutTimer(Timer{Due: int64(i), Workflow: "w", Task: "t", Name: string(rune('a' + p))})
				if err := txn.ClaimTask(fmt.Sprintf("p%d-%d", p, i), "w"); err != nil {
					done <- err
					return
				}
				txn.SetApplied(testTopic, p, int64(i))
				if i%3 == 0 {
					txn.Discard()
					continue
				}
				if err := txn.Commit(); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	for p := range int32(2) {
		if off, ok, err := s.Applied(testTopic, p); err != nil || !ok || off != per-1 {
			t.Fatalf("partition %d: applied %d %v %v", p, off, ok, err)
		}
	}
	n := 0
	if err := s.Timers(func(Timer) bool { n++; return true }); err != nil || n != 2*(per-per/3-1) {
		t.Fatalf("%d timers, %v; want %d", n, err, 2*(per-per/3-1))
	}
}

func TestPrefixEnd(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"k/", "k0"},
		{"k/wf/\x00\x00\x00\x07", "k/wf/\x00\x00\x00\x08"},
		{"k/wf/\x00\x00\x00\xff", "k/wf/\x00\x00\x01"},
		{"\xff\xff", ""},
	} {
		got := prefixEnd([]byte(c.in))
		if string(got) != c.want || (c.want == "" && got != nil) {
			t.Errorf("prefixEnd(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestNewCanvasGoesAtPut checks that a submission's canvas tree is garbage
// once Fold has put the new workflow, while it dispatches the workflow's
// first tasks: neither Fold nor the Txn keeps it then (the Txn keeps its
// encoding), so a large canvas does not share the heap with all that its
// submission dispatches.
func TestNewCanvasGoesAtPut(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	f := projector.New(projector.Config{})
	c := chord(100).Value()
	header, ok := c["kwargs"].(map[string]any)["header"].([]any)
	if !ok || len(header) != 100 {
		t.Fatalf("unexpected chord shape %v", c["kwargs"])
	}
	st := &collectAtPutNode{Txn: s.Begin(), probe: weak.Make(&header[0])}
	want := projector.AppendCanvas(nil, c)
	body := &events.WorkflowSubmitted{Canvas: c}
	c, header = nil, nil
	out, err := f.Fold(st, &events.Event{ID: events.SubmittedID("wf"), Workflow: "wf", Time: harness.Epoch, Body: body}, nil)
	if err != nil || len(out) != 100 {
		t.Fatalf("fold: %v, %d outputs", err, len(out))
	}
	if !st.checked || st.reachable {
		t.Fatalf("the canvas tree was reachable while Fold dispatched (checked %v)", st.checked)
	}
	if err := st.Commit(); err != nil {
		t.Fatal(err)
	}
	var got []byte
	if _, err := get(s.db, appendCanvasKey(nil, "wf"), func(v []byte) error { got = bytes.Clone(v); return nil }); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("the canvas record is not the canvas's encoding (%d bytes, want %d)", len(got), len(want))
	}
}

// TestNewCanvasGoesBeforeItsPlanIsUsed submits a chord whose last header
// member has a task_id, so that Fold asks who owns it before it compiles
// the plan: by then the canvas's value tree must be gone. Fold puts a
// new workflow (and the store encodes its canvas) before it checks its ids
// and compiles the plan, so the tree and the plan are never alive together.
func TestNewCanvasGoesBeforeItsPlanIsUsed(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	sig := chord(100)
	sig.Tasks[99].Options.TaskID = "named"
	c := sig.Value()
	header := c["kwargs"].(map[string]any)["header"].([]any)
	st := &collectAtTaskOwner{Txn: s.Begin(), probe: weak.Make(&header[0])}
	body := &events.WorkflowSubmitted{Canvas: c}
	c, header = nil, nil
	if _, err := projector.New(projector.Config{}).Fold(st, &events.Event{ID: events.SubmittedID("wf"), Workflow: "wf", Time: harness.Epoch, Body: body}, nil); err != nil {
		t.Fatal(err)
	}
	if !st.checked || st.reachable {
		t.Fatalf("the canvas tree was reachable when Fold checked the task_id of its plan (checked %v)", st.checked)
	}
	if err := st.Commit(); err != nil {
		t.Fatal(err)
	}
	if owner, err := s.Reader().TaskOwner("named"); err != nil || owner != "wf" {
		t.Fatalf("owner of task named: %q, %v", owner, err)
	}
}

// TestFoldEachTakingTakesAnEncodedCanvas folds one submission with
// FoldEach and with FoldEachTaking into two stores: the outputs and the
// states are the same, and FoldEachTaking took the event's canvas tree
// apart (the store had encoded it), FoldEach not. Into a MemState, which
// keeps the canvas tree it is given, FoldEachTaking takes nothing.
func TestFoldEachTakingTakesAnEncodedCanvas(t *testing.T) {
	t.Parallel()
	f := projector.New(projector.Config{})
	header := func(ev *events.Event) []any {
		return ev.Body.(*events.WorkflowSubmitted).Canvas["kwargs"].(map[string]any)["header"].([]any)
	}
	fold := func(st projector.State, ev *events.Event, take bool) []events.Event {
		var out []events.Event
		collect := func(o *events.Event) { out = append(out, *o) }
		var err error
		if take {
			err = f.FoldEachTaking(st, ev, collect)
		} else {
			err = f.FoldEach(st, ev, collect)
		}
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	taken := func(h []any) int {
		n := 0
		for _, m := range h {
			if m == nil {
				n++
			}
		}
		return n
	}

	var outs [2][]events.Event
	var hashes [2][32]byte
	for i, take := range []bool{false, true} {
		s, _ := setup(t)
		ev := submitEvent("wf", chord(50))
		txn := s.Begin()
		outs[i] = fold(txn, ev, take)
		if err := txn.Commit(); err != nil {
			t.Fatal(err)
		}
		hashes[i] = mustHash(t, s)
		if n, want := taken(header(ev)), map[bool]int{false: 0, true: 50}[take]; n != want {
			t.Errorf("take %v: %d of the 50 header dicts taken, want %d", take, n, want)
		}
	}
	if len(outs[0]) != 50 || !reflect.DeepEqual(outs[0], outs[1]) {
		t.Fatalf("FoldEach emitted %d outputs, FoldEachTaking %d, or they differ", len(outs[0]), len(outs[1]))
	}
	if hashes[0] != hashes[1] {
		t.Fatal("the stores of FoldEach and FoldEachTaking differ")
	}

	m := projector.NewMemState()
	ev := submitEvent("wf", chord(50))
	if out := fold(m, ev, true); len(out) != 50 {
		t.Fatalf("MemState: %d outputs, want 50", len(out))
	}
	if n := taken(header(ev)); n != 0 {
		t.Fatalf("FoldEachTaking took %d header dicts of a canvas a MemState keeps", n)
	}
	w, err := m.Workflow("wf")
	if err != nil || !reflect.DeepEqual(w.Canvas, chord(50).Value()) {
		t.Fatalf("the MemState's canvas is not the one submitted (%v)", err)
	}
}

// collectAtTaskOwner collects garbage at the first TaskOwner and notes
// whether probe was still reachable.
type collectAtTaskOwner struct {
	*Txn
	probe              weak.Pointer[any]
	checked, reachable bool
}

func (c *collectAtTaskOwner) TaskOwner(task string) (string, error) {
	if !c.checked {
		runtime.GC()
		c.checked, c.reachable = true, c.probe.Value() != nil
	}
	return c.Txn.TaskOwner(task)
}

// collectAtPutNode collects garbage at the first PutNode (Fold starting
// the workflow's first task) and notes whether probe was still reachable.
type collectAtPutNode struct {
	*Txn
	probe              weak.Pointer[any]
	checked, reachable bool
}

func (c *collectAtPutNode) PutNode(w *projector.Workflow, i int32, n *projector.Node) error {
	if !c.checked {
		runtime.GC()
		c.checked, c.reachable = true, c.probe.Value() != nil
	}
	return c.Txn.PutNode(w, i, n)
}

// TestCommittedReadsUseTheBlockCache reads the nodes of a committed and
// flushed chord twice: the second pass must come from Pebble's block
// cache. Pebble counts its memtables against the cache; when the cache
// was no larger than them, it held no block and every read went to the
// file (a pread and a checksum per node). It showed with a chord of
// 60,000 and not of 40,000: the larger submission batch goes in as a
// memtable of its own, and the next memtables are sized up after it.
func TestCommittedReadsUseTheBlockCache(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	const n = 60_000
	txn := s.Begin()
	if _, err := projector.New(projector.Config{}).Fold(txn, submitEvent("wf", chord(n)), nil); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Flush(); err != nil {
		t.Fatal(err)
	}
	read := func() {
		txn := s.Begin()
		defer txn.Discard()
		w, err := txn.Workflow("wf")
		if err != nil || w == nil {
			t.Fatalf("workflow: %v %v", w, err)
		}
		for i := range int32(w.Plan.Len()) {
			if _, err := txn.Node(w, i); err != nil {
				t.Fatal(err)
			}
		}
	}
	read()
	before := s.db.Metrics().BlockCache
	read()
	after := s.db.Metrics().BlockCache
	hits, misses := after.Hits-before.Hits, after.Misses-before.Misses
	if hits == 0 || misses*100 > hits {
		t.Fatalf("reading %d nodes again: %d block cache hits, %d misses; want (nearly) all hits", n, hits, misses)
	}
}

// TestBindTopic records a topic's id at the first bind, accepts it again
// (after a reopen too), refuses another id with ErrOtherTopic, and
// neither records nor checks a zero id.
func TestBindTopic(t *testing.T) {
	t.Parallel()
	s, dir := setup(t)
	a, b := [16]byte{1, 2, 3}, [16]byte{4, 5, 6}
	if err := s.BindTopic("fugue.events", [16]byte{}); err != nil {
		t.Fatalf("zero id: %v", err)
	}
	if err := s.BindTopic("fugue.events", a); err != nil {
		t.Fatalf("first bind: %v", err)
	}
	if err := s.BindTopic("other.events", b); err != nil {
		t.Fatalf("another topic name: %v", err)
	}
	if empty, err := s.Empty(); err != nil || !empty {
		t.Fatalf("a bound store with no state: empty %v, %v", empty, err)
	}
	s = reopen(t, s, dir)
	if err := s.BindTopic("fugue.events", a); err != nil {
		t.Fatalf("the same id after a reopen: %v", err)
	}
	err := s.BindTopic("fugue.events", b)
	if !errors.Is(err, ErrOtherTopic) || !strings.Contains(err.Error(), "fugue.events") {
		t.Fatalf("another id: %v, want %v naming the topic", err, ErrOtherTopic)
	}
	if err := s.BindTopic("fugue.events", [16]byte{}); err != nil {
		t.Fatalf("zero id on a bound store: %v", err)
	}
}
