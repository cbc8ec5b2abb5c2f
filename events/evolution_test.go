package events

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/hamba/avro/v2"

	"github.com/fugue-run/fugue/schemas"
)

// Schema evolution. Released schemas are frozen (schemas/schemas_test.go);
// a change is a new version, whose reader must resolve every older
// writer's records. These tests make such versions out of today's, to show
// that resolution works both ways round and why it is needed.

// editSchema returns a schema text changed by edit, which gets the
// schema's records by their (short) name as JSON objects to change.
func editSchema(t testing.TB, text []byte, edit func(record func(name string) map[string]any)) []byte {
	t.Helper()
	var root any
	if err := json.Unmarshal(text, &root); err != nil {
		t.Fatal(err)
	}
	records := map[string]map[string]any{}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["type"] == "record" {
				records[x["name"].(string)] = x
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(root)
	edit(func(name string) map[string]any {
		r, ok := records[name]
		if !ok {
			t.Fatalf("schema has no record %s", name)
		}
		return r
	})
	out, err := json.Marshal(root)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func fieldIndex(t testing.TB, record map[string]any, name string) int {
	t.Helper()
	for i, f := range record["fields"].([]any) {
		if f.(map[string]any)["name"] == name {
			return i
		}
	}
	t.Fatalf("record %s has no field %s", record["name"], name)
	return -1
}

func insertField(record map[string]any, at int, field map[string]any) {
	record["fields"] = slices.Insert(record["fields"].([]any), at, any(field))
}

func removeField(t testing.TB, record map[string]any, name string) {
	i := fieldIndex(t, record, name)
	record["fields"] = slices.Delete(record["fields"].([]any), i, i+1)
}

func field(t testing.TB, record map[string]any, name string) map[string]any {
	return record["fields"].([]any)[fieldIndex(t, record, name)].(map[string]any)
}

func mustParse(t testing.TB, text []byte) avro.Schema {
	t.Helper()
	s, err := parseSchema(text)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// todayText is the text of today's Event schema (schemas.Latest).
func todayText(t testing.TB) []byte {
	t.Helper()
	text, err := schemas.Event(schemas.Latest)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// A next version that adds a field with a default at the front of TaskSucceeded.
func nextAddsRuntime(t testing.TB) []byte {
	return editSchema(t, todayText(t), func(record func(string) map[string]any) {
		insertField(record("TaskSucceeded"), 0, map[string]any{"name": "runtime_ms", "type": "int", "default": 0})
	})
}

// The trap: bytes written with today's schema, read with a next version
// that added a field but without resolving it against today's, decode with
// no error into nonsense.
func TestTrapReadingWithoutResolution(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	next := mustParse(t, nextAddsRuntime(t))
	rec := encode(t, c, samples()[bodyTaskSucceeded])

	var blind any
	err := avro.Config{}.Freeze().Unmarshal(next, rec[headerLen:], &blind)
	if err != nil {
		t.Logf("blind decoding failed: %v", err)
		return // wrong too, if less quietly than hamba/avro v2.31.0 is
	}
	got := blind.(map[string]any)["body"].(map[string]any)["run.fugue.TaskSucceeded"].(map[string]any)
	if got["attempt"] == 1 && got["runtime_ms"] == 0 {
		t.Fatalf("blind decoding happened to be right: %v; pick an example that shows the trap", got)
	}
	t.Logf("blind decoding, no error: attempt %v (want 1), runtime_ms %v (want 0), result %v", got["attempt"], got["runtime_ms"], got["result"])
}

// A next version's reader resolves today's records: the added fields take
// their defaults and the rest is intact.
func TestNextReaderResolvesOlderRecords(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	today := todaysSchema(t)
	next := mustParse(t, editSchema(t, nextAddsRuntime(t), func(record func(string) map[string]any) {
		ev := record("Event")
		insertField(ev, fieldIndex(t, ev, "body"), map[string]any{"name": "trace_id", "type": []any{"null", "string"}, "default": nil})
		insertField(record("Failure"), 1, map[string]any{"name": "code", "type": "int", "default": -1})
	}))
	if err := avro.NewSchemaCompatibility().Compatible(next, today); err != nil {
		t.Fatalf("next must be able to read today: %v", err)
	}
	plan, err := compilePlan(next, today)
	if err != nil {
		t.Fatal(err)
	}
	api := avro.Config{}.Freeze()
	for _, e := range samples() {
		rec := encode(t, c, e)
		r := &reader{buf: rec, pos: headerLen}
		resolved := plan.transcode(r, nil)
		if err := r.close(); err != nil {
			t.Fatalf("%s: %v", bodyName(e.Body), err)
		}
		var got, want any
		if err := api.Unmarshal(next, resolved, &got); err != nil {
			t.Fatalf("%s: next cannot read the resolved record: %v", bodyName(e.Body), err)
		}
		if err := api.Unmarshal(today, rec[headerLen:], &want); err != nil {
			t.Fatal(err)
		}
		// What today wrote, plus the new fields at their defaults.
		w := want.(map[string]any)
		w["trace_id"] = nil
		for name, b := range w["body"].(map[string]any) {
			body := b.(map[string]any)
			if name == "run.fugue.TaskSucceeded" {
				body["runtime_ms"] = 0
			}
			for _, k := range []string{"error", "parent_failure"} {
				switch f := body[k].(type) {
				case map[string]any:
					if name == "run.fugue.TaskFailed" || name == "run.fugue.TaskRetrying" {
						f["code"] = -1
					} else if inner, ok := f["run.fugue.Failure"].(map[string]any); ok {
						inner["code"] = -1
					}
				}
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: next reads\n%v\nwant\n%v", bodyName(e.Body), got, want)
		}
	}
}

// v0Schema is a synthetic older version of today's Event schema: no
// producer, fields only it has, reordered fields and union branches, a
// float where today has a double, no TimerFired.
func v0Schema(t testing.TB) []byte {
	return editSchema(t, todayText(t), func(record func(string) map[string]any) {
		ev := record("Event")
		removeField(t, ev, "producer")
		body := field(t, ev, "body")
		// Reordered (named types stay defined before their first use) and
		// without TimerFired.
		b := body["type"].([]any)
		st, fa := bodyTaskStarted, bodyTaskFailed
		body["type"] = slices.Concat([]any{b[st]}, b[:st], b[fa:fa+1], b[st+1:fa], b[fa+1:numBodies-1])
		insertField(record("TaskStarted"), 1, map[string]any{"name": "pid", "type": "long"})
		f := record("Failure")
		fs := f["fields"].([]any)
		fs[0], fs[1] = fs[1], fs[0] // message before type
		field(t, record("TaskDispatched"), "time_limit")["type"] = "float"
		removeField(t, record("TaskProgress"), "seq")
		v := field(t, record("Value"), "v")
		vs := v["type"].([]any)
		vs[1], vs[2] = vs[2], vs[1] // long before boolean
	})
}

// v0Codec is a Codec that knows v0 as an older writer.
func v0Codec(t testing.TB) *Codec {
	t.Helper()
	sig, err := schemas.Signature(schemas.Latest)
	if err != nil {
		t.Fatal(err)
	}
	c, err := newCodec([]versionText{{0, v0Schema(t)}, {schemas.Latest, todayText(t)}}, []versionText{{schemas.Latest, sig}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A Codec whose known writers include an older version (a synthetic v0)
// decodes that version's records into today's events: fields v0 lacks take
// their defaults, fields only v0 has are skipped, reordered fields,
// reordered union branches (body and Value) and a float promoted to double
// all come out right. v0's records are written by hamba/avro, not by us.
func TestCodecReadsOlderWriters(t *testing.T) {
	t.Parallel()
	today := newTestCodec(t)
	v0Text := v0Schema(t)
	c := v0Codec(t)
	h := header(fingerprint(mustParse(t, v0Text)))
	for _, e := range samples() {
		if _, ok := e.Body.(*TimerFired); ok {
			continue // v0 cannot write it
		}
		rec := v0Record(t, today, e)
		got, err := c.Decode(append(h[:], rec...))
		if err != nil {
			t.Fatalf("%s: %v", bodyName(e.Body), err)
		}
		want := *e
		want.Producer = "" // v0 has none: the default
		if p, ok := e.Body.(*TaskProgress); ok {
			p2 := *p
			p2.Seq = 0 // v0 has none: the default
			want.Body = &p2
		}
		if !reflect.DeepEqual(got, &want) {
			t.Errorf("%s: got\n%#v\nwant\n%#v", bodyName(e.Body), got, &want)
		}
	}

	// v0 cannot be today's: the code implements schemas.Latest.
	sig, err := schemas.Signature(schemas.Latest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newCodec([]versionText{{0, v0Text}}, []versionText{{schemas.Latest, sig}}); err == nil {
		t.Error("newCodec accepted a newest schema the code does not implement")
	}
}

// A writer that today's schema cannot read (a field it lacks has no
// default) makes NewCodec fail, rather than Decode later.
func TestIncompatibleWriterIsRefused(t *testing.T) {
	t.Parallel()
	bad := editSchema(t, todayText(t), func(record func(string) map[string]any) {
		removeField(t, record("Event"), "id") // id has no default
	})
	sig, err := schemas.Signature(schemas.Latest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newCodec([]versionText{{0, bad}, {schemas.Latest, todayText(t)}}, []versionText{{schemas.Latest, sig}}); err == nil {
		t.Error("newCodec accepted a writer schema without Event.id")
	}
}

// v0Record is e as a v0 writer (hamba/avro, generically) writes it, without
// the header: today's record read generically and reshaped for v0.
func v0Record(t testing.TB, today *Codec, e *Event) []byte {
	t.Helper()
	schema := todaysSchema(t)
	v0 := mustParse(t, v0Schema(t))
	api := avro.Config{}.Freeze()
	var g any
	if err := api.Unmarshal(schema, encode(t, today, e)[headerLen:], &g); err != nil {
		t.Fatal(err)
	}
	m := g.(map[string]any)
	delete(m, "producer")
	for name, b := range m["body"].(map[string]any) {
		body := b.(map[string]any)
		switch name {
		case "run.fugue.TaskStarted":
			body["pid"] = int64(4242)
		case "run.fugue.TaskDispatched":
			body["time_limit"] = float32(body["time_limit"].(float64))
		case "run.fugue.TaskProgress":
			delete(body, "seq")
		}
	}
	rec, err := api.Marshal(v0, m)
	if err != nil {
		t.Fatalf("%s: %v", bodyName(e.Body), err)
	}
	return rec
}
