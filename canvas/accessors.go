package canvas

import (
	"math"
	"math/bits"
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
// plus Expires seconds, to the microsecond (as Celery's timedelta rounds
// them, and as events carry times), or the time Expires names. base is
// the dispatch time; pass the event's time, never the wall clock, inside
// the fold. A sum past the range of int64 microseconds (about year
// 294,000, beyond any canvas CheckDates accepts) saturates there.
func (o Options) ExpiresAt(base time.Time) (time.Time, bool) {
	if s, ok := o.Expires.(string); ok {
		return parseISOTime(s)
	}
	secs, ok := seconds(o.Expires)
	if !ok {
		return time.Time{}, false
	}
	return time.UnixMicro(addMicros(base.UnixMicro(), secs)), true
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

// RetryBackoffSeconds returns the countdown, in whole seconds, that
// Celery's autoretry gives retry number retries+1 (celery/app/autoretry.py
// and get_exponential_backoff_interval in celery/utils/time.py), and ok
// false when there is no backoff: RetryBackoff unset, false or 0.
//
//   - the factor is int(max(1, RetryBackoff)): true and 0.5 give 1, 2.7
//     gives 2;
//   - the cap is int(RetryBackoffMax) (default 600);
//   - the countdown is min(cap, factor * 2**retries);
//   - with RetryJitter (default true) it is then a whole number drawn
//     evenly from 0 to the countdown, both included (Python's
//     random.randrange(countdown + 1)): draw(n) must return a number in
//     [0, n). draw is not called without jitter.
//
// The caller owns the randomness: draw may be a random source, or a
// function of something stable where a result must be reproducible.
func (o Options) RetryBackoffSeconds(retries int, draw func(n int64) int64) (int64, bool) {
	var factor int64
	switch x := o.RetryBackoff.(type) {
	case bool:
		if !x {
			return 0, false
		}
		factor = 1
	default:
		f, ok := seconds(x)
		if !ok || f == 0 {
			return 0, false
		}
		factor = wholeSeconds(max(1, f))
	}
	limit := int64(RetryBackoffMax)
	if m, ok := seconds(o.RetryBackoffMax); ok {
		limit = wholeSeconds(m)
	}
	countdown := limit
	if retries = max(retries, 0); retries < 63 {
		hi, lo := bits.Mul64(uint64(factor), 1<<uint(retries))
		if hi == 0 && lo < uint64(limit) {
			countdown = int64(lo)
		}
	}
	if jitter, set := o.RetryJitter.(bool); jitter || !set {
		n := countdown + 1
		if n <= 0 { // countdown is math.MaxInt64
			n = countdown
		}
		countdown = draw(n)
	}
	return max(0, countdown), true
}

// wholeSeconds is Python's int() of a number of seconds >= 0, at most
// math.MaxInt64.
func wholeSeconds(f float64) int64 {
	if f >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(f)
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

// addMicros returns us plus secs seconds (micros), saturating at the range
// of int64 instead of overflowing; NaN adds nothing. A time.Duration
// would saturate at about 292 years, short of the 8,000 or so that Celery
// can represent.
func addMicros(us int64, secs float64) int64 {
	m, ok := micros(secs)
	switch {
	case math.IsNaN(secs):
		return us
	case !ok && secs > 0, ok && m > 0 && us > math.MaxInt64-m:
		return math.MaxInt64
	case !ok, m < 0 && us < math.MinInt64-m:
		return math.MinInt64
	}
	return us + m
}

// maxMicrosSeconds bounds what micros converts: 9e12 seconds are 9e18
// microseconds, within int64 (9.22e18).
const maxMicrosSeconds = 9e12

// micros converts secs seconds to microseconds as Python's
// timedelta(seconds=secs) does: rounded half to even, from the exact
// value of the float (its whole seconds apart from its fraction, so that
// no microsecond is lost to the float's precision however large it is).
// ok is false for NaN and beyond ±maxMicrosSeconds.
func micros(secs float64) (us int64, ok bool) {
	if !(math.Abs(secs) < maxMicrosSeconds) {
		return 0, false
	}
	whole := math.Trunc(secs)
	frac := math.RoundToEven((secs - whole) * 1e6) // secs-whole is exact
	return int64(whole)*1_000_000 + int64(frac), true
}
