package schemas_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"slices"
	"testing"

	"github.com/hamba/avro/v2"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/schemas"
)

type release struct {
	path        string
	fingerprint uint64
	sha256      string
}

// released lists every released schema file with its CRC-64-AVRO
// fingerprint (of the Parsing Canonical Form, as events.Fingerprint and
// every Avro library compute it) and the SHA-256 of its bytes, which also
// catches changes to defaults and docs that the fingerprint ignores but
// that change how old records resolve.
//
// Released schemas never change: records written with them live on in the
// log. Change the schema by adding the next version (vN+1/*.avsc, with a
// new row here); the codec then reads vN records by resolving them.
var released = []release{
	{"v1/event.avsc", 0x95322cc6e410721e, "c8c30e824e8f9ee17f69edc7f734e4cfd88b3af16c2a4aee2555cc7e60f68107"},
	{"v1/signature.avsc", 0x041eae7f8ff66b37, "67de42497f3f065c2590ac147b18c921947c5fff1d7d2bb731e7f16e057fd025"},
	// v2: TaskRetrying.explicit (an explicit retry or an autoretry).
	{"v2/event.avsc", 0x375d72d56a33cac2, "a11640f8c5a5070b8186d9890f2d5e6436fcdb98667b47f2bb1654f305e90aba"},
	{"v2/signature.avsc", 0x041eae7f8ff66b37, "67de42497f3f065c2590ac147b18c921947c5fff1d7d2bb731e7f16e057fd025"},
	// v3: TaskDispatched.time_limit_float (a time_limit given as a float or an integer).
	{"v3/event.avsc", 0x99b19b33a80a0899, "621368d526a9daca5e40c252c907fdc21f980049825c2d555cb7b473759f3626"},
	{"v3/signature.avsc", 0x041eae7f8ff66b37, "67de42497f3f065c2590ac147b18c921947c5fff1d7d2bb731e7f16e057fd025"},
}

func TestReleasedSchemasAreFrozen(t *testing.T) {
	t.Parallel()
	files, err := fs.Glob(schemas.FS, "v*/*.avsc")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range released {
		if !slices.Contains(files, r.path) {
			t.Errorf("released schema %s is gone: released schemas stay, as old records were written with them", r.path)
		}
	}
	for _, path := range files {
		i := slices.IndexFunc(released, func(r release) bool { return r.path == path })
		text, err := schemas.FS.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		fp, err := events.Fingerprint(text)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		sum := sha256.Sum256(text)
		if i < 0 {
			t.Errorf("%s is not listed as released: add {%q, %#016x, %q} to released", path, path, fp, hex.EncodeToString(sum[:]))
			continue
		}
		r := released[i]
		if fp != r.fingerprint {
			t.Errorf("%s changed its fingerprint (%016x, released as %016x). Released schemas are frozen: put the change in a new version, v%d, instead",
				path, fp, r.fingerprint, schemas.Latest+1)
		} else if hex.EncodeToString(sum[:]) != r.sha256 {
			t.Errorf("%s changed (a default, a doc or the layout; the fingerprint did not). Released schemas are frozen: put the change in a new version, v%d, instead",
				path, schemas.Latest+1)
		}
	}
}

func TestVersions(t *testing.T) {
	t.Parallel()
	vs := schemas.Versions()
	for i, v := range vs {
		if v != i+1 {
			t.Fatalf("Versions() = %v, want 1, 2, ... without gaps", vs)
		}
	}
	if len(vs) == 0 || vs[len(vs)-1] != schemas.Latest {
		t.Fatalf("Versions() = %v but Latest = %d", vs, schemas.Latest)
	}
	for _, v := range vs {
		for _, read := range []func(int) ([]byte, error){schemas.Event, schemas.Signature} {
			if _, err := read(v); err != nil {
				t.Error(err)
			}
		}
	}
	if _, err := schemas.Event(schemas.Latest + 1); err == nil {
		t.Error("Event(Latest+1) did not fail")
	}
}

func parse(t *testing.T, read func(int) ([]byte, error), v int) avro.Schema {
	t.Helper()
	text, err := read(v)
	if err != nil {
		t.Fatal(err)
	}
	s, err := avro.ParseBytesWithCache(text, "", &avro.SchemaCache{})
	if err != nil {
		t.Fatalf("v%d: %v", v, err)
	}
	return s
}

// Schemas evolve only backward-compatibly: today's reads every release.
func TestLatestReadsEveryVersion(t *testing.T) {
	t.Parallel()
	for name, read := range map[string]func(int) ([]byte, error){"Event": schemas.Event, "Signature": schemas.Signature} {
		latest := parse(t, read, schemas.Latest)
		for _, v := range schemas.Versions() {
			if err := avro.NewSchemaCompatibility().Compatible(latest, parse(t, read, v)); err != nil {
				t.Errorf("%s v%d cannot read v%d: %v", name, schemas.Latest, v, err)
			}
		}
	}
	if _, err := events.NewCodec(); err != nil {
		t.Error(err)
	}
}

// The stand-alone Signature is the one inside WorkflowSubmitted.
func TestSignatureIsTheCanvasOfWorkflowSubmitted(t *testing.T) {
	t.Parallel()
	for _, v := range schemas.Versions() {
		event := parse(t, schemas.Event, v).(*avro.RecordSchema)
		var canvas avro.Schema
		for _, f := range event.Fields() {
			if f.Name() != "body" {
				continue
			}
			for _, b := range f.Type().(*avro.UnionSchema).Types() {
				if r, ok := b.(*avro.RecordSchema); ok && r.Name() == "WorkflowSubmitted" {
					canvas = r.Fields()[0].Type()
				}
			}
		}
		if canvas == nil {
			t.Fatalf("v%d: no WorkflowSubmitted.canvas", v)
		}
		if got, want := canvas.String(), parse(t, schemas.Signature, v).String(); got != want {
			t.Errorf("v%d: WorkflowSubmitted.canvas is\n%s\nbut signature.avsc is\n%s", v, got, want)
		}
	}
}

func ExampleEvent() {
	text, err := schemas.Event(schemas.Latest)
	if err != nil {
		panic(err)
	}
	fp, err := events.Fingerprint(text)
	if err != nil {
		panic(err)
	}
	fmt.Printf("Event v%d: fingerprint %016x\n", schemas.Latest, fp)
	// Output: Event v3: fingerprint 99b19b33a80a0899
}
