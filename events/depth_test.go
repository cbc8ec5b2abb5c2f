package events

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/fugue-run/fugue/value"
)

// TestCutPathBetweenRunes: a path is cut to at most n bytes, never inside
// a rune, so that a failure naming it still encodes.
func TestCutPathBetweenRunes(t *testing.T) {
	t.Parallel()
	path := `args[0]` + strings.Repeat(`["€ü"]`, 300) // runes of 3 and 2 bytes
	for n := range 40 {
		got := CutPath(path, n)
		cut, ok := strings.CutSuffix(got, "...")
		if !ok || !utf8.ValidString(got) || len(cut) > n || n-len(cut) >= utf8.UTFMax || !strings.HasPrefix(path, cut) {
			t.Errorf("CutPath(…, %d) = %q: want a valid prefix of at most %d bytes, cut less than a rune short, and ...", n, got, n)
		}
		// A failure that carries it encodes.
		c := newTestCodec(t)
		ev := &Event{ID: "t:failed:0", Workflow: "w", Task: "t", Body: &TaskFailed{Error: Failure{Type: "EncodeError", Message: got}}}
		if _, err := c.Encode(ev); err != nil {
			t.Errorf("CutPath(…, %d): the failure does not encode: %v", n, err)
		}
	}
	if got := CutPath("args[0]", 7); got != "args[0]" {
		t.Errorf("a path within the limit: %q", got)
	}
	if got := CutPath("args[0]", -1); got != "..." {
		t.Errorf("a negative limit: %q", got)
	}
}

// TestCanvasTooDeep: CanvasTooDeep refuses exactly the canvases Encode
// refuses for their depth, and names the first place past the limit with a
// canvas selector.
func TestCanvasTooDeep(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	nest := func(n int, key string) any { // n levels of lists, or of dicts keyed key
		var v any = int64(1)
		for range n {
			if key == "" {
				v = []any{v}
			} else {
				v = map[string]any{key: v}
			}
		}
		return v
	}
	member := func(levels int) map[string]any { // its args nest levels deep within a chain's canvas
		return map[string]any{"task": "celery.chain", "subtask_type": "chain", "kwargs": map[string]any{"tasks": []any{
			map[string]any{"task": "a"},
			map[string]any{"task": "b", "args": []any{nest(levels-4, "")}, "kwargs": map[string]any{"x y": nest(levels-4, "k")}},
		}}}
	}
	for _, tc := range []struct {
		name   string
		canvas map[string]any
		path   string // "" when not too deep
	}{
		{"args at the limit", map[string]any{"task": "a", "args": nest(MaxDepth, "")}, ""},
		{"args past it", map[string]any{"task": "a", "args": nest(MaxDepth+1, "")}, "args" + strings.Repeat("[0]", MaxDepth)},
		{"options past it", map[string]any{"task": "a", "options": nest(MaxDepth+1, "é")}, "options" + strings.Repeat(`["é"]`, MaxDepth)},
		{"members at the limit", member(MaxDepth), ""},
		{"members past it", member(MaxDepth + 1), "kwargs.tasks[1].args[0]" + strings.Repeat("[0]", MaxDepth-4)},
		{"other keys are not kept", map[string]any{"task": "a", "extra": nest(MaxDepth+5, "")}, ""},
	} {
		path, deep := CanvasTooDeep(tc.canvas)
		b, err := c.Encode(&Event{ID: "s", Workflow: "w", Body: &WorkflowSubmitted{Canvas: tc.canvas}})
		if want := tc.path != ""; deep != want || path != tc.path || errors.Is(err, ErrTooDeep) != want {
			t.Errorf("%s: CanvasTooDeep = %.60q… %v; Encode: %v; want too deep %v at %.60q…", tc.name, path, deep, err, want, tc.path)
		}

		// The same canvas with its members left to decode (the API's).
		data, jerr := value.MarshalJSON(tc.canvas)
		if jerr != nil {
			t.Fatal(jerr)
		}
		lazy, jerr := value.DecodeCanvasJSON(data)
		if jerr != nil {
			t.Fatal(jerr)
		}
		lpath, ldeep := CanvasTooDeep(lazy.(map[string]any))
		lb, lerr := c.Encode(&Event{ID: "s", Workflow: "w", Body: &WorkflowSubmitted{Canvas: lazy.(map[string]any)}})
		if lpath != path || ldeep != deep || fmt.Sprint(lerr) != fmt.Sprint(err) || !bytes.Equal(lb, b) {
			t.Errorf("%s: with lazy members, CanvasTooDeep = %.60q… %v and Encode: %v; eager: %.60q… %v and %v, or other bytes", tc.name, lpath, ldeep, lerr, path, deep, err)
		}
	}
}

// TestEncodeErrorMessageIsShort: the message of an EncodeError for a value
// past MaxDepth gives the start of its path, not all 1.5 KB of it; Path
// keeps it whole.
func TestEncodeErrorMessageIsShort(t *testing.T) {
	t.Parallel()
	var v any = int64(1)
	for range MaxDepth + 1 {
		v = map[string]any{"ключ": v}
	}
	_, err := newTestCodec(t).Encode(&Event{ID: "t:succeeded:0", Workflow: "w", Task: "t", Body: &TaskSucceeded{Result: v}})
	var ee *EncodeError
	if !errors.As(err, &ee) || !errors.Is(err, ErrTooDeep) {
		t.Fatalf("err = %v, want an *EncodeError for ErrTooDeep", err)
	}
	if want := "Event.body.TaskSucceeded.result" + strings.Repeat(`["ключ"]`, MaxDepth); ee.Path != want {
		t.Errorf("Path = %.80q…, want the whole path", ee.Path)
	}
	msg := err.Error()
	if !utf8.ValidString(msg) || len(msg) > 300 || !strings.HasPrefix(msg, `events: encode Event.body.TaskSucceeded.result["ключ"]`) ||
		!strings.HasSuffix(msg, "...: "+ErrTooDeep.Error()) {
		t.Errorf("Error() = %q (%d bytes), want the path's start, cut between runes, and the reason", msg, len(msg))
	}
}
