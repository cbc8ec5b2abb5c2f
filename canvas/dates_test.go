package canvas

import (
	"strings"
	"testing"
	"time"
)

// Celery applies a countdown, or an expires in seconds, as now +
// timedelta(seconds=...), which raises OverflowError past Python's
// datetime.max: CheckDates refuses what would, counted from now, and names
// where it is written.
func TestCheckDates(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	// The seconds from now to 9999-12-31T23:59:59.999999Z: the last whole
	// one fits, the next does not. Celery 5.7's add_seconds_to_datetime
	// from this now gives 9999-12-31 23:59:59+00:00 for 251605958399 and
	// OverflowError for one second more.
	last := (MaxDueUnixMicro - now.UnixMicro()) / 1e6
	if last != 251605958399 {
		t.Fatalf("last second = %d, want 251605958399", last)
	}
	add := `{"task": "tasks.add", "args": [1, 2]}`
	big := `{"task": "tasks.add", "options": {"countdown": 1e20}}`
	tests := []struct {
		name, canvas, want string
	}{
		{"none", add, ""},
		{"negative", `{"task": "t", "options": {"countdown": -2147483648, "expires": -5}}`, ""},
		{"the last second", `{"task": "t", "options": {"countdown": ` + itoa(last) + `}}`, ""},
		{"the last second as a float", `{"task": "t", "options": {"countdown": ` + itoa(last) + `.0}}`, ""},
		{"eta at the end of time", `{"task": "t", "options": {"eta": "9999-12-31T23:59:59.999999"}}`, ""},
		{"expires as a time", `{"task": "t", "options": {"expires": "9999-12-31T23:59:59"}}`, ""},
		{"one second past", `{"task": "t", "options": {"countdown": ` + itoa(last+1) + `}}`,
			"options.countdown: out of range: " + itoa(last+1) + " seconds from now is past 9999-12-31T23:59:59.999999Z, Python's datetime.max (Celery raises OverflowError)"},
		{"float", big, "options.countdown: out of range: 1e+20 seconds from now is past 9999-12-31T23:59:59.999999Z, Python's datetime.max (Celery raises OverflowError)"},
		{"int64", `{"task": "t", "options": {"countdown": 9223372036854775807}}`,
			"options.countdown: out of range: 9223372036854775807 seconds from now is past 9999-12-31T23:59:59.999999Z, Python's datetime.max (Celery raises OverflowError)"},
		{"expires", `{"task": "t", "options": {"expires": 1e12}}`,
			"options.expires: out of range: 1e+12 seconds from now is past 9999-12-31T23:59:59.999999Z, Python's datetime.max (Celery raises OverflowError)"},
		{"chain member", `{"task": "celery.chain", "kwargs": {"tasks": [` + add + `, ` + big + `]}}`, "kwargs.tasks[1].options.countdown: "},
		{"chain option", `{"task": "celery.chain", "options": {"countdown": 1e20}, "kwargs": {"tasks": [` + add + `]}}`, "options.countdown: "},
		{"chord header", `{"task": "celery.chord", "kwargs": {"header": [` + add + `, ` + big + `], "body": ` + add + `}}`, "kwargs.header[1].options.countdown: "},
		{"chord header group", `{"task": "celery.chord", "kwargs": {"header": {"task": "celery.group", "options": {"expires": 1e20}, "kwargs": {"tasks": [` + add + `]}}, "body": ` + add + `}}`,
			"kwargs.header.options.expires: "},
		{"chord header group member", `{"task": "celery.chord", "kwargs": {"header": {"task": "celery.group", "kwargs": {"tasks": [` + big + `]}}, "body": ` + add + `}}`,
			"kwargs.header.kwargs.tasks[0].options.countdown: "},
		{"chord body", `{"task": "celery.chord", "kwargs": {"header": [` + add + `], "body": ` + big + `}}`, "kwargs.body.options.countdown: "},
		{"map task", `{"task": "celery.map", "kwargs": {"task": ` + big + `, "it": [1]}}`, "kwargs.task.options.countdown: "},
		{"link", `{"task": "t", "options": {"link": ` + big + `}}`, "options.link.options.countdown: "},
		{"link list", `{"task": "t", "options": {"link_error": [` + add + `, ` + big + `]}}`, "options.link_error[1].options.countdown: "},
		{"link of a member", `{"task": "celery.group", "kwargs": {"tasks": [{"task": "t", "options": {"link": [` + big + `]}}]}}`,
			"kwargs.tasks[0].options.link[0].options.countdown: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := ParseJSON([]byte(tt.canvas), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			err = s.CheckDates(now)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("CheckDates = %v, want nil", err)
			case tt.want != "" && err == nil:
				t.Fatalf("CheckDates = nil, want %q", tt.want)
			case tt.want != "" && !strings.HasPrefix(err.Error(), tt.want):
				t.Fatalf("CheckDates = %q, want %q", err, tt.want)
			}
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("CheckDates = %T, want *Error", err)
				}
			}
		})
	}
}

// The room left shrinks as time passes: what fits today may not later.
func TestCheckDatesCountsFromNow(t *testing.T) {
	t.Parallel()
	s, err := ParseJSON([]byte(`{"task": "t", "options": {"countdown": 86400}}`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckDates(time.Date(9999, 12, 30, 23, 59, 59, 0, time.UTC)); err != nil {
		t.Errorf("a day before the last day: %v", err)
	}
	if err := s.CheckDates(time.Date(9999, 12, 31, 0, 0, 0, 1000, time.UTC)); err == nil {
		t.Error("a day from the last day's first microsecond: accepted")
	}
}

func itoa(n int64) string { return secondsText(n) }
