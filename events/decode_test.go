package events

import (
	"encoding/binary"
	"errors"
	"testing"
	"unsafe"
)

func TestDecodeHeaderErrors(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	good := encode(t, c, samples()[4])
	for _, b := range [][]byte{nil, {}, {0xc3, 0x01}, good[:headerLen-1], append([]byte{0xc3, 0x02}, good[2:]...), append([]byte{0}, good...)} {
		if _, err := c.Decode(b); !errors.Is(err, ErrNotSingleObject) {
			t.Errorf("Decode(% x) = %v, want ErrNotSingleObject", b, err)
		}
	}

	other := append([]byte(nil), good...)
	binary.LittleEndian.PutUint64(other[2:], 0x0123456789abcdef)
	_, err := c.Decode(other)
	var use *UnknownSchemaError
	if !errors.As(err, &use) || use.Fingerprint != 0x0123456789abcdef {
		t.Errorf("Decode(unknown fingerprint) = %v, want *UnknownSchemaError{0x0123456789abcdef}", err)
	}
}

// Every proper prefix of a record is truncated, never a panic or success.
func TestDecodeTruncated(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	for _, e := range samples() {
		rec := encode(t, c, e)
		for n := headerLen; n < len(rec); n++ {
			_, err := c.Decode(rec[:n])
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, ErrTruncated) {
				t.Fatalf("%s cut to %d of %d bytes: err = %v, want a *DecodeError with ErrTruncated", bodyName(e.Body), n, len(rec), err)
			}
			if de.Offset < headerLen || de.Offset > n || de.Fingerprint != c.Fingerprint() {
				t.Fatalf("%s cut to %d: offset %d, fingerprint %016x", bodyName(e.Body), n, de.Offset, de.Fingerprint)
			}
		}
	}
}

func TestDecodeMalformed(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	// A TaskSucceeded record with empty strings, built by hand so that the
	// test can say exactly which byte is wrong.
	record := func(body ...byte) []byte {
		h := header(c.Fingerprint())
		b := append(h[:], 0, 0, 0, 0, 0) // id, workflow, task, time, producer
		return append(b, body...)
	}
	const succeeded = bodyTaskSucceeded * 2 // zigzag
	cases := []struct {
		name   string
		rec    []byte
		want   error
		offset int
	}{
		{"trailing byte", record(succeeded, 0, 0, 0), ErrMalformed, 18},
		{"Value branch 8", record(succeeded, 0, 16), ErrMalformed, 17},
		{"negative Value branch", record(succeeded, 0, 1), ErrMalformed, 17},
		{"boolean 2", record(succeeded, 0, 2, 4), ErrMalformed, 18},
		{"int beyond 32 bits", record(succeeded, 0x80, 0x80, 0x80, 0x80, 0x20, 0), ErrMalformed, 16},
		{"varint of 11 bytes", record(succeeded, 0, 4, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0), ErrMalformed, 18},
		{"negative string length", record(succeeded, 0, 8, 1), ErrMalformed, 18},
		{"string longer than the record", record(succeeded, 0, 8, 20, 'a'), ErrTruncated, 18},
		{"array count beyond the record", record(succeeded, 0, 12, 40, 0), ErrTruncated, 18},
		{"negative block count of MinInt64", record(append([]byte{succeeded, 0, 12}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)...), ErrMalformed, 18},
		{"body branch 16", record(32), nil, 15},
		{"negative body branch", record(1), nil, 15},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := c.Decode(tc.rec)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want *DecodeError", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if tc.want == nil && !errors.As(err, new(*UnknownBodyError)) {
				t.Errorf("err = %v, want *UnknownBodyError", err)
			}
			if de.Offset != tc.offset {
				t.Errorf("offset = %d, want %d (%v)", de.Offset, tc.offset, err)
			}
		})
	}
}

// A record that nests arrays beyond MaxDepth is refused, not followed.
func TestDecodeTooDeep(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	h := header(c.Fingerprint())
	b := append(h[:], 0, 0, 0, 0, 0, bodyTaskSucceeded*2, 0)
	for range MaxDepth + 1 {
		b = append(b, valueArray*2, 2) // an array of one item ...
	}
	b = append(b, 0) // ... the innermost a null; the closing zeros are never reached
	_, err := c.Decode(b)
	if !errors.Is(err, ErrTooDeep) {
		t.Fatalf("err = %v, want ErrTooDeep", err)
	}
}

// Blocks with negative counts (followed by their size in bytes), as other
// Avro writers may emit them, decode like positive ones.
func TestDecodeNegativeBlockCounts(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	h := header(c.Fingerprint())
	b := append(h[:], 0, 0, 0, 0, 0, bodyTaskSucceeded*2, 0)
	// Value array: block of -2 items (4 bytes), block of 1 item, end.
	b = append(b, valueArray*2, 3, 8, valueLong*2, 2, valueLong*2, 4, 2, valueNull*2, 0)
	e, err := c.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	got := e.Body.(*TaskSucceeded).Result.([]any)
	if len(got) != 3 || got[0] != int64(1) || got[1] != int64(2) || got[2] != nil {
		t.Errorf("got %#v, want [1 2 nil]", got)
	}
}

// TestDecodeSharesRepeatedStrings: a string Value equal to the one read
// before it is the same string, not a copy (strValue), and a different
// one is its own.
func TestDecodeSharesRepeatedStrings(t *testing.T) {
	t.Parallel()
	c := newTestCodec(t)
	member := func(task string) any { return map[string]any{"task": task, "args": []any{int64(1)}} }
	canvas := map[string]any{"task": "celery.group", "kwargs": map[string]any{"tasks": []any{member("tasks.add"), member("tasks.add"), member("tasks.mul")}}}
	b, err := c.Encode(&Event{ID: "s", Workflow: "w", Body: &WorkflowSubmitted{Canvas: canvas}})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := c.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	tasks := ev.Body.(*WorkflowSubmitted).Canvas["kwargs"].(map[string]any)["tasks"].([]any)
	name := func(i int) string { return tasks[i].(map[string]any)["task"].(string) }
	if name(0) != "tasks.add" || name(1) != "tasks.add" || name(2) != "tasks.mul" {
		t.Fatalf("decoded %q %q %q", name(0), name(1), name(2))
	}
	if unsafe.StringData(name(0)) != unsafe.StringData(name(1)) {
		t.Error("two equal task names in a row decoded to two strings")
	}
}
