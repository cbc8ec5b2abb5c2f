package events

import (
	"errors"
	"math"
	"os"
	"os/exec"
	"reflect"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/hamba/avro/v2"
)

// Where hamba/avro's Resolve works (schemas that are not recursive), our
// resolution plans must agree with it: data written with the writer schema
// reads the same through hamba's resolved schema as through our plan and
// the reader schema.
func TestResolutionAgreesWithHamba(t *testing.T) {
	t.Parallel()
	writer := mustParse(t, []byte(`{"type": "record", "name": "R", "namespace": "t", "fields": [
		{"name": "a", "type": "int"},
		{"name": "b", "type": "string"},
		{"name": "gone", "type": {"type": "array", "items": {"type": "record", "name": "G", "fields": [
			{"name": "x", "type": "long"}, {"name": "y", "type": ["null", "string"]}]}}},
		{"name": "f", "type": "float"},
		{"name": "u", "type": ["null", "string", "long"]},
		{"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A", "B", "C"]}},
		{"name": "m", "type": {"type": "map", "values": "int"}},
		{"name": "n", "type": {"type": "record", "name": "N", "fields": [
			{"name": "p", "type": "string"}, {"name": "q", "type": "int"}]}},
		{"name": "l", "type": {"type": "array", "items": "N"}},
		{"name": "one", "type": "long"},
		{"name": "fx", "type": {"type": "fixed", "name": "F", "size": 3}}
	]}`))
	readerSchema := mustParse(t, []byte(`{"type": "record", "name": "R", "namespace": "t", "fields": [
		{"name": "n", "type": {"type": "record", "name": "N", "fields": [
			{"name": "q", "type": "long"}, {"name": "p", "type": "bytes"},
			{"name": "added", "type": "double", "default": 1.5}]}},
		{"name": "alpha", "aliases": ["a"], "type": "double"},
		{"name": "b", "type": "bytes"},
		{"name": "f", "type": "double"},
		{"name": "u", "type": ["long", "string", "null"]},
		{"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["C", "B", "A", "D"]}},
		{"name": "m", "type": {"type": "map", "values": "long"}},
		{"name": "l", "type": {"type": "array", "items": "N"}},
		{"name": "one", "type": "float"},
		{"name": "fx", "type": {"type": "fixed", "name": "F", "size": 3}},
		{"name": "new_rec", "type": {"type": "record", "name": "NR", "fields": [
			{"name": "z", "type": "string"}, {"name": "w", "type": "int"}]}, "default": {"z": "zz", "w": 5}},
		{"name": "new_arr", "type": {"type": "array", "items": "int"}, "default": [1, 2]},
		{"name": "new_map", "type": {"type": "map", "values": "string"}, "default": {"k": "v", "a": "b"}},
		{"name": "new_union", "type": ["null", "int"], "default": null},
		{"name": "new_union2", "type": ["string", "null"], "default": "s"},
		{"name": "new_bool", "type": "boolean", "default": true},
		{"name": "new_bytes", "type": "bytes", "default": "\u00ff\u0001"},
		{"name": "new_enum", "type": {"type": "enum", "name": "E2", "symbols": ["X", "Y"]}, "default": "Y"},
		{"name": "new_long", "type": "long", "default": -7},
		{"name": "new_int", "type": "int", "default": 300},
		{"name": "new_float", "type": "float", "default": 0.5},
		{"name": "new_string", "type": "string", "default": "déjà"}
	]}`))
	api := avro.Config{}.Freeze()
	resolved, err := avro.NewSchemaCompatibility().Resolve(readerSchema, writer)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := compilePlan(readerSchema, writer)
	if err != nil {
		t.Fatal(err)
	}
	n := func(p string, q int) map[string]any { return map[string]any{"p": p, "q": q} }
	for i, u := range []any{nil, map[string]any{"string": "s"}, map[string]any{"long": int64(-9)}} {
		data := map[string]any{
			"a": -3 - i, "b": "bee", "f": float32(2.25),
			"gone": []any{map[string]any{"x": int64(1), "y": nil}, map[string]any{"x": int64(2), "y": map[string]any{"string": "why"}}},
			"u":    u, "e": []string{"A", "B", "C"}[i],
			"m": map[string]any{"one": 1, "two": 2},
			"n": n("pee", 7), "l": []any{n("x", 1), n("y", 2)},
			"one": int64(1) << 40, "fx": [3]byte{1, 2, 3},
		}
		wb, err := api.Marshal(writer, data)
		if err != nil {
			t.Fatal(err)
		}
		var viaHamba any
		if err := api.Unmarshal(resolved, wb, &viaHamba); err != nil {
			t.Fatal(err)
		}
		r := &reader{buf: wb}
		rb := plan.transcode(r, nil)
		if err := r.close(); err != nil {
			t.Fatal(err)
		}
		var viaPlan any
		if err := api.Unmarshal(readerSchema, rb, &viaPlan); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(viaPlan, viaHamba) {
			t.Errorf("record %d:\nplan  %v\nhamba %v", i, viaPlan, viaHamba)
		}
	}
}

