package canvas

import (
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/fugue-run/fugue/value"
)

// FuzzParseJSON: ParseJSON never panics, and whatever it accepts must
// validate, emit, and parse back to an equal tree with the same JSON
// (accept-then-crash is a bug). TakeValue, ParseBulk (as Fold uses it) and Inspect agree
// with FromOwnedValue on every tree.
func FuzzParseJSON(f *testing.F) {
	// Every conformance case canvas is a seed.
	if data, err := os.ReadFile("testdata/cases.jsonl"); err == nil {
		d := value.NewDecoder(bytes.NewReader(data))
		for {
			v, err := d.Decode()
			if err != nil {
				break
			}
			if m, ok := v.(map[string]any); ok {
				if b, err := value.MarshalJSON(m["canvas"]); err == nil {
					f.Add(b)
				}
			}
		}
	}
	for _, s := range []string{
		`{"task": "t", "options": {"link": {"task": "l"}, "max_retries": null, "eta": "2024-01-01T00:00:00Z", "expires": 1.5, "x": [1.0]}}`,
		`{"task": "celery.chord", "kwargs": {"header": {"task": "celery.group", "kwargs": {"tasks": [{"task": "a"}]}, "options": {"task_id": "g"}}, "body": {"task": "b"}}}`,
		`{"task": "celery.map", "kwargs": {"task": "t", "it": [1]}}`,
		`{"task": "x", "subtask_type": "chunks", "kwargs": {"task": {"task": "t"}, "it": [[1]], "n": 1, "k": 2}}`,
		`{"task": "t", "options": {"eta": {"__type__": "datetime", "__value__": "2024-01-01"}}}`,
		`{"task": "celery.group", "kwargs": {"tasks": [{"task": "t", "options": {"countdown": 1e20, "expires": -2147483648}}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkTakeAndInspect(t, data)
		s, err := ParseJSON(data, Limits{MaxDepth: 16, MaxNodes: 1000})
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error is a %T, not an *Error: %v", err, err)
			}
			return
		}
		if err := s.Validate(Limits{MaxDepth: 16, MaxNodes: 1000}); err != nil {
			t.Fatalf("accepted but Validate refuses: %v", err)
		}
		b, err := s.MarshalJSON()
		if err != nil {
			t.Fatalf("accepted but MarshalJSON fails: %v", err)
		}
		s2, err := ParseJSON(b, Limits{MaxDepth: 16, MaxNodes: 1000})
		if err != nil {
			t.Fatalf("emitted JSON refused: %v\n%s", err, b)
		}
		if !s.Equal(s2) {
			t.Fatalf("Parse(Emit(s)) != s\n%s", b)
		}
		b2, err := s2.MarshalJSON()
		if err != nil || string(b2) != string(b) {
			t.Fatalf("emit not stable: %v\n%s\n%s", err, b, b2)
		}
		s3, err := FromValue(s.Value(), Limits{MaxDepth: 16, MaxNodes: 1000})
		if err != nil || !s.Equal(s3) {
			t.Fatalf("FromValue(Value()) differs: %v", err)
		}
		if c := s.Clone(); !c.Equal(s) {
			t.Fatal("Clone differs")
		}
		if err := s.CheckDates(time.Unix(1767225600, 0)); err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("CheckDates error is a %T, not an *Error: %v", err, err)
			}
		}
	})
}

// checkTakeAndInspect parses data's tree with FromOwnedValue, TakeValue and
// Inspect: the same error, or the same signature; and Inspect asks for the
// whole canvas when a signature below the root gives a task_id or a date
// CheckDates refuses.
func checkTakeAndInspect(t *testing.T, data []byte) {
	lim := Limits{MaxDepth: 16, MaxNodes: 1000}
	now := time.Unix(1767225600, 0)
	tree := func() any {
		v, _ := value.DecodeJSON(data)
		return v
	}
	if tree() == nil {
		return
	}
	want, wantErr := FromOwnedValue(tree(), lim)
	got, err := TakeValue(tree(), lim)
	if fmt.Sprint(err) != fmt.Sprint(wantErr) || err == nil && !got.Equal(want) {
		t.Fatalf("TakeValue: %v, FromOwnedValue: %v", err, wantErr)
	}
	lazyTree, _ := value.DecodeCanvasJSON(data)
	bulk, err, _, _ := parseAsProjector(lazyTree, lim)
	if fmt.Sprint(err) != fmt.Sprint(wantErr) || err == nil && !bulk.Equal(want) {
		t.Fatalf("ParseBulk, or TakeValue after it: %v, FromOwnedValue: %v", err, wantErr)
	}
	in, err := Inspect(tree(), lim, now)
	if fmt.Sprint(err) != fmt.Sprint(wantErr) {
		t.Fatalf("Inspect: %v, FromOwnedValue: %v", err, wantErr)
	}
	lazy, _ := value.DecodeCanvasJSON(data)
	if lin, lerr := Inspect(lazy, lim, now); fmt.Sprint(lerr) != fmt.Sprint(err) || lin != in {
		t.Fatalf("Inspect of DecodeCanvasJSON's tree: %+v, %v; of DecodeJSON's: %+v, %v", lin, lerr, in, err)
	}
	if err != nil {
		return
	}
	if in.TaskID != want.Options.TaskID {
		t.Fatalf("Inspect found task_id %q, want %q", in.TaskID, want.Options.TaskID)
	}
	if !in.Whole && (namedBelow(want) || want.CheckDates(now) != nil) {
		t.Fatal("Inspect did not ask for the whole canvas, which has a task_id below its root or a date CheckDates refuses")
	}
}

// namedBelow reports whether a signature below s gives a task_id.
func namedBelow(s *Signature) bool {
	for _, l := range [][]*Signature{s.Tasks, s.Options.Link, s.Options.LinkError, {s.Body, s.Inner, s.HeaderGroup}} {
		for _, m := range l {
			if m != nil && (m.Options.TaskID != "" || namedBelow(m)) {
				return true
			}
		}
	}
	return false
}
