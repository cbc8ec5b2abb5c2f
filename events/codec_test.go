package events

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func TestRoundTripEveryBody(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	seen := map[string]bool{}
	for _, want := range samples() {
		name := bodyName(want.Body)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := c.Decode(encode(t, c, want))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round trip changed the event\n got %#v\nwant %#v", got.Body, want.Body)
			}
		})
	}
	if len(seen) != numBodies {
		t.Errorf("samples cover %d body types, want %d", len(seen), numBodies)
	}
}

func TestValuesKeepTheirTypes(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	cases := []struct {
		name string
		in   any
		want any
	}{
		{"float without fraction stays float64", 4.0, 4.0},
		{"int stays int64", int64(4), int64(4)},
		{"max int64", int64(math.MaxInt64), int64(math.MaxInt64)},
		{"min int64", int64(math.MinInt64), int64(math.MinInt64)},
		{"bytes stay bytes", []byte("ab"), []byte("ab")},
		{"string stays string", "ab", "ab"},
		{"nil bytes decode as empty bytes", []byte(nil), []byte{}},
		{"nil list decodes as empty list", []any(nil), []any{}},
		{"nil map decodes as empty map", map[string]any(nil), map[string]any{}},
		{"map in list in map", map[string]any{"l": []any{map[string]any{"k": "v"}}}, map[string]any{"l": []any{map[string]any{"k": "v"}}}},
		{"infinity", math.Inf(-1), math.Inf(-1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := resultRoundTrip(t, c, tc.in)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v (%T), want %#v (%T)", got, got, tc.want, tc.want)
			}
		})
	}
	t.Run("negative zero keeps its sign", func(t *testing.T) {
		t.Parallel()
		got, ok := resultRoundTrip(t, c, math.Copysign(0, -1)).(float64)
		if !ok || got != 0 || !math.Signbit(got) {
			t.Errorf("got %v, want -0.0", got)
		}
	})
	t.Run("NaN", func(t *testing.T) {
		t.Parallel()
		got, ok := resultRoundTrip(t, c, math.NaN()).(float64)
		if !ok || !math.IsNaN(got) {
			t.Errorf("got %v, want NaN", got)
		}
	})
}

func resultRoundTrip(t *testing.T, c *Codec, v any) any {
	t.Helper()
	e := &Event{ID: "e", Workflow: "w", Body: &TaskSucceeded{Result: v}}
	got, err := c.Decode(encode(t, c, e))
	if err != nil {
		t.Fatal(err)
	}
	return got.Body.(*TaskSucceeded).Result
}

// Decoded arrays and maps are never nil: an empty or nil one decodes as an
// empty, non-nil one.
func TestNilCollectionsDecodeEmpty(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	e := &Event{ID: "e", Workflow: "w", Body: &TaskDispatched{Name: "t"}}
	got, err := c.Decode(encode(t, c, e))
	if err != nil {
		t.Fatal(err)
	}
	d := got.Body.(*TaskDispatched)
	if d.Args == nil || len(d.Args) != 0 {
		t.Errorf("Args = %#v, want []any{}", d.Args)
	}
	if d.Kwargs == nil || len(d.Kwargs) != 0 {
		t.Errorf("Kwargs = %#v, want map[string]any{}", d.Kwargs)
	}
	if d.ParentFailure != nil {
		t.Errorf("ParentFailure = %#v, want nil", d.ParentFailure)
	}
}

func TestCanvasDefaults(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	in := map[string]any{"task": "tasks.add", "chord_size": int64(3), "args": []any{int64(1)}}
	want := map[string]any{
		"task": "tasks.add", "args": []any{int64(1)}, "kwargs": map[string]any{},
		"options": map[string]any{}, "subtask_type": nil, "immutable": false,
	}
	e := &Event{ID: "e", Workflow: "w", Body: &WorkflowSubmitted{Canvas: in}}
	got, err := c.Decode(encode(t, c, e))
	if err != nil {
		t.Fatal(err)
	}
	if canvas := got.Body.(*WorkflowSubmitted).Canvas; !reflect.DeepEqual(canvas, want) {
		t.Errorf("canvas = %#v\nwant %#v", canvas, want)
	}

	rec, err := c.EncodeCanvas(in)
	if err != nil {
		t.Fatal(err)
	}
	canvas, err := c.DecodeCanvas(rec)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(canvas, want) {
		t.Errorf("DecodeCanvas = %#v\nwant %#v", canvas, want)
	}
	if _, err := c.Decode(rec); !errors.As(err, new(*UnknownSchemaError)) {
		t.Errorf("Decode(a Signature record) = %v, want *UnknownSchemaError", err)
	}
}

func TestCanvasRoundTrip(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	rec, err := c.EncodeCanvas(chainCanvas())
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.DecodeCanvas(rec)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, chainCanvas()) {
		t.Errorf("got %#v\nwant %#v", got, chainCanvas())
	}
}

