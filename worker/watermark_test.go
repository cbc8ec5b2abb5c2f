package worker

import (
	"math/rand/v2"
	"testing"
)

func TestWatermark(t *testing.T) {
	t.Parallel()
	var w watermark
	if _, _, ok := w.Committable(); ok {
		t.Fatal("empty watermark is committable")
	}
	for _, o := range []int64{3, 4, 6, 9} { // gaps: 5, 7 and 8 never show up
		if !w.Add(o, int32(o)) {
			t.Fatalf("Add(%d) refused", o)
		}
	}
	if w.Add(9, 0) || w.Add(2, 0) {
		t.Fatal("Add accepted an offset that is not above the last")
	}
	steps := []struct {
		done   int64
		ok     bool  // Done's answer
		commit int64 // -1: nothing committable
		epoch  int32
	}{
		{6, true, -1, 0},  // finished past an unfinished offset: nothing to commit
		{6, false, -1, 0}, // twice
		{5, false, -1, 0}, // never added
		{3, true, 4, 3},
		{4, true, 7, 6}, // 4 retires 6 too: commit one past 6
		{9, true, 10, 9},
		{9, false, 10, 9},
	}
	for _, s := range steps {
		if got := w.Done(s.done); got != s.ok {
			t.Errorf("Done(%d) = %v, want %v", s.done, got, s.ok)
		}
		off, ep, ok := w.Committable()
		if s.commit < 0 {
			if ok {
				t.Errorf("after Done(%d): committable %d, want nothing", s.done, off)
			}
			continue
		}
		if !ok || off != s.commit || ep != s.epoch {
			t.Errorf("after Done(%d): Committable() = %d, %d, %v; want %d, %d, true", s.done, off, ep, ok, s.commit, s.epoch)
		}
	}
	if w.Pending() != 0 {
		t.Errorf("Pending() = %d, want 0", w.Pending())
	}
}

// TestWatermarkRandom finishes offsets in random order and checks that the
// committable offset is always the first unfinished one and never goes
// back.
func TestWatermarkRandom(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		var w watermark
		n := 1 + rng.IntN(50)
		offsets := make([]int64, n)
		next := int64(rng.IntN(10))
		for i := range offsets {
			offsets[i] = next
			w.Add(next, 0)
			next += 1 + int64(rng.IntN(3))
		}
		finished := make(map[int64]bool)
		prev := int64(-1)
		for _, i := range rng.Perm(n) {
			w.Done(offsets[i])
			finished[offsets[i]] = true
			want, wantOK := int64(0), false
			for _, o := range offsets {
				if !finished[o] {
					break
				}
				want, wantOK = o+1, true
			}
			got, _, ok := w.Committable()
			if ok != wantOK || (ok && got != want) {
				t.Fatalf("round %d: Committable() = %d, %v; want %d, %v", round, got, ok, want, wantOK)
			}
			if ok && got < prev {
				t.Fatalf("round %d: committable went back from %d to %d", round, prev, got)
			}
			if ok {
				prev = got
			}
		}
	}
}
