package events

import (
	"testing"

	"github.com/hamba/avro/v2"

	"github.com/fugue-run/fugue/schemas"
)

// todaysSchema parses the Event schema of schemas.Latest.
func todaysSchema(t testing.TB) avro.Schema {
	t.Helper()
	text, err := schemas.Event(schemas.Latest)
	if err != nil {
		t.Fatal(err)
	}
	s, err := parseSchema(text)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The hand-written encoder and decoder follow the schema: hamba/avro reads
// our records generically with the schema, and what it writes back (in its
// own way: negative block counts with sizes, maps in random order) we read
// as the event we started from. This keeps body.go and event.avsc in step.
func TestHambaReadsWhatWeWrite(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	schema := todaysSchema(t)
	api := avro.Config{}.Freeze()
	for _, e := range samples() {
		rec := encode(t, c, e)
		var generic any
		if err := api.Unmarshal(schema, rec[headerLen:], &generic); err != nil {
			t.Fatalf("%s: hamba cannot read our record: %v", bodyName(e.Body), err)
		}
		again, err := api.Marshal(schema, generic)
		if err != nil {
			t.Fatalf("%s: hamba cannot write what it read: %v", bodyName(e.Body), err)
		}
		got, err := c.Decode(append(rec[:headerLen:headerLen], again...))
		if err != nil {
			t.Fatalf("%s: we cannot read hamba's record: %v", bodyName(e.Body), err)
		}
		if !equalEvents(got, e) {
			t.Errorf("%s: through hamba and back, the event changed\n got %#v\nwant %#v", bodyName(e.Body), got.Body, e.Body)
		}
	}
}

// And we read what hamba/avro writes from a generic value.
func TestWeReadWhatHambaWrites(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	schema := todaysSchema(t)
	api := avro.Config{}.Freeze()
	// A Value as hamba/avro's generic form has it: a record whose field is
	// a union, given as {branch name: value}.
	val := func(branch string, v any) map[string]any { return map[string]any{"v": map[string]any{branch: v}} }
	generic := map[string]any{
		"id": "e1", "workflow": "w1", "task": "w1.t1", "time": int64(1767225600123456), "producer": "py",
		"body": map[string]any{"run.fugue.TaskSucceeded": map[string]any{
			"attempt": 2,
			"result": val("map", map[string]any{
				"n": val("long", int64(3)),
				"f": val("double", 4.0),
				"l": val("array", []any{map[string]any{"v": nil}, val("bytes", []byte{1, 2})}),
			}),
		}},
	}
	body, err := api.Marshal(schema, generic)
	if err != nil {
		t.Fatal(err)
	}
	h := header(c.Fingerprint())
	got, err := c.Decode(append(h[:], body...))
	if err != nil {
		t.Fatal(err)
	}
	want := &Event{ID: "e1", Workflow: "w1", Task: "w1.t1", Time: 1767225600123456, Producer: "py",
		Body: &TaskSucceeded{Attempt: 2, Result: map[string]any{"n": int64(3), "f": 4.0, "l": []any{nil, []byte{1, 2}}}}}
	if !equalEvents(got, want) {
		t.Errorf("got %#v\nwant %#v", got.Body, want.Body)
	}
}
