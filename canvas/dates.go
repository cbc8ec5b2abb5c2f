package canvas

import (
	"fmt"
	"strconv"
	"time"
)

// MaxDueUnixMicro is the latest time, in Unix microseconds, that Celery
// can run or expire a task at: Python's datetime.max,
// 9999-12-31 23:59:59.999999 UTC. Celery applies a countdown, and an
// expires in seconds, as now plus timedelta(seconds=...)
// (celery/utils/time.py add_seconds_to_datetime, from amqp.as_task_v2),
// and past datetime.max that raises OverflowError ("date value out of
// range"; "Python int too large to convert to C int" for 1e18 seconds and
// more), so apply_async refuses the task.
const MaxDueUnixMicro int64 = 253402300799999999

// CheckDates returns an *Error for the first countdown or expires in
// seconds in s, wherever it is written (composites, members, links), that
// would put a task past MaxDueUnixMicro when counted from now: the
// canvas Celery's apply_async would refuse with OverflowError, where Fugue
// would otherwise wait for ever. It returns nil when there is none. Pass
// the time of the submission (inside Fold, the event's time, never the
// wall clock). An eta needs no check: it is an ISO 8601 time of at most
// year 9999, which Celery sends as it is.
func (s *Signature) CheckDates(now time.Time) error {
	if err := checkDates(s, MaxDueUnixMicro-now.UnixMicro()); err != nil {
		return err
	}
	return nil
}

// checkDates checks s and every signature below it, the paths of its
// errors as Validate's; room is how many microseconds are left from now
// to MaxDueUnixMicro.
func checkDates(s *Signature, room int64) *Error {
	if s == nil {
		return nil
	}
	if err := checkOptionDates(&s.Options, room); err != nil {
		return err.under("options")
	}
	switch {
	case s.HeaderGroup != nil:
		if err := checkDates(s.HeaderGroup, room); err != nil {
			return err.under("kwargs.header")
		}
		if err := checkDateList(s.Tasks, false, room); err != nil {
			return err.under("kwargs.header.kwargs.tasks")
		}
	case s.Kind == KindChord:
		if err := checkDateList(s.Tasks, false, room); err != nil {
			return err.under("kwargs.header")
		}
	default:
		if err := checkDateList(s.Tasks, false, room); err != nil {
			return err.under("kwargs.tasks")
		}
	}
	if err := checkDates(s.Body, room); err != nil {
		return err.under("kwargs.body")
	}
	if err := checkDates(s.Inner, room); err != nil {
		return err.under("kwargs.task")
	}
	return nil
}

func checkOptionDates(o *Options, room int64) *Error {
	for _, opt := range [...]struct {
		name string
		val  any
	}{{optCountdown, o.Countdown}, {optExpires, o.Expires}} {
		if !fitsDate(opt.val, room) {
			return errAt(opt.name, fmt.Sprintf("out of range: %s seconds from now is past "+
				"9999-12-31T23:59:59.999999Z, Python's datetime.max (Celery raises OverflowError)", secondsText(opt.val)))
		}
	}
	if err := checkDateList(o.Link, o.SingleLink, room); err != nil {
		return err.under(optLink)
	}
	if err := checkDateList(o.LinkError, o.SingleLinkError, room); err != nil {
		return err.under(optLinkError)
	}
	return nil
}

// checkDateList checks a list of signatures; single is a link written as
// one dict, whose path has no index.
func checkDateList(sigs []*Signature, single bool, room int64) *Error {
	if single && len(sigs) == 1 {
		return checkDates(sigs[0], room)
	}
	for i, s := range sigs {
		if err := checkDates(s, room); err != nil {
			return err.under("[" + strconv.Itoa(i) + "]")
		}
	}
	return nil
}

// fitsDate reports whether v seconds from now, with room microseconds
// left to MaxDueUnixMicro, is at most MaxDueUnixMicro: what Python's
// now + timedelta(seconds=v) can represent (micros rounds as timedelta
// does). Anything but a number (an ISO time, none) fits.
func fitsDate(v any, room int64) bool {
	switch x := v.(type) {
	case int64:
		return x <= 0 || x <= room/1_000_000
	case float64:
		us, ok := micros(x)
		if !ok {
			return x < 0 // -Inf; NaN never fits
		}
		return us <= room
	}
	return true
}

// secondsText writes a number of seconds as the wire form gave it.
func secondsText(v any) string {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}