func TestEncodeErrors(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	deep := any(nil)
	for range MaxDepth + 1 {
		deep = []any{deep}
	}
	cases := []struct {
		name     string
		event    *Event
		wantErr  error
		wantPath string
	}{
		{"nil event", nil, nil, "Event"},
		{"nil body", &Event{ID: "e"}, nil, "Event.body"},
		{"typed nil body", &Event{ID: "e", Body: (*TaskSucceeded)(nil)}, nil, "Event.body.TaskSucceeded"},
		{"int instead of int64", &Event{Body: &TaskSucceeded{Result: map[string]any{"x": []any{1}}}},
			ErrUnsupportedValue, `Event.body.TaskSucceeded.result["x"][0]`},
		{"float32", &Event{Body: &TaskDispatched{Args: []any{float32(1)}}}, ErrUnsupportedValue, "Event.body.TaskDispatched.args[0]"},
		{"invalid UTF-8 id", &Event{ID: "\xff"}, ErrInvalidUTF8, "Event.id"},
		{"invalid UTF-8 key", &Event{Body: &TaskProgress{Meta: map[string]any{"\xff": nil}}}, ErrInvalidUTF8, `Event.body.TaskProgress.meta["\xff"]`},
		{"invalid UTF-8 failure", &Event{Body: &TaskFailed{Error: Failure{Message: "\xc3"}}}, ErrInvalidUTF8, "Event.body.TaskFailed.error.message"},
		{"cycle", &Event{Body: &TaskSucceeded{Result: cyclic}}, ErrTooDeep, "Event.body.TaskSucceeded.result"},
		{"too deep", &Event{Body: &TaskSucceeded{Result: deep}}, ErrTooDeep, "Event.body.TaskSucceeded.result"},
		{"canvas without task", &Event{Body: &WorkflowSubmitted{Canvas: map[string]any{}}}, nil, "Event.body.WorkflowSubmitted.canvas"},
		{"canvas args of the wrong type", &Event{Body: &WorkflowSubmitted{Canvas: map[string]any{"task": "t", "args": "x"}}},
			nil, `Event.body.WorkflowSubmitted.canvas["args"]`},
		{"canvas immutable of the wrong type", &Event{Body: &WorkflowSubmitted{Canvas: map[string]any{"task": "t", "immutable": "yes"}}},
			nil, `Event.body.WorkflowSubmitted.canvas["immutable"]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dst := []byte("keep")
			out, err := c.AppendEncode(dst, tc.event)
			var ee *EncodeError
			if !errors.As(err, &ee) {
				t.Fatalf("err = %v, want *EncodeError", err)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if !strings.HasPrefix(ee.Path, tc.wantPath) {
				t.Errorf("path = %q, want prefix %q", ee.Path, tc.wantPath)
			}
			if string(out) != "keep" {
				t.Errorf("AppendEncode changed dst on error: %q", out)
			}
		})
	}
}

// Encoding is deterministic: maps are written in key order.
func TestEncodeIsDeterministic(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	first := encode(t, c, samples()[2])
	for range 50 {
		if b := encode(t, c, samples()[2]); !bytes.Equal(b, first) {
			t.Fatal("two encodings of one event differ")
		}
	}
}

// The decoded event shares no memory with the record.
func TestDecodeCopies(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	want := samples()[5]
	rec := encode(t, c, want)
	got, err := c.Decode(rec)
	if err != nil {
		t.Fatal(err)
	}
	for i := headerLen; i < len(rec); i++ {
		rec[i] = 'X'
	}
	if !reflect.DeepEqual(got, want) {
		t.Error("overwriting the record changed the decoded event")
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for _, want := range samples() {
				b, err := c.Encode(want)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := c.Decode(b)
				if err != nil || !reflect.DeepEqual(got, want) {
					t.Errorf("concurrent round trip of %s: %v", bodyName(want.Body), err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// A value nesting exactly MaxDepth levels encodes and decodes, also when
// it is resolved from an older writer; one more level does not encode
// (TestEncodeErrors) nor decode (TestDecodeTooDeep).
func TestMaxDepthRoundTrips(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	deep := any(map[string]any{})
	for range MaxDepth - 1 {
		deep = []any{deep}
	}
	e := &Event{ID: "e", Workflow: "w", Body: &TaskSucceeded{Result: deep}}
	got, err := c.Decode(encode(t, c, e))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, e) {
		t.Error("a MaxDepth-deep value changed")
	}

	h := header(fingerprint(mustParse(t, v0Schema(t))))
	got, err = v0Codec(t).Decode(append(h[:], v0Record(t, c, e)...))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, e) {
		t.Error("a MaxDepth-deep value resolved from v0 changed")
	}
}
