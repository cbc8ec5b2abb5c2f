package events

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/fugue-run/fugue/schemas"
)

var update = flag.Bool("update", false, "rewrite the golden records of today's schema version (testdata/v<Latest>)")

// Golden records: testdata/v<N>/<Body>.bin holds one sample event of each
// body type as schema version N wrote it, and Signature.bin a canvas.
// Records of every released version must decode, with today's code, into
// the samples: that is the promise that old logs stay readable. Only the
// records of today's version are ever rewritten (go test -update); older
// ones are history.
//
// When a new version changes what a sample decodes to (a field added with
// a default, say), give the older versions' expectations here, rather than
// touching their records.
func TestGoldenRecords(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	if *update {
		writeGolden(t, c)
	}
	want := map[string]*Event{}
	for _, e := range samples() {
		want[bodyName(e.Body)] = e
	}
	for _, v := range schemas.Versions() {
		dir := filepath.Join("testdata", fmt.Sprintf("v%d", v))
		for name, e := range want {
			rec, err := os.ReadFile(filepath.Join(dir, name+".bin"))
			if err != nil {
				t.Errorf("v%d has no golden %s record (go test ./events -run TestGoldenRecords -update writes today's): %v", v, name, err)
				continue
			}
			got, err := c.Decode(rec)
			if err != nil {
				t.Errorf("v%d %s: %v", v, name, err)
				continue
			}
			e = asVersion(v, e)
			if !reflect.DeepEqual(got, e) {
				t.Errorf("v%d %s decodes as\n%#v\nwant\n%#v", v, name, got.Body, e.Body)
			}
			if v == schemas.Latest && !bytes.Equal(rec, encode(t, c, e)) {
				t.Errorf("v%d %s: today's encoding differs from the golden record: encoding changed by accident, or rewrite with -update", v, name)
			}
		}
		rec, err := os.ReadFile(filepath.Join(dir, "Signature.bin"))
		if err != nil {
			t.Errorf("v%d has no golden Signature record: %v", v, err)
			continue
		}
		canvas, err := c.DecodeCanvas(rec)
		if err != nil || !reflect.DeepEqual(canvas, chainCanvas()) {
			t.Errorf("v%d Signature decodes as %#v, %v", v, canvas, err)
		}
	}
}

// asVersion is what sample e decodes to from a record of schema version v,
// which may lack fields that e sets.
func asVersion(v int, e *Event) *Event {
	if d, ok := e.Body.(*TaskDispatched); ok && v < 3 {
		// Before v3 no time_limit_float: a limit reads as an integer
		// when it is whole.
		d2 := *d
		d2.TimeLimitFloat = false
		e2 := *e
		e2.Body = &d2
		return &e2
	}
	if r, ok := e.Body.(*TaskRetrying); ok && v < 2 {
		// v1 has no explicit: its retries read as autoretries, which
		// retry_backoff applies to, as it did to every retry before v2.
		r2 := *r
		r2.Explicit = false
		e2 := *e
		e2.Body = &r2
		return &e2
	}
	return e
}

func writeGolden(t *testing.T, c *Codec) {
	dir := filepath.Join("testdata", fmt.Sprintf("v%d", schemas.Latest))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, rec []byte) {
		if err := os.WriteFile(filepath.Join(dir, name+".bin"), rec, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range samples() {
		write(bodyName(e.Body), encode(t, c, e))
	}
	rec, err := c.EncodeCanvas(chainCanvas())
	if err != nil {
		t.Fatal(err)
	}
	write("Signature", rec)
}
