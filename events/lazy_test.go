package events

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/fugue-run/fugue/value"
)

// checkLazyEncode checks that a canvas from value.DecodeCanvasJSON
// encodes to the bytes, or the error, of the same canvas decoded whole.
func checkLazyEncode(t *testing.T, c *Codec, data []byte) {
	t.Helper()
	lazy, err := value.DecodeCanvasJSON(data)
	if err != nil {
		return
	}
	lm, ok := lazy.(map[string]any)
	if !ok {
		return
	}
	eager, _ := value.DecodeJSON(data)
	em := eager.(map[string]any)
	lb, lerr := c.Encode(&Event{ID: "s", Workflow: "w", Body: &WorkflowSubmitted{Canvas: lm}})
	eb, eerr := c.Encode(&Event{ID: "s", Workflow: "w", Body: &WorkflowSubmitted{Canvas: em}})
	if fmt.Sprint(lerr) != fmt.Sprint(eerr) || !bytes.Equal(lb, eb) {
		t.Fatalf("%s: with lazy members %v, %x; decoded whole %v, %x", data, lerr, lb, eerr, eb)
	}
}

var lazyEncodeCases = []string{
	`{"task": "celery.chord", "kwargs": {"header": [{"task": "add", "args": [1, -2, 3.5, -0.0, NaN, -Infinity, 1e400, "x\u00e9\ud800", null, true, false, [], {}]}, {"task": "b", "kwargs": {"z": 1, "a": {"y": [1], "b": {}}}}], "body": {"task": "tsum"}}}`,
	`{"task": "celery.group", "kwargs": {"tasks": [{"b": 1, "a": 2, "b": 3, "c": {"k": 1, "k": [2]}, "a": 4}, {"task": "celery.group", "kwargs": {"tasks": [{"t": "\"\\\/\b\f\n\r\t"}]}}]}}`,
	`{"task": "c", "kwargs": {"tasks": [{"task": "a", "args": [` + deepList(MaxDepth) + `]}]}}`,
	`{"task": "c", "kwargs": {"tasks": [{"task": "a", "kwargs": {"k": ` + deepList(MaxDepth-2) + `}}]}}`,
}

func deepList(n int) string {
	return string(bytes.Repeat([]byte("["), n)) + string(bytes.Repeat([]byte("]"), n))
}

func TestEncodeLazyMembers(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	for _, s := range lazyEncodeCases {
		checkLazyEncode(t, c, []byte(s))
	}
	var big bytes.Buffer
	big.WriteString(`{"task": "celery.chord", "kwargs": {"header": [`)
	for i := range 300 {
		if i > 0 {
			big.WriteString(",")
		}
		fmt.Fprintf(&big, `{"task": "add", "args": [%d], "options": {"k%03d": %d, "a": [%d]}, "immutable": false, "subtask_type": null}`, i, 300-i, i, i)
	}
	big.WriteString(`], "body": {"task": "tsum"}}}`)
	checkLazyEncode(t, c, big.Bytes())
}

func FuzzEncodeLazy(f *testing.F) {
	for _, s := range lazyEncodeCases {
		f.Add([]byte(s))
	}
	c, err := NewCodec()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkLazyEncode(t, c, data)
	})
}
