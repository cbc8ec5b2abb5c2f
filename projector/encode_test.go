package projector

import (
	"reflect"
	"testing"
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
