package worker

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fugue-run/fugue/events"
)

var errBusy = errors.New("busy")

// setup returns a Registry with small test tasks.
func setup(t *testing.T) *Registry {
	t.Helper()
	reg := NewRegistry()
	reg.Register("t.const", func(context.Context, *Request) (any, error) { return 7, nil })
	reg.Register("t.args", func(_ context.Context, req *Request) (any, error) {
		return map[string]any{"args": req.Args, "kwargs": req.Kwargs}, nil
	})
	reg.Register("t.struct", func(context.Context, *Request) (any, error) { return struct{ A int }{1}, nil })
	reg.Register("t.panic", func(context.Context, *Request) (any, error) {
		var s []int
		return s[3], nil
	})
	reg.Register("t.goexit", func(context.Context, *Request) (any, error) {
		runtime.Goexit()
		return nil, nil
	})
	reg.Register("t.error", func(context.Context, *Request) (any, error) { return nil, errors.New("boom") })
	reg.Register("t.fail", func(context.Context, *Request) (any, error) {
		return nil, fmt.Errorf("wrapped: %w", Fail("ValueError", "bad value"))
	})
	reg.Register("t.retry", func(context.Context, *Request) (any, error) {
		return nil, Retry(100*time.Millisecond, nil)
	})
	reg.Register("t.retry_cause", func(context.Context, *Request) (any, error) {
		return nil, Retry(2*time.Second, Fail("IOError", "disk"))
	})
	reg.Register("t.retry_default", func(context.Context, *Request) (any, error) {
		return nil, Retry(DefaultCountdown, nil)
	}, MaxRetries(Unlimited))
	reg.Register("t.retry_backoff", func(context.Context, *Request) (any, error) {
		return nil, Retry(DefaultCountdown, nil)
	}, MaxRetries(Unlimited), RetryBackoff(time.Second, 10*time.Second))
	busy := func(_ context.Context, req *Request) (any, error) {
		if len(req.Args) > 0 {
			return nil, errors.New(req.Args[0].(string))
		}
		return nil, fmt.Errorf("wrapped: %w", errBusy)
	}
	reg.Register("t.autoretry", busy, AutoretryForErrors(errBusy), RetryBackoff(time.Second, 10*time.Second), RetryJitter(false))
	reg.Register("t.autoretry_default", busy, AutoretryForErrors(errBusy))
	reg.Register("t.autoretry_fraction", func(context.Context, *Request) (any, error) {
		return nil, Fail("ValueError", "flaky")
	}, AutoretryFor(func(err error) bool {
		var te *TaskError
		return errors.As(err, &te) && te.Type == "ValueError"
	}), RetryBackoff(1500*time.Millisecond, 0), RetryJitter(false))
	reg.Register("t.wait", func(ctx context.Context, _ *Request) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	reg.Register("t.wait_1s", func(ctx context.Context, _ *Request) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}, TimeLimit(time.Second))
	reg.Register("t.soft_guard", func(ctx context.Context, _ *Request) (any, error) {
		<-ctx.Done()
		return "cleaned up", nil
	}, SoftTimeLimit(time.Millisecond))
	reg.Register("t.progress", func(ctx context.Context, _ *Request) (any, error) {
		for i := range 3 {
			if err := UpdateState(ctx, "PROGRESS", map[string]any{"step": i + 1}); err != nil {
				return nil, err
			}
		}
		return nil, UpdateState(ctx, "SUCCESS", nil)
	})
	return reg
}

