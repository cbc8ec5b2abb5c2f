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
	if at, ok := (Options{Expires: "2024-05-02"}).ExpiresAt(base); !ok || !at.Equal(time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("absolute expires %v", at)
	}
	if at, ok := (Options{Expires: 1e300}).ExpiresAt(base); !ok || at.UnixMicro() != math.MaxInt64 {
		t.Errorf("huge expires %v, want the last microsecond of int64", at)
	}
	if at, ok := (Options{Expires: -1e300}).ExpiresAt(base); !ok || at.UnixMicro() != math.MinInt64 {
		t.Errorf("hugely negative expires %v, want the first microsecond of int64", at)
	}
	// Past the 292 years of a time.Duration, as far as Celery goes: 3,000
	// years from base (Python: datetime(2024, 5, 1, 12) +
	// timedelta(seconds=3000*365*86400) is 5022-05-05 12:00:00), and the
	// last microsecond it can represent.
	if at, ok := (Options{Expires: int64(3000 * 365 * 86400)}).ExpiresAt(base); !ok || !at.Equal(time.Date(5022, 5, 5, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("expires in 3,000 years %v", at)
	}
	last := (MaxDueUnixMicro - base.UnixMicro()) / 1e6
	if at, ok := (Options{Expires: last}).ExpiresAt(base); !ok || !at.Equal(time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)) {
		t.Errorf("expires at the end of time %v", at)
	}
}

// micros converts seconds to microseconds as Python's timedelta does;
// the values are CPython 3.11's: (td.days*86400 + td.seconds)*10**6 +
// td.microseconds for td = timedelta(seconds=x).
func TestMicros(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		secs float64
		want int64
	}{
		{251605958399.999999, 251605958400000000},
		{1.0000005, 1000001},
		{2.5e-6, 2},
		{0.5e-6, 0},
		{1.5e-6, 2},
		{123456789.123456789, 123456789123457},
		{-1.5e-6, -2},
		{-2147483648.0000005, -2147483648000000},
		{8.9e12, 8900000000000000000},
		{0.1, 100000},
		{1e-7, 0},
	} {
		if got, ok := micros(c.secs); !ok || got != c.want {
			t.Errorf("micros(%v) = %d, %v; want %d", c.secs, got, ok, c.want)
		}
	}
	for _, secs := range []float64{9e12, -9e12, math.Inf(1), math.NaN()} {
		if got, ok := micros(secs); ok {
			t.Errorf("micros(%v) = %d, want out of range", secs, got)
		}
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

// TestRetryBackoffSeconds checks the backoff against Celery 5.7's autoretry
// (the wants are what its get_exponential_backoff_interval gives, without
// jitter, for factor int(max(1.0, retry_backoff)) and maximum
// int(retry_backoff_max)).
func TestRetryBackoffSeconds(t *testing.T) {
	t.Parallel()
	noJitter := false
	cases := []struct {
		backoff, max any
		retries      int
		want         int64
	}{
		{true, nil, 0, 1},
		{true, nil, 3, 8},
		{true, nil, 10, 600},
		{int64(2), nil, 0, 2},
		{int64(2), nil, 3, 16},
		{int64(2), nil, 9, 600},
		{int64(2), nil, 5000, 600},
		{0.5, nil, 0, 1},
		{0.5, nil, 4, 16},
		{2.7, nil, 2, 8},
		{int64(3), int64(100), 4, 48},
		{int64(3), int64(100), 6, 100},
		{int64(1), 0.5, 3, 0},
		{int64(5), 7.9, 0, 5},
		{1e300, nil, 0, 600},
		{int64(1), 1e18, 62, 1e18},
		{int64(1), nil, -1, 1},
		{int64(math.MaxInt64), int64(math.MaxInt64), 70, math.MaxInt64},
	}
	for _, c := range cases {
		o := Options{RetryBackoff: c.backoff, RetryBackoffMax: c.max, RetryJitter: noJitter}
		drew := false
		got, ok := o.RetryBackoffSeconds(c.retries, func(int64) int64 { drew = true; return 0 })
		if !ok || got != c.want || drew {
			t.Errorf("backoff %v max %v retries %d: got %d %t (drew %t), want %d", c.backoff, c.max, c.retries, got, ok, drew, c.want)
		}
		// With jitter (the default), the draw is taken over 0..countdown.
		o.RetryJitter = nil
		var n int64
		got, ok = o.RetryBackoffSeconds(c.retries, func(m int64) int64 { n = m; return m - 1 })
		wantN := c.want + 1
		if c.want == math.MaxInt64 {
			wantN = c.want
		}
		if !ok || n != wantN || got != wantN-1 {
			t.Errorf("jitter, backoff %v max %v retries %d: drew from [0, %d) and got %d, want [0, %d)", c.backoff, c.max, c.retries, n, got, wantN)
		}
		got, _ = o.RetryBackoffSeconds(c.retries, func(int64) int64 { return 0 })
		if got != 0 {
			t.Errorf("jitter drawing 0 gave %d", got)
		}
	}
	for _, off := range []any{nil, false, int64(0), 0.0} {
		if s, ok := (Options{RetryBackoff: off}).RetryBackoffSeconds(3, nil); ok {
			t.Errorf("backoff %v: %d, want none", off, s)
		}
	}
}
