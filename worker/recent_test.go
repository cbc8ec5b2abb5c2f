package worker

import (
	"strconv"
	"testing"
)

func TestRecentSet(t *testing.T) {
	t.Parallel()
	s := newRecentSet[string](3)
	for _, id := range []string{"a", "b", "a", "c"} {
		s.add(id)
	}
	for _, id := range []string{"a", "b", "c"} {
		if !s.has(id) {
			t.Errorf("%s forgotten", id)
		}
	}
	if s.add("b") {
		t.Errorf("add(b) again says it was new")
	}
	s.add("d") // forgets a, the oldest
	if s.has("a") || !s.has("b") || !s.has("d") {
		t.Errorf("after d: a=%v b=%v d=%v, want false true true", s.has("a"), s.has("b"), s.has("d"))
	}
	// Many more: only the last three stay, and memory stays bounded.
	for i := range 1000 {
		s.add(strconv.Itoa(i))
	}
	if len(s.keys) != 3 || len(s.ring) != 3 {
		t.Fatalf("remembers %d ids in a ring of %d, want 3", len(s.keys), len(s.ring))
	}
	for _, id := range []string{"997", "998", "999"} {
		if !s.has(id) {
			t.Errorf("%s forgotten", id)
		}
	}
}