// Defaults hamba/avro cannot decode itself (a record default with a null
// field: "unable to resolve type avro.nullDefaultType"), checked by bytes.
func TestAppendDefault(t *testing.T) {
	t.Parallel()
	s := mustParse(t, []byte(`{"type": "record", "name": "R", "fields": [
		{"name": "value", "type": {"type": "record", "name": "Value", "fields": [
			{"name": "v", "type": ["null", "long", {"type": "array", "items": "Value"}]}]}, "default": {"v": null}},
		{"name": "pair", "type": {"type": "record", "name": "P", "fields": [
			{"name": "a", "type": ["null", "int"]}, {"name": "b", "type": "string", "default": "x"}]}, "default": {"a": null}},
		{"name": "u", "type": ["long", "null"], "default": 3}
	]}`)).(*avro.RecordSchema)
	want := [][]byte{{0}, {0, 2, 'x'}, {0, 6}}
	for i, f := range s.Fields() {
		got, err := appendDefault(nil, f.Type(), f.Default())
		if err != nil || !reflect.DeepEqual(got, want[i]) {
			t.Errorf("default of %s = % x, %v; want % x", f.Name(), got, err, want[i])
		}
	}
}

// hamba/avro's Resolve recurses without end on a recursive schema, so
// events resolves with plans of its own (resolve.go). When this test
// fails, hamba has fixed that; the plans may then give way to Resolve.
func TestHambaResolveStillOverflowsOnRecursiveSchemas(t *testing.T) {
	if os.Getenv("FUGUE_RESOLVE_CANARY") == "1" {
		debug.SetMaxStack(16 << 20) // overflow fast
		s := todaysSchema(t)
		_, _ = avro.NewSchemaCompatibility().Resolve(s, s)
		os.Exit(0) // only reached if Resolve returned
	}
	if testing.Short() {
		t.Skip("starts a process that overflows its stack")
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHambaResolveStillOverflowsOnRecursiveSchemas$")
	cmd.Env = append(os.Environ(), "FUGUE_RESOLVE_CANARY=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatal("hamba/avro's Resolve now returns on the recursive Event schema: consider using it in place of resolve.go's plans")
	}
	if !strings.Contains(string(out), "stack overflow") {
		t.Fatalf("the canary failed otherwise than by overflowing: %v\n%.2000s", err, out)
	}
}

// Items that take no bytes (nulls) cannot be bounded by the record's size;
// a record may hold only so many of them, in one block or in many.
func TestEmptyItemsAreBounded(t *testing.T) {
	t.Parallel()
	s := mustParse(t, []byte(`{"type": "array", "items": "null"}`))
	plan, err := compilePlan(s, s)
	if err != nil {
		t.Fatal(err)
	}
	run := func(counts ...int64) error {
		var b []byte
		for _, n := range counts {
			b = appendLong(b, n)
		}
		r := &reader{buf: b}
		plan.transcode(r, nil)
		return r.close()
	}
	if err := run(maxEmptyItems/2, maxEmptyItems/2, 0); err != nil {
		t.Errorf("%d nulls: %v", maxEmptyItems, err)
	}
	if err := run(maxEmptyItems/2, maxEmptyItems/2, 1, 0); !errors.Is(err, ErrMalformed) {
		t.Errorf("%d nulls in three blocks: err = %v, want ErrMalformed", maxEmptyItems+1, err)
	}
	if err := run(math.MaxInt64, 0); !errors.Is(err, ErrMalformed) {
		t.Errorf("MaxInt64 nulls: err = %v, want ErrMalformed", err)
	}
}
