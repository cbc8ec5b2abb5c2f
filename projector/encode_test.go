package projector

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/value"
)

func TestRecordRoundTrip(t *testing.T) {
	t.Parallel()
	w := &Workflow{
		ID: "wf", Submitted: 42, Status: Failure, Result: []any{int64(1), 2.5, "x", nil, true, []byte("b"), map[string]any{"k": []any{}}},
		Err:      &Error{Type: "ChordError", Message: "Dependency x raised E('m')", Traceback: "tb", TaskID: "wf.3"},
		RootDone: true, Outstanding: 2, Completed: true, Rejected: "no",
	}
	got, err := DecodeWorkflow(AppendWorkflow(nil, w))
	if err != nil || !reflect.DeepEqual(got, w) {
		t.Fatalf("workflow: %v\n got %#v\nwant %#v", err, got, w)
	}
	n := Node{
		Status: Custom, Custom: "PROGRESS", Attempt: 2, Seq: 3, Dispatched: true,
		Args: []any{int64(4)}, Kwargs: map[string]any{"a": 1.0}, Result: "r", Meta: map[string]any{"step": int64(1)},
		Err: &Error{Type: "E"}, Parent: "p", Failure: &Error{TaskID: "f"}, Expires: 99, Done: 5, FirstFailed: 2, Next: 1,
	}
	gotN, err := DecodeNode(AppendNode(nil, &n))
	if err != nil || !reflect.DeepEqual(gotN, n) {
		t.Fatalf("node: %v\n got %#v\nwant %#v", err, gotN, n)
	}
	c := map[string]any{"task": "tasks.add", "args": []any{int64(1)}}
	gotC, err := DecodeCanvas(AppendCanvas(nil, c))
	if err != nil || !reflect.DeepEqual(gotC, c) {
		t.Fatalf("canvas: %v %#v", err, gotC)
	}
	b := AppendNode(nil, &n)
	for i := range b {
		if _, err := DecodeNode(b[:i]); err == nil {
			t.Fatalf("a node truncated to %d bytes decoded without error", i)
		}
	}
}

// TestValueSize checks that valueSize is the size appendValue writes, so
// that AppendCanvas sizes its record exactly.
func TestValueSize(t *testing.T) {
	vals := []any{nil, true, false, 0.5, math.NaN(), "", strings.Repeat("é", 64), []byte{0, 1},
		strings.Repeat("x", 127), strings.Repeat("x", 128), strings.Repeat("x", 1<<14),
		[]any{}, map[string]any{}, map[string]any{strings.Repeat("k", 200): []any{int64(1), nil}}}
	for _, i := range []int64{0, 1, -1, 63, 64, -64, -65, 1 << 20, math.MaxInt64, math.MinInt64} {
		vals = append(vals, i)
	}
	vals = append(vals, []any{vals}, map[string]any{"a": vals, "b": map[string]any{"c": vals}})
	for _, v := range vals {
		if got, want := valueSize(v), len(appendValue(nil, v)); got != want {
			t.Errorf("valueSize(%.60v) = %d, want %d", v, got, want)
		}
	}
	c := map[string]any{"task": "celery.group", "kwargs": map[string]any{"tasks": vals}}
	if n := testing.AllocsPerRun(10, func() { AppendCanvas(nil, c) }); n != 1 && !raceEnabled {
		t.Errorf("AppendCanvas made %v allocations, want 1", n)
	}
}

// TestAppendCanvasShared checks that a canvas whose members the engine left
// undecoded (events.Codec.DecodeShared) encodes as the same canvas decoded
// whole, into a buffer that valueSize sized: no member's text is shorter
// than its encoding here.
func TestAppendCanvasShared(t *testing.T) {
	t.Parallel()
	c, err := events.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	odd := []any{nil, true, false, int64(-1 << 62), 1.5, "", "ü", []byte{0, 1}, []any{}, map[string]any{}, []any{map[string]any{"k": []any{nil, false}}}}
	tasks := make([]any, 100)
	for i := range tasks {
		tasks[i] = map[string]any{"task": "tasks.echo", "args": []any{odd[i%len(odd)], int64(i)}, "kwargs": map[string]any{"b": true}, "immutable": i%2 == 0}
	}
	canvas := map[string]any{"task": "celery.group", "kwargs": map[string]any{"tasks": tasks}}
	b, err := c.Encode(&events.Event{ID: "s", Workflow: "wf", Body: &events.WorkflowSubmitted{Canvas: canvas}})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := c.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	shared, err := c.DecodeShared(b)
	if err != nil {
		t.Fatal(err)
	}
	sc := shared.Body.(*events.WorkflowSubmitted).Canvas
	if _, ok := sc["kwargs"].(map[string]any)["tasks"].([]any)[0].(*value.Lazy); !ok {
		t.Fatal("DecodeShared decoded the members: the test checks nothing")
	}
	want := AppendCanvas(nil, whole.Body.(*events.WorkflowSubmitted).Canvas)
	size := 1 + valueSize(sc)
	got := AppendCanvas(nil, sc)
	if !bytes.Equal(got, want) {
		t.Fatal("the shared canvas encodes otherwise")
	}
	if len(got) > size {
		t.Fatalf("encoded in %d bytes, sized for %d", len(got), size)
	}
}
