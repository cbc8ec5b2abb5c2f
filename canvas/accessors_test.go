package canvas

import (
	"math"
	"testing"
	"time"
)

func TestAccessors(t *testing.T) {
	t.Parallel()
	base := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	o := Options{Countdown: int64(5), ETA: "2024-05-01T10:00:00.25+02:00", Expires: 1.5, MaxRetries: int64(3),
		TimeLimit: int64(30), SoftTimeLimit: 25.5, Priority: int64(7), RetryBackoff: int64(2)}
	if s, ok := o.CountdownSeconds(); !ok || s != 5 {
		t.Errorf("countdown %v %v", s, ok)
	}
	if eta, ok := o.ETATime(); !ok || !eta.Equal(time.Date(2024, 5, 1, 8, 0, 0, 250e6, time.UTC)) {
		t.Errorf("eta %v %v", eta, ok)
	}
	if at, ok := o.ExpiresAt(base); !ok || !at.Equal(base.Add(1500*time.Millisecond)) {
		t.Errorf("expires %v %v", at, ok)
	}
	if n, unl, set := o.MaxRetriesValue(); n != 3 || unl || !set {
		t.Errorf("max retries %v %v %v", n, unl, set)
	}
	if s, ok := o.TimeLimitSeconds(); !ok || s != 30 {
		t.Errorf("time limit %v", s)
	}
	if s, ok := o.SoftTimeLimitSeconds(); !ok || s != 25.5 {
		t.Errorf("soft time limit %v", s)
	}
	if p, ok := o.PriorityValue(); !ok || p != 7 {
		t.Errorf("priority %v", p)
	}
	for retries, want := range map[int]float64{0: 2, 1: 4, 3: 16, 9: 600, 5000: 600} {
		if s, ok := o.RetryBackoffSeconds(retries); !ok || s != want {
			t.Errorf("backoff(%d) = %v, want %v", retries, s, want)
		}
	}

	var zero Options
	if _, ok := zero.CountdownSeconds(); ok {
		t.Error("zero countdown set")
	}
	if _, ok := zero.ETATime(); ok {
		t.Error("zero eta set")
	}
	if _, ok := zero.ExpiresAt(base); ok {
		t.Error("zero expires set")
	}
	if _, _, set := zero.MaxRetriesValue(); set {
		t.Error("zero max retries set")
	}
	if _, ok := zero.PriorityValue(); ok {
		t.Error("zero priority set")
	}
	if _, ok := zero.RetryBackoffSeconds(1); ok {
		t.Error("zero backoff set")
	}
	if n, unl, set := (Options{MaxRetriesUnlimited: true}).MaxRetriesValue(); n != 0 || !unl || !set {
		t.Error("unlimited max retries")
	}
	if s, ok := (Options{RetryBackoff: true}).RetryBackoffSeconds(2); !ok || s != 4 {
		t.Errorf("backoff true: %v", s)
	}
	if _, ok := (Options{RetryBackoff: false}).RetryBackoffSeconds(2); ok {
		t.Error("backoff false is set")
	}
	if s, ok := (Options{RetryBackoff: int64(0)}).RetryBackoffSeconds(5000); !ok || s != 0 || math.IsNaN(s) {
		t.Errorf("backoff 0: %v", s)
	}
	if at, ok := (Options{Expires: "2024-05-02"}).ExpiresAt(base); !ok || !at.Equal(time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("absolute expires %v", at)
	}
	if at, ok := (Options{Expires: 1e300}).ExpiresAt(base); !ok || !at.After(base) {
		t.Errorf("huge expires %v", at)
	}
}

func TestISOTimes(t *testing.T) {
	t.Parallel()
	good := []string{
		"2024-05-01T10:00:00", "2024-05-01T10:00:00.123456", "2024-05-01T10:00:00+00:00",
		"2024-05-01T10:00:00.123456-07:30", "2024-05-01T10:00:00Z", "2024-05-01 10:00:00",
		"2024-05-01 10:00:00.5+01:00", "2024-05-01T10:00:00+0100", "2024-05-01T10:00", "2024-05-01",
	}
	for _, s := range good {
		if _, ok := parseISOTime(s); !ok {
			t.Errorf("refused %q", s)
		}
	}
	for _, s := range []string{"", "now", "2024-05-01T25:00:00", "01/05/2024", "2024-05-01T10:00:00 junk"} {
		if _, ok := parseISOTime(s); ok {
			t.Errorf("accepted %q", s)
		}
	}
}
