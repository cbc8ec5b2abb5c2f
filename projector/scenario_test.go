package projector_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/projector"
	"github.com/fugue-run/fugue/value"
)

// TestScenarios runs the data-driven scenarios in testdata/scenarios: each
// command appends one event and prints Fold's outputs in a compact form
// (regenerate with -rewrite after a deliberate change).
//
//	submit [wf=w1]            input: the canvas JSON
//	start task=ID [attempt=N]
//	succeed task=ID [attempt=N]   input: the result JSON (default null)
//	fail task=ID [type=T] [message=M] [attempt=N]   M defaults to boom; message= is empty
//	retry task=ID countdown=SECONDS [attempt=N] [explicit]   explicit: self.retry, else an autoretry
//	progress task=ID seq=N [state=S] [attempt=N]   input: meta JSON
//	expire task=ID [attempt=N]
//	revoke [task=ID]
//	fire task=ID timer=NAME
//	again                     delivers the previous event once more
//	state [parents]           prints the workflow and its tasks; with parents, each task's parent and children too
func TestScenarios(t *testing.T) {
	t.Parallel()
	datadriven.Walk(t, "testdata/scenarios", func(t *testing.T, path string) {
		t.Parallel()
		f := projector.New(projector.Config{})
		st := projector.NewMemState()
		wf := "w1"
		now := int64(1_000_000)
		var last events.Event
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			now += 1000
			ev := events.Event{Workflow: wf, Time: now, Producer: "test"}
			var task string
			attempt := int32(0)
			if d.HasArg("task") {
				d.ScanArgs(t, "task", &task)
			}
			if d.HasArg("attempt") {
				var a int
				d.ScanArgs(t, "attempt", &a)
				attempt = int32(a)
			}
			ev.Task = task
			input := func() any {
				if strings.TrimSpace(d.Input) == "" {
					return nil
				}
				v, err := value.DecodeJSON([]byte(d.Input))
				if err != nil {
					t.Fatalf("%s: input: %v", d.Pos, err)
				}
				return v
			}
			switch d.Cmd {
			case "submit":
				if d.HasArg("wf") {
					d.ScanArgs(t, "wf", &wf)
					ev.Workflow = wf
				}
				c, _ := input().(map[string]any)
				ev.ID, ev.Body = events.SubmittedID(wf), &events.WorkflowSubmitted{Canvas: c}
			case "start":
				ev.ID, ev.Body = events.StartedID(task, attempt), &events.TaskStarted{Attempt: attempt}
			case "succeed":
				ev.ID, ev.Body = events.SucceededID(task, attempt), &events.TaskSucceeded{Attempt: attempt, Result: input()}
			case "fail":
				typ, msg := "ValueError", "boom"
				if d.HasArg("type") {
					d.ScanArgs(t, "type", &typ)
				}
				if d.HasArg("message") {
					d.ScanArgs(t, "message", &msg)
				}
				ev.ID, ev.Body = events.FailedID(task, attempt), &events.TaskFailed{Attempt: attempt, Error: events.Failure{Type: typ, Message: msg}}
			case "retry":
				var cd float64
				d.ScanArgs(t, "countdown", &cd)
				ev.ID, ev.Body = events.RetryingID(task, attempt), &events.TaskRetrying{Attempt: attempt, Countdown: cd, Error: events.Failure{Type: "Retry", Message: "again"}, Explicit: d.HasArg("explicit")}
			case "progress":
				var seq int
				d.ScanArgs(t, "seq", &seq)
				state := "PROGRESS"
				if d.HasArg("state") {
					d.ScanArgs(t, "state", &state)
				}
				ev.ID, ev.Body = events.ProgressID(task, attempt, int32(seq)), &events.TaskProgress{Attempt: attempt, Seq: int32(seq), State: state, Meta: input()}
			case "expire":
				ev.ID, ev.Body = events.RevokedID(task, projector.ReasonExpired), &events.TaskRevoked{Reason: projector.ReasonExpired, Attempt: attempt}
			case "revoke":
				target := wf
				if task != "" {
					target = task
				}
				ev.ID, ev.Body = events.RevokeID(target), &events.RevokeRequested{}
			case "fire":
				var timer string
				d.ScanArgs(t, "timer", &timer)
				ev.ID, ev.Body = events.TimerFiredID(task, timer), &events.TimerFired{Timer: timer}
			case "again":
				ev = last
			case "state":
				return formatState(t, st, wf, d.HasArg("parents"))
			default:
				t.Fatalf("%s: unknown command %q", d.Pos, d.Cmd)
			}
			last = ev
			out, err := f.Fold(st, &ev, nil)
			if err != nil {
				return "error: " + err.Error() + "\n"
			}
			return formatOutputs(out, ev.Time)
		})
	})
}