func TestExecute(t *testing.T) {
	t.Parallel()
	reg := setup(t)
	tests := []struct {
		name string
		req  Request
		want Outcome
	}{
		{
			name: "not registered",
			req:  Request{Name: "tasks.nope"},
			want: Outcome{Kind: Failed, Failure: events.Failure{Type: "NotRegistered", Message: "'tasks.nope'"}},
		},
		{
			name: "int result is normalised",
			req:  Request{Name: "t.const"},
			want: Outcome{Kind: Succeeded, Result: int64(7)},
		},
		{
			name: "args reach the task",
			req:  Request{Name: "t.args", Args: []any{int64(1)}, Kwargs: map[string]any{"k": "v"}},
			want: Outcome{Kind: Succeeded, Result: map[string]any{"args": []any{int64(1)}, "kwargs": map[string]any{"k": "v"}}},
		},
		{
			name: "unencodable result",
			req:  Request{Name: "t.struct"},
			want: Outcome{Kind: Failed, Failure: events.Failure{Type: "EncodeError", Message: "result is not encodable: value: unsupported type struct { A int }"}},
		},
		{
			name: "plain error",
			req:  Request{Name: "t.error"},
			want: Outcome{Kind: Failed, Failure: events.Failure{Type: "Error", Message: "boom"}},
		},
		{
			name: "wrapped TaskError",
			req:  Request{Name: "t.fail"},
			want: Outcome{Kind: Failed, Failure: events.Failure{Type: "ValueError", Message: "bad value"}},
		},
		{
			name: "retry",
			req:  Request{Name: "t.retry", MaxRetries: TaskDefault},
			want: Outcome{Kind: Retrying, Countdown: 0.1, Failure: events.Failure{Type: "Retry", Message: "Retry in 0.1s"}, Explicit: true},
		},
		{
			name: "retry with cause",
			req:  Request{Name: "t.retry_cause", Retries: 2, MaxRetries: TaskDefault},
			want: Outcome{Kind: Retrying, Countdown: 2, Failure: events.Failure{Type: "IOError", Message: "disk"}, Explicit: true},
		},
		{
			name: "retry default countdown",
			req:  Request{Name: "t.retry_default", Retries: 100, MaxRetries: TaskDefault},
			want: Outcome{Kind: Retrying, Countdown: 180, Failure: events.Failure{Type: "Retry", Message: "Retry in 180s"}, Explicit: true},
		},
		{
			// Celery's retry_backoff is for autoretries: self.retry()
			// waits default_retry_delay.
			name: "explicit retry ignores backoff",
			req:  Request{Name: "t.retry_backoff", Retries: 2, MaxRetries: TaskDefault},
			want: Outcome{Kind: Retrying, Countdown: 180, Failure: events.Failure{Type: "Retry", Message: "Retry in 180s"}, Explicit: true},
		},
		{
			name: "autoretry with backoff",
			req:  Request{Name: "t.autoretry", Retries: 2, MaxRetries: TaskDefault},
			want: Outcome{Kind: Retrying, Countdown: 4, Failure: events.Failure{Type: "Error", Message: "wrapped: busy"}},
		},
		{
			name: "autoretry backoff capped",
			req:  Request{Name: "t.autoretry", Retries: 70, MaxRetries: Unlimited},
			want: Outcome{Kind: Retrying, Countdown: 10, Failure: events.Failure{Type: "Error", Message: "wrapped: busy"}},
		},
		{
			// Celery's factor is int(max(1, retry_backoff)): 1.5 s is 1 s.
			name: "autoretry backoff in whole seconds",
			req:  Request{Name: "t.autoretry_fraction", Retries: 3, MaxRetries: Unlimited},
			want: Outcome{Kind: Retrying, Countdown: 8, Failure: events.Failure{Type: "ValueError", Message: "flaky"}},
		},
		{
			name: "autoretry without backoff",
			req:  Request{Name: "t.autoretry_default", Retries: 1, MaxRetries: TaskDefault},
			want: Outcome{Kind: Retrying, Countdown: 180, Failure: events.Failure{Type: "Error", Message: "wrapped: busy"}},
		},
		{
			name: "autoretry past max retries raises the error",
			req:  Request{Name: "t.autoretry", Retries: 3, MaxRetries: TaskDefault},
			want: Outcome{Kind: Failed, Failure: events.Failure{Type: "Error", Message: "wrapped: busy"}},
		},
		{
			name: "error that autoretry does not match",
			req:  Request{Name: "t.autoretry_default", Args: []any{"other"}, MaxRetries: TaskDefault},
			want: Outcome{Kind: Failed, Failure: events.Failure{Type: "Error", Message: "other"}},
		},
		{
			name: "retry unlimited by request",
			req:  Request{Name: "t.retry", Retries: 1000, MaxRetries: Unlimited},
			want: Outcome{Kind: Retrying, Countdown: 0.1, Failure: events.Failure{Type: "Retry", Message: "Retry in 0.1s"}, Explicit: true},
		},
		{
			name: "last retry allowed",
			req:  Request{Name: "t.retry", Retries: 2, MaxRetries: TaskDefault},
			want: Outcome{Kind: Retrying, Countdown: 0.1, Failure: events.Failure{Type: "Retry", Message: "Retry in 0.1s"}, Explicit: true},
		},
		{
			name: "max retries exceeded",
			req: Request{Name: "t.retry", ID: "abc", Retries: 3, MaxRetries: TaskDefault,
				Args: []any{int64(2), "x"}, Kwargs: map[string]any{"k": 1.5}},
			want: Outcome{Kind: Failed, Failure: events.Failure{Type: "MaxRetriesExceededError",
				Message: "Can't retry t.retry[abc] args:(2, 'x') kwargs:{'k': 1.5}"}},
		},
		{
			name: "max retries exceeded, one arg, no kwargs",
			req:  Request{Name: "t.retry", ID: "abc", Retries: 0, MaxRetries: 0, Args: []any{int64(2)}},
			want: Outcome{Kind: Failed, Failure: events.Failure{Type: "MaxRetriesExceededError",
				Message: "Can't retry t.retry[abc] args:(2,) kwargs:{}"}},
		},
		{
			name: "max retries exceeded raises the cause",
			req:  Request{Name: "t.retry_cause", Retries: 3, MaxRetries: TaskDefault},
			want: Outcome{Kind: Failed, Failure: events.Failure{Type: "IOError", Message: "disk"}},
		},
		{
			name: "soft time limit",
			req:  Request{Name: "t.wait", SoftTimeLimit: time.Millisecond},
			want: Outcome{Kind: Failed, Failure: events.Failure{Type: "SoftTimeLimitExceeded"}},
		},
		{
			name: "soft time limit handled by the task",
			req:  Request{Name: "t.soft_guard"},
			want: Outcome{Kind: Succeeded, Result: "cleaned up"},
		},
		{
			name: "hard time limit",
			req:  Request{Name: "t.wait", TimeLimit: 2 * time.Millisecond},
			want: Outcome{Kind: Failed, Failure: events.Failure{Type: "TimeLimitExceeded", Message: "0.002"}},
		},
		{
			// Celery's TimeLimitExceeded(1) for time_limit=1.
			name: "hard time limit of whole seconds",
			req:  Request{Name: "t.wait", TimeLimit: time.Second},
			want: Outcome{Kind: Failed, Failure: events.Failure{Type: "TimeLimitExceeded", Message: "1"}},
		},
		{
			// Celery's TimeLimitExceeded(1.0) for time_limit=1.0.
			name: "hard time limit given as a float",
			req:  Request{Name: "t.wait", TimeLimit: time.Second, TimeLimitFloat: true},
			want: Outcome{Kind: Failed, Failure: events.Failure{Type: "TimeLimitExceeded", Message: "1.0"}},
		},
		{
			// The float is the canvas's, not the task's own limit's.
			name: "task's hard time limit with a float flag for none",
			req:  Request{Name: "t.wait_1s", TimeLimitFloat: true},
			want: Outcome{Kind: Failed, Failure: events.Failure{Type: "TimeLimitExceeded", Message: "1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Execute(t.Context(), reg, &tt.req, nil)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Execute =\n %v\nwant\n %v", got, tt.want)
			}
		})
	}
}

