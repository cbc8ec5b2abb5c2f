package worker

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ParseRateLimit parses Celery's rate limit form: "10/s", "100/m", "5/h",
// or a bare number meaning per second ("10"). The count may be a
// fraction ("0.5/s"). It returns the interval between two task starts;
// 0 for a limit of zero or "", which mean no limit, as in Celery.
func ParseRateLimit(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	ops, unit, _ := strings.Cut(s, "/")
	n, err := strconv.ParseFloat(strings.TrimSpace(ops), 64)
	if err != nil || n < 0 || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, fmt.Errorf("worker: rate limit %q: %q is not a count", s, ops)
	}
	per := time.Second
	switch unit {
	case "", "s":
	case "m":
		per = time.Minute
	case "h":
		per = time.Hour
	default:
		return 0, fmt.Errorf("worker: rate limit %q: unit %q is not s, m or h", s, unit)
	}
	if n == 0 {
		return 0, nil
	}
	d := float64(per) / n
	if d >= math.MaxInt64 {
		return 0, fmt.Errorf("worker: rate limit %q is too low", s)
	}
	return max(time.Duration(d), 1), nil
}

// bucket is a token bucket of capacity one, as Celery's: a task may start
// once every interval, the first at once. Waiters are served in the order
// they asked. It is safe for concurrent use.
type bucket struct {
	interval time.Duration
	mu       sync.Mutex
	next     time.Time // when the next start is allowed
}

// reserve books the next start at or after now and returns its time.
func (b *bucket) reserve(now time.Time) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	at := b.next
	if at.Before(now) {
		at = now
	}
	b.next = at.Add(b.interval)
	return at
}

// cancel gives back the start booked at at, when no later one was booked
// since.
func (b *bucket) cancel(at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.next.Equal(at.Add(b.interval)) {
		b.next = at
	}
}

// wait blocks until the task may start, or ctx is done (then it returns
// the context's cause).
func (b *bucket) wait(ctx context.Context) error {
	now := time.Now()
	at := b.reserve(now)
	if !at.After(now) {
		return nil
	}
	t := time.NewTimer(at.Sub(now))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		b.cancel(at)
		return context.Cause(ctx)
	}
}

// limiters holds a bucket per rate-limited task name.
type limiters map[string]*bucket

// newLimiters returns the buckets of the tasks of reg that have a rate
// limit, or an error naming a task whose limit does not parse.
func newLimiters(reg *Registry) (limiters, error) {
	l := limiters{}
	for _, name := range reg.Names() {
		t, _ := reg.Lookup(name)
		d, err := ParseRateLimit(t.RateLimit)
		if err != nil {
			return nil, fmt.Errorf("%w (task %s)", err, name)
		}
		if d > 0 {
			l[name] = &bucket{interval: d}
		}
	}
	return l, nil
}

// wait blocks until task name may start (at once when it has no limit).
func (l limiters) wait(ctx context.Context, name string) error {
	b := l[name]
	if b == nil {
		return nil
	}
	return b.wait(ctx)
}
