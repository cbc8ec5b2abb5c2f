package events

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/fugue-run/fugue/value"
)

// FuzzDecode feeds arbitrary bytes to Decode and DecodeCanvas. They must
// never panic, must fail only with the documented errors, and what they
// accept must encode and decode again to the same bytes.
func FuzzDecode(f *testing.F) {
	c := newTestCodec(f)
	recs, _ := filepath.Glob(filepath.Join("testdata", "v*", "*.bin"))
	for _, path := range recs {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0xc3, 0x01})
	for _, tc := range sharedCanvases()[:4] {
		f.Add(encode(f, c, &Event{ID: "s", Workflow: "w", Body: &WorkflowSubmitted{Canvas: tc.c}}))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := c.Decode(b)
		checkDecodeError(t, err)
		if err == nil {
			checkStable(t, c, e)
			checkPeek(t, c, b, e)
		}
		checkShared(t, c, b, e, err)
		canvas, err := c.DecodeCanvas(b)
		checkDecodeError(t, err)
		if err == nil {
			if _, err := c.EncodeCanvas(canvas); err != nil && !errors.Is(err, ErrInvalidUTF8) {
				t.Fatalf("a decoded canvas does not encode: %v", err)
			}
		}
	})
}

// checkShared checks that DecodeShared gives b what Decode gave it: e, or
// err. The events are compared encoded, which tells apart what
// reflect.DeepEqual does and is quicker.
func checkShared(t *testing.T, c *Codec, b []byte, e *Event, err error) {
	t.Helper()
	got, gotErr := c.DecodeShared(b)
	if fmt.Sprint(gotErr) != fmt.Sprint(err) {
		t.Fatalf("DecodeShared: %v, Decode: %v", gotErr, err)
	}
	if err != nil {
		return
	}
	if sub, ok := got.Body.(*WorkflowSubmitted); ok {
		checkCanvasAvro(t, c, sub.CanvasAvro, e.Body.(*WorkflowSubmitted).Canvas)
		sub.CanvasAvro = nil
		m, err := value.Materialize(sub.Canvas)
		if err != nil {
			t.Fatalf("a lazy member of DecodeShared's canvas does not decode: %v", err)
		}
		sub.Canvas = m.(map[string]any)
	}
	gb, gerr := c.Encode(got)
	wb, werr := c.Encode(e)
	if !bytes.Equal(gb, wb) || fmt.Sprint(gerr) != fmt.Sprint(werr) {
		t.Fatal("DecodeShared, its members decoded, differs from Decode")
	}
}

// checkCanvasAvro checks that the CanvasAvro of a submission that
// DecodeShared read is, under CanvasHeader, a Signature record of the
// canvas that Decode read, want.
func checkCanvasAvro(t *testing.T, c *Codec, avro []byte, want map[string]any) {
	t.Helper()
	if avro == nil {
		t.Fatal("DecodeShared left CanvasAvro nil")
	}
	got, err := c.DecodeCanvas(append(append([]byte(nil), c.CanvasHeader()...), avro...))
	if err != nil {
		t.Fatalf("CanvasAvro does not decode: %v", err)
	}
	// Printed, which sorts a map's keys and shows NaN, and as what
	// Decode reads may not encode (a string that is not UTF-8).
	if g, w := fmt.Sprintf("%#v", got), fmt.Sprintf("%#v", want); g != w {
		t.Fatalf("CanvasAvro is not the canvas Decode read:\n%s\nwant\n%s", g, w)
	}
}

// FuzzResolve feeds arbitrary record bodies, under the header of a
// synthetic older schema version, through resolution and Decode.
func FuzzResolve(f *testing.F) {
	c := v0Codec(f)
	today := newTestCodec(f)
	for _, e := range samples() {
		if _, ok := e.Body.(*TimerFired); !ok {
			f.Add(v0Record(f, today, e))
		}
	}
	h := header(fingerprint(mustParse(f, v0Schema(f))))
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := c.Decode(append(h[:], body...))
		checkDecodeError(t, err)
		checkShared(t, c, append(h[:], body...), e, err)
		if err == nil {
			checkStable(t, c, e)
		}
	})
}

// checkPeek checks that Peek, where it answers, agrees with Decode.
func checkPeek(t *testing.T, c *Codec, b []byte, e *Event) {
	t.Helper()
	wf, kind, ok := c.Peek(b)
	if !ok {
		return
	}
	if string(wf) != e.Workflow || reflect.TypeOf(kind) != reflect.TypeOf(e.Body) {
		t.Fatalf("Peek read workflow %q and %T, Decode %q and %T", wf, kind, e.Workflow, e.Body)
	}
}

func checkDecodeError(t *testing.T, err error) {
	t.Helper()
	if err == nil || errors.Is(err, ErrNotSingleObject) || errors.As(err, new(*UnknownSchemaError)) {
		return
	}
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("untyped error: %v", err)
	}
	if de.Resolved {
		t.Fatalf("a resolved record failed to decode: a bug in resolution: %v", err)
	}
	if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooDeep) && !errors.As(err, new(*UnknownBodyError)) {
		t.Fatalf("unexpected decode error: %v", err)
	}
}

// checkStable encodes a decoded event and checks that the result decodes
// and encodes to itself. Decode accepts strings that are not UTF-8 and
// Encode refuses them; that is the one allowed failure.
func checkStable(t *testing.T, c *Codec, e *Event) {
	t.Helper()
	b1, err := c.Encode(e)
	if errors.Is(err, ErrInvalidUTF8) {
		return
	}
	if err != nil {
		t.Fatalf("a decoded event does not encode: %v", err)
	}
	e2, err := c.Decode(b1)
	if err != nil {
		t.Fatalf("a re-encoded event does not decode: %v", err)
	}
	b2, err := c.Encode(e2)
	if err != nil || !bytes.Equal(b1, b2) {
		t.Fatalf("encode(decode(encode(e))) differs from encode(e): %v", err)
	}
}
