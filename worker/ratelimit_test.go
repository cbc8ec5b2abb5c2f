package worker

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestParseRateLimit(t *testing.T) {
	t.Parallel()
	good := map[string]time.Duration{
		"":      0,
		"0":     0,
		"0/m":   0,
		"10":    100 * time.Millisecond,
		"10/s":  100 * time.Millisecond,
		"100/m": 600 * time.Millisecond,
		"5/h":   12 * time.Minute,
		"0.5/s": 2 * time.Second,
		" 2 /s": 500 * time.Millisecond,
	}
	for in, want := range good {
		got, err := ParseRateLimit(in)
		if err != nil || got != want {
			t.Errorf("ParseRateLimit(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"x", "10/d", "10/sec", "-1/s", "/s", "inf/s", "NaN", "1e-300/h"} {
		if got, err := ParseRateLimit(in); err == nil {
			t.Errorf("ParseRateLimit(%q) = %v, want an error", in, got)
		}
	}
}

func TestBucketReserve(t *testing.T) {
	t.Parallel()
	b := &bucket{interval: time.Second}
	t0 := time.Unix(1000, 0)
	sec := func(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Second))) }
	// Capacity one: the first start is at once, the next ones an interval
	// apart, in the order asked.
	for i, want := range []time.Time{sec(0), sec(1), sec(2)} {
		if got := b.reserve(t0); !got.Equal(want) {
			t.Fatalf("reserve %d = %v, want %v", i, got.Sub(t0), want.Sub(t0))
		}
	}
	// Idle time does not pile up tokens beyond one.
	if got := b.reserve(sec(10)); !got.Equal(sec(10)) {
		t.Fatalf("after idle: %v, want 10s", got.Sub(t0))
	}
	if got := b.reserve(sec(10)); !got.Equal(sec(11)) {
		t.Fatalf("second after idle: %v, want 11s", got.Sub(t0))
	}
	// A cancelled last booking is given back; one with later bookings is not.
	b.cancel(sec(11))
	if got := b.reserve(sec(10)); !got.Equal(sec(11)) {
		t.Fatalf("after cancel: %v, want 11s", got.Sub(t0))
	}
	b.reserve(sec(10)) // 12s
	b.cancel(sec(11))
	if got := b.reserve(sec(10)); !got.Equal(sec(13)) {
		t.Fatalf("after a cancel that is not the last: %v, want 13s", got.Sub(t0))
	}
}

func TestBucketWaitCancelled(t *testing.T) {
	t.Parallel()
	b := &bucket{interval: time.Hour}
	if err := b.wait(t.Context()); err != nil {
		t.Fatalf("first wait: %v", err)
	}
	ctx, cancel := context.WithCancelCause(t.Context())
	cause := errors.New("revoked")
	done := make(chan error)
	go func() { done <- b.wait(ctx) }()
	cancel(cause)
	select {
	case err := <-done:
		if !errors.Is(err, cause) {
			t.Fatalf("wait = %v, want the cause", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("wait did not return when its context was cancelled")
	}
}

func TestNewLimiters(t *testing.T) {
	t.Parallel()
	reg := NewRegistry()
	reg.Register("t.limited", func(context.Context, *Request) (any, error) { return nil, nil }, RateLimit("2/s"))
	reg.Register("t.free", func(context.Context, *Request) (any, error) { return nil, nil })
	l, err := newLimiters(reg)
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 1 || l["t.limited"] == nil || l["t.limited"].interval != 500*time.Millisecond {
		t.Fatalf("limiters = %v", l)
	}
	if err := l.wait(t.Context(), "t.free"); err != nil {
		t.Fatal(err)
	}
	reg.Register("t.bad", func(context.Context, *Request) (any, error) { return nil, nil }, RateLimit("1/d"))
	if _, err := newLimiters(reg); err == nil {
		t.Fatal("newLimiters accepted rate limit 1/d")
	}
}
