package api

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fugue-run/fugue/projector"
)

// parseWait reads ?wait: a Go duration ("30s", "1m30s") or a number of
// seconds ("30", "2.5"); "?wait" with no value means MaxWait. The result
// is capped at MaxWait; 0 means answer at once.
func (s *server) parseWait(r *http.Request) (time.Duration, error) {
	q := r.URL.Query()
	if !q.Has("wait") {
		return 0, nil
	}
	raw := strings.TrimSpace(q.Get("wait"))
	if raw == "" {
		return s.cfg.MaxWait, nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		secs, ferr := strconv.ParseFloat(raw, 64)
		switch {
		case ferr != nil || math.IsNaN(secs):
			return 0, fmt.Errorf("wait: %q is neither a duration (30s) nor a number of seconds", raw)
		case secs < 0:
			return 0, fmt.Errorf("wait: %q is negative", raw)
		case secs > s.cfg.MaxWait.Seconds():
			return s.cfg.MaxWait, nil
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d < 0 {
		return 0, fmt.Errorf("wait: %q is negative", raw)
	}
	return min(d, s.cfg.MaxWait), nil
}

// await calls check with a fresh view of the state until it says done,
// wait passes or ctx ends, and returns the state of the last check. It
// never spins: between checks it waits for the backend's next change.
func (s *server) await(ctx context.Context, wait time.Duration, check func(projector.State) (done bool, err error)) (projector.State, error) {
	var expired <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		expired = t.C
	}
	for {
		changed := s.b.Changed() // before reading, so that no change is missed
		st := s.b.State()
		done, err := check(st)
		if err != nil || done || wait <= 0 {
			return st, err
		}
		select {
		case <-changed:
		case <-expired:
			wait = 0 // one last look, then answer
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// remaining is what is left of a wait that began at start (0: answer at
// once).
func remaining(wait time.Duration, start time.Time) time.Duration {
	if wait <= 0 {
		return 0
	}
	return max(wait-time.Since(start), 0)
}