func TestExecutePanic(t *testing.T) {
	t.Parallel()
	reg := setup(t)
	for _, name := range []string{"t.panic", "t.goexit"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := Execute(t.Context(), reg, &Request{Name: name}, nil)
			if got.Kind != Failed || got.Failure.Type != "Panic" {
				t.Fatalf("Execute = %v, want a Panic failure", got)
			}
			if !strings.Contains(got.Failure.Traceback, "goroutine") {
				t.Errorf("traceback %q holds no stack", got.Failure.Traceback)
			}
		})
	}
	got := Execute(t.Context(), reg, &Request{Name: "t.panic"}, nil)
	if want := "runtime error: index out of range [3] with length 0"; got.Failure.Message != want {
		t.Errorf("panic message = %q, want %q", got.Failure.Message, want)
	}
	if !strings.Contains(got.Failure.Traceback, "execute_test.go") {
		t.Errorf("traceback does not show the panicking frame:\n%s", got.Failure.Traceback)
	}
}

func TestExecuteRevoked(t *testing.T) {
	t.Parallel()
	reg := setup(t)

	t.Run("before start", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancelCause(t.Context())
		cancel(Revoked("revoked"))
		got := Execute(ctx, reg, &Request{Name: "t.const"}, nil)
		want := Outcome{Kind: Failed, Failure: events.Failure{Type: "TaskRevokedError", Message: "revoked"}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Execute = %v, want %v", got, want)
		}
	})

	t.Run("while running", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancelCause(t.Context())
		started := make(chan struct{})
		reg := NewRegistry()
		reg.Register("t.block", func(ctx context.Context, _ *Request) (any, error) {
			close(started)
			<-ctx.Done()
			return nil, ctx.Err()
		})
		out := make(chan Outcome)
		go func() { out <- Execute(ctx, reg, &Request{Name: "t.block"}, nil) }()
		<-started
		cancel(Revoked("terminated"))
		want := Outcome{Kind: Failed, Failure: events.Failure{Type: "TaskRevokedError", Message: "terminated"}}
		if got := <-out; !reflect.DeepEqual(got, want) {
			t.Fatalf("Execute = %v, want %v", got, want)
		}
	})

	t.Run("plain cancel", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		got := Execute(ctx, reg, &Request{Name: "t.const"}, nil)
		want := Outcome{Kind: Failed, Failure: events.Failure{Type: "TaskRevokedError", Message: "context canceled"}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Execute = %v, want %v", got, want)
		}
	})
}

