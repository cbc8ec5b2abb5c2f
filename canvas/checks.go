package canvas

import (
	"math"
	"strconv"
	"strings"
)

// The checks below are shared by the parser (on wire values) and by
// Validate (on the typed fields, which hold the same value types), so
// that both accept exactly the same canvases. Each returns "" when v is
// fine, else the message for an *Error.

// checkSeconds accepts a number of seconds >= 0 (time limits, a retry
// backoff factor).
func checkSeconds(v any) string {
	switch x := v.(type) {
	case int64:
		if x < 0 {
			return "must be at least 0"
		}
	case float64:
		if msg := checkFinite(x); msg != "" {
			return msg
		}
		if x < 0 {
			return "must be at least 0"
		}
	default:
		return "expected a number"
	}
	return ""
}

// minSeconds is the lowest countdown, and expires in seconds, that Celery
// accepts (amqp's _verify_seconds, INT_MIN: "countdown is out of range",
// "expires is out of range").
const minSeconds = -2147483648

// checkCountdown accepts a number of seconds of any sign down to
// minSeconds: Celery turns a countdown into now+countdown, so a negative
// one is an eta in the past and the task runs at once.
func checkCountdown(v any) string {
	if _, ok := v.(int64); !ok {
		if _, ok := v.(float64); !ok {
			return "expected a number"
		}
	}
	return checkMinSeconds(v)
}

// checkExpires accepts a number of seconds of any sign down to minSeconds
// (a past expiry expires the task at once) or an ISO 8601 time.
func checkExpires(v any) string {
	switch x := v.(type) {
	case int64, float64:
		return checkMinSeconds(x)
	case string:
		return checkISO(x)
	default:
		return "expected a number or an ISO 8601 time"
	}
}

// checkMinSeconds refuses a number of seconds below minSeconds.
func checkMinSeconds(v any) string {
	switch x := v.(type) {
	case int64:
		if x < minSeconds {
			return "out of range: below -2147483648"
		}
	case float64:
		if msg := checkFinite(x); msg != "" {
			return msg
		}
		if x < minSeconds {
			return "out of range: below -2147483648"
		}
	}
	return ""
}

// checkISO accepts an ISO 8601 time.
func checkISO(s string) string {
	if _, ok := parseISOTime(s); !ok {
		return "invalid ISO 8601 time " + quote(s)
	}
	return ""
}

// checkMaxRetries accepts an integer >= 0 (null is handled by the caller:
// it means unlimited).
func checkMaxRetries(v any) string {
	x, ok := v.(int64)
	if !ok {
		return "expected an integer or null"
	}
	if x < 0 {
		return "must be at least 0"
	}
	return ""
}

// checkRetryBackoff accepts a bool or a factor in seconds >= 0.
func checkRetryBackoff(v any) string {
	switch v.(type) {
	case bool:
		return ""
	case int64, float64:
		return checkSeconds(v)
	default:
		return "expected a bool or a number"
	}
}

// checkBool accepts a bool (retry_jitter).
func checkBool(v any) string {
	if _, ok := v.(bool); !ok {
		return "expected a bool"
	}
	return ""
}

// checkPriority accepts an integer between 0 and 255 (AMQP's range; Redis
// uses 0-9 of it).
func checkPriority(v any) string {
	x, ok := v.(int64)
	if !ok {
		return "expected an integer"
	}
	if x < 0 || x > 255 {
		return "must be between 0 and 255"
	}
	return ""
}

// checkChunkSize accepts an integer >= 1.
func checkChunkSize(n int64) string {
	if n < 1 {
		return "must be at least 1"
	}
	return ""
}

// quote quotes s for a message, shortening a long one.
func quote(s string) string {
	if len(s) > 64 {
		s = s[:61] + "..."
	}
	return strconv.Quote(s)
}

// checkPlainTaskName refuses, for a plain task, a name that the wire form
// reads as a composite when subtask_type is null ("celery.chain", ...):
// such a task could not round-trip.
func checkPlainTaskName(task string) string {
	if k := kindByTask(task); k != KindTask {
		return "reserved for a " + k.String()
	}
	return ""
}

// checkFinite refuses a NaN or infinite option. Python's json reads them
// (NaN, Infinity, 1e999), and Celery's apply_async then fails on such a
// countdown or expires (timedelta raises OverflowError or ValueError); no
// time limit or backoff means anything by them.
func checkFinite(f float64) string {
	switch {
	case math.IsNaN(f):
		return "must be a finite number, not NaN"
	case math.IsInf(f, 1):
		return "must be a finite number, not Infinity"
	case math.IsInf(f, -1):
		return "must be a finite number, not -Infinity"
	}
	return ""
}

// checkTaskID refuses a task_id with a NUL character: the state store
// separates ids with it in its keys (a countdown's timer could not be
// kept, and the engine would stop on it).
func checkTaskID(id string) string {
	if strings.IndexByte(id, 0) >= 0 {
		return `must not contain a NUL character (\u0000)`
	}
	return ""
}
