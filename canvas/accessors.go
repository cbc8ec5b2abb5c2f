package canvas

import (
	"math"
	"time"
)

// CountdownSeconds returns the countdown in seconds, and whether it is set.
func (o Options) CountdownSeconds() (float64, bool) {
	return seconds(o.Countdown)
}

// ETATime returns the eta, and whether it is set and valid. An eta without
// a UTC offset is read as UTC.
func (o Options) ETATime() (time.Time, bool) {
	if o.ETA == "" {
		return time.Time{}, false
	}
	return parseISOTime(o.ETA)
}

// ExpiresAt returns when the task expires, and whether that is set: base
// plus Expires seconds, or the time Expires names. base is the dispatch
// time; pass the event's time, never the wall clock, inside the fold.
func (o Options) ExpiresAt(base time.Time) (time.Time, bool) {
	if s, ok := o.Expires.(string); ok {
		return parseISOTime(s)
	}
	secs, ok := seconds(o.Expires)
	if !ok {
		return time.Time{}, false
	}
	return base.Add(durationOf(secs)), true
}

// MaxRetriesValue returns the retry cap: n when MaxRetries is set,
// unlimited when the wire form said null (retry for ever), and set false
// when neither is set (the task's own default applies).
func (o Options) MaxRetriesValue() (n int64, unlimited bool, set bool) {
	if n, ok := o.MaxRetries.(int64); ok {
		return n, false, true
	}
	if o.MaxRetriesUnlimited {
		return 0, true, true
	}
	return 0, false, false
}

// TimeLimitSeconds returns the hard time limit in seconds, and whether it
// is set.
func (o Options) TimeLimitSeconds() (float64, bool) {
	return seconds(o.TimeLimit)
}

// SoftTimeLimitSeconds returns the soft time limit in seconds, and whether
// it is set.
func (o Options) SoftTimeLimitSeconds() (float64, bool) {
	return seconds(o.SoftTimeLimit)
}

// PriorityValue returns the priority, and whether it is set.
func (o Options) PriorityValue() (int64, bool) {
	p, ok := o.Priority.(int64)
	return p, ok
}

// RetryBackoffMax is Celery's default retry_backoff_max: no backoff delay
// exceeds it, in seconds.
const RetryBackoffMax = 600

// RetryBackoffSeconds returns Celery's exponential backoff before retry
// number retries+1: factor * 2**retries seconds, at most RetryBackoffMax,
// where the factor is RetryBackoff (true means 1). ok is false when
// RetryBackoff is unset or false. Celery then applies full jitter (a random
// delay between 0 and this value) by default; that is left to the caller,
// which owns the randomness.
func (o Options) RetryBackoffSeconds(retries int) (float64, bool) {
	var factor float64
	switch x := o.RetryBackoff.(type) {
	case bool:
		if !x {
			return 0, false
		}
		factor = 1
	default:
		f, ok := seconds(x)
		if !ok {
			return 0, false
		}
		factor = f
	}
	if factor == 0 {
		return 0, true
	}
	retries = max(retries, 0)
	return math.Min(factor*math.Pow(2, float64(retries)), RetryBackoffMax), true
}

// seconds reads an int64 or float64 number of seconds.
func seconds(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// durationOf converts seconds to a Duration, saturating at the range of
// time.Duration (about 292 years) instead of overflowing.
func durationOf(secs float64) time.Duration {
	ns := secs * float64(time.Second)
	switch {
	case ns >= math.MaxInt64:
		return time.Duration(math.MaxInt64)
	case ns <= math.MinInt64:
		return time.Duration(math.MinInt64)
	}
	return time.Duration(ns)
}
