package engine

import (
	"math"
	"testing"
	"time"
)

// TestUntilDue checks the wait of the timer service for a timer far in
// the future: a countdown or eta centuries away (Fold saturates one past
// the clock at math.MaxInt64) must make it wait long, not overflow
// time.Duration into a negative wait, which made the timer loop scan the
// store over and over without a pause.
func TestUntilDue(t *testing.T) {
	t.Parallel()
	const now = int64(1_764_806_400_000_000) // 2025-12-04, in microseconds
	const year = int64(365 * 24 * time.Hour / time.Microsecond)
	for _, c := range []struct {
		next int64
		want time.Duration
	}{
		{now + 1_500_000, 1500 * time.Millisecond},
		{now + 100*year, time.Duration(100*year) * time.Microsecond},
		{now + 300*year, math.MaxInt64},
		{math.MaxInt64, math.MaxInt64},
	} {
		if got := untilDue(c.next, now); got != c.want {
			t.Errorf("untilDue(now+%dµs) = %v, want %v", c.next-now, got, c.want)
		}
	}
}
