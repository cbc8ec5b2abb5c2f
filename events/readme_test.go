package events

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// schemas/README.md shows a WorkflowSubmitted byte by byte; it must be what
// the codec writes.
func TestReadmeExample(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../schemas/README.md")
	if err != nil {
		t.Fatal(err)
	}
	rec := encode(t, newTestCodec(t), &Event{ID: "wf-1.0", Workflow: "wf-1", Time: 1767225600000000, Producer: "client",
		Body: &WorkflowSubmitted{Canvas: map[string]any{"task": "tasks.add", "args": []any{int64(2), int64(2)}}}})
	if hex := fmt.Sprintf("% x", rec); !strings.Contains(string(readme), hex) {
		t.Errorf("schemas/README.md does not show the example record as the codec writes it:\n%s", hex)
	}
}
