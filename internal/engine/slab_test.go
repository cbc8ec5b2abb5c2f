package engine

import (
	"bytes"
	"strings"
	"testing"
	"unsafe"

	"github.com/fugue-run/fugue/events"
)

// TestSlab checks that records encoded into a slab are the codec's, each
// capped at its length, so that appending to one cannot write over the
// next; that they share chunks; and that a record too large for what is
// left of a chunk is encoded alone, the chunk still used after it.
func TestSlab(t *testing.T) {
	t.Parallel()
	c, err := events.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	ev := func(i int, result string) *events.Event {
		return &events.Event{ID: "e" + strings.Repeat("x", i%7), Workflow: "wf", Task: "t", Body: &events.TaskSucceeded{Attempt: int32(i), Result: result}}
	}
	var s slab
	var recs [][]byte
	var evs []*events.Event
	for i := range 2000 {
		result := "r"
		if i%500 == 499 {
			result = strings.Repeat("big", 3000) // past slabMin
		}
		e := ev(i, result)
		rec, err := s.encode(c, e)
		if err != nil {
			t.Fatal(err)
		}
		if cap(rec) != len(rec) {
			t.Fatalf("record %d: cap %d, len %d", i, cap(rec), len(rec))
		}
		recs, evs = append(recs, rec), append(evs, e)
	}
	shared := 0
	for i, rec := range recs {
		want, err := c.Encode(evs[i])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(rec, want) {
			t.Fatalf("record %d differs from Encode's", i)
		}
		if prev := recs[max(i-1, 0)]; i > 0 && unsafe.Add(unsafe.Pointer(unsafe.SliceData(prev)), len(prev)) == unsafe.Pointer(unsafe.SliceData(rec)) {
			shared++
		}
	}
	if shared < 1900 {
		t.Fatalf("%d of 2000 records follow the one before in its chunk", shared)
	}
}
