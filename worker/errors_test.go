package worker

import (
	"testing"
	"time"
)

// TimeLimitExceeded's message is the limit as a Celery user writes it:
// billiard raises TimeLimitExceeded(job._timeout), the time_limit as
// given, so time_limit=10 reads 10 and 1.5 reads 1.5; only a limit the
// canvas gave as a float reads 10.0.
func TestTimeLimitExceededMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		limit   time.Duration
		asFloat bool
		want    string
	}{
		{10 * time.Second, false, "TimeLimitExceeded: 10"},
		{time.Second, false, "TimeLimitExceeded: 1"},
		{time.Second, true, "TimeLimitExceeded: 1.0"},
		{1500 * time.Millisecond, false, "TimeLimitExceeded: 1.5"},
		{1500 * time.Millisecond, true, "TimeLimitExceeded: 1.5"},
		{1001 * time.Millisecond, true, "TimeLimitExceeded: 1.001"},
		{2 * time.Millisecond, false, "TimeLimitExceeded: 0.002"},
	}
	for _, tt := range tests {
		if got := timeLimitExceeded(tt.limit, tt.asFloat).Error(); got != tt.want {
			t.Errorf("timeLimitExceeded(%v, %v) = %q, want %q", tt.limit, tt.asFloat, got, tt.want)
		}
	}
	if got, want := TimeLimitExceeded(10*time.Second).Error(), "TimeLimitExceeded: 10"; got != want {
		t.Errorf("TimeLimitExceeded(10s) = %q, want %q", got, want)
	}
}