// A task that ignores its context is abandoned at the hard limit, and
// what it reports afterwards goes nowhere.
func TestExecuteAbandons(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	late := make(chan error)
	reg := NewRegistry()
	reg.Register("t.stubborn", func(ctx context.Context, _ *Request) (any, error) {
		<-release
		late <- UpdateState(ctx, "PROGRESS", nil)
		return "too late", nil
	}, TimeLimit(time.Millisecond))
	var reports []string
	rep := ReporterFunc(func(state string, _ any) error {
		reports = append(reports, state)
		return nil
	})
	got := Execute(t.Context(), reg, &Request{Name: "t.stubborn"}, rep)
	want := Outcome{Kind: Failed, Failure: events.Failure{Type: "TimeLimitExceeded", Message: "0.001"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Execute = %v, want %v", got, want)
	}
	close(release)
	if err := <-late; !errors.Is(err, errFinished) {
		t.Fatalf("UpdateState after the outcome = %v, want errFinished", err)
	}
	if len(reports) != 0 {
		t.Fatalf("reports after the outcome reached the reporter: %v", reports)
	}
}

func TestExecuteProgress(t *testing.T) {
	t.Parallel()
	reg := setup(t)
	type report struct {
		State string
		Meta  any
	}
	var got []report
	rep := ReporterFunc(func(state string, meta any) error {
		got = append(got, report{state, meta})
		return nil
	})
	out := Execute(t.Context(), reg, &Request{Name: "t.progress"}, rep)
	want := []report{
		{"PROGRESS", map[string]any{"step": int64(1)}},
		{"PROGRESS", map[string]any{"step": int64(2)}},
		{"PROGRESS", map[string]any{"step": int64(3)}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("reports = %v, want %v", got, want)
	}
	if out.Kind != Failed || out.Failure.Type != "Error" || !strings.Contains(out.Failure.Message, "state SUCCESS is reserved") {
		t.Errorf("UpdateState(SUCCESS) outcome = %v, want a reserved-state error", out)
	}
}

func TestUpdateStateWithoutReporter(t *testing.T) {
	t.Parallel()
	if err := UpdateState(t.Context(), "PROGRESS", nil); !errors.Is(err, ErrNoReporter) {
		t.Fatalf("UpdateState = %v, want ErrNoReporter", err)
	}
}

func TestNewRequest(t *testing.T) {
	t.Parallel()
	pf := &events.Failure{Type: "ValueError", Message: "x"}
	ev := &events.Event{ID: "e1", Workflow: "w1", Task: "w1.t1", Body: &events.TaskDispatched{
		Name: "tasks.add", Args: []any{int64(1)}, Kwargs: map[string]any{}, Attempt: 2, Queue: "q",
		ParentID: "w1.t0", Expires: 1_000_000, TimeLimit: 1.001, SoftTimeLimit: 1, MaxRetries: -1,
		ParentFailure: pf, TimeLimitFloat: true,
	}}
	got, err := NewRequest(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := &Request{ID: "w1.t1", Workflow: "w1", Name: "tasks.add", Args: []any{int64(1)},
		Kwargs: map[string]any{}, Retries: 2, MaxRetries: Unlimited, ParentID: "w1.t0",
		ParentFailure: pf, Queue: "q", Expires: time.UnixMicro(1_000_000),
		TimeLimit: 1001 * time.Millisecond, SoftTimeLimit: time.Second, TimeLimitFloat: true}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("NewRequest =\n %+v\nwant\n %+v", got, want)
	}
	if _, err := NewRequest(&events.Event{ID: "e2", Body: &events.TaskStarted{}}); err == nil {
		t.Fatal("NewRequest of a TaskStarted: no error")
	}
}

// An autoretry's backoff has Celery's full jitter by default: a whole
// number of seconds drawn from 0 to min(max, factor * 2**retries), by the
// one implementation of the formula (canvas.Options.RetryBackoffSeconds).
func TestAutoretryJitter(t *testing.T) {
	t.Parallel()
	task := newTask("t.jitter", nil, []TaskOption{RetryBackoff(2500*time.Millisecond, 20*time.Second)})
	var n int64
	if got := task.autoretryCountdown(3, func(m int64) int64 { n = m; return m - 1 }); n != 17 || got != 16*time.Second {
		t.Errorf("retries 3: drew from [0, %d) and got %v, want [0, 17) and 16s", n, got)
	}
	if got := task.autoretryCountdown(9, func(m int64) int64 { n = m; return 0 }); n != 21 || got != 0 {
		t.Errorf("retries 9: drew from [0, %d) and got %v, want [0, 21) and 0s", n, got)
	}

	reg := NewRegistry()
	reg.Register("t.jitter", func(context.Context, *Request) (any, error) { return nil, errBusy },
		AutoretryForErrors(errBusy), RetryBackoff(time.Second, 0), MaxRetries(Unlimited))
	seen := map[float64]bool{}
	for range 200 {
		out := Execute(t.Context(), reg, &Request{Name: "t.jitter", Retries: 3, MaxRetries: TaskDefault}, nil)
		if out.Kind != Retrying || out.Explicit || out.Countdown < 0 || out.Countdown > 8 || out.Countdown != float64(int(out.Countdown)) {
			t.Fatalf("Execute = %v (explicit %t), want an autoretry in 0..8 whole seconds", out, out.Explicit)
		}
		seen[out.Countdown] = true
	}
	if len(seen) < 2 {
		t.Errorf("200 autoretries all waited %v: no jitter", seen)
	}
}
