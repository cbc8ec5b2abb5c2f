package projector

import (
	"strconv"
	"testing"
)

// TestJitter: the backoff jitter draws from [0, n), the same for the same
// task and attempt (a replay schedules the same timer), and spreads over
// the range across tasks, which is what jitter is for.
func TestJitter(t *testing.T) {
	t.Parallel()
	const n = 601
	seen := map[int64]bool{}
	for k := range 1000 {
		id := "wf" + strconv.Itoa(k) + ".3"
		d := jitter(id, 2)(n)
		if d < 0 || d >= n {
			t.Fatalf("jitter(%s) = %d, out of [0, %d)", id, d, n)
		}
		if again := jitter(id, 2)(n); again != d {
			t.Fatalf("jitter(%s) drew %d, then %d", id, d, again)
		}
		seen[d] = true
	}
	// 1,000 even draws from 601 values give about 490 distinct ones.
	if len(seen) < 400 {
		t.Errorf("1,000 tasks drew %d distinct values of %d", len(seen), n)
	}
	if d := jitter("x", 0)(1); d != 0 {
		t.Errorf("a draw from [0, 1) gave %d", d)
	}
}
