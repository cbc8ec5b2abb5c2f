package canvas

import "time"

// isoLayouts are the ISO 8601 forms accepted for eta and expires: what
// Python's datetime.isoformat() writes (with "T" or a space between date
// and time, with or without a UTC offset, with or without fractional
// seconds, which time.Parse accepts after the seconds without a layout
// for them), RFC 3339 with "Z", an offset without a colon, and a bare date.
var isoLayouts = [...]string{
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseISOTime parses an ISO 8601 time. A time without an offset is UTC
// (Celery's default timezone).
func parseISOTime(s string) (time.Time, bool) {
	if len(s) < len("2006-01-02") || len(s) > 64 {
		return time.Time{}, false
	}
	for _, layout := range isoLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
