package events

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/fugue-run/fugue/schemas"
)

// Another Avro implementation reads our records and we read its:
// testdata/interop.py decodes every sample with Python's fastavro, checks
// the header against its own fingerprint of the schema, encodes the record
// again, and adds a WorkflowSubmitted of its own. It runs where a Python
// with fastavro is found: $FUGUE_PYTHON, else python3.
func TestFastavroInterop(t *testing.T) {
	t.Parallel()
	python := os.Getenv("FUGUE_PYTHON")
	if python == "" {
		python = "python3"
	}
	if err := exec.Command(python, "-c", "import fastavro").Run(); err != nil {
		t.Skipf("no fastavro in %s (set FUGUE_PYTHON to a python that has it): %v", python, err)
	}
	c := newTestCodec(t)
	var in bytes.Buffer
	for _, e := range samples() {
		in.WriteString(hex.EncodeToString(encode(t, c, e)) + "\n")
	}
	cmd := exec.Command(python, "testdata/interop.py", fmt.Sprintf("../schemas/v%d/event.avsc", schemas.Latest))
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("interop.py: %v\n%s", err, stderr.String())
	}
	lines := strings.Fields(string(out))
	if len(lines) != len(samples())+1 {
		t.Fatalf("interop.py printed %d records, want %d", len(lines), len(samples())+1)
	}
	for i, want := range samples() {
		rec, err := hex.DecodeString(lines[i])
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Decode(rec)
		if err != nil {
			t.Fatalf("%s written by fastavro: %v", bodyName(want.Body), err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s through fastavro and back:\n got %#v\nwant %#v", bodyName(want.Body), got.Body, want.Body)
		}
	}

	rec, err := hex.DecodeString(lines[len(lines)-1])
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Decode(rec)
	if err != nil {
		t.Fatalf("WorkflowSubmitted made by fastavro: %v", err)
	}
	add := func(immutable bool, args ...any) map[string]any {
		return map[string]any{"task": "tasks.add", "args": args, "kwargs": map[string]any{}, "options": map[string]any{}, "subtask_type": nil, "immutable": immutable}
	}
	want := &Event{ID: "py-wf.submitted", Workflow: "py-wf", Time: 1767225600000001, Producer: "python",
		Body: &WorkflowSubmitted{Canvas: map[string]any{
			"task": "celery.chain", "args": []any{},
			"kwargs":       map[string]any{"tasks": []any{add(false, int64(2), 2.5), add(true, []byte{0, 0xff})}},
			"options":      map[string]any{"task_id": "py-wf"},
			"subtask_type": "chain", "immutable": false,
		}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("WorkflowSubmitted made by fastavro:\n got %#v\nwant %#v", got.Body, want.Body)
	}
}