func js(v any) string {
	b, err := value.MarshalJSON(v)
	if err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return string(b)
}

func formatOutputs(out []events.Event, now int64) string {
	if len(out) == 0 {
		return "(none)\n"
	}
	var b strings.Builder
	for _, o := range out {
		switch e := o.Body.(type) {
		case *events.TaskDispatched:
			fmt.Fprintf(&b, "dispatch %s %s%s", o.Task, e.Name, js(e.Args))
			if len(e.Kwargs) > 0 {
				fmt.Fprintf(&b, " kwargs=%s", js(e.Kwargs))
			}
			if e.Attempt > 0 {
				fmt.Fprintf(&b, " attempt=%d", e.Attempt)
			}
			if e.ParentID != "" {
				fmt.Fprintf(&b, " parent=%s", e.ParentID)
			}
			if e.ParentFailure != nil {
				fmt.Fprintf(&b, " handles=%s", e.ParentFailure.Type)
			}
			if e.Queue != "" {
				fmt.Fprintf(&b, " queue=%s", e.Queue)
			}
			if e.Priority != 0 {
				fmt.Fprintf(&b, " priority=%d", e.Priority)
			}
			if e.MaxRetries != 3 { // projector.Config's default
				fmt.Fprintf(&b, " max_retries=%d", e.MaxRetries)
			}
			if e.TimeLimit != 0 || e.SoftTimeLimit != 0 {
				fmt.Fprintf(&b, " time_limit=%g/%g", e.SoftTimeLimit, e.TimeLimit)
			}
			if e.TimeLimitFloat {
				b.WriteString(" time_limit_float")
			}
		case *events.TimerScheduled:
			fmt.Fprintf(&b, "timer %s %s in %dms", o.Task, e.Timer, (e.Due-now)/1000)
		case *events.LinkFired:
			kind := "link"
			if e.Errback {
				kind = "errback"
			}
			fmt.Fprintf(&b, "%s node=%d from=%s", kind, e.Node, e.Source)
		case *events.ChordCounterIncremented:
			fmt.Fprintf(&b, "chord %s member %d done %d/%d", e.Chord, e.Index, e.Count, e.Size)
		case *events.ChordCompleted:
			fmt.Fprintf(&b, "chord %s completed failed=%t", e.Chord, e.Failed)
		case *events.TaskRevoked:
			fmt.Fprintf(&b, "revoked %s", o.Task)
		case *events.WorkflowCompleted:
			fmt.Fprintf(&b, "completed %s result=%s", e.State, js(e.Result))
			if e.Error != nil {
				fmt.Fprintf(&b, " error=%s: %s (task %s)", e.Error.Type, e.Error.Message, e.ErrorTask)
			}
		case *events.WorkflowRejected:
			fmt.Fprintf(&b, "rejected: %s", e.Reason)
		default:
			fmt.Fprintf(&b, "%T", e)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func formatState(t *testing.T, st *projector.MemState, wf string, parents bool) string {
	v, err := projector.Describe(st, wf)
	if err != nil || v == nil {
		t.Fatalf("describe: %v", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "workflow %s %s result=%s", v.ID, v.State, js(v.Result))
	if v.Error != nil {
		fmt.Fprintf(&b, " error=%s: %s", v.Error.Type, v.Error.Message)
	}
	b.WriteByte('\n')
	for _, tk := range v.Tasks {
		fmt.Fprintf(&b, "task %s %s%s %s", tk.ID, tk.Name, js(tk.Args), tk.State)
		if tk.Result != nil {
			fmt.Fprintf(&b, " result=%s", js(tk.Result))
		}
		if tk.Retries > 0 {
			fmt.Fprintf(&b, " retries=%d", tk.Retries)
		}
		if tk.Error != nil {
			fmt.Fprintf(&b, " error=%s", tk.Error.Type)
		}
		if parents {
			parent := "null"
			if tk.ParentID != nil {
				parent = *tk.ParentID
			}
			fmt.Fprintf(&b, " parent=%s children=[%s]", parent, strings.Join(tk.Children, ","))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func TestFindTask(t *testing.T) {
	t.Parallel()
	f := projector.New(projector.Config{})
	st := projector.NewMemState()
	ev := events.Event{ID: "s", Workflow: "w.1", Time: 1, Body: &events.WorkflowSubmitted{Canvas: map[string]any{
		"task": "celery.group", "subtask_type": "group", "kwargs": map[string]any{"tasks": []any{
			map[string]any{"task": "tasks.add", "args": []any{int64(1), int64(1)}},
			map[string]any{"task": "tasks.add", "args": []any{int64(1), int64(1)}, "options": map[string]any{"task_id": "mine"}},
		}},
	}}}
	if _, err := f.Fold(st, &ev, nil); err != nil {
		t.Fatal(err)
	}
	for task, want := range map[string]string{"w.1": "w.1", "w.1.1": "w.1", "mine": "w.1", "w.1.9": "", "nope": ""} {
		got, err := projector.FindTask(st, task)
		if err != nil || got != want {
			t.Errorf("FindTask(%q) = %q, %v; want %q", task, got, err, want)
		}
	}
	tv, wf, err := projector.DescribeTask(st, "mine")
	if err != nil || wf != "w.1" || tv == nil || tv.Name != "tasks.add" || tv.State != "PENDING" {
		t.Fatalf("DescribeTask: %+v %q %v", tv, wf, err)
	}
}

// TestDescribeScheduledTask: a task waiting for its countdown is shown
// PENDING by itself and as its parent's child, and REVOKED once its
// workflow is revoked.
func TestDescribeScheduledTask(t *testing.T) {
	t.Parallel()
	f := projector.New(projector.Config{})
	st := projector.NewMemState()
	fold := func(ev events.Event) {
		t.Helper()
		ev.Workflow, ev.Time = "w", ev.Time+1_000_000
		if _, err := f.Fold(st, &ev, nil); err != nil {
			t.Fatal(err)
		}
	}
	fold(events.Event{ID: "s", Body: &events.WorkflowSubmitted{Canvas: map[string]any{
		"task": "celery.chain", "subtask_type": "chain", "kwargs": map[string]any{"tasks": []any{
			map[string]any{"task": "tasks.add", "args": []any{int64(1), int64(1)}},
			map[string]any{"task": "tasks.add", "args": []any{int64(1)}, "options": map[string]any{"countdown": int64(10)}},
		}},
	}}})
	fold(events.Event{ID: "ok", Task: "w.1", Time: 1, Body: &events.TaskSucceeded{Result: int64(2)}})
	check := func(task, state string, children ...string) {
		t.Helper()
		tv, wf, err := projector.DescribeTask(st, task)
		if err != nil || tv == nil || wf != "w" {
			t.Fatalf("DescribeTask(%s) = %+v, %q, %v", task, tv, wf, err)
		}
		if tv.State != state || strings.Join(tv.Children, ",") != strings.Join(children, ",") {
			t.Errorf("DescribeTask(%s): state %s children %v; want %s %v", task, tv.State, tv.Children, state, children)
		}
	}
	check("w.2", "PENDING")
	check("w.1", "SUCCESS", "w.2")
	fold(events.Event{ID: "r", Time: 2, Body: &events.RevokeRequested{}})
	check("w.2", "REVOKED")
}
