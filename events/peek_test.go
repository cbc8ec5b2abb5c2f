package events

import (
	"reflect"
	"testing"
)

func TestPeek(t *testing.T) { // not parallel: AllocsPerRun
	c := newTestCodec(t)
	for _, e := range samples() {
		b := encode(t, c, e)
		wf, kind, ok := c.Peek(b)
		if !ok || string(wf) != e.Workflow || reflect.TypeOf(kind) != reflect.TypeOf(e.Body) {
			t.Errorf("%s: Peek gave %q %T %v", bodyName(e.Body), wf, kind, ok)
		}
		if allocs := testing.AllocsPerRun(10, func() { c.Peek(b) }); allocs != 0 {
			t.Errorf("%s: Peek allocates %.0f times", bodyName(e.Body), allocs)
		}
		// Cut short before the body's branch: Decode has to tell.
		if _, _, ok := c.Peek(b[:headerLen+4]); ok {
			t.Errorf("%s: Peek read a truncated record", bodyName(e.Body))
		}
	}
	// Another schema's record needs resolving: Peek does not read it.
	h := header(fingerprint(mustParse(t, v0Schema(t))))
	if _, _, ok := v0Codec(t).Peek(append(h[:], v0Record(t, c, samples()[5])...)); ok {
		t.Error("Peek read a record of an older schema")
	}
	for _, b := range [][]byte{nil, []byte("not avro"), {0xc3, 0x01}} {
		if _, _, ok := c.Peek(b); ok {
			t.Errorf("Peek read %q", b)
		}
	}
}
