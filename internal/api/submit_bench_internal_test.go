package api

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/value"
)

// BenchmarkSubmitPath is the work submit does on a canvas before it is
// produced, with its members decoded up front (DecodeJSON, as before
// value.DecodeCanvasJSON) and as they are read (DecodeCanvasJSON): decode,
// check, tooDeep and encode the WorkflowSubmitted. Run it with -benchmem;
// what is kept from one step to the next is BenchmarkChordPeakHeap's.
func BenchmarkSubmitPath(b *testing.B) {
	codec, err := events.NewCodec()
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{10, 10_000} {
		var sb strings.Builder
		sb.WriteString(`{"task": "celery.chord", "args": [], "kwargs": {"header": [`)
		for i := range n {
			if i > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, `{"task": "tasks.add", "args": [%d, %d], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false}`, i, i)
		}
		sb.WriteString(`], "body": {"task": "tasks.tsum", "args": [], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false}}, "options": {}, "subtask_type": "chord", "immutable": false}`)
		body := []byte(sb.String())
		for _, d := range []struct {
			name   string
			decode func([]byte) (any, error)
		}{{"eager", value.DecodeJSON}, {"lazy", value.DecodeCanvasJSON}} {
			b.Run(fmt.Sprintf("n=%d/%s", n, d.name), func(b *testing.B) {
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					v, err := d.decode(body)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := check(v, canvas.Limits{}, time.Now()); err != nil {
						b.Fatal(err)
					}
					wire := v.(map[string]any)
					if reason := tooDeep(wire); reason != "" {
						b.Fatal(reason)
					}
					ev := events.Event{ID: events.SubmittedID("w"), Workflow: "w", Time: 1, Body: &events.WorkflowSubmitted{Canvas: wire}}
					if _, err := codec.Encode(&ev); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
